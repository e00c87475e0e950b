//! `breaking-point`: the highest concurrency a server sustains within its SLOs, found adaptively: raise
//! closed-loop concurrency geometrically until a phase breaks an SLO, then bisect between the
//! last good and the first bad level.
//!
//! Each level is a phase `level-<n>` tagged `concurrency=<n>` (one sweep row each); the SLOs are
//! read from the summary `load::run` returns. `drive` then records the counter
//! `sustainable_concurrency` and the check `found a breaking point` (the report's `drive` row).

use runner_sdk::{
    Context, Info, ParamKind, Phase, PhaseSummary, Scenario, llm, load, log, metrics, params, prompt,
};

struct BreakingPoint;

impl Scenario for BreakingPoint {
    fn describe() -> Info {
        Info::new(
            "breaking-point",
            env!("CARGO_PKG_VERSION"),
            "Closed-loop levels start, start×factor, … (phases level-<n>) until one breaks an SLO \
            (p95 TTFT, p95 ITL, error rate), then bisection between the last good and first bad \
            level. Result: counter sustainable_concurrency and check `found a breaking point` \
            (the report's drive row).",
        )
        .llm_params()
        .param("start", "4", "First concurrency level (VUs).")
        .typed_param(
            "factor",
            ParamKind::Number,
            "2",
            "Each level is the previous one times this (> 1), until an SLO breaks.",
        )
        .param("max_level", "1024", "Highest level tried; reaching it unbroken ends the search.")
        .param("step", "10s", "How long each level runs.")
        .param("bisect_steps", "3", "Levels tried between the last good and the first bad level.")
        .param("slo_ttft_p95", "500ms", "A level breaks when its p95 time to first token exceeds this.")
        .param("slo_itl_p95", "100ms", "A level breaks when its p95 inter-token latency exceeds this.")
        .param("slo_error_rate", "0.01", "A level breaks when its share of failed requests exceeds this.")
        .param("max_tokens", "256", "Tokens to generate per request.")
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
    }

    fn drive() -> Result<(), String> {
        let slo = Slo::from_params()?;
        let (start, factor, max_level) = (
            params::parse::<u32>("start")?,
            params::parse::<f64>("factor")?,
            params::parse::<u32>("max_level")?,
        );
        if start == 0 || start > max_level || !(factor > 1.0 && factor.is_finite()) {
            return Err("need 1 ≤ start ≤ max_level and factor > 1".into());
        }
        let step = params::duration("step")?;
        let run_level = |n: u32| -> Result<bool, String> {
            let s = load::run(Phase::constant_vus(&format!("level-{n}"), n, step).tag("concurrency", n))?;
            let broken = slo.broken_by(&s);
            log::info(&format!(
                "level {n}: ttft p95 {:.0} ms, itl p95 {:.1} ms, {}/{} errors → {}",
                s.ttft.p95_ms,
                s.itl.p95_ms,
                s.errors,
                s.requests,
                broken.as_deref().unwrap_or("ok")
            ));
            Ok(broken.is_none())
        };

        // Geometric search: `good` is the last level that met every SLO, `bad` the first that did not.
        let (mut good, mut bad) = (0u32, None);
        let mut level = start;
        loop {
            if !run_level(level)? {
                bad = Some(level);
                break;
            }
            good = level;
            if level >= max_level {
                break;
            }
            let next = (f64::from(level) * factor).ceil().min(f64::from(max_level)) as u32;
            level = next.max(level + 1);
        }
        if let Some(mut hi) = bad {
            for _ in 0..params::parse::<u32>("bisect_steps")? {
                let mid = good + (hi - good) / 2;
                if mid <= good {
                    break;
                }
                if run_level(mid)? { good = mid } else { hi = mid }
            }
            bad = Some(hi);
        }

        let bad_text = bad.map_or_else(|| format!("none up to {max_level}"), |b| b.to_string());
        log::info(&format!("sustainable concurrency: {good}; first level that broke an SLO: {bad_text}"));
        metrics::count("sustainable_concurrency", u64::from(good));
        metrics::check("found a breaking point", bad.is_some());
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        llm::chat(prompt).max_tokens(params::parse("max_tokens")?).llm_params()?.send()?;
        Ok(())
    }
}

/// The service-level objectives a level must meet, in milliseconds and as a share of requests.
struct Slo {
    ttft_p95_ms: f64,
    itl_p95_ms: f64,
    error_rate: f64,
}

impl Slo {
    fn from_params() -> Result<Self, String> {
        let ms = |name: &str| -> Result<f64, String> { Ok(params::duration(name)?.as_secs_f64() * 1_000.0) };
        Ok(Slo {
            ttft_p95_ms: ms("slo_ttft_p95")?,
            itl_p95_ms: ms("slo_itl_p95")?,
            error_rate: params::parse("slo_error_rate")?,
        })
    }

    /// Why the phase broke an SLO, or `None` when it met them all. A latency with no samples
    /// (TTFT and ITL without streaming) is not judged.
    fn broken_by(&self, s: &PhaseSummary) -> Option<String> {
        if s.requests == 0 {
            return Some("broken: no request finished".into());
        }
        let error_rate = s.errors as f64 / s.requests as f64;
        if error_rate > self.error_rate {
            return Some(format!("broken: error rate {error_rate:.3} > {}", self.error_rate));
        }
        if s.ttft.count > 0 && s.ttft.p95_ms > self.ttft_p95_ms {
            return Some(format!("broken: ttft p95 > {} ms", self.ttft_p95_ms));
        }
        if s.itl.count > 0 && s.itl.p95_ms > self.itl_p95_ms {
            return Some(format!("broken: itl p95 > {} ms", self.itl_p95_ms));
        }
        None
    }
}

runner_sdk::export_scenario!(BreakingPoint);
