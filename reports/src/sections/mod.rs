//! The sections of the report, built once from a [`Summary`] as a [`Document`] that both
//! `report.md` ([`crate::markdown`]) and `report.html` ([`crate::html`]) render: the tables users
//! built by hand from k6 output, probe scripts and spreadsheets (k6 jobs, Python probes, nvidia-smi).
//!
//! Sections, in order: header, thresholds, phases, (the charts' place), latency per phase, one
//! sweep table per group of phases, workers of a merged run, telemetry (GPU, server queue, server-side latency, kept
//! series), prefix cache (per phase and per prefix group), streaming UX, end-to-end latency
//! statistics, open-loop schedule, trace replay lateness, soak windows, errors, goodput, checks,
//! counters, custom trends, per turn, per-tag metrics, token accounting, notes. A section with
//! nothing to say is left out.

use std::collections::BTreeMap;

use crate::document::{Align, Document, Text};
use crate::format::{self, NONE, Stat};
use crate::model::{Distribution, PhaseReport, Summary, metric};

mod details;
mod prefix;
mod soak;
mod telemetry;
mod thresholds;
mod workers;
mod workloads;

use details::{by_tags, checks, counters, custom_trends, errors, goodput, notes, token_accounting};
pub(crate) use telemetry::console_lines as telemetry_console_lines;
use thresholds::thresholds;
pub(crate) use workers::{console_lines as workers_console_lines, segment_line};

/// The whole report as a document.
pub(crate) fn document(summary: &Summary) -> Document {
    let mut doc = Document::default();
    header(&mut doc, summary);
    thresholds(&mut doc, summary);
    phases(&mut doc, summary);
    workers::workers(&mut doc, summary);
    // The charts follow what a reader checks first (the verdict and the phases), before the detail.
    doc.charts();
    latency_per_phase(&mut doc, summary);
    sweeps(&mut doc, summary);
    telemetry::telemetry(&mut doc, summary);
    prefix::prefix_cache(&mut doc, summary);
    streaming_ux(&mut doc, summary);
    latency_stats(&mut doc, summary);
    schedule(&mut doc, summary);
    workloads::trace_lateness(&mut doc, summary);
    soak::soak(&mut doc, summary);
    errors(&mut doc, summary);
    goodput(&mut doc, summary);
    checks(&mut doc, summary);
    counters(&mut doc, summary);
    custom_trends(&mut doc, summary);
    workloads::per_turn(&mut doc, summary);
    by_tags(&mut doc, summary);
    token_accounting(&mut doc, summary);
    notes(&mut doc, summary);
    doc
}

fn header(doc: &mut Document, s: &Summary) {
    let sc = &s.scenario;
    doc.heading(1, format!("{}@{} — run report", sc.name, sc.version));
    if let Some(headline) = &s.headline {
        doc.paragraph(Text::strong(headline.as_str()));
    }
    if !sc.description.is_empty() {
        doc.paragraph(sc.description.as_str());
    }
    let target =
        if s.target_is_mock { format!("{} (built-in mock server)", s.target) } else { s.target.clone() };
    let params = if s.params.is_empty() {
        Text::plain(NONE)
    } else {
        Text::join(s.params.iter().map(|(k, v)| Text::code(format!("{k}={v}"))), ", ")
    };
    let mut rows: Vec<Vec<Text>> = vec![
        vec!["Scenario".into(), format!("{}@{} ({})", sc.name, sc.version, sc.path).into()],
        vec!["Target".into(), target.into()],
        vec!["Started".into(), s.started_at.as_str().into()],
        vec!["Duration".into(), format::duration_s(s.duration_s).into()],
        vec!["Seed".into(), s.seed.to_string().into()],
        vec!["Parameters".into(), params],
        vec![
            "Runner".into(),
            format!("{} (WIT {}, summary schema {})", s.runner_version, sc.wit_version, s.schema_version)
                .into(),
        ],
    ];
    if let Some(m) = &s.model {
        let model = Text::code(m.name.as_str()).then(format!(" ({})", m.source.describe()));
        rows.insert(2, vec!["Model".into(), model]);
    }
    if let Some(server) = s.server.as_ref().filter(|server| !server.is_empty()) {
        rows.push(vec!["Server".into(), server.describe().into()]);
        if !server.details.is_empty() {
            let details = server.details.iter().map(|(k, v)| Text::code(format!("{k}={v}")));
            rows.push(vec!["Server details".into(), Text::join(details, ", ")]);
        }
    }
    if !s.labels.is_empty() {
        let labels = s.labels.iter().map(|(k, v)| Text::code(format!("{k}={v}")));
        rows.push(vec!["Labels".into(), Text::join(labels, ", ")]);
    }
    if let Some(seg) = &s.segment {
        rows.push(vec![
            "Segment".into(),
            format!("{} (one share of a distributed run)", segment_line(seg)).into(),
        ]);
    }
    if let Some(d) = &s.distributed {
        rows.push(vec!["Workers".into(), format!("{} merged (see Workers)", d.workers.len()).into()]);
    }
    doc.table(&[("Run", Align::Left), ("", Align::Left)], rows);
}

