//! `runner report DIR --format vllm`: a phase of a run as the JSON `vllm bench serve
//! --save-result` writes (formerly `benchmarks/benchmark_serving.py`), so dashboards and scripts
//! built on vLLM's result files read runner's results unchanged.
//!
//! vLLM's file holds one benchmark; a run holds several phases. [`select`] picks the phase(s):
//! the one named, every phase (a JSON array of one object each), or by default the run's only
//! phase that sent requests, refusing a run with several in one line that lists them.
//!
//! The mapping, field by field, and every definition that differs from vLLM's are in
//! docs/OUTPUTS.md ("vllm.json"). In short: vLLM's `itl` is the gap between streamed chunks,
//! which is runner's `chunk_gap` (runner's own `itl` is a per-token estimate); percentiles come
//! from runner's histograms (3 significant digits), not numpy's interpolation; per-request
//! arrays (`ttfts`, `input_lens`, …) are left out, as vLLM leaves them out without
//! `--save-detailed`; a metric without samples is 0, as vLLM writes it.

use serde_json::{Map, Value, json};

use crate::model::{Distribution, PhaseReport, Summary, metric};

/// Why no vLLM result could be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VllmError {
    /// The run has no phase that sent a request.
    #[error("the run has no phase that sent requests: nothing to write as a vLLM result")]
    NoPhase,
    /// Several phases sent requests and none was named.
    #[error("the run has {} phases ({}): give --phase NAME for one, or --phase all for a JSON array", .0.len(), .0.join(", "))]
    Several(Vec<String>),
    /// The phase named is not in the run.
    #[error("the run has no phase {name:?}; its phases: {}", if .phases.is_empty() { "none".to_string() } else { .phases.join(", ") })]
    Unknown {
        /// The name given.
        name: String,
        /// The run's phases.
        phases: Vec<String>,
    },
}

/// Which phases to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PhaseChoice {
    /// The run's one phase that sent requests; refused when there are several.
    #[default]
    Only,
    /// The phase of this name (`--phase NAME`).
    Named(String),
    /// Every phase, as a JSON array (`--phase all`).
    All,
}

impl PhaseChoice {
    /// `--phase`'s value: `all`, or a phase's name.
    pub fn parse(value: &str) -> PhaseChoice {
        if value == "all" { PhaseChoice::All } else { PhaseChoice::Named(value.to_string()) }
    }
}

/// The phases `choice` picks, in run order.
pub fn select<'a>(summary: &'a Summary, choice: &PhaseChoice) -> Result<Vec<&'a PhaseReport>, VllmError> {
    let names = || summary.phases.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    match choice {
        PhaseChoice::Named(name) => match summary.phases.iter().find(|p| &p.name == name) {
            Some(p) => Ok(vec![p]),
            None => Err(VllmError::Unknown { name: name.clone(), phases: names() }),
        },
        PhaseChoice::All if summary.phases.is_empty() => Err(VllmError::NoPhase),
        PhaseChoice::All => Ok(summary.phases.iter().collect()),
        PhaseChoice::Only => {
            let sent: Vec<&PhaseReport> = summary.phases.iter().filter(|p| p.requests > 0).collect();
            match sent.as_slice() {
                [] => Err(VllmError::NoPhase),
                [one] => Ok(vec![*one]),
                _ => Err(VllmError::Several(sent.iter().map(|p| p.name.clone()).collect())),
            }
        }
    }
}

/// The file's text: one result object, or with [`PhaseChoice::All`] an array of them.
pub fn render_vllm(summary: &Summary, choice: &PhaseChoice) -> Result<String, VllmError> {
    let phases = select(summary, choice)?;
    let value = match choice {
        PhaseChoice::All => Value::Array(phases.iter().map(|p| Value::Object(result(summary, p))).collect()),
        _ => Value::Object(result(summary, phases[0])),
    };
    // A Value always serializes (non-finite floats have been turned into null).
    Ok(serde_json::to_string_pretty(&value).unwrap_or_default() + "\n")
}

