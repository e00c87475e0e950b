//! The end-of-run summary printed to the terminal: per phase a few aligned lines, in the spirit
//! of k6's and oha's. Plain text, no colour codes, every line at most [`WIDTH`] columns.

use std::fmt::Write as _;

use crate::format::{self, Stat};
use crate::model::{PhaseReport, Summary, metric};
use crate::sections::load_level;
use crate::thresholds::observed_text;

/// The widest line the console summary prints, in characters.
pub const WIDTH: usize = 100;

/// The latency rows of a phase block: label and metric key, in print order. Rows without
/// samples are skipped, so an HTTP-only phase shows no TTFT row; TTFO shows only when some
/// request reasoned first (otherwise it repeats TTFT).
const ROWS: [(&str, &str); 7] = [
    ("ttft", metric::TTFT),
    ("ttfo", metric::TTFO),
    ("itl", metric::ITL),
    ("tpot", metric::TPOT),
    ("e2e", metric::E2E),
    ("dispatch lag", metric::DISPATCH_LAG),
    ("from schedule", metric::LATENCY_FROM_SCHEDULE),
];

/// Renders the console summary.
pub fn render_console(summary: &Summary) -> String {
    let mut lines: Vec<String> = Vec::new();
    let sc = &summary.scenario;
    let target =
        if summary.target_is_mock { format!("{} (mock)", summary.target) } else { summary.target.clone() };
    lines.push(format!("{}@{} -> {}", sc.name, sc.version, target));
    if let Some(m) = &summary.model {
        lines.push(format!("model {} ({})", m.name, m.source.describe()));
    }
    if let Some(server) = summary.server.as_ref().filter(|s| !s.is_empty()) {
        lines.push(format!("server {}", server.describe()));
    }
    if !summary.labels.is_empty() {
        lines.push(format!("labels {}", format::tags(&summary.labels)));
    }
    lines.push(format!(
        "started {}, ran {}, seed {}, {} phase{}",
        summary.started_at,
        format::duration_s(summary.duration_s),
        summary.seed,
        summary.phases.len(),
        if summary.phases.len() == 1 { "" } else { "s" }
    ));
    if let Some(seg) = &summary.segment {
        lines
            .push(format!("segment {} (one share of a distributed run)", crate::sections::segment_line(seg)));
    }
    if let Some(headline) = &summary.headline {
        wrap(&mut lines, "!! ", headline);
    }
    for p in &summary.phases {
        lines.push(String::new());
        phase(&mut lines, p);
    }
    let workers = crate::sections::workers_console_lines(summary);
    if !workers.is_empty() {
        lines.push(String::new());
        lines.extend(workers);
    }
    lines.push(String::new());
    totals(&mut lines, summary);
    thresholds(&mut lines, summary);
    for n in &summary.notes {
        wrap(&mut lines, "note: ", n);
    }
    let mut out = String::new();
    for l in lines {
        let _ = writeln!(out, "{}", fit(&l));
    }
    out
}

fn phase(lines: &mut Vec<String>, p: &PhaseReport) {
    let mut head = format!("== {} [{}] {}", p.name, p.executor, p.plan);
    if !p.tags.is_empty() {
        let _ = write!(head, " ({})", format::tags(&p.tags));
    }
    lines.push(head);
    lines.push(format!(
        "  requests   {:>9}   {:>9} req/s   {:>9} out tok/s   errors {}",
        format::count(p.requests),
        format::rate(p.requests_per_s),
        format::tok_s(p.output_tokens_per_s),
        format::errors(p.errors, p.requests)
    ));
    let it = &p.iterations;
    lines.push(format!(
        "  iterations {} completed, {} failed, {} dropped, {} interrupted  (load {}, {})",
        format::count(it.completed),
        format::count(it.failed),
        format::count(it.dropped),
        format::count(it.interrupted),
        load_level(p),
        format::duration_s(p.duration_s)
    ));
    let present: Vec<(&str, _)> = ROWS
        .iter()
        .filter(|(_, key)| *key != metric::TTFO || p.reasoned())
        .filter_map(|(label, key)| p.metric(key).map(|d| (*label, d)))
        .collect();
    if !present.is_empty() {
        lines.push(format!(
            "  {:<16}{:>9}{:>10}{:>10}{:>10}{:>10}{:>10}",
            "latency (ms)", "count", "mean", "p50", "p95", "p99", "max"
        ));
        for (label, d) in present {
            let st = |w: Stat| format::stat(Some(d), w, format::ms);
            lines.push(format!(
                "  {:<16}{:>9}{:>10}{:>10}{:>10}{:>10}{:>10}",
                label,
                format::count(d.count),
                st(Stat::Mean),
                st(Stat::P50),
                st(Stat::P95),
                st(Stat::P99),
                st(Stat::Max)
            ));
        }
    }
    if let Some(speed) = p.metric(metric::TOKENS_PER_S) {
        lines.push(format!(
            "  speed      {} tok/s per request (p50), {} worst (min), {} best (max)",
            format::tok_s(speed.p50),
            format::tok_s(speed.min),
            format::tok_s(speed.max)
        ));
    }
    if let Some(line) = answer_shapes(p) {
        wrap(lines, "  answers    ", &line);
    }
    let classes: Vec<String> = p
        .errors_by_class
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| format!("{c}={}", format::count(*n)))
        .collect();
    if !classes.is_empty() {
        wrap(lines, "  errors by class: ", &classes.join(", "));
    }
    let failed_checks: Vec<String> = p
        .checks
        .iter()
        .filter(|(_, c)| c.fails > 0)
        .map(|(name, c)| format!("{name} {}/{} failed", c.fails, c.passes + c.fails))
        .collect();
    if !failed_checks.is_empty() {
        wrap(lines, "  ! checks: ", &failed_checks.join(", "));
    }
    if let Some(t) = &p.telemetry {
        lines.extend(crate::sections::telemetry_console_lines(t));
    }
    if let Some(g) = &p.goodput {
        lines.push(format!(
            "  goodput    {} of requests ({}/s) met {}",
            format::percent(g.share),
            format::rate(g.per_s),
            g.slo
        ));
    }
    if it.dropped > 0 {
        lines.push(format!(
            "  ! {} iterations dropped: no VU was free at their planned start",
            format::count(it.dropped)
        ));
    }
    if let Some(sch) = p.schedule.as_ref().filter(|s| s.behind) {
        lines.push(format!(
            "  ! behind schedule: dispatch lag p99 {} > bound {}; the load generator was the limit",
            format::ms_unit(sch.lag_p99_ms),
            format::ms_unit(sch.bound_ms)
        ));
    }
    if p.tokens.disagreements > 0 {
        lines.push(format!(
            "  ! token counts: usage and counted chunks disagreed on {} requests (net {})",
            format::count(p.tokens.disagreements),
            format::signed(p.tokens.discrepancy)
        ));
    }
}