/// "20" for a closed-loop phase, "200/s" for an open-loop one.
pub(crate) fn load_level(p: &PhaseReport) -> String {
    match (p.concurrency, p.target_rate) {
        (Some(vus), _) => vus.to_string(),
        (None, Some(r)) => format!("{}/s", trim_rate(r)),
        (None, None) => NONE.to_string(),
    }
}

/// A planned rate without pointless decimals: 200 → "200", 12.5 → "12.5".
fn trim_rate(r: f64) -> String {
    if r.fract() == 0.0 { format!("{r:.0}") } else { format!("{r}") }
}

fn phases(doc: &mut Document, s: &Summary) {
    if s.phases.is_empty() {
        return;
    }
    doc.heading(2, "Phases");
    let rows: Vec<Vec<String>> = s
        .phases
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                load_level(p),
                format::count(p.requests),
                format::rate(p.requests_per_s),
                format::tok_s(p.output_tokens_per_s),
                format::stats_ms(p.metric(metric::TTFT), &[Stat::P50, Stat::P95, Stat::P99]),
                format::stats_ms(p.metric(metric::ITL), &[Stat::P50, Stat::P95]),
                format::stats_ms(p.metric(metric::TPOT), &[Stat::P50]),
                format::stats_ms(p.metric(metric::E2E), &[Stat::P50, Stat::P95, Stat::P99]),
                format::errors(p.errors, p.requests),
            ]
        })
        .collect();
    use Align::{Left as L, Right as R};
    doc.table(
        &[
            ("Phase", L),
            ("Concurrency (or rate)", R),
            ("Requests", R),
            ("RPS", R),
            ("Output tok/s", R),
            ("TTFT p50/p95/p99 (ms)", R),
            ("ITL p50/p95 (ms)", R),
            ("TPOT p50 (ms)", R),
            ("E2E p50/p95/p99 (ms)", R),
            ("Errors", R),
        ],
        rows,
    );
    let plans: Vec<Vec<String>> = s
        .phases
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.executor.clone(),
                p.plan.clone(),
                format!("+{}", format::duration_s(p.start_s)),
                format::duration_s(p.duration_s),
                format::tags(&p.tags),
            ]
        })
        .collect();
    doc.table(
        &[("Phase", L), ("Executor", L), ("Plan", L), ("Start", R), ("Duration", R), ("Tags", L)],
        plans,
    );
}

/// The metrics of the latency table, in the order a reader scans them. TTFO appears only for a
/// phase where some request reasoned first (otherwise it repeats TTFT).
const LATENCY_METRICS: [(&str, &str); 7] = [
    ("TTFT", metric::TTFT),
    ("TTFO", metric::TTFO),
    ("ITL", metric::ITL),
    ("TPOT", metric::TPOT),
    ("E2E", metric::E2E),
    ("Dispatch lag", metric::DISPATCH_LAG),
    ("Latency from schedule", metric::LATENCY_FROM_SCHEDULE),
];

