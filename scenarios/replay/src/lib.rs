//! `replay`: sends the prompts of a dataset handed to the run (`--data prompts=FILE`, JSONL or
//! ShareGPT), in order, at a fixed concurrency or, with `rate`, at a fixed request rate — what
//! vLLM's `benchmark_serving` does with ShareGPT. The host fills each prompt in from the dataset
//! it holds, so long conversations never cross into the guest.

use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, data, llm, load, log, params};

struct Replay;

impl Scenario for Replay {
    fn describe() -> Info {
        Info::new(
            "replay",
            env!("CARGO_PKG_VERSION"),
            "Replays a dataset's prompts (--data prompts=FILE: JSONL of prompts or ShareGPT \
             conversations) at a fixed concurrency, or at a fixed request rate with `rate`.",
        )
        .author("runner authors")
        .llm_params()
        .typed_param("dataset", ParamKind::Text, "prompts", "Name of the --data dataset to replay.")
        .param("requests", "0", "Requests in all; 0 sends every row once.")
        .param("vus", "8", "Concurrent VUs (closed loop), when rate is 0.")
        .typed_param(
            "rate",
            ParamKind::Number,
            "0",
            "Requests per second (open loop); 0 means closed loop on `vus`.",
        )
        .param("max_tokens", "0", "Tokens to generate; 0 takes each row's answer length when it has one.")
        .threshold("errors:rate<0.01")
    }

    fn drive() -> Result<(), String> {
        let dataset = params::get_or("dataset", "prompts");
        let rows = data::len(&dataset)?;
        let requests = match params::parse::<u64>("requests")? {
            0 => rows,
            n => n,
        };
        let rate: f64 = params::parse("rate")?;
        let phase = if rate > 0.0 {
            let secs = requests as f64 / rate;
            Phase::rate("replay", rate, std::time::Duration::from_secs_f64(secs))
                .max_vus(params::parse("vus")?)
        } else {
            Phase::shared("replay", params::parse("vus")?, requests)
        };
        let s = load::run(phase.tag("dataset", &dataset))?;
        log::info(&format!(
            "{} of {rows} rows sent: {} errors, {:.1} output tok/s",
            s.requests, s.errors, s.output_tokens_per_second
        ));
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let dataset = params::get_or("dataset", "prompts");
        let mut req = llm::chat_from_dataset(&dataset, ctx.iteration).llm_params()?;
        if let n @ 1.. = params::parse::<u32>("max_tokens")? {
            req = req.max_tokens(n);
        }
        req.send()?;
        Ok(())
    }
}

runner_sdk::export_scenario!(Replay);
