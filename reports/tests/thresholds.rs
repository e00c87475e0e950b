//! Thresholds: the expression syntax (every accepted form and every refusal), evaluation on the
//! fixture run whose numbers are known, and the report and console renderings.

mod fixture;

use runner_reports::thresholds::{Aggregation, Op, Subject, evaluate, observed_text, parse};
use runner_reports::{Summary, ThresholdError, ThresholdResult, render_console, render_markdown};

fn ok(expr: &str) -> runner_reports::Threshold {
    parse(expr).unwrap_or_else(|e| panic!("{expr:?} should parse: {e}"))
}

fn err(expr: &str) -> ThresholdError {
    match parse(expr) {
        Ok(t) => panic!("{expr:?} should be refused, parsed as {t:?}"),
        Err(e) => e,
    }
}

/// Evaluates one expression on the fixture run.
fn eval(expr: &str) -> ThresholdResult {
    eval_on(expr, &fixture::summary())
}

fn eval_on(expr: &str, s: &Summary) -> ThresholdResult {
    let mut results = evaluate(&[ok(expr)], s);
    assert_eq!(results.len(), 1);
    results.remove(0)
}

#[test]
fn the_documented_forms_parse() {
    let t = ok("ttft:p95<200ms");
    assert_eq!(t.subject, Subject::Distribution("ttft".into()));
    assert_eq!((t.aggregation, t.op, t.limit, t.phase.as_deref()), (Aggregation::P95, Op::Lt, 200.0, None));
    assert_eq!(t.expression, "ttft:p95<200ms");

    let t = ok("  itl:mean <= 12ms ");
    assert_eq!((t.aggregation, t.op, t.limit), (Aggregation::Mean, Op::Le, 12.0));
    assert_eq!(t.expression, "itl:mean <= 12ms", "kept as written, trimmed");

    let t = ok("e2e{phase=len64-c20}:p99<2s");
    assert_eq!((t.phase.as_deref(), t.limit), (Some("len64-c20"), 2000.0));
    let t = ok("e2e { phase = a:b } : p99 < 2s");
    assert_eq!(t.phase.as_deref(), Some("a:b"), "a selector may hold `:` and spaces around it");

    assert_eq!((ok("errors:rate==0").subject, ok("errors:rate==0").op), (Subject::Errors, Op::Eq));
    assert_eq!(ok("errors:count<5").aggregation, Aggregation::Count);
    let t = ok("checks:rate>=0.99");
    assert_eq!((t.subject, t.op, t.limit), (Subject::Checks, Op::Ge, 0.99));
    let t = ok("requests_per_s:value>10");
    assert_eq!((t.subject, t.op, t.limit), (Subject::RequestsPerS, Op::Gt, 10.0));
    assert_eq!(ok("output_tokens_per_s:value>=1000").subject, Subject::OutputTokensPerS);
    assert_eq!(ok("dropped_iterations:count==0").subject, Subject::DroppedIterations);
    assert_eq!(ok("e2e:max!=0").op, Op::Ne);

    let t = ok("custom:my_trend:p50<3");
    assert_eq!(
        (t.subject, t.aggregation, t.limit),
        (Subject::Distribution("custom:my_trend".into()), Aggregation::P50, 3.0)
    );
    assert_eq!(ok("custom:q{phase=x}:max<3").phase.as_deref(), Some("x"));
}

#[test]
fn units_convert_to_milliseconds() {
    assert_eq!(ok("ttft:p95<1.5s").limit, 1500.0);
    assert_eq!(ok("ttft:p95<500us").limit, 0.5);
    assert_eq!(ok("ttft:p95<200").limit, 200.0, "no unit means the metric's own (ms)");
    assert_eq!(ok("ttft:p95<2e3ms").limit, 2000.0);
    assert_eq!(ok("e2e:count>=100").limit, 100.0);
    assert_eq!(ok("tokens_per_s:p50>=80").limit, 80.0);
}

/// Whether an error is the expected variant.
type IsVariant = fn(&ThresholdError) -> bool;

