//! Unit tests of the recorder: counts, histograms, caps and rates.

use super::*;

#[test]
fn histograms_report_milliseconds_with_three_digits() {
    let stats = PhaseStats::new("p", Tags::new());
    for ms in 1..=100u64 {
        stats.record_schedule(Duration::from_millis(ms), Duration::from_millis(ms));
    }
    let d = stats.distribution(metric::DISPATCH_LAG);
    assert_eq!(d.count, 100);
    assert!((d.p50 - 50.0).abs() < 0.1, "{d:?}");
    assert!((d.p99 - 99.0).abs() < 0.1, "{d:?}");
    assert!((d.mean - 50.5).abs() < 0.1, "{d:?}");
}

#[test]
fn phase_latency_histograms_never_resize_below_an_hour() {
    let stats = PhaseStats::new("p", Tags::new());
    stats.record_iteration(Duration::from_micros(5), None);
    let r = stats.lock();
    let h = &r.all.metrics[metric::ITERATION];
    assert!(h.high() >= PRESIZED_MAX_US, "range {}", h.high());
    let counts = h.distinct_values();
    drop(r);
    stats.record_iteration(Duration::from_secs(3_000), None);
    stats.record_iteration(Duration::from_secs(4 * 3_600), None); // beyond: still recorded
    let r = stats.lock();
    let h = &r.all.metrics[metric::ITERATION];
    assert_eq!(h.len(), 3);
    assert!(h.distinct_values() > counts, "auto-resize still on beyond an hour");
}

#[test]
fn interval_histograms_are_reset_in_place_and_empty_ones_left_out() {
    let stats = PhaseStats::new("p", Tags::new());
    let c = |ms: u64| LlmSample {
        ttft: Some(Duration::from_millis(ms)),
        e2e: Duration::from_millis(2 * ms),
        output_tokens: 1,
        counted_output_tokens: 1,
        ..LlmSample::default()
    };
    stats.record_llm(&Tags::new(), &c(10));
    let first = stats.take_interval();
    assert_eq!(first.keys().collect::<Vec<_>>(), [metric::E2E, metric::TTFT]);
    assert_eq!(first[metric::TTFT].count, 1);
    assert!(stats.take_interval().is_empty(), "nothing recorded since");
    stats.record_llm(&Tags::new(), &c(30));
    let third = stats.take_interval();
    assert_eq!((third[metric::TTFT].count, third[metric::TTFT].min), (1, 30.0));
}

#[test]
fn request_tag_sets_are_capped() {
    let stats = PhaseStats::new("p", Tags::new());
    for i in 0..(MAX_TAG_SETS + 10) {
        let tags = Tags::from([("id".to_string(), i.to_string())]);
        stats.record_error(&tags, ErrorClass::Timeout);
    }
    assert_eq!(stats.lock().tag_sets_overflowed, 10);
    assert_eq!(stats.errors(), (MAX_TAG_SETS + 10) as u64);
}

#[test]
fn custom_counters_and_checks_keep_their_tags() {
    let stats = PhaseStats::new("p", Tags::new());
    let tagged = Tags::from([("prompt".to_string(), "long".to_string())]);
    stats.count("retries", 2, &Tags::new());
    stats.count("retries", 3, &tagged);
    stats.check("status is 200", true, &tagged);
    stats.check("status is 200", false, &Tags::new());
    let report = stats.report(&PhaseShape::default(), Instant::now());
    assert_eq!(report.counters["retries"], 5, "the phase's totals hold every update");
    assert_eq!((report.checks["status is 200"].passes, report.checks["status is 200"].fails), (1, 1));
    let by_tag = &report.by_tags[0];
    assert_eq!(by_tag.tags, tagged);
    assert_eq!(by_tag.counters["retries"], 3);
    assert_eq!((by_tag.checks["status is 200"].passes, by_tag.checks["status is 200"].fails), (1, 0));
}

#[test]
fn refused_credentials_make_one_note_with_the_count() {
    let stats = PhaseStats::new("p", Tags::new());
    assert!(stats.notes().is_empty());
    for _ in 0..3 {
        stats.record_error(&Tags::new(), ErrorClass::HttpStatus);
        stats.record_credentials_refused();
    }
    let notes = stats.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("refused the credentials of 3 request(s)") && notes[0].contains("401"));
}
