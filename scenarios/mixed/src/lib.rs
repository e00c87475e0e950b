//! `mixed`: short and long requests side by side: short ones arrive at a fixed rate (open loop)
//! while long ones keep a fixed number of VUs busy (closed loop), both for the same duration.

use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, llm, load, params, prompt};

struct Mixed;

impl Scenario for Mixed {
    fn describe() -> Info {
        Info::new(
            "mixed",
            env!("CARGO_PKG_VERSION"),
            "Short traffic at a fixed arrival rate \
            (phase `short`) beside long traffic on a fixed number of VUs (phase `long`).",
        )
        .llm_params()
        .param("duration", "30s", "How long both phases run.")
        .typed_param("short_rate", ParamKind::Number, "5", "Short requests started per second (open loop).")
        .param("short_tokens", "64", "max_tokens of a short request.")
        .param("max_vus", "100", "VU cap of the short phase; arrivals finding none free are dropped.")
        .param("long_vus", "4", "VUs sending long requests back to back (closed loop).")
        .param("long_tokens", "256", "max_tokens of a long request.")
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
    }

    fn drive() -> Result<(), String> {
        let duration = params::duration("duration")?;
        let short = Phase::rate("short", params::parse("short_rate")?, duration)
            .max_vus(params::parse("max_vus")?)
            .tag("max_tokens", params::parse::<u32>("short_tokens")?);
        let long = Phase::constant_vus("long", params::parse("long_vus")?, duration)
            .tag("max_tokens", params::parse::<u32>("long_tokens")?);
        let (short, long) = (load::start(short)?, load::start(long)?);
        // Wait for both even if one failed, so neither is left running unobserved.
        let (short, long) = (short.wait(), long.wait());
        short?;
        long?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        llm::chat(prompt).max_tokens(ctx.tag_parse("max_tokens")?).llm_params()?.send()?;
        Ok(())
    }
}

runner_sdk::export_scenario!(Mixed);
