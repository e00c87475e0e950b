//! Test fixture `sleepy`: sleeps exactly what it is told, through the raw `clock.sleep-ms` import,
//! so the tests can hand the host any f64 (huge, infinite, NaN, negative) and long sleeps in
//! `drive` or in an iteration to interrupt.
//!
//! `drive` sleeps `drive_sleep_ms`, then (unless `phase` is `none`) runs one constant-VU phase
//! `sleepy` of `vus` VUs for `duration` with a graceful stop of `graceful`, whose iterations sleep
//! `iteration_sleep_ms` each. `phase=start` starts the phase and then sleeps `drive_sleep_ms` in
//! `drive` before waiting for it (a drive that sleeps while its load runs).

use runner_sdk::bindings::runner::scenario::clock as raw;
use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, clock, load, params};

struct Sleepy;

/// A parameter as an f64, accepting what Rust's parser does (`inf`, `NaN`, `1e300`, `-5`).
fn millis(name: &str) -> Result<f64, String> {
    let text = params::get_or(name, "0");
    text.parse().map_err(|e| format!("{name}={text:?}: {e}"))
}

impl Scenario for Sleepy {
    fn describe() -> Info {
        Info::new("sleepy", env!("CARGO_PKG_VERSION"), "Test fixture: sleeps what it is told.")
            // Text, so that `inf` and `NaN` reach the guest's own parser and then the host.
            .typed_param(
                "drive_sleep_ms",
                ParamKind::Text,
                "0",
                "What drive passes to clock.sleep-ms (any f64).",
            )
            .typed_param(
                "iteration_sleep_ms",
                ParamKind::Text,
                "0",
                "What each iteration passes to clock.sleep-ms (any f64).",
            )
            .param("phase", "run", "run (sleep, then run the phase), start (start it, sleep, wait) or none.")
            .param("vus", "1", "VUs of the phase.")
            .param("duration", "2s", "How long the phase runs.")
            .param("graceful", "2s", "The phase's graceful stop.")
    }

    fn drive() -> Result<(), String> {
        let drive_sleep = millis("drive_sleep_ms")?;
        let phase = Phase::constant_vus("sleepy", params::parse("vus")?, params::duration("duration")?)
            .graceful_stop(params::duration("graceful")?);
        match params::get_or("phase", "run").as_str() {
            "none" => raw::sleep_ms(drive_sleep),
            "start" => {
                let handle = load::start(phase)?;
                raw::sleep_ms(drive_sleep);
                handle.wait()?;
            }
            _ => {
                raw::sleep_ms(drive_sleep);
                load::run(phase)?;
            }
        }
        // How long drive lived, for the tests (`drive_ms` in the drive's custom trends).
        runner_sdk::metrics::trend("drive_ms", clock::now_ms());
        Ok(())
    }

    fn iteration(_ctx: &Context) -> Result<(), String> {
        raw::sleep_ms(millis("iteration_sleep_ms")?);
        Ok(())
    }
}

runner_sdk::export_scenario!(Sleepy);
