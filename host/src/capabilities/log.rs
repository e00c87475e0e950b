//! `runner:scenario/log`: guest messages go to the run's log (tracing), tagged with their origin.

use super::HostState;
use crate::engine::bindings::runner::scenario::log::{Host, Level};

impl Host for HostState {
    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let origin = self.origin();
        match level {
            Level::Debug => tracing::debug!(target: "scenario", "[{origin}] {message}"),
            Level::Info => tracing::info!(target: "scenario", "[{origin}] {message}"),
            Level::Warn => tracing::warn!(target: "scenario", "[{origin}] {message}"),
            Level::Error => tracing::error!(target: "scenario", "[{origin}] {message}"),
        }
        Ok(())
    }
}