/// Mean and percentiles of every latency metric of every phase (those with samples).
fn latency_per_phase(doc: &mut Document, s: &Summary) {
    let stats = [Stat::Mean, Stat::P50, Stat::P90, Stat::P95, Stat::P99, Stat::Max];
    let rows: Vec<Vec<String>> = s
        .phases
        .iter()
        .flat_map(|p| {
            LATENCY_METRICS.iter().filter_map(move |(label, key)| {
                if *key == metric::TTFO && !p.reasoned() {
                    return None;
                }
                let d = p.metric(key)?;
                let mut row = vec![p.name.clone(), (*label).to_string(), format::count(d.count)];
                row.extend(stats.iter().map(|st| format::stat(Some(d), *st, format::ms)));
                Some(row)
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "Latency per phase (ms)");
    use Align::{Left as L, Right as R};
    doc.table(
        &[
            ("Phase", L),
            ("Metric", L),
            ("Count", R),
            ("Mean", R),
            ("p50", R),
            ("p90", R),
            ("p95", R),
            ("p99", R),
            ("Max", R),
        ],
        rows,
    );
}

/// GPU columns of a sweep row: (average utilisation %, max memory MiB), from the phase's
/// telemetry; "n/a" where no GPU source gave the figure (absent is never shown as zero).
fn gpu_columns(phase: &PhaseReport) -> (String, String) {
    let t = phase.telemetry.as_ref();
    let show = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}"));
    (show(t.and_then(|t| t.gpu_util_avg_pct)), show(t.and_then(|t| t.memory_used_max_mib)))
}

/// The VU count that places a phase in a sweep: its `concurrency`, else a `concurrency` tag.
pub(crate) fn sweep_level(p: &PhaseReport) -> Option<u32> {
    p.concurrency.or_else(|| p.tags.get("concurrency").and_then(|c| c.parse().ok()))
}

/// Closed-loop phases grouped by their tags minus `concurrency`, groups in order of first
/// appearance, rows sorted by concurrency.
pub(crate) fn sweep_groups(s: &Summary) -> Vec<(BTreeMap<String, String>, Vec<&PhaseReport>)> {
    let mut groups: Vec<(BTreeMap<String, String>, Vec<&PhaseReport>)> = Vec::new();
    for p in s.phases.iter().filter(|p| sweep_level(p).is_some()) {
        let mut key = p.tags.clone();
        key.remove("concurrency");
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(p),
            None => groups.push((key, vec![p])),
        }
    }
    for (_, members) in &mut groups {
        members.sort_by_key(|p| sweep_level(p));
    }
    groups
}

fn sweeps(doc: &mut Document, s: &Summary) {
    let groups = sweep_groups(s);
    if groups.is_empty() {
        return;
    }
    doc.heading(2, "Concurrency sweeps");
    for (key, members) in groups {
        let title = if key.is_empty() { "all phases".to_string() } else { format::tags(&key) };
        doc.heading(3, format!("Sweep: {title}"));
        let rows: Vec<Vec<String>> = members
            .iter()
            .map(|p| {
                let (util, mem) = gpu_columns(p);
                vec![
                    sweep_level(p).map_or_else(|| NONE.to_string(), |c| c.to_string()),
                    format::rate(p.requests_per_s),
                    format::stat(p.metric(metric::E2E), Stat::P95, format::ms_as_s),
                    util,
                    mem,
                ]
            })
            .collect();
        doc.table(
            &[
                ("Concurrency", Align::Left),
                ("RPS", Align::Left),
                ("p95 Latency (s)", Align::Left),
                ("Avg GPU Util %", Align::Left),
                ("Max Mem (MiB)", Align::Left),
            ],
            rows,
        );
    }
    if s.phases.iter().any(|p| sweep_level(p).is_some() && gpu_columns(p) == ("n/a".into(), "n/a".into())) {
        doc.paragraph(
            Text::plain("GPU columns read n/a where no GPU telemetry was recorded (")
                .then(Text::code("--telemetry nvml"))
                .then(" or ")
                .then(Text::code("prom=URL"))
                .then(")."),
        );
    }
}

/// Count-weighted merge of one metric over phases: (count, mean, mean of p95s, min, max).
///
/// Percentiles do not merge exactly without the histograms; a count-weighted mean of the
/// per-phase p95s is a fair approximation for a report, and the report says so.
fn merge(phases: &[PhaseReport], key: &str) -> Option<Merged> {
    let dists: Vec<&Distribution> = phases.iter().filter_map(|p| p.metric(key)).collect();
    let count: u64 = dists.iter().map(|d| d.count).sum();
    if count == 0 {
        return None;
    }
    let weighted =
        |f: fn(&Distribution) -> f64| dists.iter().map(|d| f(d) * d.count as f64).sum::<f64>() / count as f64;
    Some(Merged {
        count,
        mean: weighted(|d| d.mean),
        p95: weighted(|d| d.p95),
        min: dists.iter().map(|d| d.min).fold(f64::INFINITY, f64::min),
        max: dists.iter().map(|d| d.max).fold(f64::NEG_INFINITY, f64::max),
    })
}

/// One metric merged over several phases.
struct Merged {
    count: u64,
    mean: f64,
    p95: f64,
    min: f64,
    max: f64,
}

fn streaming_ux(doc: &mut Document, s: &Summary) {
    let reasoned = s.phases.iter().any(PhaseReport::reasoned);
    let lat = [("TTFT", metric::TTFT), ("TTFO", metric::TTFO), ("ITL", metric::ITL), ("TPOT", metric::TPOT)];
    let mut rows: Vec<Vec<Text>> = Vec::new();
    for (label, key) in lat.into_iter().filter(|(_, key)| *key != metric::TTFO || reasoned) {
        if let Some(m) = merge(&s.phases, key) {
            rows.push(vec![
                Text::strong(label),
                format::ms_unit(m.mean).into(),
                format::ms_unit(m.p95).into(),
                format::ms_unit(m.min).into(),
            ]);
        }
    }
    if let Some(m) = merge(&s.phases, metric::TOKENS_PER_S) {
        let speed = |v: f64| Text::plain(format!("{} tok/s", format::tok_s(v)));
        rows.push(vec![Text::strong("Speed"), speed(m.mean), speed(m.p95), speed(m.max)]);
    }
    if rows.is_empty() {
        return;
    }
    let requests: u64 = merge(&s.phases, metric::TTFT).map_or(0, |m| m.count);
    doc.heading(2, "Streaming UX");
    doc.paragraph(format!(
        "Over all phases ({} streamed requests). Best case is the minimum for latencies and the \
         maximum for speed; p95 is the request-weighted mean of the phases' p95s.",
        format::count(requests)
    ));
    doc.table(
        &[
            ("Metric", Align::Left),
            ("Average", Align::Left),
            ("p95", Align::Left),
            ("Best Case", Align::Left),
        ],
        rows,
    );
}

fn latency_stats(doc: &mut Document, s: &Summary) {
    let with_e2e: Vec<&PhaseReport> = s.phases.iter().filter(|p| p.metric(metric::E2E).is_some()).collect();
    if with_e2e.is_empty() {
        return;
    }
    doc.heading(2, "End-to-end latency");
    // One column per phase, as a "Single Thread | 12 Concurrent Threads" comparison reads.
    let e2e = |p: &PhaseReport, st: Stat| format::stat(p.metric(metric::E2E), st, format::ms_unit);
    type Row<'a> = (&'a str, Box<dyn Fn(&PhaseReport) -> String + 'a>);
    let rows: Vec<Row> = vec![
        ("Requests", Box::new(|p: &PhaseReport| format::count(p.requests))),
        ("Mean latency", Box::new(move |p: &PhaseReport| e2e(p, Stat::Mean))),
        ("Median (p50) latency", Box::new(move |p: &PhaseReport| e2e(p, Stat::P50))),
        ("Std dev", Box::new(move |p: &PhaseReport| e2e(p, Stat::StdDev))),
        ("P95 latency", Box::new(move |p: &PhaseReport| e2e(p, Stat::P95))),
        ("P99 latency", Box::new(move |p: &PhaseReport| e2e(p, Stat::P99))),
        (
            "Aggregate throughput",
            Box::new(|p: &PhaseReport| format!("{} tok/s", format::tok_s(p.output_tokens_per_s))),
        ),
    ];
    let mut head: Vec<(String, Align)> = vec![("Metric".into(), Align::Left)];
    for p in &with_e2e {
        head.push((format!("{} ({})", p.name, load_level(p)), Align::Left));
    }
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(label, f)| {
            let mut row = vec![(*label).to_string()];
            row.extend(with_e2e.iter().map(|p| f(p)));
            row
        })
        .collect();
    let head_ref: Vec<(&str, Align)> = head.iter().map(|(h, a)| (h.as_str(), *a)).collect();
    doc.table(&head_ref, body);
}

