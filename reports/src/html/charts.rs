//! The charts of `report.html`, built from the summary and the time series: latency and
//! throughput over time per phase, TTFT/ITL percentiles per phase, and concurrency sweep curves.
//!
//! With `--telemetry`, [`telemetry_over_time`] adds the GPU (utilisation, memory) and the server
//! queue (waiting, running, KV cache) over the run, from the time series' telemetry records; a
//! field a source did not give has no points (absent, never drawn as zero).

use std::fmt::Write as _;

use super::svg::{Axis, BarChart, LineChart, Series, bar_chart, line_chart};
use crate::format::{self, Stat};
use crate::model::{Distribution, PhaseReport, Summary, metric};
use crate::sections::{sweep_groups, sweep_level};
use crate::timeseries::{self, RatePoint, Record, Sample, TelemetrySample};

/// One series of interval values taken from the samples, points where `value` has one.
fn from_samples(
    key: &str,
    label: &str,
    samples: &[&Sample],
    axis: Axis,
    value: impl Fn(&Sample) -> Option<f64>,
) -> Series {
    Series {
        key: key.to_string(),
        label: label.to_string(),
        points: samples.iter().filter_map(|s| value(s).map(|v| (s.t_s, v))).collect(),
        axis,
    }
}

/// A statistic of an interval latency, when the interval completed at least one request.
fn interval(s: &Sample, key: &str, stat: fn(&Distribution) -> f64) -> Option<f64> {
    s.latency.get(key).filter(|d| !d.is_empty()).map(stat)
}

/// Per phase: interval latency and throughput against run time.
pub(super) fn over_time(summary: &Summary, records: &[Record]) -> String {
    let samples: Vec<&Sample> = records
        .iter()
        .filter_map(|r| match r {
            Record::Sample(s) => Some(s),
            _ => None,
        })
        .collect();
    let mut out = String::from("<h3>Over time</h3>\n");
    if samples.is_empty() {
        out.push_str(
            "<p class=\"note\">No time series was recorded for this run (no <code>timeseries.jsonl</code>), \
             so there are no charts over time.</p>\n",
        );
        return out;
    }
    out.push_str(
        "<p>One point per phase per interval (one second by default): latencies of the requests that \
         completed in the interval, and what the interval delivered.</p>\n",
    );
    for p in &summary.phases {
        let mine: Vec<&Sample> = samples.iter().copied().filter(|s| s.phase == p.name).collect();
        if mine.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<div class=\"row\" data-phase=\"{}\">", super::escape(&p.name));
        let latency = vec![
            from_samples("ttft_p50", "TTFT p50", &mine, Axis::Left, |s| interval(s, metric::TTFT, |d| d.p50)),
            from_samples("ttft_p95", "TTFT p95", &mine, Axis::Left, |s| interval(s, metric::TTFT, |d| d.p95)),
            from_samples("e2e_p95", "E2E p95", &mine, Axis::Left, |s| interval(s, metric::E2E, |d| d.p95)),
        ];
        out.push_str(&line_chart(&LineChart {
            kind: "latency",
            title: format!("Latency over time — {}", p.name),
            x_label: "time since run start (s)".into(),
            y_label: "latency (ms)".into(),
            y2_label: String::new(),
            series: latency.into_iter().filter(|s| !s.points.is_empty()).collect(),
            attrs: vec![("phase", p.name.clone())],
        }));
        // Rates over each interval's real length, a phase's short first or last interval folded
        // into its neighbour (`timeseries::rates`), so the end of a phase draws no spike.
        let rates = timeseries::rates(&mine);
        let rate_series = |key: &str, label: &str, axis, value: fn(&RatePoint) -> f64| Series {
            key: key.to_string(),
            label: label.to_string(),
            points: rates.iter().map(|r| (r.t_s, value(r))).collect(),
            axis,
        };
        let mut throughput =
            vec![rate_series("requests_per_s", "successful requests/s", Axis::Left, |r| r.requests_per_s)];
        if mine.iter().any(|s| s.interval_errors > 0) {
            throughput.push(rate_series("errors_per_s", "failed requests/s", Axis::Left, |r| r.errors_per_s));
        }
        if mine.iter().any(|s| s.interval_output_tokens > 0) {
            throughput.push(rate_series("output_tok_per_s", "output tok/s", Axis::Right, |r| {
                r.output_tokens_per_s
            }));
        }
        out.push_str(&line_chart(&LineChart {
            kind: "throughput",
            title: format!("Throughput over time — {}", p.name),
            x_label: "time since run start (s)".into(),
            y_label: "requests/s".into(),
            y2_label: "output tokens/s".into(),
            series: throughput,
            attrs: vec![("phase", p.name.clone())],
        }));
        out.push_str("</div>\n");
    }
    out
}

