//! The closing sections of the report: errors by class, goodput, checks, counters, custom trends,
//! per-tag metrics, token accounting and notes. Each is left out when it has nothing to say,
//! except errors, where "none failed" is itself the finding (a zero-error check).

use crate::document::{Align, Document, Text};
use crate::format::{self, NONE, Stat};
use crate::model::{PhaseReport, Summary, metric};

pub(super) fn errors(doc: &mut Document, s: &Summary) {
    let rows: Vec<Vec<String>> =
        s.phases
            .iter()
            .flat_map(|p| {
                p.errors_by_class.iter().filter(|(_, n)| **n > 0).map(move |(class, n)| {
                    vec![p.name.clone(), class.clone(), format::errors(*n, p.requests)]
                })
            })
            .collect();
    let total: u64 = s.phases.iter().map(|p| p.errors).sum();
    doc.heading(2, "Errors");
    if total == 0 && rows.is_empty() {
        doc.paragraph("No request failed.");
        return;
    }
    let sent: u64 = s.phases.iter().map(|p| p.requests).sum();
    let share = if sent == 0 { f64::NAN } else { total as f64 / sent as f64 };
    doc.paragraph(format!(
        "{} of {} requests failed ({}).",
        format::count(total),
        format::count(sent),
        format::percent(share)
    ));
    doc.table(&[("Phase", Align::Left), ("Class", Align::Left), ("Count", Align::Right)], rows);
}

