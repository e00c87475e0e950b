//! report.md: each seed table comes out with the right rows and values.

mod fixture;

use runner_reports::{Summary, render_markdown};

/// The text of the section that starts with `heading`, up to the next heading of that level.
fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md.find(heading).unwrap_or_else(|| panic!("no {heading:?} in:\n{md}"));
    let level = heading.split(' ').next().unwrap_or("##");
    let rest = &md[start + heading.len()..];
    let end = rest.find(&format!("\n{level} ")).map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

fn md() -> String {
    render_markdown(&fixture::summary())
}

#[test]
fn header_names_scenario_target_seed_and_params() {
    let md = md();
    assert!(md.starts_with("# stress-sweep@1.2.0 — run report\n"), "{md}");
    assert!(md.contains("| Target | http://127.0.0.1:8000 (built-in mock server) |"));
    assert!(md.contains("| Started | 2026-11-22T10:00:00Z |"));
    assert!(md.contains("| Duration | 1m 35s |"));
    assert!(md.contains("| Seed | 42 |"));
    assert!(md.contains("| Parameters | `model=qwen` |"));
}

#[test]
fn phases_table_has_one_row_per_phase() {
    let md = md();
    let phases = section(&md, "## Phases");
    assert!(
        phases.contains(
            "| short-c20 | 20 | 100 | 23.02 | 1472.0 | 18.50 / 60.00 / 168.3 | 9.10 / 11.00 | 9.48 \
         | 790.0 / 1130.0 / 1300.0 | 0 |"
        ),
        "{phases}"
    );
    // The empty ITL histogram of short-c64 prints "-"; errors show their share.
    assert!(
        phases.contains(
            "| short-c64 | 64 | 300 | 48.06 | 3075.5 | 70.00 / 100.0 / 140.0 | - | 10.20 \
         | 1150.0 / 1610.0 / 1900.0 | 4 (1.3%) |"
        ),
        "{phases}"
    );
    assert!(phases.contains("| open-200 | 200/s | 990 | 198.00 | 0.0 | - | - | - |"), "{phases}");
    assert!(phases.contains("| short-c20 | constant-vus | 20 VUs for 10s | +0s | 10s |"));
    assert!(
        phases.contains(
            "| open-200 | constant-arrival-rate | 200 req/s for 5s (poisson), max 50 VUs | +30s | 5s \
         | len=short |"
        ),
        "{phases}"
    );
}

#[test]
fn sweep_tables_group_by_tags_other_than_concurrency() {
    let md = md();
    let sweeps = section(&md, "## Concurrency sweeps");
    let short = section(sweeps, "### Sweep: len=short");
    let long = section(sweeps, "### Sweep: len=long");
    assert!(
        short.contains(
            "| Concurrency | RPS | p95 Latency (s) | Avg GPU Util % | Max Mem (MiB) |\n\
         | :--- | :--- | :--- | :--- | :--- |\n\
         | 20 | 23.02 | 1.13 | n/a | n/a |\n\
         | 64 | 48.06 | 1.61 | n/a | n/a |\n"
        ),
        "{short}"
    );
    assert!(long.contains("| 20 | 6.52 | 3.25 | n/a | n/a |\n"), "{long}");
    assert!(!long.contains("| 64 |"), "{long}");
    // The open-loop phase has no concurrency, so it is in no sweep.
    assert!(!sweeps.contains("198.00"), "{sweeps}");
}

#[test]
fn sweep_rows_are_sorted_by_concurrency() {
    let mut s = fixture::summary();
    s.phases.swap(0, 1);
    let md = render_markdown(&s);
    let short = section(&md, "### Sweep: len=short");
    let c20 = short.find("| 20 |").expect("c20 row");
    let c64 = short.find("| 64 |").expect("c64 row");
    assert!(c20 < c64, "{short}");
}

#[test]
fn streaming_ux_merges_phases_by_request_weight() {
    let md = md();
    let ux = section(&md, "## Streaming UX");
    // TTFT: means 40 (100 req) and 80 (300 req) → 70; p95s 60 and 100 → 90; best = min 10.
    assert!(ux.contains("| **TTFT** | 70.00 ms | 90.00 ms | 10.00 ms |"), "{ux}");
    // ITL: short-c64 has no samples, so only short-c20 counts.
    assert!(ux.contains("| **ITL** | 9.00 ms | 11.00 ms | 8.80 ms |"), "{ux}");
    assert!(ux.contains("| **TPOT** | 10.25 ms | 11.50 ms | 8.80 ms |"), "{ux}");
    // Speed: best = max.
    assert!(ux.contains("| **Speed** | 97.0 tok/s | 105.5 tok/s | 113.4 tok/s |"), "{ux}");
    assert!(ux.contains("400 streamed requests"), "{ux}");
}