/// One line per source (and device) that gave `field`, over the run.
fn telemetry_series(records: &[&TelemetrySample], field: &str, label: &str, axis: Axis) -> Vec<Series> {
    let mut origins: Vec<(&str, Option<&str>)> = Vec::new();
    for r in records.iter().filter(|r| r.fields.contains_key(field)) {
        let origin = (r.source.as_str(), r.device.as_deref());
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    let many = origins.len() > 1;
    origins
        .into_iter()
        .enumerate()
        .map(|(i, (source, device))| {
            let mut label = label.to_string();
            if many {
                let _ = match device {
                    Some(d) => write!(label, " ({source} #{d})"),
                    None => write!(label, " ({source})"),
                };
            }
            Series {
                key: if many { format!("{field}_{i}") } else { field.to_string() },
                label,
                points: records
                    .iter()
                    .filter(|r| r.source == source && r.device.as_deref() == device)
                    .filter_map(|r| Some((r.t_ms as f64 / 1000.0, *r.fields.get(field)?)))
                    .collect(),
                axis,
            }
        })
        .collect()
}

/// The GPU and the server queue over the whole run, when telemetry was recorded.
pub(super) fn telemetry_over_time(records: &[Record]) -> String {
    let samples: Vec<&TelemetrySample> = records
        .iter()
        .filter_map(|r| match r {
            Record::Telemetry(t) => Some(t),
            _ => None,
        })
        .collect();
    if samples.is_empty() {
        return String::new();
    }
    let mut charts = String::new();
    let gpu: Vec<Series> = <[Vec<Series>; 3]>::into_iter([
        telemetry_series(&samples, "gpu_util_pct", "GPU util %", Axis::Left),
        telemetry_series(&samples, "sm_active_pct", "SM active %", Axis::Left),
        telemetry_series(&samples, "memory_used_mib", "memory used", Axis::Right),
    ])
    .flatten()
    .collect();
    if !gpu.is_empty() {
        charts.push_str(&line_chart(&LineChart {
            kind: "gpu",
            title: "GPU over time".into(),
            x_label: "time since run start (s)".into(),
            y_label: "utilisation (%)".into(),
            y2_label: "memory (MiB)".into(),
            series: gpu,
            attrs: Vec::new(),
        }));
    }
    let queue: Vec<Series> = <[Vec<Series>; 3]>::into_iter([
        telemetry_series(&samples, "waiting", "waiting", Axis::Left),
        telemetry_series(&samples, "running", "running", Axis::Left),
        telemetry_series(&samples, "kv_cache_pct", "KV cache %", Axis::Right),
    ])
    .flatten()
    .collect();
    if !queue.is_empty() {
        charts.push_str(&line_chart(&LineChart {
            kind: "queue",
            title: "Server queue over time".into(),
            x_label: "time since run start (s)".into(),
            y_label: "requests".into(),
            y2_label: "KV cache (%)".into(),
            series: queue,
            attrs: Vec::new(),
        }));
    }
    if charts.is_empty() {
        return charts;
    }
    format!(
        "<h3>Telemetry over time</h3>\n<p>One point per telemetry sample (<code>--sample-interval</code>), \
         on the run's clock.</p>\n<div class=\"row\">\n{charts}</div>\n"
    )
}

/// The statistics drawn as bars, in order.
const PERCENTILES: [(&str, Stat); 5] =
    [("p50", Stat::P50), ("p90", Stat::P90), ("p95", Stat::P95), ("p99", Stat::P99), ("max", Stat::Max)];

/// TTFT and ITL percentiles of each phase that recorded them, one bar chart per metric.
pub(super) fn distributions(summary: &Summary) -> String {
    let mut out = String::new();
    for (label, key) in [("TTFT", metric::TTFT), ("ITL", metric::ITL)] {
        let phases: Vec<(&PhaseReport, &Distribution)> =
            summary.phases.iter().filter_map(|p| p.metric(key).map(|d| (p, d))).collect();
        if phases.is_empty() {
            continue;
        }
        out.push_str(&bar_chart(&BarChart {
            kind: key_kind(key),
            title: format!("{label} percentiles per phase"),
            y_label: format!("{label} (ms)"),
            groups: phases.iter().map(|(p, _)| p.name.clone()).collect(),
            series: PERCENTILES
                .iter()
                .map(|(name, stat)| {
                    (name.to_string(), name.to_string(), phases.iter().map(|(_, d)| stat.of(d)).collect())
                })
                .collect(),
        }));
    }
    if out.is_empty() {
        return out;
    }
    format!(
        "<h3>Latency distributions</h3>\n<p>From the phases' HdrHistograms (3 significant digits).</p>\n\
         <div class=\"row\">\n{out}</div>\n"
    )
}

fn key_kind(key: &str) -> &'static str {
    if key == metric::TTFT { "ttft-percentiles" } else { "itl-percentiles" }
}

/// Concurrency → RPS and → p95 E2E, one chart per sweep group of two levels or more.
pub(super) fn sweeps(summary: &Summary) -> String {
    let mut out = String::new();
    for (key, members) in sweep_groups(summary) {
        if members.len() < 2 {
            continue;
        }
        let title = if key.is_empty() { "all phases".to_string() } else { format::tags(&key) };
        let level = |p: &PhaseReport| sweep_level(p).map_or(f64::NAN, f64::from);
        let rps = members.iter().map(|p| (level(p), p.requests_per_s)).collect();
        let e2e = members.iter().filter_map(|p| p.metric(metric::E2E).map(|d| (level(p), d.p95))).collect();
        out.push_str(&line_chart(&LineChart {
            kind: "sweep",
            title: format!("Concurrency sweep — {title}"),
            x_label: "concurrency (VUs)".into(),
            y_label: "requests/s".into(),
            y2_label: "E2E p95 (ms)".into(),
            series: vec![
                Series { key: "rps".into(), label: "RPS".into(), points: rps, axis: Axis::Left },
                Series { key: "e2e_p95".into(), label: "E2E p95".into(), points: e2e, axis: Axis::Right },
            ],
            attrs: vec![("group", title)],
        }));
    }
    if out.is_empty() {
        return out;
    }
    format!("<h3>Concurrency sweeps</h3>\n<div class=\"row\">\n{out}</div>\n")
}
