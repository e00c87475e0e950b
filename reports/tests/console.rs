//! The console summary: content, warnings and the 100-column limit.

mod fixture;

use runner_reports::{Summary, render_console};

#[test]
fn every_line_fits_in_100_columns_without_colour_codes() {
    let mut s = fixture::summary();
    s.phases[0].plan = "x".repeat(150);
    s.notes.push("word ".repeat(60));
    let text = render_console(&s);
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "too wide ({}): {line}", line.chars().count());
    }
    assert!(!text.contains('\x1b'));
    // The long note is wrapped, not cut.
    assert_eq!(text.matches("word").count(), 60, "{text}");
}

#[test]
fn phase_blocks_show_throughput_latencies_and_errors() {
    let text = render_console(&fixture::summary());
    assert!(text.starts_with("stress-sweep@1.2.0 -> http://127.0.0.1:8000 (mock)\n"), "{text}");
    assert!(text.contains("== short-c20 [constant-vus] 20 VUs for 10s (concurrency=20, len=short)"));
    assert!(
        text.contains("  requests         100       23.02 req/s      1472.0 out tok/s   errors 0\n"),
        "{text}"
    );
    let header = format!(
        "  {:<16}{:>9}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "latency (ms)", "count", "mean", "p50", "p95", "p99", "max"
    );
    assert!(text.contains(&header), "{text}");
    assert!(
        text.contains("  ttft                  100     40.00     18.50     60.00     168.3     300.0\n"),
        "{text}"
    );
    // short-c64's ITL has no samples: the row is left out rather than printed as zeros.
    let c64 = &text[text.find("== short-c64").unwrap()..text.find("== long-c20").unwrap()];
    assert!(!c64.contains("  itl "), "{c64}");
    assert!(c64.contains("errors 4 (1.3%)"), "{c64}");
    assert!(c64.contains("  errors by class: status_5xx=3, timeout=1\n"), "{c64}");
    assert!(c64.contains("! checks: status is 200 4/300 failed"), "{c64}");
    assert!(c64.contains("disagreed on 5 requests (net -7)"), "{c64}");
}

#[test]
fn open_loop_warnings_name_drops_and_lag() {
    let text = render_console(&fixture::summary());
    let open = &text[text.find("== open-200").unwrap()..];
    assert!(open.contains("  ! 12 iterations dropped"), "{open}");
    assert!(open.contains("  ! behind schedule: dispatch lag p99 120.0 ms > bound 50.00 ms"), "{open}");
    assert!(open.contains("  dispatch lag          990     20.00      4.25     90.00     120.0     250.0"));
    assert!(open.contains("12 dropped"), "{open}");
    assert!(text.contains("total: 1,455 requests, 12 errors (0.8%), 6,400 output tokens"), "{text}");
    assert!(text.contains("checks 396/400 passed"), "{text}");
    assert!(text.contains("note: open-200 fell behind its schedule"), "{text}");
}

#[test]
fn a_phase_on_schedule_has_no_warnings() {
    let mut s = fixture::summary();
    let open = s.phases.iter_mut().find(|p| p.name == "open-200").unwrap();
    open.iterations.dropped = 0;
    if let Some(sch) = open.schedule.as_mut() {
        sch.behind = false;
    }
    let text = render_console(&s);
    let open = &text[text.find("== open-200").unwrap()..];
    assert!(!open.contains("  ! "), "{open}");
}

#[test]
fn an_empty_run_renders() {
    let text = render_console(&Summary::default());
    assert!(text.contains("0 phases"), "{text}");
    assert!(text.contains("total: 0 requests, 0 errors (0.0%)"), "{text}");
}

#[test]
fn the_runs_model_follows_the_target_line_when_there_is_one() {
    let mut s = fixture::summary();
    s.model =
        Some(runner_reports::RunModel { name: "qwen".into(), source: runner_reports::ModelSource::Flag });
    let text = render_console(&s);
    assert!(
        text.starts_with("stress-sweep@1.2.0 -> http://127.0.0.1:8000 (mock)\nmodel qwen (from --model)\n"),
        "{text}"
    );
    assert!(!render_console(&fixture::summary()).contains("\nmodel "));
}
