//! `burst`: spikes of simultaneous requests with idle gaps between them, to see how a server
//! queues a sudden load and recovers.

use runner_sdk::{Context, Info, Phase, Scenario, llm, load, params, prompt};

struct Burst;

impl Scenario for Burst {
    fn describe() -> Info {
        Info::new(
            "burst",
            env!("CARGO_PKG_VERSION"),
            "Bursts of requests started at the same \
            instant (phases burst-1, burst-2, …) separated by idle gaps (gap-1, …).",
        )
        .llm_params()
        .param("bursts", "3", "How many bursts.")
        .param("size", "50", "Requests started at once in each burst.")
        .param("gap", "5s", "Idle time between two bursts.")
        .param("max_tokens", "64", "Tokens to generate per request.")
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
    }

    fn drive() -> Result<(), String> {
        let (bursts, size): (u32, u32) = (params::parse("bursts")?, params::parse("size")?);
        let gap = params::duration("gap")?;
        for i in 1..=bursts {
            if i > 1 {
                load::run(Phase::pause(&format!("gap-{}", i - 1), gap))?;
            }
            load::run(Phase::burst(&format!("burst-{i}"), size).tag("burst", i))?;
        }
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        llm::chat(prompt).max_tokens(params::parse("max_tokens")?).llm_params()?.send()?;
        Ok(())
    }
}

runner_sdk::export_scenario!(Burst);
