//! report.html: the same tables as report.md, and charts whose drawn numbers (carried in
//! `data-*` attributes and data tables) are the run's numbers.

mod fixture;

use std::collections::BTreeMap;

use runner_reports::timeseries::{PhaseStart, Record, Sample};
use runner_reports::{Distribution, Summary, ThresholdResult, render_html};

fn lat(p50: f64, p95: f64) -> Distribution {
    Distribution { count: 10, mean: p50, p50, p90: p95, p95, p99: p95, max: p95, ..Default::default() }
}

/// Three one-second samples of short-c20 (the second completed nothing, so it has no latency)
/// and one of short-c64 with failures.
fn series() -> Vec<Record> {
    let sample = |t: f64, phase: &str, reqs: u64, errs: u64, toks: u64, latency: &[(&str, Distribution)]| {
        Record::Sample(Sample {
            t_s: t,
            phase: phase.into(),
            elapsed_s: t,
            interval_s: 1.0,
            interval_requests: reqs,
            interval_errors: errs,
            interval_output_tokens: toks,
            latency: latency.iter().map(|(k, d)| (k.to_string(), *d)).collect(),
            ..Sample::default()
        })
    };
    vec![
        Record::Phase(PhaseStart { phase: "short-c20".into(), ..PhaseStart::default() }),
        sample(1.0, "short-c20", 20, 0, 1280, &[("ttft", lat(18.5, 60.0)), ("e2e", lat(790.0, 1130.0))]),
        sample(2.0, "short-c20", 0, 0, 0, &[]),
        sample(3.0, "short-c20", 25, 0, 1600, &[("ttft", lat(19.25, 61.0)), ("e2e", lat(800.0, 1200.0))]),
        sample(11.0, "short-c64", 50, 4, 3000, &[("ttft", lat(70.0, 100.0))]),
    ]
}

fn html() -> String {
    render_html(&fixture::summary(), &series())
}

/// The `<figure>` of the chart whose opening tag contains `marker`.
fn figure<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html.find(marker).unwrap_or_else(|| panic!("no {marker:?} in the page"));
    let end = html[start..].find("</figure>").map_or(html.len(), |i| start + i);
    &html[start..end]
}

fn attr<'a>(text: &'a str, before: &str, name: &str) -> &'a str {
    let from = text.find(before).unwrap_or_else(|| panic!("no {before:?} in:\n{text}"));
    let key = format!("{name}=\"");
    let at =
        text[from..].find(&key).unwrap_or_else(|| panic!("no {name} after {before:?}")) + from + key.len();
    let len = text[at..].find('"').unwrap_or(0);
    &text[at..at + len]
}

#[test]
fn page_is_self_contained() {
    let html = html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>stress-sweep@1.2.0 — run report</title>"));
    assert!(html.contains("<style>") && html.contains("<script>"), "CSS and JS are inline");
    for external in ["<link", " src=", "href=\"http", "@import", "url("] {
        assert!(!html.contains(external), "the page loads nothing from outside, but has {external:?}");
    }
    assert!(html.contains("default-src 'none'"), "a CSP forbids any fetch");
}

#[test]
fn header_and_phase_tables_match_report_md() {
    let html = html();
    assert!(html.contains("<h1>stress-sweep@1.2.0 — run report</h1>"));
    assert!(html.contains("<tr><td>Seed</td><td>42</td></tr>"), "{html}");
    assert!(html.contains("<tr><td>Parameters</td><td><code>model=qwen</code></td></tr>"));
    assert!(html.contains("<tr><td>Duration</td><td>1m 35s</td></tr>"));
    assert!(html.contains(
        "<tr><td>short-c64</td><td class=\"num\">64</td><td class=\"num\">300</td><td class=\"num\">48.06</td>\
         <td class=\"num\">3075.5</td><td class=\"num\">70.00 / 100.0 / 140.0</td><td class=\"num\">-</td>\
         <td class=\"num\">10.20</td><td class=\"num\">1150.0 / 1610.0 / 1900.0</td><td class=\"num\">4 (1.3%)</td></tr>"
    ));
}

