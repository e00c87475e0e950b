//! `timeseries.jsonl`: the run as it went, one JSON record per line, appended while the run goes
//! (so a killed run keeps everything up to its last flushed second), and [`rebuild`], which turns
//! such a file back into a [`Summary`] when the run never wrote its own.
//!
//! Three kinds of record, tagged by `"kind"`: a [`PhaseStart`] when a phase begins, then one
//! [`Sample`] per phase per interval (one second by default), the last one when the phase ends;
//! and with `--telemetry`, one [`TelemetrySample`] per source (per device for NVML) per
//! telemetry sample.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Distribution, Iterations, PhaseReport, Summary};

/// One line of `timeseries.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A phase began.
    Phase(PhaseStart),
    /// A phase's state at the end of an interval.
    Sample(Sample),
    /// What one telemetry source (one device of it) read at one instant.
    Telemetry(TelemetrySample),
}

/// One telemetry reading: a source's (or one of its devices') fields at one instant. Fields the
/// source did not give are absent from the map, never zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetrySample {
    /// Milliseconds since the run started (the run's clock, as the phases' `t_s`).
    pub t_ms: u64,
    /// The source, as given to `--telemetry` (`nvml`, `prom=URL`).
    pub source: String,
    /// The device's index for per-device sources (NVML); absent for a source's whole reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Field name to value: `gpu_util_pct`, `memory_used_mib`, `memory_total_mib`,
    /// `temperature_c`, `power_w`, `sm_active_pct`, `sm_clock_mhz`, `process_memory_mib`,
    /// `running`, `waiting`, `kv_cache_pct`, `preemptions_total`, and kept series by name.
    pub fields: BTreeMap<String, f64>,
}

/// What a phase is, written once when it starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseStart {
    /// Seconds since the run started.
    pub t_s: f64,
    /// The phase's name.
    pub phase: String,
    /// The phase's tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The executor's name.
    pub executor: String,
    /// The plan, in words.
    pub plan: String,
    /// Closed-loop VU count (the sweep column).
    pub concurrency: Option<u32>,
    /// Open-loop planned iterations per second.
    pub target_rate: Option<f64>,
    /// How long the phase is planned to last, when known.
    pub planned_s: Option<f64>,
}

/// A phase at the end of one interval: cumulative counts, and what happened in the interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the run started.
    pub t_s: f64,
    /// The phase's name.
    pub phase: String,
    /// Seconds since the phase started.
    pub elapsed_s: f64,
    /// Whether this is the phase's last sample.
    #[serde(default)]
    pub last: bool,
    /// Requests so far (successful and failed).
    pub requests: u64,
    /// Failed requests so far.
    pub errors: u64,
    /// Failed requests so far, by error class.
    #[serde(default)]
    pub errors_by_class: BTreeMap<String, u64>,
    /// Output tokens so far.
    pub output_tokens: u64,
    /// Iterations so far.
    pub iterations: Iterations,
    /// Iterations running at the end of the interval.
    pub in_flight: u64,
    /// Length of the interval, in seconds.
    pub interval_s: f64,
    /// Requests completed in the interval.
    pub interval_requests: u64,
    /// Failed requests in the interval.
    pub interval_errors: u64,
    /// Output tokens received in the interval.
    pub interval_output_tokens: u64,
    /// Latencies of the requests completed in the interval (ttft, itl, e2e, http_total), in ms.
    #[serde(default)]
    pub latency: BTreeMap<String, Distribution>,
}

impl Sample {
    /// Successful requests per second over the interval.
    pub fn requests_per_s(&self) -> f64 {
        per_s(self.interval_requests.saturating_sub(self.interval_errors), self.interval_s)
    }

    /// Output tokens per second over the interval.
    pub fn output_tokens_per_s(&self) -> f64 {
        per_s(self.interval_output_tokens, self.interval_s)
    }
}

fn per_s(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

/// Reads `timeseries.jsonl` text. A truncated last line (the run was killed mid-write) is
/// skipped; any other bad line is an error naming its number.
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut records = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str(line) {
            Ok(record) => records.push(record),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => break,
            Err(e) => return Err(format!("timeseries.jsonl line {}: {e}", i + 1)),
        }
    }
    Ok(records)
}

/// Merges interval distributions. Counts, means, minima and maxima are exact; percentiles are
/// count-weighted means of the intervals' percentiles — an approximation, said in the notes.
fn merge(parts: &[&Distribution]) -> Distribution {
    let count: u64 = parts.iter().map(|d| d.count).sum();
    if count == 0 {
        return Distribution::default();
    }
    let weighted =
        |f: fn(&Distribution) -> f64| parts.iter().map(|d| f(d) * d.count as f64).sum::<f64>() / count as f64;
    let mean = weighted(|d| d.mean);
    // Pooled variance: within-interval variance plus the spread of the interval means.
    let variance = weighted(|d| d.stddev * d.stddev + d.mean * d.mean) - mean * mean;
    Distribution {
        count,
        mean,
        stddev: variance.max(0.0).sqrt(),
        min: parts.iter().map(|d| d.min).fold(f64::INFINITY, f64::min),
        p50: weighted(|d| d.p50),
        p90: weighted(|d| d.p90),
        p95: weighted(|d| d.p95),
        p99: weighted(|d| d.p99),
        max: parts.iter().map(|d| d.max).fold(0.0, f64::max),
    }
}

