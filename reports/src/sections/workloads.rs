//! Tables of the workloads written as code: multi-turn conversations (metrics per turn, from the
//! `turn` tag each turn's request carries) and trace replay (how late each recorded arrival
//! started, for phases run on a recorded schedule).

use std::collections::BTreeMap;

use crate::document::{Align, Document};
use crate::format::{self, NONE, Stat};
use crate::model::{Distribution, Summary, TaggedMetrics, metric};

/// The tag that numbers a conversation's turns.
const TURN_TAG: &str = "turn";
/// The custom trend the `multi-turn` scenario records each turn's prompt length in.
const PROMPT_TOKENS: &str = "prompt_tokens";

/// One row per phase and turn number, turns in numeric order (1, 2, …, 10), when requests carry
/// a `turn` tag: TTFT growing with the turn is a server that recomputes the history each time.
pub(super) fn per_turn(doc: &mut Document, s: &Summary) {
    let mut rows = Vec::new();
    for p in &s.phases {
        // Turns of the same number with different other tags are merged: one row per turn.
        let mut turns: BTreeMap<u64, Vec<&TaggedMetrics>> = BTreeMap::new();
        for t in &p.by_tags {
            if let Some(n) = t.tags.get(TURN_TAG).and_then(|v| v.parse::<u64>().ok()) {
                turns.entry(n).or_default().push(t);
            }
        }
        for (n, sets) in turns {
            let requests: u64 = sets.iter().map(|t| t.requests).sum();
            let errors: u64 = sets.iter().map(|t| t.errors).sum();
            // With several tag sets for one turn the percentiles cannot be merged from summaries:
            // show the largest set's and say so with a mark.
            let main = sets.iter().max_by_key(|t| t.requests).copied();
            let get = |k: &str| main.and_then(|t| t.metrics.get(k)).filter(|d: &&Distribution| !d.is_empty());
            let mark = if sets.len() > 1 { " *" } else { "" };
            rows.push(vec![
                p.name.clone(),
                format!("{n}{mark}"),
                format::count(requests),
                format::errors(errors, requests),
                format::stats_ms(get(metric::TTFT), &[Stat::P50, Stat::P95]),
                format::stats_ms(get(metric::ITL), &[Stat::P50, Stat::P95]),
                format::stats_ms(get(metric::E2E), &[Stat::P50, Stat::P95]),
                format::stat(get(&metric::custom(PROMPT_TOKENS)), Stat::P50, |v| {
                    format::count(v.round() as u64)
                }),
            ]);
        }
    }
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "Per turn");
    doc.paragraph(
        "Multi-turn conversations: each turn sends the history so far, so its prompt grows. \
         A `*` marks a turn whose requests carried other tags too; its percentiles are the largest \
         tag set's (see By request tags).",
    );
    use Align::{Left as L, Right as R};
    doc.table(
        &[
            ("Phase", L),
            ("Turn", R),
            ("Requests", R),
            ("Errors", R),
            ("TTFT p50/p95 (ms)", R),
            ("ITL p50/p95 (ms)", R),
            ("E2E p50/p95 (ms)", R),
            ("Prompt tokens p50", R),
        ],
        rows,
    );
}

/// One row per phase run on a recorded schedule (`scheduled`): how many of the trace's arrivals
/// started, how many were dropped, and how late they started after their recorded instant.
pub(super) fn trace_lateness(doc: &mut Document, s: &Summary) {
    let rows: Vec<Vec<String>> = s
        .phases
        .iter()
        .filter(|p| p.executor == "scheduled")
        .map(|p| {
            let lag = p.metric(metric::DISPATCH_LAG);
            let started = p.iterations.completed + p.iterations.failed + p.iterations.interrupted;
            let bound = p.schedule.as_ref().map(|s| s.bound_ms);
            vec![
                p.name.clone(),
                p.plan.clone(),
                format::count(started),
                format::count(p.iterations.dropped),
                format::stats_ms(lag, &[Stat::P50, Stat::P95, Stat::P99]),
                format::stat(lag, Stat::Max, format::ms),
                bound.map_or_else(|| NONE.to_string(), format::ms),
            ]
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "Trace replay lateness");
    doc.paragraph(
        "Each request of a trace starts at its recorded offset (divided by the speed-up); lateness is \
         how long after that instant it actually started. Latencies are not shortened by lateness: \
         `latency_from_schedule` measures from the recorded instant.",
    );
    use Align::{Left as L, Right as R};
    doc.table(
        &[
            ("Phase", L),
            ("Plan", L),
            ("Started", R),
            ("Dropped", R),
            ("Lateness p50/p95/p99 (ms)", R),
            ("Max (ms)", R),
            ("Bound (ms)", R),
        ],
        rows,
    );
}
