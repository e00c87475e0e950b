//! `http-get`: the least work an iteration can do (one GET, no parsing), so the runner can be
//! benchmarked against oha and wrk on the same target.

use std::sync::OnceLock;

use runner_sdk::{Context, Info, Phase, Scenario, http, load, params};

struct HttpGet;

/// The request, built once per VU instance (from the `path` parameter) and sent every iteration.
static REQUEST: OnceLock<http::Request> = OnceLock::new();

impl Scenario for HttpGet {
    fn describe() -> Info {
        Info::new(
            "http-get",
            env!("CARGO_PKG_VERSION"),
            "Plain HTTP GET of `path` on the target \
            from `vus` closed-loop VUs for `duration` (phase `http-get`); a status ≥ 400 fails.",
        )
        .param("path", "/", "Path (joined to the target) or absolute URL to GET.")
        .param("vus", "16", "Concurrent VUs (connections).")
        .param("duration", "10s", "How long the phase runs.")
    }

    fn drive() -> Result<(), String> {
        let phase = Phase::constant_vus("http-get", params::parse("vus")?, params::duration("duration")?);
        load::run(phase)?;
        Ok(())
    }

    fn iteration(_ctx: &Context) -> Result<(), String> {
        // The body and headers stay on the host: this scenario only judges the status, the way
        // oha and wrk never hand a response to a script.
        let request = REQUEST.get_or_init(|| http::get(params::get_or("path", "/")).status_only());
        let response = request.send()?;
        if response.status >= 400 {
            return Err(format!("HTTP {}", response.status));
        }
        Ok(())
    }
}

runner_sdk::export_scenario!(HttpGet);
