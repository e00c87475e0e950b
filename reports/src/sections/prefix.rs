//! The prefix-cache section: per phase, TTFT beside the share of input tokens the server said it
//! served from its prefix cache (`usage`) and the cache's own hit rate (its counters, from
//! telemetry); then, when requests carried a `prefix_group` tag (the `prefix-cache` scenario's),
//! the same per group, so a cold group's first request stands apart from warm ones.
//! Left out when no phase has any of it.

use crate::document::{Align, Document, Text};
use crate::format::{self, NONE, Stat};
use crate::model::{PhaseReport, Summary, TaggedMetrics, TelemetryReport, metric};

/// The request tag that names a request's shared-prefix group.
pub(crate) const GROUP_TAG: &str = "prefix_group";

/// The server's counters over a phase, when it published them.
fn server(p: &PhaseReport) -> Option<&TelemetryReport> {
    p.telemetry.as_ref().filter(|t| t.prefix_cache_queries.is_some() || t.prefix_cache_hit_rate.is_some())
}

/// "1,234 (21.7%)" of cached input tokens, or `-` when `usage` never said.
fn cached(tokens: u64, share: Option<f64>) -> String {
    share.map_or_else(
        || NONE.to_string(),
        |share| format!("{} ({})", format::count(tokens), format::percent(share)),
    )
}

/// The phases' table and the groups' table.
pub(super) fn prefix_cache(doc: &mut Document, s: &Summary) {
    let phases: Vec<&PhaseReport> =
        s.phases.iter().filter(|p| p.cached_share().is_some() || server(p).is_some()).collect();
    let groups: Vec<(&PhaseReport, &TaggedMetrics)> =
        s.phases.iter().flat_map(|p| group_rows(p).into_iter().map(move |t| (p, t))).collect();
    if phases.is_empty() && groups.is_empty() {
        return;
    }
    doc.heading(2, "Prefix cache");
    use Align::{Left as L, Right as R};
    if !phases.is_empty() {
        doc.paragraph(
            Text::plain("Cached input is what the server's ")
                .then(Text::code("usage.prompt_tokens_details.cached_tokens"))
                .then(
                    " reported, with its share of the input tokens; the server's hit rate is its own \
                     prefix-cache counters over the phase (vLLM's ",
                )
                .then(Text::code("prefix_cache_hits"))
                .then(" / ")
                .then(Text::code("prefix_cache_queries"))
                .then(", in tokens, read with ")
                .then(Text::code("--telemetry prom=URL"))
                .then("), n/a where the server publishes none."),
        );
        let rows: Vec<Vec<String>> = phases
            .iter()
            .map(|p| {
                let t = server(p);
                let counted = t.and_then(|t| Some((t.prefix_cache_hits?, t.prefix_cache_queries?)));
                vec![
                    p.name.clone(),
                    format::count(p.requests),
                    format::stats_ms(p.metric(metric::TTFT), &[Stat::P50, Stat::P95]),
                    format::count(p.input_tokens),
                    cached(p.cached_tokens, p.cached_share()),
                    t.and_then(|t| t.prefix_cache_hit_rate)
                        .map_or_else(|| "n/a".to_string(), format::percent),
                    counted.map_or_else(
                        || "n/a".to_string(),
                        |(hits, queries)| {
                            format!("{} / {}", format::count(hits as u64), format::count(queries as u64))
                        },
                    ),
                ]
            })
            .collect();
        doc.table(
            &[
                ("Phase", L),
                ("Requests", R),
                ("TTFT p50/p95 (ms)", R),
                ("Input tokens", R),
                ("Cached input", R),
                ("Server hit rate", R),
                ("Server hits / queries", R),
            ],
            rows,
        );
    }
    if groups.is_empty() {
        return;
    }
    doc.heading(3, "Per prefix group");
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|(p, t)| {
            let get = |k: &str| t.metrics.get(k).filter(|d| !d.is_empty());
            vec![
                p.name.clone(),
                group_label(t),
                format::count(t.requests),
                format::errors(t.errors, t.requests),
                format::stats_ms(get(metric::TTFT), &[Stat::P50, Stat::P95]),
                format::count(t.input_tokens),
                cached(t.cached_tokens, t.cached_share()),
            ]
        })
        .collect();
    doc.table(
        &[
            ("Phase", L),
            ("Group", L),
            ("Requests", R),
            ("Errors", R),
            ("TTFT p50/p95 (ms)", R),
            ("Input tokens", R),
            ("Cached input", R),
        ],
        rows,
    );
}

