//! `report.html`: one self-contained page — inline CSS, a little inline script, charts drawn as
//! SVG on the server side — that needs no network to open.
//!
//! The tables are those of `report.md`: the page is built from [`crate::render_markdown`]'s
//! output, section by section, so both reports always show the same numbers formatted the same
//! way. The charts go right after the phases table: latency and throughput over time per phase
//! (from `timeseries.jsonl` records), GPU and server queue over time (its telemetry records),
//! TTFT/ITL percentiles per phase, and concurrency sweeps.

mod charts;
pub(crate) mod markdown;
mod svg;

use std::fmt::Write as _;

use crate::model::Summary;
use crate::timeseries::Record;
use markdown::{escape, section_html, sections, slug};

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Sections of `report.md` that come before the charts; all others follow them.
const BEFORE_CHARTS: [&str; 2] = ["Thresholds", "Phases"];

/// Renders the whole `report.html` from a run's summary and its time series records (empty when
/// the run has none, which leaves out only the charts over time).
pub fn render_html(summary: &Summary, series: &[Record]) -> String {
    let md = crate::markdown::render_markdown(summary);
    let all = sections(&md);
    let (head, rest) = all.split_first().map_or((None, &all[..]), |(h, r)| (Some(h), r));
    let split = rest.iter().rposition(|s| BEFORE_CHARTS.contains(&s.title)).map_or(0, |i| i + 1);

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
    if let Some(h) = head {
        out.push_str("<header>\n");
        out.push_str(&markdown::blocks(&h.body));
        out.push_str("</header>\n");
    }
    out.push_str("<nav>");
    for (i, s) in rest.iter().enumerate() {
        if i == split {
            out.push_str("<a href=\"#charts\">Charts</a>");
        }
        let _ = write!(out, "<a href=\"#{}\">{}</a>", slug(s.title), escape(s.title));
    }
    out.push_str("</nav>\n");
    for (i, s) in rest.iter().enumerate() {
        if i == split {
            write_charts(&mut out, &charts);
        }
        out.push_str(&section_html(s));
    }
    if split >= rest.len() {
        write_charts(&mut out, &charts);
    }
    let _ = write!(out, "<script>\n{JS}</script>\n</body>\n</html>\n");
    out
}

fn write_charts(out: &mut String, charts: &str) {
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    out.push_str(charts);
    out.push_str("</section>\n");
}
