//! `timeseries.jsonl`: the run as it went, one JSON record per line, appended while the run goes
//! (so a killed run keeps everything up to its last flushed second), and [`rebuild`], which turns
//! such a file back into a [`Summary`] when the run never wrote its own.
//!
//! Four kinds of record, tagged by `"kind"`: a [`RunStart`] first, naming the run (its id is
//! also in `run.json`, so a file left by another run is never taken for this one's); a
//! [`PhaseStart`] when a phase begins, then one [`Sample`] per phase per interval (one second by
//! default), the last one when the phase ends; and with `--telemetry`, one [`TelemetrySample`]
//! per source (per device for NVML) per telemetry sample.
//!
//! [`read`] takes what a crash or a full disk leaves — a torn last line, a torn UTF-8 character,
//! garbage — skipping and counting the lines it cannot use. [`rates`] gives a phase's
//! throughput over time without turning a phase's short first or last interval into a spike.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Distribution, Iterations, PhaseReport, Summary};

/// One line of `timeseries.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// The run began: always the file's first record.
    Run(RunStart),
    /// A phase began.
    Phase(PhaseStart),
    /// A phase's state at the end of an interval.
    Sample(Sample),
    /// What one telemetry source (one device of it) read at one instant.
    Telemetry(TelemetrySample),
}

/// The run a time series belongs to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStart {
    /// The run's id, as in its `run.json` and `summary.json`.
    pub run_id: String,
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

/// An interval shorter than this many seconds is *partial*: a phase's first or last, cut by its
/// start or end (or one squeezed by a stalled sampler). A handful of requests over a few
/// milliseconds is no measure of throughput, so its rate is never shown on its own.
pub const PARTIAL_S: f64 = 0.5;

impl Sample {
    /// Successful requests per second over the interval (over its real length, however short:
    /// see [`PARTIAL_S`] and [`Sample::steady_requests_per_s`]).
    pub fn requests_per_s(&self) -> f64 {
        per_s(self.interval_requests.saturating_sub(self.interval_errors), self.interval_s)
    }

    /// Whether the interval is too short for its rate to stand alone ([`PARTIAL_S`]).
    pub fn is_partial(&self) -> bool {
        self.interval_s < PARTIAL_S
    }

    /// Successful requests per second to show on a live line: the interval's rate, or the
    /// phase's average so far when the interval is partial or the phase's last.
    pub fn steady_requests_per_s(&self) -> f64 {
        if self.last || self.is_partial() {
            per_s(self.requests.saturating_sub(self.errors), self.elapsed_s)
        } else {
            self.requests_per_s()
        }
    }

    /// Output tokens per second over the interval.
    pub fn output_tokens_per_s(&self) -> f64 {
        per_s(self.interval_output_tokens, self.interval_s)
    }
}

fn per_s(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

/// One point of a phase's throughput over time ([`rates`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatePoint {
    /// The end of the window, in seconds since the run started.
    pub t_s: f64,
    /// The window's length, in seconds.
    pub window_s: f64,
    /// Successful requests per second.
    pub requests_per_s: f64,
    /// Failed requests per second.
    pub errors_per_s: f64,
    /// Output tokens per second.
    pub output_tokens_per_s: f64,
}

/// A phase's throughput over time from its samples, in order: one point per interval, each rate
/// over the interval's real length, except that a partial interval ([`PARTIAL_S`]) is folded
/// into its neighbour (the one before it, or for a phase's first, the one after) rather than
/// extrapolated from a few milliseconds into a spike or a dip.
pub fn rates(samples: &[&Sample]) -> Vec<RatePoint> {
    struct Window {
        t_s: f64,
        secs: f64,
        requests: u64,
        errors: u64,
        tokens: u64,
    }
    let mut windows: Vec<Window> = Vec::with_capacity(samples.len());
    for s in samples {
        let w = Window {
            t_s: s.t_s,
            secs: s.interval_s.max(0.0),
            requests: s.interval_requests,
            errors: s.interval_errors,
            tokens: s.interval_output_tokens,
        };
        match windows.last_mut() {
            Some(prev) if prev.secs < PARTIAL_S || w.secs < PARTIAL_S => {
                prev.t_s = w.t_s;
                prev.secs += w.secs;
                prev.requests += w.requests;
                prev.errors += w.errors;
                prev.tokens += w.tokens;
            }
            _ => windows.push(w),
        }
    }
    windows
        .into_iter()
        .map(|w| RatePoint {
            t_s: w.t_s,
            window_s: w.secs,
            requests_per_s: per_s(w.requests.saturating_sub(w.errors), w.secs),
            errors_per_s: per_s(w.errors, w.secs),
            output_tokens_per_s: per_s(w.tokens, w.secs),
        })
        .collect()
}