/// A phase's tag sets that name a prefix group, in group order (numeric where the groups are
/// numbers).
fn group_rows(p: &PhaseReport) -> Vec<&TaggedMetrics> {
    let mut rows: Vec<&TaggedMetrics> = p.by_tags.iter().filter(|t| t.tags.contains_key(GROUP_TAG)).collect();
    rows.sort_by_cached_key(|t| {
        let group = t.tags.get(GROUP_TAG).map(String::as_str).unwrap_or_default();
        (group.parse::<u64>().ok(), group.to_string(), format::tags(&t.tags))
    });
    rows
}

/// The group's name, with the set's other tags after it.
fn group_label(t: &TaggedMetrics) -> String {
    let group = t.tags.get(GROUP_TAG).cloned().unwrap_or_default();
    let mut others = t.tags.clone();
    others.remove(GROUP_TAG);
    if others.is_empty() { group } else { format!("{group} ({})", format::tags(&others)) }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::Distribution;

    fn ttft(p50: f64) -> BTreeMap<String, Distribution> {
        let d = Distribution {
            count: 4,
            mean: p50,
            p50,
            p90: p50,
            p95: p50,
            p99: p50,
            max: p50,
            ..Default::default()
        };
        BTreeMap::from([(metric::TTFT.to_string(), d)])
    }

    fn group(g: &str, input: u64, cached: u64, p50: f64) -> TaggedMetrics {
        TaggedMetrics {
            tags: BTreeMap::from([(GROUP_TAG.to_string(), g.to_string())]),
            requests: 4,
            input_tokens: input,
            cached_tokens: cached,
            cached_reported: 4,
            metrics: ttft(p50),
            ..TaggedMetrics::default()
        }
    }

    fn summary() -> Summary {
        let warm = PhaseReport {
            name: "warm".into(),
            requests: 8,
            input_tokens: 640,
            cached_tokens: 384,
            tokens: crate::model::TokenAccounting { cached_reported: 8, ..Default::default() },
            metrics: ttft(12.0),
            by_tags: vec![group("10", 320, 192, 12.5), group("2", 320, 192, 11.0)],
            telemetry: Some(TelemetryReport {
                prefix_cache_queries: Some(640.0),
                prefix_cache_hits: Some(384.0),
                prefix_cache_hit_rate: Some(0.6),
                ..TelemetryReport::default()
            }),
            ..PhaseReport::default()
        };
        Summary { phases: vec![warm], ..Summary::default() }
    }

    #[test]
    fn phases_show_ttft_beside_cached_input_and_the_servers_hit_rate() {
        let mut doc = Document::default();
        prefix_cache(&mut doc, &summary());
        let out = crate::markdown::write(&doc);
        assert!(out.contains("## Prefix cache"), "{out}");
        assert!(
            out.contains("| warm | 8 | 12.00 / 12.00 | 640 | 384 (60.0%) | 60.0% | 384 / 640 |"),
            "{out}"
        );
        let two = out.find("| warm | 2 | 4 | 0 | 11.00 / 11.00 | 320 | 192 (60.0%) |").expect(&out);
        let ten = out.find("| warm | 10 |").expect(&out);
        assert!(two < ten, "groups in numeric order: {out}");
    }

    #[test]
    fn groups_alone_still_get_their_table_and_nothing_gets_nothing() {
        let mut s = summary();
        s.phases[0].telemetry = None;
        s.phases[0].tokens.cached_reported = 0;
        let mut doc = Document::default();
        prefix_cache(&mut doc, &s);
        let out = crate::markdown::write(&doc);
        assert!(out.contains("### Per prefix group") && !out.contains("Server hit rate"), "{out}");
        s.phases[0].by_tags.clear();
        let mut doc = Document::default();
        prefix_cache(&mut doc, &s);
        assert!(crate::markdown::write(&doc).is_empty());
    }
}
