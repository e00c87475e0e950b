//! `compare`: hand-made summaries with known numbers → exact changes, worse/better marking,
//! added/removed phases, "n/a" when A is 0, and the `--fail-on` gate.

use std::collections::BTreeMap;

use runner_reports::compare::{Kind, Row, Verdict, signed_percent};
use runner_reports::{
    Distribution, PhaseReport, SCHEMA_VERSION, Summary, compare, metric, render_comparison,
};

fn dist(p50: f64, p95: f64, p99: f64) -> Distribution {
    Distribution { count: 10, mean: p50, min: p50, p50, p90: p95, p95, p99, max: p99, ..Default::default() }
}

/// A phase with TTFT and E2E only (no ITL, no TPOT), `requests` sent, `errors` failed.
fn phase(name: &str, requests: u64, errors: u64, rps: f64, tok_s: f64, ttft_p50: f64) -> PhaseReport {
    PhaseReport {
        name: name.into(),
        executor: "constant-vus".into(),
        requests,
        errors,
        requests_per_s: rps,
        output_tokens_per_s: tok_s,
        output_tokens: (tok_s * 10.0) as u64,
        metrics: BTreeMap::from([
            (metric::TTFT.to_string(), dist(ttft_p50, ttft_p50 * 2.0, ttft_p50 * 3.0)),
            (metric::E2E.to_string(), dist(500.0, 800.0, 1000.0)),
        ]),
        ..Default::default()
    }
}

fn run(phases: Vec<PhaseReport>) -> Summary {
    Summary {
        schema_version: SCHEMA_VERSION,
        scenario: runner_reports::ScenarioInfo {
            name: "probe".into(),
            version: "1.0.0".into(),
            ..Default::default()
        },
        target: "http://127.0.0.1:8000".into(),
        started_at: "2026-11-22T10:00:00Z".into(),
        phases,
        ..Default::default()
    }
}

