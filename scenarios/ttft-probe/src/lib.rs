//! `ttft-probe`: the streaming UX probe: a few sequential chat requests, one at a time, so
//! TTFT, ITL and TPOT are measured without queueing (the host records the timings).

use runner_sdk::{Context, Info, Phase, Scenario, llm, load, params, prompt};

struct TtftProbe;

impl Scenario for TtftProbe {
    fn describe() -> Info {
        Info::new(
            "ttft-probe",
            env!("CARGO_PKG_VERSION"),
            "Streaming UX probe: sequential chat \
            requests measuring time to first token, inter-token latency and time per output token.",
        )
        .llm_params()
        .param("requests", "20", "Requests per VU, sent one after another.")
        .param("vus", "1", "Concurrent VUs (1 = an unloaded server).")
        .param("max_tokens", "64", "Tokens to generate per request.")
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
    }

    fn drive() -> Result<(), String> {
        let phase = Phase::iterations("ttft-probe", params::parse("vus")?, params::parse("requests")?);
        load::run(phase)?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let max_tokens: u32 = params::parse("max_tokens")?;
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        let done = llm::chat(prompt).max_tokens(max_tokens).llm_params()?.send()?;
        llm::check_length(&done, max_tokens);
        Ok(())
    }
}

runner_sdk::export_scenario!(TtftProbe);
