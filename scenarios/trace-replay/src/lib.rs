//! `trace-replay`: replays a production trace handed to the run (`--data trace=FILE`: Mooncake
//! JSONL, Azure LLM inference CSV or BurstGPT CSV) at its recorded arrival times. Request `i`
//! starts at row `i`'s offset from the first row (divided by `speedup`), whatever the server does:
//! a start the client could not make on time is late, and its lateness (dispatch lag) is measured
//! from the recorded instant, so a slow server cannot hide behind fewer requests. Each request
//! has the row's input length (exact with `--tokenizer`; rows sharing Mooncake `hash_ids` share
//! their prefix blocks) and asks for the row's output length.

use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, data, llm, load, log, params};

struct TraceReplay;

impl Scenario for TraceReplay {
    fn describe() -> Info {
        Info::new(
            "trace-replay",
            env!("CARGO_PKG_VERSION"),
            "Replays a trace (--data trace=FILE: Mooncake JSONL, Azure or BurstGPT CSV) at its recorded \
             arrival times (times `speedup`), each request with the row's input and output lengths; \
             lateness is measured from the recorded instant.",
        )
        .author("runner authors")
        .llm_params()
        .typed_param("dataset", ParamKind::Text, "trace", "Name of the --data trace to replay.")
        .typed_param("speedup", ParamKind::Number, "1", "Replay this many times faster than recorded.")
        .param("requests", "0", "Replay only the first N rows; 0 replays the whole trace.")
        .param(
            "max_vus",
            "1000",
            "Most requests in flight; a start that finds none free is dropped and counted.",
        )
        .param("max_tokens", "0", "Tokens to generate; 0 takes each row's recorded output length.")
        .threshold("errors:rate<0.01")
        .threshold("dispatch_lag:p99<100")
    }

    fn drive() -> Result<(), String> {
        let dataset = params::get_or("dataset", "trace");
        let speedup: f64 = params::parse("speedup")?;
        if !(speedup.is_finite() && speedup > 0.0) {
            return Err(format!("speedup must be a positive number, not {speedup}"));
        }
        let mut offsets = data::arrival_offsets(&dataset)?;
        if let n @ 1.. = params::parse::<usize>("requests")? {
            offsets.truncate(n);
        }
        let span_s = offsets.last().copied().unwrap_or(0.0) / speedup / 1000.0;
        log::info(&format!("replaying {} requests over {span_s:.1} s (speedup {speedup})", offsets.len()));
        let phase = Phase::scheduled_ms("trace", &offsets, speedup)
            .max_vus(params::parse("max_vus")?)
            .tag("dataset", &dataset)
            .tag("speedup", speedup);
        let s = load::run(phase)?;
        log::info(&format!(
            "{} of {} sent ({} dropped), {} errors, {:.1} output tok/s",
            s.requests,
            offsets.len(),
            s.dropped_iterations,
            s.errors,
            s.output_tokens_per_second
        ));
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let dataset = params::get_or("dataset", "trace");
        let mut req = llm::chat_from_dataset(&dataset, ctx.iteration).llm_params()?;
        if let n @ 1.. = params::parse::<u32>("max_tokens")? {
            req = req.max_tokens(n);
        }
        req.send()?;
        Ok(())
    }
}

runner_sdk::export_scenario!(TraceReplay);
