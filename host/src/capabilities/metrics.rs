//! `runner:scenario/metrics`: custom trends, counters and checks, recorded into the calling
//! instance's phase.

use super::{HostState, tags};
use crate::bindings::runner::scenario::metrics::Host;

impl Host for HostState {
    async fn trend(
        &mut self,
        name: String,
        value: f64,
        extra: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        self.stats().record_trend(&name, value, &tags(extra));
        Ok(())
    }

    async fn count(
        &mut self,
        name: String,
        delta: u64,
        extra: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        self.stats().count(&name, delta, &tags(extra));
        Ok(())
    }

    async fn check(
        &mut self,
        name: String,
        ok: bool,
        extra: Vec<(String, String)>,
    ) -> wasmtime::Result<bool> {
        self.stats().check(&name, ok, &tags(extra));
        Ok(ok)
    }

    async fn threshold(&mut self, expression: String) -> wasmtime::Result<Result<(), String>> {
        let threshold = runner_reports::thresholds::parse(&expression).map_err(|e| e.to_string());
        Ok(threshold.map(|t| self.run.declare_thresholds([t])))
    }
}
