//! `report.html`: one self-contained page — inline CSS, a little inline script, charts drawn as
//! SVG on the server side — that needs no network to open.
//!
//! The page renders the same document as `report.md` (built from the summary once), so both
//! reports always show the same tables with the same numbers formatted the same way. Each level-2
//! heading opens a `<section>` with an anchor the navigation links to; what precedes the first is
//! the page's `<header>`. Where the document marks the charts' place (right after the phases),
//! the page draws them: latency and throughput over time per phase (from `timeseries.jsonl`
//! records), GPU and server queue over time (its telemetry records), TTFT/ITL percentiles per
//! phase, and concurrency sweeps.

mod blocks;
mod charts;
mod svg;

use std::fmt::Write as _;

use crate::document::{Block, Document, Text};
use crate::model::Summary;
use crate::timeseries::Record;

const CSS: &str = include_str!("report.css");
/// report.html's stylesheet, for other pages that should look like it (the live dashboard).
pub const STYLE: &str = CSS;
const JS: &str = include_str!("report.js");

/// Renders the whole `report.html` from a run's summary and its time series records (empty when
/// the run has none, which leaves out only the charts over time).
pub fn render_html(summary: &Summary, series: &[Record]) -> String {
    let doc = crate::sections::document(summary);
    let charts = [
        charts::over_time(summary, series),
        charts::telemetry_over_time(series),
        charts::distributions(summary),
        charts::sweeps(summary),
    ]
    .concat();

    let mut out = String::new();
    let sc = &summary.scenario;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"generator\" content=\"runner {}\">\n<title>{}@{} — run report</title>\n\
         <style>\n{CSS}</style>\n</head>\n<body>\n",
        escape(&summary.runner_version),
        escape(&sc.name),
        escape(&sc.version),
    );
    write_body(&mut out, &doc, &charts);
    let _ = write!(out, "<script>\n{JS}</script>\n</body>\n</html>\n");
    out
}

/// What the page makes a `<section>` of: a level-2 heading, or the charts.
fn section_title(block: &Block) -> Option<&Text> {
    match block {
        Block::Heading { level: 2, text } => Some(text),
        _ => None,
    }
}

fn opens_section(block: &Block) -> bool {
    section_title(block).is_some() || matches!(block, Block::Charts)
}

/// The header, the navigation and the sections of `doc`, with `charts` at the charts' place.
fn write_body(out: &mut String, doc: &Document, charts: &str) {
    let first = doc.blocks.iter().position(opens_section).unwrap_or(doc.blocks.len());
    let (header, sections) = doc.blocks.split_at(first);
    out.push_str("<header>\n");
    for block in header {
        blocks::write_block(out, block);
    }
    out.push_str("</header>\n");

    out.push_str("<nav>");
    for block in sections {
        if let Some(title) = section_title(block) {
            let title = title.plain_text();
            let _ = write!(out, "<a href=\"#{}\">{}</a>", slug(&title), escape(&title));
        } else if matches!(block, Block::Charts) {
            out.push_str("<a href=\"#charts\">Charts</a>");
        }
    }
    out.push_str("</nav>\n");

    let mut open = false;
    for block in sections {
        if opens_section(block) && open {
            out.push_str("</section>\n");
            open = false;
        }
        if let Some(title) = section_title(block) {
            let _ = write!(
                out,
                "<section id=\"{}\">\n<h2>{}</h2>\n",
                slug(&title.plain_text()),
                blocks::inline(title)
            );
            open = true;
        } else if matches!(block, Block::Charts) {
            let _ = write!(out, "<section id=\"charts\">\n<h2>Charts</h2>\n{charts}</section>\n");
        } else {
            blocks::write_block(out, block);
        }
    }
    if open {
        out.push_str("</section>\n");
    }
}

/// The anchor id of a section title: lowercase letters and digits, other runs as `-`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_open_at_level_two_headings_and_the_charts_have_their_own() {
        let mut doc = Document::default();
        doc.heading(1, "T");
        doc.table::<Text>(&[("a", crate::document::Align::Left)], Vec::new());
        doc.heading(2, "Phases");
        doc.paragraph("text");
        doc.heading(3, "Sweep: x");
        doc.list(vec![Text::plain("n")]);
        doc.charts();
        doc.heading(2, Text::plain("Kept (").then(Text::code("--keep")).then(")"));
        let mut html = String::new();
        write_body(&mut html, &doc, "<p>charts</p>\n");
        assert!(html.starts_with("<header>\n<h1>T</h1>\n<table>\n"), "{html}");
        assert!(
            html.contains(
                "<nav><a href=\"#phases\">Phases</a><a href=\"#charts\">Charts</a>\
                 <a href=\"#kept-keep\">Kept (--keep)</a></nav>\n"
            ),
            "{html}"
        );
        assert!(
            html.contains("<section id=\"phases\">\n<h2>Phases</h2>\n<p>text</p>\n<h3>Sweep: x</h3>"),
            "{html}"
        );
        assert!(html.contains("<ul>\n<li>n</li>\n</ul>\n</section>\n<section id=\"charts\">"), "{html}");
        assert!(
            html.ends_with(
                "<p>charts</p>\n</section>\n\
                 <section id=\"kept-keep\">\n<h2>Kept (<code>--keep</code>)</h2>\n</section>\n"
            ),
            "{html}"
        );
        assert_eq!(slug("Latency per phase (ms)"), "latency-per-phase-ms");
    }
}
