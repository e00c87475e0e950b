//! `ramp`: a closed-loop load whose VU count climbs from `start` to `peak`, holds, then falls
//! to zero, to find where latency starts to bend.

use runner_sdk::{Context, Info, Phase, Scenario, llm, load, params, prompt};

struct Ramp;

impl Scenario for Ramp {
    fn describe() -> Info {
        Info::new(
            "ramp",
            env!("CARGO_PKG_VERSION"),
            "Ramping VUs (phase `ramp`): from `start` \
            to `peak` over `up`, held for `hold`, then down to 0 over `down`.",
        )
        .llm_params()
        .param("start", "1", "VUs at the beginning.")
        .param("peak", "32", "VUs at the top of the ramp.")
        .param("up", "30s", "Time to climb from start to peak.")
        .param("hold", "30s", "Time held at peak.")
        .param("down", "10s", "Time to fall from peak to 0.")
        .param("max_tokens", "64", "Tokens to generate per request.")
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
    }

    fn drive() -> Result<(), String> {
        let peak: u32 = params::parse("peak")?;
        let stages = [
            (params::duration("up")?, peak),
            (params::duration("hold")?, peak),
            (params::duration("down")?, 0),
        ];
        load::run(Phase::ramp("ramp", params::parse("start")?, &stages))?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        llm::chat(prompt).max_tokens(params::parse("max_tokens")?).llm_params()?.send()?;
        Ok(())
    }
}

runner_sdk::export_scenario!(Ramp);