/// vLLM-style goodput: requests that met every per-request SLO, per phase.
pub(super) fn goodput(doc: &mut Document, s: &Summary) {
    let rows: Vec<Vec<String>> = s
        .phases
        .iter()
        .filter_map(|p| {
            let g = p.goodput.as_ref()?;
            Some(vec![
                p.name.clone(),
                g.slo.clone(),
                format::count(g.good_requests),
                format::count(p.requests),
                format::percent(g.share),
                format::rate(g.per_s),
            ])
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "Goodput");
    use Align::{Left as L, Right as R};
    doc.table(
        &[
            ("Phase", L),
            ("SLO", L),
            ("Good requests", R),
            ("Requests", R),
            ("Share", R),
            ("Goodput (req/s)", R),
        ],
        rows,
    );
}

pub(super) fn checks(doc: &mut Document, s: &Summary) {
    let rows: Vec<Vec<String>> = s
        .phases
        .iter()
        .flat_map(|p| {
            p.checks.iter().map(move |(name, c)| {
                let total = c.passes + c.fails;
                let share = if total == 0 { f64::NAN } else { c.passes as f64 / total as f64 };
                vec![
                    p.name.clone(),
                    name.clone(),
                    format::count(c.passes),
                    format::count(c.fails),
                    format::percent(share),
                ]
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "Checks");
    use Align::{Left as L, Right as R};
    doc.table(&[("Phase", L), ("Check", L), ("Passes", R), ("Fails", R), ("Pass rate", R)], rows);
}

pub(super) fn counters(doc: &mut Document, s: &Summary) {
    let rows: Vec<Vec<String>> = s
        .phases
        .iter()
        .flat_map(|p| p.counters.iter().map(move |(k, v)| vec![p.name.clone(), k.clone(), format::count(*v)]))
        .collect();
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "Counters");
    doc.table(&[("Phase", Align::Left), ("Counter", Align::Left), ("Value", Align::Right)], rows);
}

pub(super) fn custom_trends(doc: &mut Document, s: &Summary) {
    let rows: Vec<Vec<String>> = s
        .phases
        .iter()
        .flat_map(|p| {
            p.metrics.iter().filter_map(move |(k, d)| {
                let name = k.strip_prefix(metric::CUSTOM_PREFIX)?;
                let st = |w: Stat| format::stat(Some(d), w, format::number);
                Some(vec![
                    p.name.clone(),
                    name.to_string(),
                    format::count(d.count),
                    st(Stat::Mean),
                    st(Stat::P50),
                    st(Stat::P95),
                    st(Stat::P99),
                    st(Stat::Max),
                ])
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "Custom trends");
    use Align::{Left as L, Right as R};
    let head = [
        ("Phase", L),
        ("Trend", L),
        ("Count", R),
        ("Mean", R),
        ("p50", R),
        ("p95", R),
        ("p99", R),
        ("Max", R),
    ];
    doc.table(&head, rows);
}

pub(super) fn by_tags(doc: &mut Document, s: &Summary) {
    let rows: Vec<Vec<String>> = s
        .phases
        .iter()
        .flat_map(|p| {
            p.by_tags.iter().map(move |t| {
                let get = |k: &str| t.metrics.get(k).filter(|d| !d.is_empty());
                vec![
                    p.name.clone(),
                    format::tags(&t.tags),
                    format::count(t.requests),
                    format::errors(t.errors, t.requests),
                    format::stats_ms(get(metric::TTFT), &[Stat::P50, Stat::P95]),
                    format::stats_ms(get(metric::E2E), &[Stat::P50, Stat::P95]),
                ]
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "By request tags");
    use Align::{Left as L, Right as R};
    let head = [
        ("Phase", L),
        ("Tags", L),
        ("Requests", R),
        ("Errors", R),
        ("TTFT p50/p95 (ms)", R),
        ("E2E p50/p95 (ms)", R),
    ];
    doc.table(&head, rows);
}

pub(super) fn token_accounting(doc: &mut Document, s: &Summary) {
    let phases: Vec<&PhaseReport> = s
        .phases
        .iter()
        .filter(|p| p.tokens.from_usage + p.tokens.counted > 0 || p.output_tokens > 0)
        .collect();
    if phases.is_empty() {
        return;
    }
    // The columns of answer shapes appear only when some phase has something in them.
    let reasoning = phases.iter().any(|p| p.tokens.reasoning > 0);
    let cached = phases.iter().any(|p| p.cached_share().is_some());
    let tools = phases.iter().any(|p| p.tool_calls > 0);
    let rows: Vec<Vec<String>> = phases
        .iter()
        .map(|p| {
            let mut row = vec![
                p.name.clone(),
                format::count(p.input_tokens),
                format::count(p.output_tokens),
                format::count(p.tokens.from_usage),
                format::count(p.tokens.counted),
                format::count(p.tokens.disagreements),
                format::signed(p.tokens.discrepancy),
            ];
            if reasoning {
                row.push(format::count(p.reasoning_tokens));
            }
            if cached {
                row.push(p.cached_share().map_or_else(
                    || NONE.to_string(),
                    |share| format!("{} ({})", format::count(p.cached_tokens), format::percent(share)),
                ));
            }
            if tools {
                row.push(format::count(p.tool_calls));
            }
            row
        })
        .collect();
    doc.heading(2, "Tokens");
    doc.paragraph(Text::plain("Output tokens come from the server's ").then(Text::code("usage")).then(
        " when it sends one, else from counting content chunks; disagreements are requests \
                 where both existed and differed (discrepancy = usage − counted).",
    ));
    if reasoning || cached {
        doc.paragraph(
            Text::plain("Reasoning tokens (part of the output) and cached input tokens (prompt tokens served from the \
                 server's prefix cache, with their share of the input) are the server's own counts, from ")
            .then(Text::code("usage.completion_tokens_details"))
            .then(" and ")
            .then(Text::code("usage.prompt_tokens_details"))
            .then("."),
        );
    }
    use Align::{Left as L, Right as R};
    let mut head = vec![
        ("Phase", L),
        ("Input", R),
        ("Output", R),
        ("From usage", R),
        ("Counted", R),
        ("Disagreements", R),
        ("Discrepancy", R),
    ];
    if reasoning {
        head.push(("Reasoning", R));
    }
    if cached {
        head.push(("Cached input", R));
    }
    if tools {
        head.push(("Tool calls", R));
    }
    doc.table(&head, rows);
}

pub(super) fn notes(doc: &mut Document, s: &Summary) {
    if s.notes.is_empty() {
        return;
    }
    doc.heading(2, "Notes");
    doc.list(s.notes.iter().map(|n| Text::plain(n.as_str())).collect());
}