#[test]
fn each_mistake_is_named_in_one_line_that_quotes_the_expression() {
    let cases: [(&str, IsVariant, &str); 14] = [
        ("", |e| matches!(e, ThresholdError::NoOperator(_)), "no comparison"),
        ("ttft:p95", |e| matches!(e, ThresholdError::NoOperator(_)), "no comparison"),
        ("ttft:p95=200ms", |e| matches!(e, ThresholdError::SingleEquals(_)), "use `==`"),
        ("ttft<200ms", |e| matches!(e, ThresholdError::NoAggregation(_)), "no aggregation"),
        ("e2e{phase=a:b}<3", |e| matches!(e, ThresholdError::NoAggregation(_)), "no aggregation"),
        ("latency:p95<2", |e| matches!(e, ThresholdError::UnknownMetric { .. }), "unknown metric 'latency'"),
        ("custom::p95<2", |e| matches!(e, ThresholdError::UnknownMetric { .. }), "unknown metric 'custom:'"),
        ("ttft:p999<2", |e| matches!(e, ThresholdError::BadAggregation { .. }), "it takes mean, min, max"),
        ("errors:p95<2", |e| matches!(e, ThresholdError::BadAggregation { .. }), "it takes rate, count"),
        ("e2e{vu=3}:p95<2", |e| matches!(e, ThresholdError::BadSelector { .. }), "only {phase=<name>}"),
        ("ttft:p95<<200", |e| matches!(e, ThresholdError::BadValue { .. }), "'<200' is not a number"),
        ("ttft:p95<", |e| matches!(e, ThresholdError::BadValue { .. }), "'' is not a number"),
        ("ttft:p95<2min", |e| matches!(e, ThresholdError::BadUnit { .. }), "use ms, s or us"),
        ("errors:rate<1ms", |e| matches!(e, ThresholdError::BadUnit { .. }), "no time unit"),
    ];
    for (expr, is, says) in cases {
        let e = err(expr);
        assert!(is(&e), "{expr:?} gave the wrong error: {e:?}");
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("threshold '{}': ", expr.trim())), "{msg}");
        assert!(msg.contains(says), "{expr:?}: {msg:?} should say {says:?}");
        assert!(!msg.contains('\n'), "{msg}");
    }
    assert!(err("custom:q:p50<3ms").to_string().contains("scenario's own unit"));
    assert!(err("e2e:count<3s").to_string().contains("no time unit"), "a count has no unit");
    assert!(err("ttft:p95<NaN").to_string().contains("not a number"));
}

#[test]
fn percentiles_must_hold_in_every_phase_and_report_the_worst() {
    // E2E p95 by phase: short-c20 1130, short-c64 1610, long-c20 3250, open-200 260.
    let r = eval("e2e:p95<2s");
    assert!(!r.passed);
    assert_eq!((r.scope.as_str(), r.observed), ("in every phase", Some(3250.0)));
    assert_eq!(r.note.as_deref(), Some("fails in long-c20 (1 of 4 phases)"));

    let r = eval("e2e:p95<4s");
    assert!(r.passed);
    assert_eq!(r.observed, Some(3250.0));
    assert_eq!(r.note.as_deref(), Some("worst: long-c20 (4 phases)"));

    // Only the phases with samples count: the empty ITL histogram of short-c64 is skipped.
    let r = eval("itl:p95<=11ms");
    assert!(r.passed, "{r:?}");
    assert_eq!((r.observed, r.note), (Some(11.0), None));

    let r = eval("e2e:p50>500ms");
    assert!(!r.passed, "open-200's median is 140 ms");
    assert_eq!(r.observed, Some(140.0));
}

#[test]
fn counts_rates_and_exact_aggregates_are_totals_over_the_run() {
    // Requests 100 + 300 + 65 + 990 = 1455; errors 4 + 8 = 12.
    let r = eval("errors:rate==0");
    assert!(!r.passed);
    assert_eq!(r.scope, "whole run");
    assert!((r.observed.unwrap_or(f64::NAN) - 12.0 / 1455.0).abs() < 1e-12, "{r:?}");
    assert!(eval("errors:rate<0.01").passed);
    let r = eval("errors:count<12");
    assert_eq!((r.observed, r.passed), (Some(12.0), false));
    // Checks: 396 passes, 4 fails.
    let r = eval("checks:rate>=0.99");
    assert_eq!((r.observed, r.passed), (Some(0.99), true));
    assert!(!eval("checks:rate>0.99").passed);
    assert_eq!(eval("dropped_iterations:count==0").observed, Some(12.0));
    // TTFT: 100 samples of mean 40 and 300 of mean 80 → 70; min 10 and max 300 over both phases.
    assert_eq!(eval("ttft:mean<100ms").observed, Some(70.0));
    assert_eq!(eval("ttft:min>=10").observed, Some(10.0));
    assert_eq!(eval("ttft:max<0.3s").observed, Some(300.0));
    assert!(!eval("ttft:max<0.3s").passed);
    assert_eq!(eval("ttft:count==400").observed, Some(400.0));
    assert!(eval("ttft:count==400").passed);
    assert_eq!(eval("custom:queue_depth:p99<=9").observed, Some(9.0));
}

#[test]
fn throughputs_hold_in_every_phase_that_sent_requests() {
    let r = eval("requests_per_s:value>10");
    assert!(!r.passed, "long-c20 ran at 6.52 req/s");
    assert_eq!((r.observed, r.scope.as_str()), (Some(6.52), "in every phase"));
    assert!(eval("requests_per_s:value>5").passed);
    let r = eval("output_tokens_per_s:value>1000");
    assert_eq!(r.observed, Some(0.0), "long-c20 and open-200 report no token throughput");
}