/// Rebuilds a summary from the run's header (`run.json`: a summary without phases) and its
/// time series: every phase up to its last recorded sample.
pub fn rebuild(mut header: Summary, records: &[Record]) -> Summary {
    let mut order: Vec<String> = Vec::new();
    let mut starts: BTreeMap<&str, &PhaseStart> = BTreeMap::new();
    let mut samples: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    let mut last_t: f64 = 0.0;
    for record in records {
        match record {
            Record::Phase(p) => {
                if !order.contains(&p.phase) {
                    order.push(p.phase.clone());
                }
                starts.insert(&p.phase, p);
                last_t = last_t.max(p.t_s);
            }
            Record::Sample(s) => {
                samples.entry(&s.phase).or_default().push(s);
                last_t = last_t.max(s.t_s);
            }
            // Per-phase telemetry aggregates live in summary.json only; a rebuilt summary goes
            // without them rather than guess which samples fell in which phase.
            Record::Telemetry(_) => {}
        }
    }
    let mut complete = true;
    header.phases = order
        .iter()
        .map(|name| {
            let start = starts.get(name.as_str()).copied().cloned().unwrap_or_default();
            let list = samples.get(name.as_str()).cloned().unwrap_or_default();
            let last = list.last().copied().cloned().unwrap_or_default();
            complete &= last.last;
            let mut by_metric: BTreeMap<&str, Vec<&Distribution>> = BTreeMap::new();
            for s in &list {
                for (k, d) in &s.latency {
                    by_metric.entry(k).or_default().push(d);
                }
            }
            let secs = last.elapsed_s;
            PhaseReport {
                name: name.clone(),
                tags: start.tags.clone(),
                executor: start.executor.clone(),
                plan: start.plan.clone(),
                concurrency: start.concurrency,
                target_rate: start.target_rate,
                start_s: start.t_s,
                duration_s: secs,
                iterations: last.iterations.clone(),
                requests: last.requests,
                errors: last.errors,
                errors_by_class: last.errors_by_class.clone(),
                requests_per_s: per_s(last.requests.saturating_sub(last.errors), secs),
                output_tokens_per_s: per_s(last.output_tokens, secs),
                output_tokens: last.output_tokens,
                metrics: by_metric.into_iter().map(|(k, parts)| (k.to_string(), merge(&parts))).collect(),
                ..PhaseReport::default()
            }
        })
        .collect();
    header.duration_s = last_t;
    header.notes.push(format!(
        "rebuilt from timeseries.jsonl{}: counts are exact up to the last recorded second; percentiles \
         are request-weighted means of per-second percentiles, an approximation",
        if complete { "" } else { " of an interrupted run" }
    ));
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(count: u64, mean: f64, p95: f64) -> Distribution {
        Distribution { count, mean, stddev: 0.0, min: mean, p50: mean, p90: p95, p95, p99: p95, max: p95 }
    }

    fn sample(t: f64, requests: u64, interval_requests: u64, last: bool) -> Record {
        Record::Sample(Sample {
            t_s: t,
            phase: "p".into(),
            elapsed_s: t,
            last,
            requests,
            errors: 1,
            output_tokens: requests * 10,
            interval_s: 1.0,
            interval_requests,
            latency: BTreeMap::from([("ttft".to_string(), dist(interval_requests, 50.0 + t, 60.0))]),
            ..Sample::default()
        })
    }

    #[test]
    fn records_round_trip_as_tagged_json_lines() {
        let r = sample(1.0, 10, 10, false);
        let line = serde_json::to_string(&r).expect("serialises");
        assert!(line.starts_with(r#"{"kind":"sample""#), "{line}");
        assert_eq!(parse(&format!("{line}\n")).expect("parses"), vec![r]);
    }

    #[test]
    fn telemetry_records_round_trip() {
        let r = Record::Telemetry(TelemetrySample {
            t_ms: 1500,
            source: "nvml".into(),
            device: Some("0".into()),
            fields: BTreeMap::from([("gpu_util_pct".to_string(), 73.0)]),
        });
        let line = serde_json::to_string(&r).expect("serialises");
        assert_eq!(
            line,
            r#"{"kind":"telemetry","t_ms":1500,"source":"nvml","device":"0","fields":{"gpu_util_pct":73.0}}"#
        );
        assert_eq!(parse(&format!("{line}\n")).expect("parses"), vec![r]);
    }

    #[test]
    fn a_truncated_last_line_is_skipped_but_a_bad_middle_line_is_an_error() {
        let line = serde_json::to_string(&sample(1.0, 10, 10, false)).expect("serialises");
        assert_eq!(parse(&format!("{line}\n{}", &line[..20])).expect("parses").len(), 1);
        assert!(parse(&format!("{}\n{line}\n", &line[..20])).unwrap_err().contains("line 1"));
    }

    #[test]
    fn rebuild_takes_counts_from_the_last_sample_and_merges_latencies() {
        let records = vec![
            Record::Phase(PhaseStart {
                phase: "p".into(),
                executor: "constant-vus".into(),
                ..PhaseStart::default()
            }),
            sample(1.0, 10, 10, false),
            sample(2.0, 30, 20, false),
        ];
        let s = rebuild(Summary::default(), &records);
        let p = &s.phases[0];
        assert_eq!((p.requests, p.errors, p.output_tokens), (30, 1, 300));
        assert!((p.requests_per_s - 14.5).abs() < 1e-9);
        let ttft = p.metrics["ttft"];
        assert_eq!(ttft.count, 30);
        assert!((ttft.mean - (51.0 * 10.0 + 52.0 * 20.0) / 30.0).abs() < 1e-9);
        assert!(s.notes[0].contains("interrupted run"));
    }
}
