//! What the reports say about answers beyond plain content: TTFO beside TTFT only when a model
//! reasoned first, the cached share of the input when the server reported cached tokens, and
//! tool calls; nothing of the kind for a run of plain answers.

mod fixture;

use runner_reports::{Summary, metric, render_console, render_markdown};

/// The fixture with short-c20's requests reasoning first (TTFO 30 ms after TTFT), a prefix-cache
/// hit on a quarter of its input, and 40 tool calls.
fn reasoning_run() -> Summary {
    let mut s = fixture::summary();
    let p = &mut s.phases[0];
    let ttft = p.metrics[metric::TTFT];
    let shifted = runner_reports::Distribution {
        mean: ttft.mean + 30.0,
        min: ttft.min + 30.0,
        p50: ttft.p50 + 30.0,
        p90: ttft.p90 + 30.0,
        p95: ttft.p95 + 30.0,
        p99: ttft.p99 + 30.0,
        max: ttft.max + 30.0,
        ..ttft
    };
    p.metrics.insert(metric::TTFO.to_string(), shifted);
    p.tokens.reasoning = 100;
    p.reasoning_tokens = 500;
    p.tokens.cached_reported = 100;
    p.cached_tokens = 300;
    p.tool_calls = 40;
    s
}

/// The text of the section that starts with `heading`, up to the next heading of that level.
fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md.find(heading).unwrap_or_else(|| panic!("no {heading:?} in:\n{md}"));
    let rest = &md[start + heading.len()..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

#[test]
fn the_console_shows_ttfo_and_the_answer_shapes_of_a_phase_that_reasoned() {
    let text = render_console(&reasoning_run());
    let c20 = &text[text.find("== short-c20").expect("c20")..text.find("== short-c64").expect("c64")];
    assert!(
        c20.contains("  ttfo                  100     70.00     48.50     90.00     198.3     330.0\n"),
        "{c20}"
    );
    assert!(c20.find("  ttft ") < c20.find("  ttfo "), "TTFO follows TTFT: {c20}");
    // Wrapped at the console's 100 columns, under its text.
    assert!(
        c20.contains(
            "  answers    reasoning in 100 requests (500 tokens), 25.0% of input tokens cached (300 of \
             1,200), 40\n             tool calls\n"
        ),
        "{c20}"
    );
    let c64 = &text[text.find("== short-c64").expect("c64")..];
    assert!(!c64.contains("ttfo") && !c64.contains("answers "), "{c64}");
}

#[test]
fn ttfo_without_reasoning_is_left_out_since_it_repeats_ttft() {
    let mut s = fixture::summary();
    let ttft = s.phases[0].metrics[metric::TTFT];
    s.phases[0].metrics.insert(metric::TTFO.to_string(), ttft);
    let text = render_console(&s);
    assert!(!text.contains("ttfo"), "{text}");
    let md = render_markdown(&s);
    assert!(!md.contains("TTFO"), "{md}");
    assert!(!section(&md, "## Tokens").contains("Reasoning"), "no answer-shape columns");
}

#[test]
fn report_md_has_ttfo_rows_and_the_token_columns_of_answer_shapes() {
    let md = render_markdown(&reasoning_run());
    let latency = section(&md, "## Latency per phase (ms)");
    assert!(
        latency.contains("| short-c20 | TTFO | 100 | 70.00 | 48.50 | 90.00 | 90.00 | 198.3 | 330.0 |"),
        "{latency}"
    );
    assert!(!latency.contains("| short-c64 | TTFO"), "{latency}");
    let ux = section(&md, "## Streaming UX");
    assert!(ux.contains("| **TTFO** |"), "{ux}");
    let tokens = section(&md, "## Tokens");
    assert!(tokens.contains("| Reasoning | Cached input | Tool calls |"), "{tokens}");
    assert!(
        tokens.contains("| short-c20 | 1,200 | 6,400 | 100 | 0 | 0 | 0 | 500 | 300 (25.0%) | 40 |"),
        "{tokens}"
    );
    // A phase whose server reported no cached tokens shows none, not 0 %.
    assert!(tokens.contains("| short-c64 | 0 | 0 | 290 | 6 | 5 | -7 | 0 | - | 0 |"), "{tokens}");
}

#[test]
fn a_cached_share_of_zero_is_shown_when_the_server_reported_it() {
    let mut s = fixture::summary();
    s.phases[0].tokens.cached_reported = 100;
    let md = render_markdown(&s);
    let tokens = section(&md, "## Tokens");
    assert!(tokens.contains("| short-c20 | 1,200 | 6,400 | 100 | 0 | 0 | 0 | 0 (0.0%) |"), "{tokens}");
    assert!(render_console(&s).contains("  answers    0.0% of input tokens cached (0 of 1,200)\n"));
}
