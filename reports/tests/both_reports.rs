//! report.md and report.html show the same report: report.md, read by an independent CommonMark
//! parser (pulldown-cmark, with tables), has exactly the tables and section headings of
//! report.html, cell for cell, with the same alignment and in the same order.

mod fixture;

use std::collections::BTreeMap;

use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use runner_reports::model::{Goodput, KeptSeries, ServerLatency, TelemetryReport};
use runner_reports::{Summary, ThresholdResult, render_html, render_markdown};

/// The fixture with every optional section filled: thresholds, telemetry of each kind, goodput,
/// soak windows, and names with characters that need escaping in one format or the other.
fn everything() -> Summary {
    let mut s = fixture::summary();
    s.thresholds = vec![
        ThresholdResult {
            expression: "ttft:p95<50ms".into(),
            scope: "whole run".into(),
            observed: Some(90.0),
            passed: false,
            note: None,
        },
        ThresholdResult {
            expression: "errors<1%".into(),
            scope: "phase short-c20".into(),
            observed: Some(0.0),
            passed: true,
            note: Some("no samples & none".into()),
        },
    ];
    s.params.insert("max_tokens".into(), "64".into());
    let latency =
        ServerLatency { count: 30, mean_ms: Some(46.0), p50_ms: Some(50.0), p95_ms: None, p99_ms: None };
    s.phases[0].telemetry = Some(TelemetryReport {
        samples: 20,
        gpu_util_avg_pct: Some(71.2),
        memory_used_max_mib: Some(12000.0),
        queue_waiting_max: Some(4.0),
        slots_busy_max: Some(2.0),
        server_ttft: Some(latency),
        kept: BTreeMap::from([("vllm:x{a=\"b\"}".to_string(), KeptSeries { avg: 1.5, max: 3.0 })]),
        ..TelemetryReport::default()
    });
    s.phases[1].goodput =
        Some(Goodput { slo: "ttft<100ms".into(), good_requests: 250, share: 0.83, per_s: 40.1 });
    s.phases[2].name = "long|c20 'x' & \"y\"".into();
    s.phases[2].tags.insert("window".into(), "0".into());
    s.phases[3].tags.insert("window".into(), "1".into());
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// report.md's tables and level-2 headings, each written as report.html writes it.
fn as_html(md: &str) -> (Vec<String>, Vec<String>) {
    let (mut tables, mut headings) = (Vec::new(), Vec::new());
    let (mut table, mut inline) = (String::new(), String::new());
    let mut align: Vec<Alignment> = Vec::new();
    let (mut column, mut in_head) = (0, false);
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Table(a)) => {
                align = a;
                table = "<table>\n".into();
            }
            Event::Start(Tag::TableHead) => {
                (column, in_head) = (0, true);
                table.push_str("<thead><tr>");
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                table.push_str("</tr></thead>\n<tbody>\n");
            }
            Event::Start(Tag::TableRow) => {
                column = 0;
                table.push_str("<tr>");
            }
            Event::End(TagEnd::TableRow) => table.push_str("</tr>\n"),
            Event::Start(Tag::TableCell | Tag::Heading { .. }) => inline.clear(),
            Event::End(TagEnd::TableCell) => {
                let tag = if in_head { "th" } else { "td" };
                let class = if align.get(column) == Some(&Alignment::Right) { " class=\"num\"" } else { "" };
                table.push_str(&format!("<{tag}{class}>{inline}</{tag}>"));
                column += 1;
            }
            Event::End(TagEnd::Table) => {
                table.push_str("</tbody>\n</table>\n");
                tables.push(std::mem::take(&mut table));
            }
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => headings.push(format!("<h2>{inline}</h2>")),
            Event::Text(t) | Event::InlineHtml(t) => inline.push_str(&escape(&t)),
            Event::Code(t) => inline.push_str(&format!("<code>{}</code>", escape(&t))),
            Event::Start(Tag::Strong) => inline.push_str("<strong>"),
            Event::End(TagEnd::Strong) => inline.push_str("</strong>"),
            _ => {}
        }
    }
    (tables, headings)
}

/// Each of `parts` in `page`, in order.
fn assert_in_order(page: &str, parts: &[String]) {
    let mut from = 0;
    for part in parts {
        let at =
            page[from..].find(part.as_str()).unwrap_or_else(|| panic!("not in order in the page:\n{part}"));
        from += at + part.len();
    }
}

fn assert_same_report(s: &Summary) {
    let md = render_markdown(s);
    let html = render_html(s, &[]);
    let (tables, headings) = as_html(&md);
    assert!(!tables.is_empty(), "{md}");
    assert_in_order(&html, &tables);
    // The charts' data tables carry a class; the report's tables are every other one.
    assert_eq!(html.matches("<table>").count(), tables.len(), "report.html has tables report.md has not");
    assert_in_order(&html, &headings);
    assert_eq!(html.matches("<h2>").count(), headings.len() + 1, "the sections and the charts");
}

#[test]
fn every_table_and_section_of_report_md_is_in_report_html() {
    assert_same_report(&fixture::summary());
    let s = everything();
    assert_same_report(&s);
    let (tables, headings) = as_html(&render_markdown(&s));
    // Each optional section came out, so the comparison covered it.
    for h in ["Thresholds", "Server queue per phase", "Goodput", "Soak criteria", "Notes"] {
        assert!(headings.iter().any(|x| x.contains(h)), "no {h}: {headings:?}");
    }
    assert!(headings.contains(&"<h2>Kept series per phase (<code>--prom-keep</code>)</h2>".to_string()));
    // A pipe in a name is one cell, not two, in both.
    assert!(
        tables.iter().any(|t| t.contains("<td>long|c20 &#39;x&#39; &amp; &quot;y&quot;</td>")),
        "{tables:?}"
    );
}