#[test]
fn sections_come_in_order_with_charts_after_the_phases() {
    let html = html();
    let at =
        |id: &str| html.find(&format!("<section id=\"{id}\">")).unwrap_or_else(|| panic!("no section {id}"));
    assert!(at("phases") < at("charts"));
    assert!(at("charts") < at("streaming-ux"));
    assert!(at("streaming-ux") < at("errors"));
    assert!(html.contains("<nav><a href=\"#phases\">Phases</a><a href=\"#charts\">Charts</a>"), "{html}");
}

#[test]
fn thresholds_come_first_when_set() {
    let mut s = fixture::summary();
    s.thresholds = vec![ThresholdResult {
        expression: "ttft:p95<50ms".into(),
        scope: "whole run".into(),
        observed: Some(90.0),
        passed: false,
        note: None,
    }];
    let html = render_html(&s, &[]);
    let t = html.find("<section id=\"thresholds\">").expect("a thresholds section");
    assert!(t < html.find("<section id=\"phases\">").expect("phases"));
    assert!(html.contains("<td><code>ttft:p95&lt;50ms</code></td><td>whole run</td>"), "{html}");
}

#[test]
fn latency_over_time_has_one_point_per_interval_with_requests() {
    let html = html();
    let fig = figure(&html, "data-chart=\"latency\" data-phase=\"short-c20\"");
    // The empty second interval draws no point: two points, at t = 1 s and 3 s.
    assert_eq!(attr(fig, "data-series=\"ttft_p95\"", "data-values"), "1,60;3,61");
    assert_eq!(attr(fig, "data-series=\"ttft_p50\"", "data-values"), "1,18.5;3,19.25");
    assert_eq!(attr(fig, "data-series=\"e2e_p95\"", "data-values"), "1,1130;3,1200");
    let points = attr(fig, "data-series=\"ttft_p95\"", "points");
    assert_eq!(points.split(' ').count(), 2, "{points}");
    assert!(fig.contains("latency (ms)") && fig.contains("time since run start (s)"), "axes are labelled");
    assert!(fig.contains("<li data-series=\"ttft_p95\">"), "a legend entry per series");
    assert!(fig.contains("<tr><td class=\"num\">3</td><td class=\"num\">19.25</td>"), "data table");
    // short-c64 recorded no E2E in its interval: the series is left out, not drawn at zero.
    let c64 = figure(&html, "data-chart=\"latency\" data-phase=\"short-c64\"");
    assert!(!c64.contains("e2e_p95"), "{c64}");
}

#[test]
fn throughput_over_time_shows_requests_errors_and_tokens() {
    let html = html();
    let fig = figure(&html, "data-chart=\"throughput\" data-phase=\"short-c20\"");
    assert_eq!(attr(fig, "data-series=\"requests_per_s\"", "data-values"), "1,20;2,0;3,25");
    assert_eq!(attr(fig, "data-series=\"output_tok_per_s\"", "data-values"), "1,1280;2,0;3,1600");
    assert!(!fig.contains("errors_per_s"), "no failures, no failure line");
    assert!(fig.contains("output tokens/s"), "tokens are read on a labelled right axis");
    let c64 = figure(&html, "data-chart=\"throughput\" data-phase=\"short-c64\"");
    assert_eq!(attr(c64, "data-series=\"requests_per_s\"", "data-values"), "11,46");
    assert_eq!(attr(c64, "data-series=\"errors_per_s\"", "data-values"), "11,4");
    // Phases with no samples get no charts over time.
    assert!(!html.contains("data-phase=\"long-c20\""));
}

#[test]
fn percentile_bars_per_phase() {
    let html = html();
    let ttft = figure(&html, "data-chart=\"ttft-percentiles\"");
    assert!(ttft.contains("data-series=\"p95\" data-group=\"short-c20\" data-value=\"60\""), "{ttft}");
    assert!(ttft.contains("data-series=\"p99\" data-group=\"short-c20\" data-value=\"168.27\""));
    assert!(ttft.contains("data-series=\"max\" data-group=\"short-c64\" data-value=\"210\""));
    assert_eq!(ttft.matches("<rect").count(), 10, "5 bars for each of the 2 phases with TTFT");
    // short-c64's ITL histogram is empty: only short-c20 gets ITL bars.
    let itl = figure(&html, "data-chart=\"itl-percentiles\"");
    assert!(itl.contains("data-group=\"short-c20\" data-value=\"9.1\""), "{itl}");
    assert!(!itl.contains("short-c64"));
}