/// The rendered text with runs of spaces collapsed, so assertions do not depend on padding.
fn rendered(c: &runner_reports::Comparison) -> String {
    let text = render_comparison(c);
    text.lines()
        .map(|l| l.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn row<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter().find(|r| r.metric == name).unwrap_or_else(|| panic!("no row {name:?} in {rows:#?}"))
}

#[test]
fn changes_are_relative_to_a_and_judged_by_direction() {
    let a = run(vec![phase("warm", 100, 0, 20.0, 1000.0, 20.0)]);
    let b = run(vec![phase("warm", 100, 5, 16.0, 1100.0, 60.0)]);
    let c = compare(&a, &b);
    assert_eq!(c.phases.len(), 1);
    let rows = &c.phases[0].rows;
    let ttft = row(rows, "TTFT p50 (ms)");
    assert_eq!(
        (ttft.a, ttft.b, ttft.change, ttft.verdict),
        (Some(20.0), Some(60.0), Some(2.0), Verdict::Worse)
    );
    let rps = row(rows, "requests/s");
    assert_eq!(rps.change, Some(-0.2));
    assert_eq!(rps.verdict, Verdict::Worse, "throughput down is worse");
    let tok = row(rows, "output tok/s");
    assert!((tok.change.expect("a change") - 0.1).abs() < 1e-12);
    assert_eq!(tok.verdict, Verdict::Better, "throughput up is better");
    let e2e = row(rows, "E2E p95 (ms)");
    assert_eq!((e2e.change, e2e.verdict), (Some(0.0), Verdict::Same));
    let requests = row(rows, "requests");
    assert_eq!((requests.kind, requests.verdict), (Kind::Count, Verdict::NotJudged));
    // No ITL or TPOT in either run: those rows are left out rather than shown as "-".
    assert!(!rows.iter().any(|r| r.metric.starts_with("ITL") || r.metric.starts_with("TPOT")), "{rows:#?}");

    let text = rendered(&c);
    assert!(text.contains("| TTFT p50 (ms) | 20.00 | 60.00 | +200.0% worse |"), "{text}");
    assert!(text.contains("| requests/s | 20.00 | 16.00 | -20.0% worse |"), "{text}");
    assert!(text.contains("| output tok/s | 1000.00 | 1100.00 | +10.0% better |"), "{text}");
    assert!(text.contains("| E2E p95 (ms) | 800.0 | 800.0 | 0.0% |"), "{text}");
    assert!(text.contains("| TTFT p95 (ms) | 40.00 | 120.0 | +200.0% worse |"), "{text}");
}

#[test]
fn a_zero_baseline_gives_n_a_but_still_a_verdict() {
    let a = run(vec![phase("p", 100, 0, 20.0, 0.0, 20.0)]);
    let b = run(vec![phase("p", 100, 3, 20.0, 0.0, 20.0)]);
    let c = compare(&a, &b);
    let errors = row(&c.phases[0].rows, "errors");
    assert_eq!((errors.a, errors.b), (Some(0.0), Some(0.03)));
    assert_eq!(errors.change, None, "0 → 3% has no relative change");
    assert_eq!(errors.verdict, Verdict::Worse);
    // No tokens on either side: the tok/s row is left out, not shown as 0 → 0.
    assert!(!c.phases[0].rows.iter().any(|r| r.metric == "output tok/s"));
    let text = rendered(&c);
    assert!(text.contains("| errors | 0.0% | 3.0% | n/a worse |"), "{text}");
    // Whole run: the same error rates, and the request totals unchanged.
    assert_eq!(row(&c.run, "errors").verdict, Verdict::Worse);
    let total = row(&c.run, "requests");
    assert_eq!((total.a, total.b, total.change), (Some(100.0), Some(100.0), Some(0.0)));
    // Two zeros are no change at all, not "n/a".
    let same = Row::new("errors", Kind::ErrorRate, Some(0.0), Some(0.0));
    assert_eq!((same.change, same.verdict), (Some(0.0), Verdict::Same));
}

#[test]
fn a_metric_missing_on_one_side_is_shown_but_not_judged() {
    let a = run(vec![phase("p", 10, 0, 1.0, 10.0, 20.0)]);
    let mut b = run(vec![phase("p", 10, 0, 1.0, 10.0, 20.0)]);
    b.phases[0].metrics.remove(metric::TTFT);
    let c = compare(&a, &b);
    let ttft = row(&c.phases[0].rows, "TTFT p50 (ms)");
    assert_eq!((ttft.a, ttft.b, ttft.change, ttft.verdict), (Some(20.0), None, None, Verdict::NotJudged));
    let text = rendered(&c);
    assert!(text.contains("| TTFT p50 (ms) | 20.00 | - | n/a |"), "{text}");
    assert!(c.regressions(0.0).is_empty(), "a missing value never trips the gate");
}

#[test]
fn phases_pair_by_name_and_the_rest_are_added_or_removed() {
    let a = run(vec![phase("c1", 10, 0, 1.0, 10.0, 20.0), phase("c8", 80, 0, 8.0, 80.0, 25.0)]);
    let b = run(vec![phase("c8", 80, 0, 8.0, 80.0, 25.0), phase("c16", 160, 0, 16.0, 160.0, 40.0)]);
    let c = compare(&a, &b);
    assert_eq!(c.phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["c8"]);
    assert_eq!(c.removed, ["c1"]);
    assert_eq!(c.added, ["c16"]);
    let total = row(&c.run, "requests");
    assert_eq!((total.a, total.b, total.change), (Some(90.0), Some(240.0), Some(150.0 / 90.0)));
    let text = rendered(&c);
    assert!(text.contains("phases only in A (removed): c1"), "{text}");
    assert!(text.contains("phases only in B (added): c16"), "{text}");
    assert!(text.contains("\nphase c8\n"), "{text}");
    assert!(!text.contains("\nphase c1\n"), "{text}");
}

#[test]
fn the_gate_counts_only_latency_and_throughput_beyond_the_limit() {
    // TTFT +50%, RPS −10%, error rate 0 → 50%, requests −50%.
    let a = run(vec![phase("p", 100, 0, 10.0, 100.0, 20.0)]);
    let b = run(vec![phase("p", 50, 25, 9.0, 100.0, 30.0)]);
    let c = compare(&a, &b);
    let names = |limit: f64| c.regressions(limit).into_iter().map(|r| r.row.metric).collect::<Vec<_>>();
    assert_eq!(names(60.0), Vec::<String>::new());
    assert_eq!(names(49.9), ["TTFT p50 (ms)", "TTFT p95 (ms)", "TTFT p99 (ms)"]);
    assert_eq!(names(9.9), ["requests/s", "TTFT p50 (ms)", "TTFT p95 (ms)", "TTFT p99 (ms)"]);
    assert!(c.regressions(10.0).iter().all(|r| r.phase == "p" && r.row.metric != "requests/s"));
    // Improvements never trip the gate, however large.
    let back = compare(&b, &a);
    assert!(back.regressions(0.0).is_empty(), "{:#?}", back.regressions(0.0));
}

#[test]
fn a_run_compared_with_itself_shows_no_change_anywhere() {
    let a = run(vec![phase("c1", 10, 1, 1.0, 10.0, 20.0), phase("c8", 80, 0, 8.0, 80.0, 25.0)]);
    let c = compare(&a, &a);
    let all = c.run.iter().chain(c.phases.iter().flat_map(|p| &p.rows));
    for r in all {
        assert_eq!(r.change, Some(0.0), "{r:?}");
        assert!(matches!(r.verdict, Verdict::Same | Verdict::NotJudged), "{r:?}");
    }
    assert!(c.regressions(0.0).is_empty());
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    let text = rendered(&c);
    assert!(!text.contains(" worse |") && !text.contains("better |"), "{text}");
}

#[test]
fn different_setups_are_noted() {
    let mut a = run(vec![phase("p", 10, 0, 1.0, 10.0, 20.0)]);
    let mut b = a.clone();
    a.params.insert("model".into(), "qwen".into());
    b.params.insert("model".into(), "llama".into());
    b.params.insert("requests".into(), "8".into());
    b.target = "http://127.0.0.1:9000".into();
    let c = compare(&a, &b);
    assert_eq!(
        c.notes,
        [
            "different targets: A http://127.0.0.1:8000, B http://127.0.0.1:9000",
            "different parameters: model: qwen → llama, requests: (unset) → 8",
        ]
    );
    assert!(render_comparison(&c).contains("note: different targets"));
    // Two runs against the built-in mock differ only in its port: not worth a note.
    a.target_is_mock = true;
    b.target_is_mock = true;
    assert_eq!(compare(&a, &b).notes, ["different parameters: model: qwen → llama, requests: (unset) → 8"]);
}

#[test]
fn percentages_are_signed_and_never_negative_zero() {
    assert_eq!(signed_percent(0.123), "+12.3%");
    assert_eq!(signed_percent(-0.04), "-4.0%");
    assert_eq!(signed_percent(-0.0001), "0.0%");
    assert_eq!(signed_percent(0.0), "0.0%");
    assert_eq!(signed_percent(2.0), "+200.0%");
}

#[test]
fn different_labels_and_servers_are_noted_and_unknown_servers_are_not() {
    let server = |version: &str| runner_reports::ServerInfo {
        software: Some("vllm".into()),
        version: Some(version.into()),
        models: vec!["m".into()],
        ..Default::default()
    };
    let mut a = run(vec![phase("p", 10, 0, 1.0, 1.0, 50.0)]);
    let mut b = a.clone();
    a.labels = BTreeMap::from([("gpu".into(), "h100".into())]);
    b.labels = BTreeMap::from([("gpu".into(), "a100".into()), ("build".into(), "42".into())]);
    a.server = Some(server("0.6.3"));
    b.server = Some(server("0.7.0"));
    let notes = compare(&a, &b).notes;
    assert!(
        notes.contains(&"different labels: build: (unset) → 42, gpu: h100 → a100".to_string()),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"different servers: A vllm 0.6.3; models: m, B vllm 0.7.0; models: m".to_string()),
        "{notes:?}"
    );
    // A summary written before servers were recorded says nothing about them.
    b.server = None;
    assert!(!compare(&a, &b).notes.iter().any(|n| n.contains("servers")));
}