/// A statistic of a distribution, by which it is read.
type Stat = fn(&Distribution) -> f64;

/// The percentiles written for every latency, as `vllm bench serve --metric-percentiles
/// 50,90,95,99` would (vLLM's default is `99` alone): the ones runner's summary holds.
const PERCENTILES: [(&str, Stat); 4] =
    [("50", |d| d.p50), ("90", |d| d.p90), ("95", |d| d.p95), ("99", |d| d.p99)];

/// vLLM's latency names and the runner metrics behind them.
const LATENCIES: [(&str, &str); 4] =
    [("ttft", metric::TTFT), ("tpot", metric::TPOT), ("itl", metric::CHUNK_GAP), ("e2el", metric::E2E)];

/// One phase as one vLLM result object.
pub fn result(summary: &Summary, p: &PhaseReport) -> Map<String, Value> {
    let mut out = Map::new();
    // Setup, as vLLM writes it before the results.
    out.insert("date".into(), json!(date(summary, p)));
    out.insert("endpoint_type".into(), json!("runner"));
    out.insert("backend".into(), json!("runner"));
    out.insert("label".into(), summary.labels.get("label").map_or(Value::Null, |l| json!(l)));
    let model = summary.model.as_ref().map(|m| m.name.clone()).or_else(|| {
        let listed = summary.server.as_ref().map(|s| s.models.as_slice()).unwrap_or_default();
        (listed.len() == 1).then(|| listed[0].clone())
    });
    out.insert("model_id".into(), json!(model));
    out.insert("tokenizer_id".into(), Value::Null);
    out.insert("num_prompts".into(), json!(p.requests));
    // Labels are vLLM's `--metadata KEY=VALUE`: top-level keys, after the setup (which they may
    // replace, as vLLM's do) and before the results (which replace them).
    for (k, v) in &summary.labels {
        out.insert(k.clone(), json!(v));
    }
    out.insert("request_rate".into(), p.target_rate.map_or(json!("inf"), |r| json!(r)));
    out.insert("burstiness".into(), burstiness(p).map_or(Value::Null, |b| json!(b)));
    out.insert("max_concurrency".into(), json!(p.concurrency));
    // Results.
    let completed = p.requests.saturating_sub(p.errors);
    let per_s = |n: u64| if p.duration_s > 0.0 { n as f64 / p.duration_s } else { 0.0 };
    out.insert("duration".into(), json!(finite(p.duration_s)));
    out.insert("completed".into(), json!(completed));
    out.insert("failed".into(), json!(p.errors));
    out.insert("total_input_tokens".into(), json!(p.input_tokens));
    out.insert("total_output_tokens".into(), json!(p.output_tokens));
    out.insert("request_throughput".into(), json!(finite(per_s(completed))));
    out.insert("request_goodput".into(), p.goodput.as_ref().map_or(Value::Null, |g| json!(finite(g.per_s))));
    out.insert("output_throughput".into(), json!(finite(per_s(p.output_tokens))));
    out.insert("total_token_throughput".into(), json!(finite(per_s(p.input_tokens + p.output_tokens))));
    for (name, key) in LATENCIES {
        // vLLM writes 0 for a metric without samples (numpy over `[] or 0`).
        let d = p.metric(key).copied().unwrap_or_default();
        out.insert(format!("mean_{name}_ms"), json!(finite(d.mean)));
        out.insert(format!("median_{name}_ms"), json!(finite(d.p50)));
        out.insert(format!("std_{name}_ms"), json!(finite(d.stddev)));
        for (pct, stat) in PERCENTILES {
            out.insert(format!("p{pct}_{name}_ms"), json!(finite(stat(&d))));
        }
    }
    // Where the numbers came from, beside vLLM's keys (readers ignore keys they do not know).
    out.insert("runner_version".into(), json!(summary.runner_version));
    out.insert("runner_run_id".into(), json!(summary.run_id));
    out.insert("runner_scenario".into(), json!(summary.scenario.name));
    out.insert("runner_phase".into(), json!(p.name));
    out
}

