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

#[test]
fn reasoning_cached_tokens_and_tool_calls_are_totalled_and_ttfo_kept_beside_ttft() {
    let stats = PhaseStats::new("p", Tags::new());
    let ms = Duration::from_millis;
    // A model that thought for 50 ms and reported it, with a prefix-cache hit of 96 of 128.
    let reasoned = LlmSample {
        ttft: Some(ms(20)),
        ttfo: Some(ms(70)),
        e2e: ms(100),
        input_tokens: Some(128),
        output_tokens: 10,
        reasoning_chunks: 5,
        reasoning_tokens: Some(5),
        cached_tokens: Some(96),
        ..LlmSample::default()
    };
    // One that answered with two tool calls at once, its usage without cache details.
    let tools = LlmSample {
        ttft: Some(ms(30)),
        ttfo: Some(ms(30)),
        e2e: ms(90),
        input_tokens: Some(64),
        output_tokens: 8,
        tool_calls: 2,
        ..LlmSample::default()
    };
    // A non-streamed answer whose usage counts reasoning (no chunks to see it in).
    let whole =
        LlmSample { e2e: ms(80), output_tokens: 4, reasoning_tokens: Some(3), ..LlmSample::default() };
    let tagged = Tags::from([("kind".to_string(), "agent".to_string())]);
    stats.record_llm(&Tags::new(), &reasoned);
    stats.record_llm(&tagged, &tools);
    stats.record_llm(&Tags::new(), &whole);
    let report = stats.report(&PhaseShape::default(), Instant::now());
    let ttfo = report.metrics[metric::TTFO];
    // Three significant digits: 70 ms is kept as 70.015.
    assert_eq!((ttfo.count, ttfo.min), (2, 30.0), "{ttfo:?}");
    assert!((ttfo.max - 70.0).abs() < 0.1, "{ttfo:?}");
    assert!((report.metrics[metric::TTFT].max - 30.0).abs() < 0.1, "TTFT of the second request only");
    assert_eq!(report.by_tags[0].metrics[metric::TTFO].count, 1, "per tag set too");
    assert_eq!((report.reasoning_tokens, report.tokens.reasoning), (8, 2));
    assert_eq!((report.cached_tokens, report.tokens.cached_reported, report.input_tokens), (96, 1, 192));
    assert_eq!(report.tool_calls, 2);
    assert!(report.reasoned());
    assert_eq!(report.cached_share(), Some(0.5));
}

#[test]
fn each_tag_set_keeps_its_input_and_cached_tokens() {
    let stats = PhaseStats::new("p", Tags::new());
    let call = |input: u32, cached: Option<u32>| LlmSample {
        e2e: Duration::from_millis(5),
        input_tokens: Some(input),
        cached_tokens: cached,
        output_tokens: 1,
        counted_output_tokens: 1,
        ..LlmSample::default()
    };
    let group = |g: &str| Tags::from([("prefix_group".to_string(), g.to_string())]);
    stats.record_llm(&group("0"), &call(80, Some(0)));
    stats.record_llm(&group("0"), &call(80, Some(64)));
    stats.record_llm(&group("1"), &call(80, None));
    let report = stats.report(&PhaseShape::default(), Instant::now());
    assert_eq!((report.input_tokens, report.cached_tokens), (240, 64));
    let of = |g: &str| report.by_tags.iter().find(|t| t.tags == group(g)).expect("the group's row");
    let zero = of("0");
    assert_eq!((zero.input_tokens, zero.cached_tokens, zero.cached_reported), (160, 64, 2));
    assert_eq!(zero.cached_share(), Some(0.4));
    assert_eq!((of("1").input_tokens, of("1").cached_share()), (80, None), "no usage said: no share");
}

#[test]
fn a_report_carries_every_histogram_losslessly_and_the_processes_cpu_over_the_phase() {
    let stats = PhaseStats::new("p", Tags::new());
    let began = Instant::now();
    stats.mark_started(began);
    let tagged = Tags::from([("turn".to_string(), "1".to_string())]);
    let untagged = Tags::new();
    for ms in 1..=200u64 {
        let itl = [Duration::from_millis(2), Duration::from_millis(ms % 7 + 1)];
        let c = LlmSample {
            ttft: Some(Duration::from_millis(ms)),
            e2e: Duration::from_millis(3 * ms),
            itl: &itl,
            output_tokens: 3,
            counted_output_tokens: 3,
            ..LlmSample::default()
        };
        stats.record_llm(if ms % 2 == 0 { &tagged } else { &untagged }, &c);
    }
    // Some CPU for the phase to account for.
    let spin = Instant::now();
    while spin.elapsed() < Duration::from_millis(30) {
        std::hint::black_box(spin.elapsed());
    }
    stats.mark_ended(Instant::now());
    let report = stats.report(&PhaseShape::default(), began);
    assert_eq!(report.histograms.keys().collect::<Vec<_>>(), report.metrics.keys().collect::<Vec<_>>());
    for (key, text) in &report.histograms {
        let h = runner_reports::histogram::decode(text).expect("reads back");
        assert_eq!(distribution(&h), report.metrics[key], "{key}");
    }
    let by_tag = &report.by_tags[0];
    assert_eq!(by_tag.histograms.len(), by_tag.metrics.len());
    let client = report.client.expect("getrusage works on Linux");
    assert!(client.cpu_s > 0.005 && client.cpu_pct > 0.0, "{client:?}");
    // What --abort-on-fail judges every second leaves them out.
    assert!(stats.report_with(&PhaseShape::default(), began, false).histograms.is_empty());
}
