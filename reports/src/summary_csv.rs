//! `summary.csv`: the summary as one long table, for spreadsheets, notebooks and anything that
//! reads CSV (docs/OUTPUTS.md, "summary.csv").
//!
//! One row per phase and measure, in the order the phases ran. A row is either a distribution
//! (`kind` = `distribution`: count, mean, stddev, min, p50, p90, p95, p99, max of one metric) or
//! one number (`kind` = `value`: a counter, a rate or a ratio in the `value` column). A phase's
//! rows for its requests as a whole have an empty `tags` column; the requests that carried extra
//! tags (`PhaseReport::by_tags`) get rows of their own with those tags. Tags and labels are
//! written as compact JSON objects (`{"k":"v"}`), so any value survives and a reader can parse
//! them back; the `csv` crate quotes every field that needs it (RFC 4180). Numbers are written
//! in full precision; a number that is not finite (none should be) is left empty.

use std::collections::BTreeMap;

use crate::model::{Distribution, PhaseReport, Summary, TaggedMetrics, metric};

/// The columns of `summary.csv`, in order.
pub const COLUMNS: [&str; 18] = [
    "run_id",
    "labels",
    "phase",
    "phase_tags",
    "tags",
    "kind",
    "metric",
    "unit",
    "value",
    "count",
    "mean",
    "stddev",
    "min",
    "p50",
    "p90",
    "p95",
    "p99",
    "max",
];

/// What a row holds: a distribution or one number.
enum Cell<'a> {
    Dist(&'a Distribution),
    Value(f64),
}

/// One row before it is written: which phase and tag set, which measure, and its figures.
struct Row<'a> {
    tags: String,
    metric: String,
    unit: &'static str,
    cell: Cell<'a>,
}

/// Renders `summary.csv`: a header line, then the rows of every phase.
pub fn render_csv(summary: &Summary) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing into a Vec cannot fail, and every record has COLUMNS.len() fields.
    let _ = out.write_record(COLUMNS);
    let labels = json_object(&summary.labels);
    for p in &summary.phases {
        let phase_tags = json_object(&p.tags);
        for row in phase_rows(p) {
            let mut record: Vec<String> =
                vec![summary.run_id.clone(), labels.clone(), p.name.clone(), phase_tags.clone(), row.tags];
            match row.cell {
                Cell::Dist(d) => {
                    record.extend(["distribution".into(), row.metric, row.unit.into(), String::new()]);
                    record.push(d.count.to_string());
                    record.extend([d.mean, d.stddev, d.min, d.p50, d.p90, d.p95, d.p99, d.max].map(number));
                }
                Cell::Value(v) => {
                    record.extend(["value".into(), row.metric, row.unit.into(), number(v)]);
                    record.extend(std::iter::repeat_n(String::new(), 9));
                }
            }
            let _ = out.write_record(&record);
        }
    }
    let bytes = out.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A full-precision number (Rust's shortest round-trip form), or empty when not finite.
fn number(v: f64) -> String {
    if v.is_finite() { v.to_string() } else { String::new() }
}

/// `{"k":"v",…}` with the keys in order; empty for no tags.
fn json_object(map: &BTreeMap<String, String>) -> String {
    if map.is_empty() {
        return String::new();
    }
    serde_json::to_string(map).unwrap_or_default()
}

/// The unit of a distribution's values, by its metric key.
fn unit_of(key: &str) -> &'static str {
    if key == metric::TOKENS_PER_S {
        "tok/s"
    } else if metric::is_millis(key) {
        "ms"
    } else {
        // A custom trend: the scenario knows its unit, the summary does not.
        ""
    }
}