/// What [`read`] made of a `timeseries.jsonl`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// The records of every usable line, in file order.
    pub records: Vec<Record>,
    /// The lines that could not be used: (1-based line number, why).
    pub skipped: Vec<(usize, String)>,
}

impl Parsed {
    /// One line for the summary's notes when lines were skipped.
    pub fn note(&self) -> Option<String> {
        let (first, why) = self.skipped.first()?;
        let n = self.skipped.len();
        let lines: Vec<String> = self.skipped.iter().take(5).map(|(line, _)| line.to_string()).collect();
        let more = if n > 5 { ", …" } else { "" };
        Some(format!(
            "timeseries.jsonl: {n} damaged line{} skipped (line{} {}{more}; line {first}: {why}); the \
             rest was used",
            if n == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" },
            lines.join(", "),
        ))
    }
}

/// Reads the bytes of a `timeseries.jsonl` as a crash or a full disk may have left them: a line
/// that is not UTF-8 (a character torn in two), not JSON (torn, or garbage) or not a record is
/// skipped and counted; blank lines are ignored. Never fails.
pub fn read(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = std::str::from_utf8(line)
            .map_err(|e| format!("not UTF-8 ({e})"))
            .and_then(|text| serde_json::from_str::<Record>(text).map_err(|e| e.to_string()));
        match record {
            Ok(record) => parsed.records.push(record),
            Err(why) => parsed.skipped.push((i + 1, why)),
        }
    }
    parsed
}

