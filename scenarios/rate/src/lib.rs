//! `rate`: one open-loop phase at a constant arrival rate. Arrivals follow the plan, not the
//! server, so late and dropped starts are counted instead of hidden (no coordinated omission).

use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, lengths, llm, load, params, prompt};

struct Rate;

impl Scenario for Rate {
    fn describe() -> Info {
        Info::new(
            "rate",
            env!("CARGO_PKG_VERSION"),
            "Constant arrival rate (phase `rate`): \
            `rate` requests started per second for `duration`, on at most `max_vus` VUs.",
        )
        .llm_params()
        .typed_param("rate", ParamKind::Number, "10", "Requests started per second.")
        .param("duration", "10s", "How long the phase runs.")
        .param("max_vus", "100", "VU cap; an arrival finding no free VU is dropped and counted.")
        .param("arrival", "uniform", "Spacing of arrivals: uniform, poisson or gamma (see burstiness).")
        .typed_param(
            "burstiness",
            ParamKind::Number,
            "1",
            "Gamma arrivals' shape (vLLM's --burstiness): 1 is Poisson, below 1 burstier; used with arrival=gamma.",
        )
        .typed_param(
            "max_tokens",
            ParamKind::Text,
            "64",
            "Tokens to generate per request: 64, 32..128, normal(64,16) or dataset:NAME.",
        )
        .typed_param(
            "prompt_tokens",
            ParamKind::Text,
            "32",
            "Length of the synthetic prompt in tokens (≈ words), as max_tokens.",
        )
    }

    fn drive() -> Result<(), String> {
        let phase = Phase::rate("rate", params::parse("rate")?, params::duration("duration")?)
            .max_vus(params::parse("max_vus")?);
        let phase = match params::get_or("arrival", "uniform").as_str() {
            "uniform" => phase,
            "poisson" => phase.poisson(),
            "gamma" => phase.burstiness(params::parse("burstiness")?),
            other => {
                return Err(format!("parameter `arrival`: {other:?} is not uniform, poisson or gamma"));
            }
        };
        load::run(phase)?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let seed = ctx.seed(params::seed());
        let prompt = prompt::synthetic(lengths::draw(&lengths::param("prompt_tokens")?, seed)?, seed);
        let max_tokens = lengths::draw(&lengths::param("max_tokens")?, prompt::mix(seed))?;
        llm::chat(prompt).max_tokens(max_tokens).llm_params()?.send()?;
        Ok(())
    }
}

runner_sdk::export_scenario!(Rate);