/// Every row of one phase: its numbers, its distributions, then each tag set's.
fn phase_rows(p: &PhaseReport) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    let value = |rows: &mut Vec<Row<'_>>, tags: &str, metric: String, unit: &'static str, v: f64| {
        rows.push(Row { tags: tags.to_string(), metric, unit, cell: Cell::Value(v) });
    };
    let count = |n: u64| n as f64;
    value(&mut rows, "", "duration".into(), "s", p.duration_s);
    if let Some(vus) = p.concurrency {
        value(&mut rows, "", "concurrency".into(), "vus", f64::from(vus));
    }
    if let Some(rate) = p.target_rate {
        value(&mut rows, "", "target_rate".into(), "req/s", rate);
    }
    value(&mut rows, "", "requests".into(), "requests", count(p.requests));
    value(&mut rows, "", "errors".into(), "requests", count(p.errors));
    value(&mut rows, "", "error_rate".into(), "ratio", p.error_rate());
    for (class, n) in &p.errors_by_class {
        value(&mut rows, "", format!("errors:{class}"), "requests", count(*n));
    }
    value(&mut rows, "", "request_throughput".into(), "req/s", p.requests_per_s);
    value(&mut rows, "", "output_token_throughput".into(), "tok/s", p.output_tokens_per_s);
    value(&mut rows, "", "input_tokens".into(), "tokens", count(p.input_tokens));
    value(&mut rows, "", "output_tokens".into(), "tokens", count(p.output_tokens));
    value(&mut rows, "", "reasoning_tokens".into(), "tokens", count(p.reasoning_tokens));
    value(&mut rows, "", "cached_tokens".into(), "tokens", count(p.cached_tokens));
    let it = &p.iterations;
    for (name, n) in [
        ("iterations_completed", it.completed),
        ("iterations_failed", it.failed),
        ("iterations_dropped", it.dropped),
        ("iterations_interrupted", it.interrupted),
    ] {
        value(&mut rows, "", name.into(), "iterations", count(n));
    }
    if let Some(g) = &p.goodput {
        value(&mut rows, "", "goodput_requests".into(), "requests", count(g.good_requests));
        value(&mut rows, "", "goodput_share".into(), "ratio", g.share);
        value(&mut rows, "", "goodput_throughput".into(), "req/s", g.per_s);
    }
    counters_and_checks(&mut rows, "", &p.counters, &p.checks);
    distributions(&mut rows, "", &p.metrics);
    for t in &p.by_tags {
        tagged_rows(&mut rows, t);
    }
    rows
}

/// The rows of the requests that carried one extra tag set.
fn tagged_rows<'a>(rows: &mut Vec<Row<'a>>, t: &'a TaggedMetrics) {
    let tags = json_object(&t.tags);
    let mut value = |metric: &str, unit: &'static str, v: f64| {
        rows.push(Row { tags: tags.clone(), metric: metric.into(), unit, cell: Cell::Value(v) });
    };
    value("requests", "requests", t.requests as f64);
    value("errors", "requests", t.errors as f64);
    let rate = if t.requests == 0 { 0.0 } else { t.errors as f64 / t.requests as f64 };
    value("error_rate", "ratio", rate);
    value("input_tokens", "tokens", t.input_tokens as f64);
    value("cached_tokens", "tokens", t.cached_tokens as f64);
    counters_and_checks(rows, &tags, &t.counters, &t.checks);
    distributions(rows, &tags, &t.metrics);
}

/// A row per custom counter (`counter:NAME`) and two per check (`check:NAME:passes`, `…:fails`).
fn counters_and_checks(
    rows: &mut Vec<Row<'_>>,
    tags: &str,
    counters: &BTreeMap<String, u64>,
    checks: &BTreeMap<String, crate::model::CheckCount>,
) {
    for (name, n) in counters {
        let metric = format!("counter:{name}");
        rows.push(Row { tags: tags.into(), metric, unit: "count", cell: Cell::Value(*n as f64) });
    }
    for (name, c) in checks {
        for (side, n) in [("passes", c.passes), ("fails", c.fails)] {
            let metric = format!("check:{name}:{side}");
            rows.push(Row { tags: tags.into(), metric, unit: "count", cell: Cell::Value(n as f64) });
        }
    }
}