#[test]
fn a_phase_scope_uses_that_phase_only() {
    let r = eval("e2e{phase=short-c64}:p99<2s");
    assert!(r.passed);
    assert_eq!((r.scope.as_str(), r.observed, r.note), ("phase short-c64", Some(1900.0), None));
    let r = eval("errors{phase=short-c20}:rate==0");
    assert!(r.passed && r.observed == Some(0.0), "{r:?}");
    let r = eval("errors{phase=open-200}:count<=5");
    assert_eq!((r.observed, r.passed), (Some(8.0), false));
}

#[test]
fn nothing_to_observe_is_a_failure_never_a_pass() {
    let r = eval("e2e{phase=nope}:p95<1s");
    assert!(!r.passed);
    assert_eq!(r.observed, None);
    let note = r.note.unwrap_or_default();
    assert!(note.contains("no phase named 'nope'") && note.contains("short-c20, short-c64"), "{note}");

    for expr in ["ttst:p95<1s", "ttft{phase=long-c20}:p95<1s", "custom:absent:max<1", "http_connect:count<5"]
    {
        let r = eval(expr);
        assert!(!r.passed && r.observed.is_none(), "{expr}: {r:?}");
        assert!(r.note.as_deref().unwrap_or_default().starts_with("no samples"), "{expr}: {r:?}");
    }
    assert_eq!(eval("ttst:p95<1s").scope, "in every phase", "the scope does not depend on the data");
    assert_eq!(eval("ttst:mean<1s").scope, "whole run");
    let mut quiet = fixture::summary();
    for p in &mut quiet.phases {
        p.requests = 0;
        p.checks.clear();
    }
    for expr in ["errors:rate==0", "errors:count==0", "checks:rate>=0", "requests_per_s:value>=0"] {
        let r = eval_on(expr, &quiet);
        assert!(!r.passed, "{expr}: {r:?}");
        assert!(r.note.as_deref().unwrap_or_default().starts_with("no samples"), "{expr}: {r:?}");
    }
    quiet.phases.clear();
    assert!(!eval_on("dropped_iterations:count==0", &quiet).passed);
}

#[test]
fn observed_values_print_in_the_metric_unit() {
    let text = |expr: &str| observed_text(&eval(expr));
    assert_eq!(text("e2e:p95<2s"), "3250.0 ms");
    assert_eq!(text("errors:count<12"), "12");
    assert_eq!(text("errors:rate==0"), "0.0082");
    assert_eq!(text("requests_per_s:value>10"), "6.52 req/s");
    assert_eq!(text("tokens_per_s:p50>1"), "97.0 tok/s");
    assert_eq!(text("e2e{phase=nope}:p95<1s"), "-");
}

#[test]
fn results_round_trip_through_summary_json_and_old_files_still_load() {
    let mut s = fixture::summary();
    s.thresholds = evaluate(&[ok("e2e:p95<2s"), ok("ttst:p95<1s")], &s);
    let back = Summary::from_json(&s.to_json()).expect("parses");
    assert_eq!(back.thresholds, s.thresholds);
    assert!(s.to_json().contains("\"expression\": \"e2e:p95<2s\""));
    assert!(s.to_json().contains("\"observed\": null"));

    let mut value: serde_json::Value = serde_json::from_str(&fixture::summary().to_json()).expect("json");
    value.as_object_mut().expect("an object").remove("thresholds");
    let old = Summary::from_json(&value.to_string()).expect("a summary without thresholds loads");
    assert!(old.thresholds.is_empty());
}

#[test]
fn report_and_console_show_thresholds_only_when_set() {
    let mut s = fixture::summary();
    assert!(!render_markdown(&s).contains("## Thresholds"));
    assert!(!render_console(&s).contains("thresholds"));

    s.thresholds = evaluate(&[ok("e2e:p95<2s"), ok("errors:rate<0.01")], &s);
    let md = render_markdown(&s);
    let start = md.find("## Thresholds\n").expect("a thresholds section");
    assert!(start < md.find("## Phases").unwrap_or(0), "thresholds come before the phases");
    assert!(md.contains("**1 of 2 failed.**"), "{md}");
    assert!(md.contains("| Threshold | Scope | Observed | Result |"), "{md}");
    assert!(
        md.contains("| `e2e:p95<2s` | in every phase | 3250.0 ms | ❌ fails in long-c20 (1 of 4 phases) |"),
        "{md}"
    );
    assert!(md.contains("| `errors:rate<0.01` | whole run | 0.0082 | ✅ |"), "{md}");

    let console = render_console(&s);
    assert!(console.contains("thresholds: 1 of 2 FAILED\n"), "{console}");
    assert!(
        console.contains(
            "  ✗ e2e:p95<2s observed 3250.0 ms (in every phase); fails in long-c20 (1 of 4 phases)"
        ),
        "{console}"
    );
    assert!(console.contains("  ✓ errors:rate<0.01 observed 0.0082 (whole run)"), "{console}");

    s.thresholds.retain(|t| t.passed);
    assert!(render_markdown(&s).contains("All 1 passed."));
    assert!(render_console(&s).contains("thresholds: all 1 passed"));
}
