//! `runner:scenario/metrics`: custom trends, counters and checks, recorded into the calling
//! instance's phase.

use super::{HostState, tags};
use crate::engine::bindings::runner::scenario::metrics::Host;

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
        _extra: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        self.stats().count(&name, delta);
        Ok(())
    }

    async fn check(
        &mut self,
        name: String,
        ok: bool,
        _extra: Vec<(String, String)>,
    ) -> wasmtime::Result<bool> {
        self.stats().check(&name, ok);
        Ok(ok)
    }

    async fn threshold(&mut self, expression: String) -> wasmtime::Result<Result<(), String>> {
        Ok(runner_reports::thresholds::parse(&expression).map_err(|e| e.to_string()).map(|t| {
            let mut declared = self.run.declared_thresholds.lock().unwrap_or_else(|p| p.into_inner());
            // Declaring the same expression twice (e.g. from each of several drives) judges it once.
            if !declared.iter().any(|d| d.expression == t.expression) {
                declared.push(t);
            }
        }))
    }
}