/// A row per distribution that holds samples, by metric key.
fn distributions<'a>(rows: &mut Vec<Row<'a>>, tags: &str, metrics: &'a BTreeMap<String, Distribution>) {
    for (key, d) in metrics.iter().filter(|(_, d)| !d.is_empty()) {
        rows.push(Row { tags: tags.into(), metric: key.clone(), unit: unit_of(key), cell: Cell::Dist(d) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckCount, Goodput};

    fn dist(count: u64, base: f64) -> Distribution {
        Distribution {
            count,
            mean: base,
            stddev: 1.5,
            min: base - 4.0,
            p50: base,
            p90: base + 1.0,
            p95: base + 2.0,
            p99: base + 3.0,
            max: base + 9.0,
        }
    }

    fn known() -> Summary {
        let mut p = PhaseReport {
            name: "steady, \"quoted\"".into(),
            tags: BTreeMap::from([("concurrency".into(), "8".into())]),
            concurrency: Some(8),
            duration_s: 10.0,
            requests: 200,
            errors: 4,
            errors_by_class: BTreeMap::from([("timeout".into(), 4)]),
            requests_per_s: 20.0,
            output_tokens_per_s: 640.5,
            input_tokens: 1000,
            output_tokens: 6405,
            metrics: BTreeMap::from([
                (metric::TTFT.into(), dist(196, 50.25)),
                (metric::TOKENS_PER_S.into(), dist(196, 100.0)),
                (metric::custom("parse"), dist(3, 7.0)),
                (metric::TTFO.into(), Distribution::default()),
            ]),
            counters: BTreeMap::from([("retries".into(), 3)]),
            checks: BTreeMap::from([("ok".into(), CheckCount { passes: 9, fails: 1 })]),
            goodput: Some(Goodput {
                slo: "ttft<=100ms".into(),
                good_requests: 150,
                share: 0.75,
                per_s: 15.0,
            }),
            ..PhaseReport::default()
        };
        p.by_tags.push(TaggedMetrics {
            tags: BTreeMap::from([("prefix_group".into(), "a,b".into())]),
            requests: 50,
            errors: 1,
            metrics: BTreeMap::from([(metric::E2E.into(), dist(49, 300.0))]),
            ..TaggedMetrics::default()
        });
        Summary {
            run_id: "r1".into(),
            labels: BTreeMap::from([("gpu".into(), "h100".into())]),
            phases: vec![p],
            ..Summary::default()
        }
    }

    /// The rendered file read back with the same crate, as a notebook would.
    fn read(text: &str) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_string).collect();
        let rows = reader
            .records()
            .map(|r| {
                let r = r.expect("a well-formed record");
                header.iter().cloned().zip(r.iter().map(str::to_string)).collect()
            })
            .collect();
        (header, rows)
    }

    fn find<'a>(
        rows: &'a [BTreeMap<String, String>],
        tags: &str,
        metric: &str,
    ) -> &'a BTreeMap<String, String> {
        rows.iter()
            .find(|r| r["tags"] == tags && r["metric"] == metric)
            .unwrap_or_else(|| panic!("no row {tags:?} {metric}"))
    }

    #[test]
    fn every_distribution_with_samples_is_a_row_with_its_statistics() {
        let (header, rows) = read(&render_csv(&known()));
        assert_eq!(header, COLUMNS);
        let ttft = find(&rows, "", "ttft");
        assert_eq!(ttft["kind"], "distribution");
        assert_eq!(ttft["unit"], "ms");
        assert_eq!(ttft["value"], "");
        let stats: Vec<f64> = ["count", "mean", "stddev", "min", "p50", "p90", "p95", "p99", "max"]
            .iter()
            .map(|c| ttft[*c].parse().expect("a number"))
            .collect();
        assert_eq!(stats, [196.0, 50.25, 1.5, 46.25, 50.25, 51.25, 52.25, 53.25, 59.25]);
        assert_eq!(find(&rows, "", "tokens_per_s")["unit"], "tok/s");
        assert_eq!(find(&rows, "", "custom:parse")["unit"], "");
        assert!(!rows.iter().any(|r| r["metric"] == "ttfo"), "an empty distribution is no row");
    }

    #[test]
    fn counters_are_value_rows_and_quoting_survives_commas_and_quotes() {
        let (_, rows) = read(&render_csv(&known()));
        for r in &rows {
            assert_eq!(r["run_id"], "r1");
            assert_eq!(r["phase"], "steady, \"quoted\"");
            assert_eq!(r["phase_tags"], r#"{"concurrency":"8"}"#);
            assert_eq!(r["labels"], r#"{"gpu":"h100"}"#);
        }
        let value = |tags: &str, m: &str| -> f64 {
            let r = find(&rows, tags, m);
            assert_eq!((r["kind"].as_str(), r["count"].as_str()), ("value", ""), "{m}");
            r["value"].parse().expect("a number")
        };
        assert_eq!(value("", "requests"), 200.0);
        assert_eq!(value("", "errors"), 4.0);
        assert_eq!(value("", "error_rate"), 0.02);
        assert_eq!(value("", "errors:timeout"), 4.0);
        assert_eq!(value("", "request_throughput"), 20.0);
        assert_eq!(value("", "output_token_throughput"), 640.5);
        assert_eq!(value("", "concurrency"), 8.0);
        assert_eq!(value("", "goodput_share"), 0.75);
        assert_eq!(value("", "counter:retries"), 3.0);
        assert_eq!(value("", "check:ok:fails"), 1.0);
        let tagged = r#"{"prefix_group":"a,b"}"#;
        assert_eq!(value(tagged, "requests"), 50.0);
        assert_eq!(value(tagged, "error_rate"), 0.02);
        assert_eq!(find(&rows, tagged, "e2e")["p99"], "303");
    }

    #[test]
    fn a_summary_without_phases_is_the_header_alone() {
        let text = render_csv(&Summary::default());
        assert_eq!(text.lines().count(), 1);
        assert_eq!(text.trim_end(), COLUMNS.join(","));
    }
}
