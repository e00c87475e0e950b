//! The telemetry sections of the report: per phase, what the GPU did, how the server's queue
//! behaved (the seeds' "queue stability" question, answered with numbers), the server's own view
//! of its latencies next to the client's, and the series kept by `--prom-keep`. Each table
//! appears only when some phase has something for it; absent figures read `n/a`, never 0.
//! The console's telemetry lines live here too, so both say the same about a phase.

use std::fmt::Write as _;

use crate::document::{Align, Document, Text};
use crate::model::{PhaseReport, ServerLatency, Summary, TelemetryReport};

const NA: &str = "n/a";

/// A figure with `decimals`, or `n/a`.
fn show(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| NA.to_string(), |v| format!("{v:.decimals$}"))
}

/// The phases that have telemetry, with it.
fn with_telemetry(s: &Summary) -> Vec<(&PhaseReport, &TelemetryReport)> {
    s.phases.iter().filter_map(|p| Some((p, p.telemetry.as_ref()?))).collect()
}

/// Appends the telemetry sections.
pub(super) fn telemetry(doc: &mut Document, s: &Summary) {
    let phases = with_telemetry(s);
    if phases.is_empty() {
        return;
    }
    gpu(doc, &phases);
    queue(doc, &phases);
    server_latency(doc, &phases);
    kept(doc, &phases);
}

fn gpu(doc: &mut Document, phases: &[(&PhaseReport, &TelemetryReport)]) {
    let has_gpu = |t: &TelemetryReport| {
        t.gpu_util_avg_pct.is_some()
            || t.memory_used_max_mib.is_some()
            || t.sm_active_avg_pct.is_some()
            || t.temperature_max_c.is_some()
    };
    if !phases.iter().any(|(_, t)| has_gpu(t)) {
        return;
    }
    doc.heading(2, "GPU telemetry per phase");
    let rows: Vec<Vec<String>> = phases
        .iter()
        .map(|(p, t)| {
            vec![
                p.name.clone(),
                t.samples.to_string(),
                show(t.gpu_util_avg_pct, 0),
                show(t.gpu_util_max_pct, 0),
                show(t.sm_active_avg_pct, 0),
                show(t.memory_used_max_mib, 0),
                show(t.process_memory_max_mib, 0),
                show(t.temperature_max_c, 0),
                show(t.power_avg_w, 0),
                show(t.sm_clock_avg_mhz, 0),
            ]
        })
        .collect();
    use Align::{Left as L, Right as R};
    doc.table(
        &[
            ("Phase", L),
            ("Samples", R),
            ("Util avg %", R),
            ("Util max %", R),
            ("SM active avg %", R),
            ("Mem max (MiB)", R),
            ("Proc mem max (MiB)", R),
            ("Temp max (°C)", R),
            ("Power avg (W)", R),
            ("SM clock avg (MHz)", R),
        ],
        rows,
    );
}

fn queue(doc: &mut Document, phases: &[(&PhaseReport, &TelemetryReport)]) {
    let has_queue = |t: &TelemetryReport| {
        t.queue_waiting_max.is_some()
            || t.queue_running_max.is_some()
            || t.kv_cache_max_pct.is_some()
            || t.slots_busy_max.is_some()
    };
    if !phases.iter().any(|(_, t)| has_queue(t)) {
        return;
    }
    doc.heading(2, "Server queue per phase");
    let rows: Vec<Vec<String>> = phases
        .iter()
        .map(|(p, t)| {
            vec![
                p.name.clone(),
                super::load_level(p),
                show(t.queue_waiting_max, 0),
                show(t.queue_waiting_avg, 1),
                show(t.queue_running_max, 0),
                show(t.kv_cache_max_pct, 0),
                show(t.preemptions, 0),
                slots(t),
            ]
        })
        .collect();
    use Align::{Left as L, Right as R};
    doc.table(
        &[
            ("Phase", L),
            ("Load", R),
            ("Waiting max", R),
            ("Waiting avg", R),
            ("Running max", R),
            ("KV cache max %", R),
            ("Preemptions", R),
            ("Slots busy avg / max / all", R),
        ],
        rows,
    );
    doc.paragraph(
        Text::plain("Sampled from the server's metrics every ").then(Text::code("--sample-interval")).then(
            ": a waiting count that keeps growing within a phase means the load exceeds what the \
                 server admits.",
        ),
    );
}

/// llama.cpp's slots: "1.5 / 2 / 4", or n/a without `llamacpp-slots=`.
fn slots(t: &TelemetryReport) -> String {
    match t.slots_busy_max {
        Some(max) => format!("{} / {max:.0} / {}", show(t.slots_busy_avg, 1), show(t.slots_total, 0)),
        None => NA.to_string(),
    }
}

