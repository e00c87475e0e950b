//! `rate`: one open-loop phase at a constant arrival rate. Arrivals follow the plan, not the
//! server, so late and dropped starts are counted instead of hidden (no coordinated omission).

use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, llm, load, params, prompt};

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
        .param("arrival", "uniform", "Spacing of arrivals: uniform or poisson.")
        .param("max_tokens", "64", "Tokens to generate per request.")
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
    }

    fn drive() -> Result<(), String> {
        let phase = Phase::rate("rate", params::parse("rate")?, params::duration("duration")?)
            .max_vus(params::parse("max_vus")?);
        let phase = match params::get_or("arrival", "uniform").as_str() {
            "uniform" => phase,
            "poisson" => phase.poisson(),
            other => {
                return Err(format!("parameter `arrival`: {other:?} is not uniform or poisson"));
            }
        };
        load::run(phase)?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        llm::chat(prompt).max_tokens(params::parse("max_tokens")?).llm_params()?.send()?;
        Ok(())
    }
}

runner_sdk::export_scenario!(Rate);