/// A non-finite number (which the host never writes) as 0, so the field keeps its type.
fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// When the phase started, as vLLM's `date` (`%Y%m%d-%H%M%S`; vLLM's is local time, this is UTC);
/// empty when the summary's start cannot be read.
fn date(summary: &Summary, p: &PhaseReport) -> String {
    let Ok(start) = humantime::parse_rfc3339_weak(&summary.started_at) else { return String::new() };
    let at = start + std::time::Duration::from_secs_f64(p.start_s.max(0.0));
    // "2026-01-02T03:04:05Z" → "20260102-030405".
    let text = humantime::format_rfc3339_seconds(at).to_string();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 14 { String::new() } else { format!("{}-{}", &digits[..8], &digits[8..14]) }
}

/// vLLM's burstiness (the gamma shape of the arrival gaps) from the phase's plan: 1 for Poisson
/// arrivals and for a closed-loop phase (vLLM's default, which it writes whatever the rate), the
/// shape for gamma arrivals, `None` for evenly spaced ones (which vLLM cannot express). The
/// summary keeps the arrival process only in the plan's words (`load/plan.rs`, `Gaps::describe`).
fn burstiness(p: &PhaseReport) -> Option<f64> {
    if p.target_rate.is_none() {
        return Some(1.0);
    }
    if let Some(rest) = p.plan.split("gamma, burstiness ").nth(1) {
        let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        return number.parse().ok();
    }
    p.plan.contains("poisson").then_some(1.0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{Goodput, ModelSource, RunModel};

    fn dist(count: u64, mean: f64) -> Distribution {
        Distribution {
            count,
            mean,
            stddev: 2.0,
            min: mean - 5.0,
            p50: mean - 1.0,
            p90: mean + 1.0,
            p95: mean + 2.0,
            p99: mean + 3.0,
            max: mean + 4.0,
        }
    }

    fn phase(name: &str, requests: u64) -> PhaseReport {
        PhaseReport { name: name.into(), requests, ..PhaseReport::default() }
    }

    fn known() -> Summary {
        let p = PhaseReport {
            target_rate: Some(4.0),
            plan: "4 req/s for 10s (gamma, burstiness 0.5), max 50 VUs".into(),
            start_s: 2.5,
            duration_s: 10.0,
            errors: 2,
            input_tokens: 3000,
            output_tokens: 1200,
            goodput: Some(Goodput { slo: "ttft<=100ms".into(), good_requests: 30, share: 0.75, per_s: 3.0 }),
            metrics: BTreeMap::from([
                (metric::TTFT.into(), dist(38, 50.0)),
                (metric::TPOT.into(), dist(38, 10.0)),
                (metric::CHUNK_GAP.into(), dist(1100, 9.5)),
                (metric::ITL.into(), dist(1100, 99.0)),
                (metric::E2E.into(), dist(38, 400.0)),
            ]),
            ..phase("steady", 40)
        };
        Summary {
            run_id: "r1".into(),
            runner_version: "9.9.9".into(),
            started_at: "2026-03-04T05:06:07.123456Z".into(),
            model: Some(RunModel { name: "m".into(), source: ModelSource::Flag }),
            labels: BTreeMap::from([
                ("gpu".into(), "h100".into()),
                ("completed".into(), "not a result".into()),
            ]),
            phases: vec![p, phase("idle", 0)],
            ..Summary::default()
        }
    }

    fn object(text: &str) -> Map<String, Value> {
        match serde_json::from_str(text).expect("JSON") {
            Value::Object(o) => o,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn a_known_phase_maps_onto_vllms_fields_with_vllms_types() {
        let o = object(&render_vllm(&known(), &PhaseChoice::Only).expect("one phase sent requests"));
        assert_eq!(o["date"], "20260304-050609");
        assert_eq!(o["backend"], "runner");
        assert_eq!(o["model_id"], "m");
        assert_eq!(o["tokenizer_id"], Value::Null);
        assert_eq!(o["label"], Value::Null);
        assert_eq!(o["num_prompts"], 40);
        assert_eq!(o["request_rate"], 4.0);
        assert_eq!(o["burstiness"], 0.5);
        assert_eq!(o["max_concurrency"], Value::Null);
        assert_eq!(o["duration"], 10.0);
        // A label may not replace a result, as vLLM's --metadata may not.
        assert_eq!(o["completed"], 38);
        assert_eq!(o["gpu"], "h100");
        assert_eq!(o["failed"], 2);
        assert_eq!(o["total_input_tokens"], 3000);
        assert_eq!(o["total_output_tokens"], 1200);
        assert_eq!(o["request_throughput"], 3.8);
        assert_eq!(o["request_goodput"], 3.0);
        assert_eq!(o["output_throughput"], 120.0);
        assert_eq!(o["total_token_throughput"], 420.0);
        assert_eq!(o["mean_ttft_ms"], 50.0);
        assert_eq!(o["median_ttft_ms"], 49.0);
        assert_eq!(o["std_ttft_ms"], 2.0);
        assert_eq!(o["p99_ttft_ms"], 53.0);
        assert_eq!(o["p90_tpot_ms"], 11.0);
        // vLLM's ITL is the gap between chunks: runner's chunk_gap, not its per-token itl.
        assert_eq!(o["mean_itl_ms"], 9.5);
        assert_eq!(o["p95_e2el_ms"], 402.0);
        assert_eq!(o["runner_phase"], "steady");
        for (k, v) in &o {
            if k.ends_with("_ms") || k.ends_with("_throughput") {
                assert!(v.is_f64(), "{k} is a float in vLLM's file: {v}");
            }
        }
    }

    #[test]
    fn a_phase_without_samples_writes_zeros_and_a_closed_loop_rate_is_inf() {
        let mut s = known();
        s.phases[0] =
            PhaseReport { concurrency: Some(8), plan: "8 VUs for 10s".into(), ..phase("closed", 5) };
        let o = object(&render_vllm(&s, &PhaseChoice::Named("closed".into())).expect("named"));
        assert_eq!(o["request_rate"], "inf");
        assert_eq!(o["max_concurrency"], 8);
        assert_eq!(o["burstiness"], 1.0);
        assert_eq!(o["mean_ttft_ms"], 0.0);
        assert_eq!(o["request_goodput"], Value::Null);
        // No duration: no rate, rather than an infinite one.
        assert_eq!(o["request_throughput"], 0.0);
    }

    #[test]
    fn several_phases_need_a_choice_and_all_gives_an_array() {
        let mut s = known();
        s.phases[1].requests = 3;
        let err = render_vllm(&s, &PhaseChoice::Only).expect_err("two phases sent requests");
        assert_eq!(
            err.to_string(),
            "the run has 2 phases (steady, idle): give --phase NAME for one, or --phase all for a JSON array"
        );
        let unknown = render_vllm(&s, &PhaseChoice::parse("nope")).expect_err("no such phase");
        assert!(unknown.to_string().contains("steady, idle"), "{unknown}");
        let all: Vec<Value> =
            serde_json::from_str(&render_vllm(&s, &PhaseChoice::parse("all")).expect("all"))
                .expect("an array");
        let names: Vec<&str> = all.iter().map(|o| o["runner_phase"].as_str().unwrap_or_default()).collect();
        assert_eq!(names, ["steady", "idle"]);
        assert_eq!(render_vllm(&Summary::default(), &PhaseChoice::Only), Err(VllmError::NoPhase));
    }
}