/// What the answers held beyond plain content, when anything: reasoning, prefix-cache hits, tool
/// calls. `None` for a phase of plain answers.
fn answer_shapes(p: &PhaseReport) -> Option<String> {
    let mut parts = Vec::new();
    if p.tokens.reasoning > 0 {
        parts.push(format!(
            "reasoning in {} requests ({} tokens)",
            format::count(p.tokens.reasoning),
            format::count(p.reasoning_tokens)
        ));
    }
    if let Some(share) = p.cached_share() {
        parts.push(format!(
            "{} of input tokens cached ({} of {})",
            format::percent(share),
            format::count(p.cached_tokens),
            format::count(p.input_tokens)
        ));
    }
    if p.tool_calls > 0 {
        parts.push(format!("{} tool calls", format::count(p.tool_calls)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn totals(lines: &mut Vec<String>, s: &Summary) {
    let requests: u64 = s.phases.iter().map(|p| p.requests).sum();
    let errors: u64 = s.phases.iter().map(|p| p.errors).sum();
    let out_tokens: u64 = s.phases.iter().map(|p| p.output_tokens).sum();
    let (passes, fails) = s
        .phases
        .iter()
        .flat_map(|p| p.checks.values())
        .fold((0u64, 0u64), |(a, b), c| (a + c.passes, b + c.fails));
    let share = if requests == 0 { 0.0 } else { errors as f64 / requests as f64 };
    let mut line = format!(
        "total: {} requests, {} errors ({}), {} output tokens",
        format::count(requests),
        format::count(errors),
        format::percent(share),
        format::count(out_tokens)
    );
    if passes + fails > 0 {
        let _ = write!(line, ", checks {}/{} passed", format::count(passes), format::count(passes + fails));
    }
    lines.push(line);
}

/// One line per threshold, k6-style marks; the host prints which failed again on stderr.
fn thresholds(lines: &mut Vec<String>, s: &Summary) {
    if s.thresholds.is_empty() {
        return;
    }
    let failed = s.thresholds.iter().filter(|t| !t.passed).count();
    lines.push(match failed {
        0 => format!("thresholds: all {} passed", s.thresholds.len()),
        n => format!("thresholds: {n} of {} FAILED", s.thresholds.len()),
    });
    for t in &s.thresholds {
        let mark = if t.passed { "  ✓ " } else { "  ✗ " };
        let mut text = format!("{}  observed {} ({})", t.expression, observed_text(t), t.scope);
        if let Some(note) = &t.note {
            let _ = write!(text, "; {note}");
        }
        wrap(lines, mark, &text);
    }
}

/// Word-wraps `text` after `prefix` so no line passes [`WIDTH`]; continuation lines are indented
/// under the text.
fn wrap(lines: &mut Vec<String>, prefix: &str, text: &str) {
    let indent = " ".repeat(prefix.chars().count());
    let mut line = prefix.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let len = line.chars().count() + usize::from(!empty) + word.chars().count();
        if !empty && len > WIDTH {
            lines.push(std::mem::replace(&mut line, indent.clone()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    lines.push(line);
}

/// Cuts a line to [`WIDTH`] characters, marking the cut; only names and plans long enough to
/// matter are ever cut, and summary.json keeps them whole.
fn fit(line: &str) -> String {
    if line.chars().count() <= WIDTH {
        line.to_string()
    } else {
        let mut cut: String = line.chars().take(WIDTH - 3).collect();
        cut.push_str("...");
        cut
    }
}