/// Reads `timeseries.jsonl` text strictly: a truncated last line (the run was killed
/// mid-write) is skipped; any other bad line is an error naming its number. For a folder's file,
/// which may be damaged, use [`read`].
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    let mut parsed = read(text.as_bytes());
    let last_line = text.split('\n').count();
    if !text.ends_with('\n') && parsed.skipped.last().is_some_and(|(line, _)| *line == last_line) {
        parsed.skipped.pop();
    }
    match parsed.skipped.first() {
        Some((line, why)) => Err(format!("timeseries.jsonl line {line}: {why}")),
        None => Ok(parsed.records),
    }
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
/// time series: every phase up to its last recorded sample. Only the records of the header's
/// run count: when the header has a run id, those after a [`RunStart`] with that id (a file
/// from another run, or from before run ids, gives no phases, and a note says so).
pub fn rebuild(mut header: Summary, records: &[Record]) -> Summary {
    let mut order: Vec<String> = Vec::new();
    let mut starts: BTreeMap<&str, &PhaseStart> = BTreeMap::new();
    let mut samples: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    let mut last_t: f64 = 0.0;
    // Folders written before run ids: every record is the header's.
    let mut ours = header.run_id.is_empty();
    let mut foreign = 0usize;
    for record in records {
        if let Record::Run(run) = record {
            ours = header.run_id.is_empty() || run.run_id == header.run_id;
            continue;
        }
        if !ours {
            foreign += 1;
            continue;
        }
        match record {
            Record::Run(_) => {}
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
    if foreign > 0 {
        header.notes.push(format!(
            "timeseries.jsonl: {foreign} record{} of another run (not run {}) left out",
            if foreign == 1 { "" } else { "s" },
            header.run_id
        ));
    }
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

    fn line(record: &Record) -> String {
        serde_json::to_string(record).expect("serialises")
    }

    #[test]
    fn read_skips_and_counts_torn_garbage_and_non_utf8_lines() {
        let good = line(&sample(1.0, 10, 10, false));
        let mut bytes = Vec::new();
        bytes.extend_from_slice(format!("{good}\n").as_bytes());
        bytes.extend_from_slice(b"garbage, not JSON\n");
        // A record whose text holds a two-byte character torn after its first byte.
        let mut torn_char =
            line(&Record::Phase(PhaseStart { phase: "caf\u{e9}".into(), ..PhaseStart::default() }))
                .into_bytes();
        let e_acute = torn_char.iter().position(|&b| b == 0xC3).expect("the é's first byte");
        torn_char.truncate(e_acute + 1);
        bytes.extend_from_slice(&torn_char);
        bytes.push(b'\n');
        bytes.extend_from_slice(b"\n"); // blank: ignored
        bytes.extend_from_slice(format!("{good}\n").as_bytes());
        bytes.extend_from_slice(&good.as_bytes()[..good.len() / 2]); // torn last line
        let parsed = read(&bytes);
        assert_eq!(parsed.records.len(), 2);
        let lines: Vec<usize> = parsed.skipped.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 3, 6]);
        assert!(parsed.skipped[1].1.contains("not UTF-8"), "{:?}", parsed.skipped);
        let note = parsed.note().expect("a note");
        assert!(note.starts_with("timeseries.jsonl: 3 damaged lines skipped (lines 2, 3, 6;"), "{note}");
        assert!(!note.contains('\n'));
        assert_eq!(read(format!("{good}\n").as_bytes()).note(), None);
    }

    #[test]
    fn rebuild_uses_only_the_records_of_the_headers_run() {
        let run = |id: &str| Record::Run(RunStart { run_id: id.into() });
        let phase = |name: &str| Record::Phase(PhaseStart { phase: name.into(), ..PhaseStart::default() });
        let header = Summary { run_id: "new".into(), ..Summary::default() };
        let records = vec![run("old"), phase("old-phase"), sample(1.0, 5, 5, true), run("new"), phase("p")];
        let s = rebuild(header.clone(), &records);
        assert_eq!(s.phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["p"]);
        assert!(s.notes[0].contains("2 records of another run"), "{:?}", s.notes);
        // A time series with no run record (or another run's only) gives nothing for this run.
        assert!(rebuild(header, &[phase("p"), sample(1.0, 5, 5, true)]).phases.is_empty());
        // A header from before run ids takes every record.
        assert_eq!(rebuild(Summary::default(), &[phase("p")]).phases.len(), 1);
    }

    fn interval(t_s: f64, interval_s: f64, requests: u64, last: bool) -> Sample {
        Sample {
            t_s,
            elapsed_s: t_s,
            last,
            interval_s,
            interval_requests: requests,
            interval_output_tokens: requests * 4,
            ..Sample::default()
        }
    }

    #[test]
    fn a_phases_short_first_and_last_intervals_are_folded_into_their_neighbours() {
        // 40 requests a second; the phase began 0.05 s before the first tick and ended 0.02 s
        // after the last: on their own those intervals would read 20/s and 50/s... or 0 and 100.
        let samples = [
            interval(1.0, 0.05, 1, false),
            interval(2.0, 1.0, 40, false),
            interval(3.0, 1.0, 40, false),
            interval(3.02, 0.02, 2, true),
        ];
        let refs: Vec<&Sample> = samples.iter().collect();
        let points = rates(&refs);
        assert_eq!(points.len(), 2, "{points:?}");
        assert_eq!(points[0].t_s, 2.0);
        assert!((points[0].requests_per_s - 41.0 / 1.05).abs() < 1e-9);
        assert_eq!(points[1].t_s, 3.02);
        assert!((points[1].requests_per_s - 42.0 / 1.02).abs() < 1e-9);
        assert!((points[1].output_tokens_per_s - 4.0 * 42.0 / 1.02).abs() < 1e-9);
        // One short interval alone (a phase shorter than the partial bound) is its own point.
        let alone = [interval(0.3, 0.3, 12, true)];
        assert_eq!(rates(&alone.iter().collect::<Vec<_>>()).len(), 1);
    }

    #[test]
    fn a_live_line_shows_the_phase_average_for_a_partial_or_last_interval() {
        let mut s = interval(3.02, 0.02, 2, false);
        s.requests = 122;
        s.elapsed_s = 3.0;
        assert!((s.requests_per_s() - 100.0).abs() < 1e-9, "the raw rate over 20 ms");
        assert!((s.steady_requests_per_s() - 122.0 / 3.0).abs() < 1e-9);
        let full = interval(2.0, 1.0, 40, false);
        assert!((full.steady_requests_per_s() - 40.0).abs() < 1e-9);
    }
}