fn server_latency(doc: &mut Document, phases: &[(&PhaseReport, &TelemetryReport)]) {
    let mut rows = Vec::new();
    for (p, t) in phases {
        for (label, h) in
            [("TTFT", &t.server_ttft), ("ITL", &t.server_itl), ("Queue time", &t.server_queue_time)]
        {
            if let Some(h) = h {
                rows.push(latency_row(&p.name, label, h));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    doc.heading(2, "Server-side latency per phase (ms)");
    use Align::{Left as L, Right as R};
    doc.table(
        &[("Phase", L), ("Metric", L), ("Count", R), ("Mean", R), ("p50", R), ("p95", R), ("p99", R)],
        rows,
    );
    doc.paragraph(
        "The server's own histograms, as increases over each phase (between the samples just before \
         it started and just after it ended); percentiles are interpolated inside the server's \
         buckets, so they are only as fine as its bucket bounds. Compare with the client's view in \
         \"Latency per phase\".",
    );
}

fn latency_row(phase: &str, label: &str, h: &ServerLatency) -> Vec<String> {
    vec![
        phase.to_string(),
        label.to_string(),
        h.count.to_string(),
        show(h.mean_ms, 1),
        show(h.p50_ms, 1),
        show(h.p95_ms, 1),
        show(h.p99_ms, 1),
    ]
}

fn kept(doc: &mut Document, phases: &[(&PhaseReport, &TelemetryReport)]) {
    let rows: Vec<Vec<Text>> = phases
        .iter()
        .flat_map(|(p, t)| {
            t.kept.iter().map(|(name, k)| {
                vec![
                    p.name.as_str().into(),
                    Text::code(name.as_str()),
                    number(k.avg).into(),
                    number(k.max).into(),
                ]
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    doc.heading(2, Text::plain("Kept series per phase (").then(Text::code("--prom-keep")).then(")"));
    use Align::{Left as L, Right as R};
    doc.table(&[("Phase", L), ("Series", L), ("Avg", R), ("Max", R)], rows);
}

/// A kept value: whole numbers plain, others to 3 significant decimals.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.3}") }
}

/// The console lines of a phase's telemetry: the queue, the server's TTFT and prefix-cache hit
/// rate, and the GPU in brief; none without telemetry.
pub fn console_lines(t: &TelemetryReport) -> Vec<String> {
    let mut lines = Vec::new();
    if t.queue_waiting_max.is_some() || t.queue_running_max.is_some() {
        let mut line = format!(
            "  server     waiting max {} avg {}, running max {}",
            show(t.queue_waiting_max, 0),
            show(t.queue_waiting_avg, 1),
            show(t.queue_running_max, 0)
        );
        if let Some(kv) = t.kv_cache_max_pct {
            let _ = write!(line, ", kv cache max {kv:.0}%");
        }
        if let Some(n) = t.preemptions {
            let _ = write!(line, ", preemptions {n:.0}");
        }
        if t.slots_busy_max.is_some() {
            let _ = write!(line, ", slots busy {}", slots(t));
        }
        lines.push(line);
    }
    if let Some(h) = &t.server_ttft {
        lines.push(format!(
            "  server ttft p50 {} p95 {} ms over {} requests (server's buckets)",
            show(h.p50_ms, 1),
            show(h.p95_ms, 1),
            h.count
        ));
    }
    if let (Some(rate), Some(hits), Some(queries)) =
        (t.prefix_cache_hit_rate, t.prefix_cache_hits, t.prefix_cache_queries)
    {
        lines.push(format!(
            "  server prefix cache hit rate {} ({} of {} prompt tokens looked up)",
            crate::format::percent(rate),
            crate::format::count(hits as u64),
            crate::format::count(queries as u64)
        ));
    }
    if t.gpu_util_avg_pct.is_some() || t.memory_used_max_mib.is_some() {
        let mut line = format!(
            "  gpu        util avg {}% max {}%, mem max {} MiB",
            show(t.gpu_util_avg_pct, 0),
            show(t.gpu_util_max_pct, 0),
            show(t.memory_used_max_mib, 0)
        );
        if let Some(sm) = t.sm_active_avg_pct {
            let _ = write!(line, ", sm active avg {sm:.0}%");
        }
        if let Some(c) = t.temperature_max_c {
            let _ = write!(line, ", {c:.0} °C max");
        }
        if let Some(w) = t.power_avg_w {
            let _ = write!(line, ", {w:.0} W avg");
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(t: TelemetryReport) -> Summary {
        let mut s = Summary::default();
        let p = PhaseReport {
            name: "c8".into(),
            concurrency: Some(8),
            telemetry: Some(t),
            ..PhaseReport::default()
        };
        s.phases.push(p);
        s
    }

    #[test]
    fn queue_figures_and_server_latency_are_tabled() {
        let t = TelemetryReport {
            samples: 20,
            queue_waiting_max: Some(4.0),
            queue_waiting_avg: Some(2.5),
            queue_running_max: Some(4.0),
            preemptions: Some(0.0),
            server_ttft: Some(ServerLatency {
                count: 30,
                mean_ms: Some(46.0),
                p50_ms: Some(50.0),
                p95_ms: Some(59.0),
                p99_ms: Some(59.8),
            }),
            ..TelemetryReport::default()
        };
        let mut doc = Document::default();
        telemetry(&mut doc, &summary(t.clone()));
        let out = crate::markdown::write(&doc);
        assert!(out.contains("## Server queue per phase"), "{out}");
        assert!(out.contains("| c8 | 8 | 4 | 2.5 | 4 | n/a | 0 | n/a |"), "{out}");
        assert!(out.contains("| c8 | TTFT | 30 | 46.0 | 50.0 | 59.0 | 59.8 |"), "{out}");
        assert!(!out.contains("## GPU telemetry"), "no GPU figures, no GPU table: {out}");
        let console = console_lines(&t).join("\n");
        assert!(console.contains("waiting max 4 avg 2.5, running max 4"), "{console}");
        assert!(console.contains("preemptions 0"), "{console}");
        assert!(!console.contains("prefix cache"), "no counters, no line: {console}");
        let cached = TelemetryReport {
            prefix_cache_queries: Some(12800.0),
            prefix_cache_hits: Some(7680.0),
            prefix_cache_hit_rate: Some(0.6),
            ..t
        };
        let console = console_lines(&cached).join("\n");
        assert!(
            console.contains("server prefix cache hit rate 60.0% (7,680 of 12,800 prompt tokens looked up)"),
            "{console}"
        );
    }

    #[test]
    fn nothing_without_telemetry() {
        let mut doc = Document::default();
        telemetry(&mut doc, &Summary::default());
        assert!(crate::markdown::write(&doc).is_empty());
        assert!(console_lines(&TelemetryReport::default()).is_empty());
    }
}
