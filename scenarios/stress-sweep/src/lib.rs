//! `stress-sweep`: breaking-point sweeps: for each output length, closed-loop
//! constant-VU phases at each concurrency level, one report row per phase.
//!
//! Phases are named `len<max_tokens>-c<concurrency>` (e.g. `len64-c20`, `len256-c64`) and tagged
//! `concurrency=<n>` and `max_tokens=<n>`, so reports can group rows into one table per length.

use runner_sdk::{Context, Info, Phase, Scenario, llm, load, log, params, prompt};

struct StressSweep;

impl Scenario for StressSweep {
    fn describe() -> Info {
        Info::new(
            "stress-sweep",
            env!("CARGO_PKG_VERSION"),
            "Concurrency sweeps (closed loop): \
            one phase per level, repeated for each output length; phases named len<tokens>-c<level>.",
        )
        .llm_params()
        .param("levels", "20,24,32,48,64", "Concurrency levels (VUs), comma-separated, run in order.")
        .param("lengths", "64,256", "Output lengths (max_tokens), one sweep each, comma-separated.")
        .param("duration", "30s", "How long each level runs (e.g. 30s, 2m).")
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
    }

    fn drive() -> Result<(), String> {
        let levels: Vec<u32> = params::list("levels")?;
        let duration = params::duration("duration")?;
        for len in params::list::<u32>("lengths")? {
            let rows = load::sweep(levels.iter().copied(), |c| {
                Phase::constant_vus(&format!("len{len}-c{c}"), c, duration)
                    .tag("concurrency", c)
                    .tag("max_tokens", len)
            })?;
            for row in rows {
                log::info(&format!(
                    "{}: {:.2} req/s, e2e p95 {:.0} ms, {} errors",
                    row.name, row.requests_per_second, row.e2e.p95_ms, row.errors
                ));
            }
        }
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let max_tokens: u32 = ctx.tag_parse("max_tokens")?;
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        let done = llm::chat(prompt).max_tokens(max_tokens).llm_params()?.send()?;
        llm::check_length(&done, max_tokens);
        Ok(())
    }
}

runner_sdk::export_scenario!(StressSweep);
