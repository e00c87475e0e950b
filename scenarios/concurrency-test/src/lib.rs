//! `concurrency-test`: a concurrency load test: a pool of `vus` clients
//! working through `requests` generations of `max_tokens` tokens, for the latency distribution
//! (mean, median, std dev, p50/p95/p99) and aggregate tokens/s under that concurrency.
//!
//! One phase, `concurrency-test`, tagged `concurrency=<vus>`: the report's end-to-end latency
//! table is the test's result table. Each request checks it got all `max_tokens` tokens and records its
//! per-token step latency as the custom trend `tpot_ms`.

use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, llm, load, log, metrics, params, prompt};

struct ConcurrencyTest;

impl Scenario for ConcurrencyTest {
    fn describe() -> Info {
        Info::new(
            "concurrency-test",
            env!("CARGO_PKG_VERSION"),
            "A pool of `vus` clients shares `requests` generations of `max_tokens` tokens (one phase, \
            closed loop): E2E mean, median, std dev, p50/p95/p99 and aggregate tokens/s. \
            Declares its success criteria as thresholds (exit 99 when one fails): \
            tpot p95 < `tpot_p95`, tpot p99 < `tpot_p99`, error rate <= `max_error_rate`.",
        )
        .llm_params()
        .param("vus", "12", "Concurrent clients (VUs) sharing the requests.")
        .param("requests", "10000", "Requests in total, taken by whichever VU is free.")
        .param(
            "max_tokens",
            "256",
            "Tokens to generate per request (add {\"ignore_eos\":true} to extra_body to force them).",
        )
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
        .param("max_duration", "2h", "Stops the phase after this long even if requests remain.")
        .param("tpot_p95", "50ms", "Success criterion: p95 time per output token below this.")
        .param("tpot_p99", "100ms", "Success criterion: p99 time per output token below this.")
        .typed_param(
            "max_error_rate",
            ParamKind::Number,
            "0",
            "Success criterion: share of failed requests at most this (0…1).",
        )
    }

    fn drive() -> Result<(), String> {
        metrics::threshold(&format!("tpot:p95<{}", params::get_or("tpot_p95", "50ms")))?;
        metrics::threshold(&format!("tpot:p99<{}", params::get_or("tpot_p99", "100ms")))?;
        metrics::threshold(&format!("errors:rate<={}", params::get_or("max_error_rate", "0")))?;
        let vus: u32 = params::parse("vus")?;
        let requests: u64 = params::parse("requests")?;
        let phase = Phase::shared("concurrency-test", vus, requests)
            .max_duration(params::duration("max_duration")?)
            .tag("concurrency", vus);
        let s = load::run(phase)?;
        log::info(&format!(
            "{} requests on {vus} VUs: e2e mean {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; {:.1} tok/s; {} errors",
            s.requests, s.e2e.mean_ms, s.e2e.p95_ms, s.e2e.p99_ms, s.output_tokens_per_second, s.errors
        ));
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let max_tokens: u32 = params::parse("max_tokens")?;
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        let done = llm::chat(prompt).max_tokens(max_tokens).llm_params()?.send()?;
        llm::check_length(&done, max_tokens);
        // The "per token" latency: time per output token after the first.
        if let Some(tpot) = done.tpot_ms {
            metrics::trend("tpot_ms", tpot);
        }
        Ok(())
    }
}

runner_sdk::export_scenario!(ConcurrencyTest);