#[test]
fn e2e_statistics_have_one_column_per_phase() {
    let md = md();
    let e2e = section(&md, "## End-to-end latency");
    assert!(
        e2e.contains("| Metric | short-c20 (20) | short-c64 (64) | long-c20 (20) | open-200 (200/s) |"),
        "{e2e}"
    );
    assert!(e2e.contains("| Mean latency | 800.0 ms | 1200.0 ms | 2900.0 ms | 150.0 ms |"), "{e2e}");
    assert!(e2e.contains("| Median (p50) latency | 790.0 ms | 1150.0 ms | 2950.0 ms | 140.0 ms |"));
    assert!(e2e.contains("| Std dev | 200.0 ms | 300.0 ms | 725.0 ms | 37.50 ms |"), "{e2e}");
    assert!(e2e.contains("| P99 latency | 1300.0 ms | 1900.0 ms | 3400.0 ms | 400.0 ms |"));
    assert!(e2e.contains("| Aggregate throughput | 1472.0 tok/s | 3075.5 tok/s |"), "{e2e}");
}

#[test]
fn open_loop_schedule_table_reports_lag_drops_and_behind() {
    let md = md();
    let sched = section(&md, "## Open-loop schedule");
    assert!(
        sched.contains(
            "| open-200 | 200/s | 198.00/s | 4.25 / 120.0 | 12 | **yes** (p99 120.0 ms > bound 50.00 ms) |"
        ),
        "{sched}"
    );
    assert!(!sched.contains("short-c20"), "{sched}");
}

#[test]
fn no_schedule_section_without_open_loop_phases() {
    let mut s = fixture::summary();
    s.phases.retain(|p| p.schedule.is_none());
    let md = render_markdown(&s);
    assert!(!md.contains("## Open-loop schedule"), "{md}");
}

#[test]
fn errors_checks_counters_trends_tags_tokens_and_notes() {
    let md = md();
    let errors = section(&md, "## Errors");
    assert!(errors.contains("12 of 1,455 requests failed (0.8%)."), "{errors}");
    assert!(errors.contains("| short-c64 | status_5xx | 3 (1.0%) |"), "{errors}");
    assert!(errors.contains("| short-c64 | timeout | 1 (0.3%) |"), "{errors}");
    assert!(errors.contains("| open-200 | connect | 8 (0.8%) |"), "{errors}");
    let checks = section(&md, "## Checks");
    assert!(checks.contains("| short-c64 | status is 200 | 296 | 4 | 98.7% |"), "{checks}");
    assert!(section(&md, "## Counters").contains("| short-c20 | retries | 2 |"));
    let trends = section(&md, "## Custom trends");
    assert!(trends.contains("| short-c20 | queue_depth | 50 | 3.00 | 3.00 | 7.00 | 9.00 | 12.00 |"));
    let tags = section(&md, "## By request tags");
    assert!(tags.contains("| short-c64 | prompt=greeting | 120 | 1 (0.8%) | 66.00 / 95.00 | - |"));
    let tokens = section(&md, "## Tokens");
    assert!(tokens.contains("| short-c64 | 0 | 0 | 290 | 6 | 5 | -7 |"), "{tokens}");
    assert!(tokens.contains("| short-c20 | 1,200 | 6,400 | 100 | 0 | 0 | 0 |"), "{tokens}");
    assert!(section(&md, "## Notes").contains("- open-200 fell behind its schedule"));
}

#[test]
fn a_clean_run_says_no_request_failed_and_skips_empty_sections() {
    let mut s = fixture::summary();
    s.phases.truncate(1);
    s.phases[0].checks.clear();
    s.phases[0].counters.clear();
    s.notes.clear();
    let md = render_markdown(&s);
    assert!(section(&md, "## Errors").contains("No request failed."));
    for absent in ["## Checks", "## Counters", "## Notes", "## By request tags"] {
        assert!(!md.contains(absent), "{absent} in:\n{md}");
    }
}

#[test]
fn pipes_in_names_do_not_break_tables() {
    let mut s = fixture::summary();
    s.phases[0].name = "a|b".into();
    let md = render_markdown(&s);
    assert!(md.contains("| a\\|b | 20 |"), "{md}");
}

#[test]
fn an_empty_run_still_renders_a_header() {
    let md = render_markdown(&Summary::default());
    assert!(md.starts_with("# @ — run report"), "{md}");
    assert!(!md.contains("## Phases"));
}

#[test]
fn latency_table_has_mean_and_percentiles_per_phase_and_metric() {
    let md = md();
    let latency = section(&md, "## Latency per phase (ms)");
    // short-c20's TTFT: count 100, mean 40, p50 18.5, p95 60, p99 168.27, max 300.
    let row = latency
        .lines()
        .find(|l| l.starts_with("| short-c20 | TTFT |"))
        .unwrap_or_else(|| panic!("{latency}"));
    assert!(row.starts_with("| short-c20 | TTFT | 100 | 40.00 | 18.50 |"), "{row}");
    assert!(row.ends_with("| 60.00 | 168.3 | 300.0 |"), "{row}");
    // A metric without samples has no row.
    assert!(!latency.contains("| short-c64 | ITL |"), "{latency}");
}

#[test]
fn header_names_the_model_and_where_it_came_from_when_there_is_one() {
    assert!(!md().contains("| Model |"));
    let mut s = fixture::summary();
    s.model = Some(runner_reports::RunModel {
        name: "qwen".into(),
        source: runner_reports::ModelSource::Discovered,
    });
    let md = render_markdown(&s);
    assert!(md.contains("| Model | `qwen` (discovered at /v1/models) |"), "{md}");
}
