//! Test fixture `misbehaving`: a scenario that misbehaves on demand, for the host's reliability
//! tests. Each iteration reads the phase tag `mode`:
//! `panic` panics (a trap), `loop` spins forever without yielding (needs epoch interruption),
//! `fail` returns an error, `sleep` sleeps `sleep` through the clock import, `log-flood` logs
//! `lines` warnings in a tight loop, `ok` makes one LLM call. `drive` runs one phase tagged with the `mode` parameter, unless `drive_mode` makes
//! `drive` itself panic, loop or fail.

use runner_sdk::{Context, Info, Phase, Scenario, clock, llm, load, log, metrics, params};

struct Misbehaving;

fn misbehave(mode: &str, what: &str) -> Result<(), String> {
    match mode {
        "panic" => panic!("misbehaving: {what} panics on purpose"),
        "loop" => loop {
            // black_box keeps the optimiser from proving the loop empty.
            std::hint::black_box(());
        },
        "fail" => Err(format!("misbehaving: {what} fails on purpose")),
        _ => Ok(()),
    }
}

impl Scenario for Misbehaving {
    fn describe() -> Info {
        Info::new(
            "misbehaving",
            env!("CARGO_PKG_VERSION"),
            "Test fixture: iterations panic, \
            loop, fail, sleep or succeed according to the phase tag `mode`.",
        )
        .llm_params()
        .param(
            "mode",
            "ok",
            "Iteration behaviour: ok, panic, loop, fail, sleep, alloc, log-flood, clock or metric-flood.",
        )
        .param("drive_mode", "run", "drive behaviour: run (one phase), panic, loop or fail.")
        .param("vus", "1", "VUs of the phase.")
        .param("iterations", "1", "Iterations per VU.")
        .param("sleep", "100ms", "How long a `sleep` iteration sleeps.")
        .param("alloc_mib", "128", "How many MiB an `alloc` iteration allocates and touches.")
        .param("lines", "100000", "How many lines a `log-flood` iteration logs.")
    }

    fn drive() -> Result<(), String> {
        misbehave(&params::get_or("drive_mode", "run"), "drive")?;
        let phase = Phase::iterations("misbehaving", params::parse("vus")?, params::parse("iterations")?)
            .tag("mode", params::get_or("mode", "ok"));
        load::run(phase)?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        match ctx.tag("mode").unwrap_or("ok") {
            "ok" => {
                llm::chat("Say hello.").max_tokens(8).send()?;
                Ok(())
            }
            "sleep" => {
                clock::sleep(params::duration("sleep")?);
                Ok(())
            }
            "clock" => {
                // What a guest sees of the date, and of the run's monotonic clock.
                let wall =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                metrics::trend("wall_clock_s", wall.as_secs_f64());
                metrics::trend("clock_now_ms", clock::now_ms());
                Ok(())
            }
            "metric-flood" => {
                for i in 0..params::parse::<u32>("lines")? {
                    metrics::count(&format!("counter-{i}"), 1);
                }
                Ok(())
            }
            "alloc" => {
                // Filled with ones, so every page is touched; black_box keeps it from being elided.
                let block = vec![1u8; params::parse::<usize>("alloc_mib")? << 20];
                std::hint::black_box(&block);
                Ok(())
            }
            "log-flood" => {
                for i in 0..params::parse::<u64>("lines")? {
                    log::warn(&format!("misbehaving: flood line {i}"));
                }
                Ok(())
            }
            mode @ ("panic" | "loop" | "fail") => misbehave(mode, "iteration"),
            other => Err(format!("misbehaving: unknown mode {other:?}")),
        }
    }
}

runner_sdk::export_scenario!(Misbehaving);
