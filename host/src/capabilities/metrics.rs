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
}