#[test]
fn sweep_curves_for_groups_of_two_levels_or_more() {
    let html = html();
    let fig = figure(&html, "data-chart=\"sweep\" data-group=\"len=short\"");
    assert_eq!(attr(fig, "data-series=\"rps\"", "data-values"), "20,23.02;64,48.06");
    assert_eq!(attr(fig, "data-series=\"e2e_p95\"", "data-values"), "20,1130;64,1610");
    assert!(fig.contains("concurrency (VUs)") && fig.contains("E2E p95 (ms)"));
    assert!(!html.contains("data-group=\"len=long\""), "a single level is not a curve");
}

#[test]
fn without_a_time_series_the_other_charts_remain() {
    let html = render_html(&fixture::summary(), &[]);
    assert!(html.contains("No time series was recorded"));
    assert!(!html.contains("data-chart=\"latency\""));
    assert!(html.contains("data-chart=\"ttft-percentiles\""));
}

#[test]
fn names_are_escaped() {
    let mut s = Summary { phases: fixture::summary().phases, ..Summary::default() };
    s.phases[0].name = "<script>alert(1)</script>".into();
    s.phases[0].tags = BTreeMap::new();
    let html = render_html(&s, &[]);
    assert!(!html.contains("<script>alert"), "no markup from names");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(html.matches("<script>").count(), 1, "only the page's own script");
}

#[test]
fn telemetry_charts_draw_what_each_source_gave() {
    use runner_reports::timeseries::TelemetrySample;
    let reading = |t_ms: u64, source: &str, device: Option<&str>, fields: &[(&str, f64)]| {
        Record::Telemetry(TelemetrySample {
            t_ms,
            source: source.into(),
            device: device.map(String::from),
            fields: fields.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        })
    };
    let mut records = series();
    records.extend([
        reading(500, "nvml", Some("0"), &[("gpu_util_pct", 70.0), ("memory_used_mib", 12000.0)]),
        reading(500, "prom=http://h/metrics", None, &[("waiting", 3.0), ("running", 4.0)]),
        reading(1500, "nvml", Some("0"), &[("gpu_util_pct", 90.0), ("memory_used_mib", 12500.0)]),
        reading(1500, "prom=http://h/metrics", None, &[("running", 4.0)]),
    ]);
    let html = render_html(&fixture::summary(), &records);
    let gpu = figure(&html, "data-chart=\"gpu\"");
    assert_eq!(attr(gpu, "data-series=\"gpu_util_pct\"", "data-values"), "0.5,70;1.5,90");
    assert_eq!(attr(gpu, "data-series=\"memory_used_mib\"", "data-values"), "0.5,12000;1.5,12500");
    assert!(!gpu.contains("sm_active_pct"), "no source gave SM activity: no line");
    let queue = figure(&html, "data-chart=\"queue\"");
    assert_eq!(attr(queue, "data-series=\"waiting\"", "data-values"), "0.5,3", "absent, not drawn as 0");
    assert_eq!(attr(queue, "data-series=\"running\"", "data-values"), "0.5,4;1.5,4");
    // Without telemetry records there is no telemetry chart.
    assert!(!render_html(&fixture::summary(), &series()).contains("data-chart=\"gpu\""));
}

#[test]
fn markup_characters_in_names_are_shown_as_they_are() {
    let mut s = fixture::summary();
    s.phases[0].name = "**a** `b` | c".into();
    s.notes = vec!["`x` & **y**".into()];
    let html = render_html(&s, &[]);
    assert!(html.contains("<tr><td>**a** `b` | c</td><td class=\"num\">20</td>"), "{html}");
    assert!(html.contains("<li>`x` &amp; **y**</li>"), "{html}");
    assert!(!html.contains("<strong>a</strong>") && !html.contains("<code>x</code>"), "{html}");
    // The report's own emphasis and code still are.
    assert!(html.contains("<td><strong>TTFT</strong></td>"), "{html}");
    assert!(html.contains("<code>--telemetry nvml</code>"), "{html}");
}