fn schedule(doc: &mut Document, s: &Summary) {
    let open: Vec<&PhaseReport> = s.phases.iter().filter(|p| p.schedule.is_some()).collect();
    if open.is_empty() {
        return;
    }
    doc.heading(2, "Open-loop schedule");
    let rows: Vec<Vec<Text>> = open
        .iter()
        .filter_map(|p| p.schedule.as_ref().map(|sch| (p, sch)))
        .map(|(p, sch)| {
            let lag = p.metric(metric::DISPATCH_LAG);
            let p50 = format::stat(lag, Stat::P50, format::ms);
            let behind = if sch.behind {
                Text::strong("yes").then(format!(
                    " (p99 {} > bound {})",
                    format::ms_unit(sch.lag_p99_ms),
                    format::ms_unit(sch.bound_ms)
                ))
            } else {
                Text::plain("no")
            };
            let started = p.iterations.completed + p.iterations.failed + p.iterations.interrupted;
            let achieved = if p.duration_s > 0.0 { started as f64 / p.duration_s } else { f64::NAN };
            vec![
                p.name.as_str().into(),
                p.target_rate.map_or_else(|| NONE.to_string(), |r| format!("{}/s", trim_rate(r))).into(),
                format!("{}/s", format::rate(achieved)).into(),
                format!("{p50} / {}", format::ms(sch.lag_p99_ms)).into(),
                format::count(p.iterations.dropped).into(),
                behind,
            ]
        })
        .collect();
    doc.table(
        &[
            ("Phase", Align::Left),
            ("Target rate", Align::Right),
            ("Achieved", Align::Right),
            ("Dispatch lag p50/p99 (ms)", Align::Right),
            ("Dropped", Align::Right),
            ("Behind?", Align::Left),
        ],
        rows,
    );
}
