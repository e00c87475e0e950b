//! `runner:scenario/clock`: the run's monotonic clock, and sleeping without blocking other VUs.

use std::time::Duration;

use super::{HostState, ms};
use crate::bindings::runner::scenario::clock::Host;

impl Host for HostState {
    async fn now_ms(&mut self) -> wasmtime::Result<f64> {
        Ok(ms(self.run.started.elapsed()))
    }

    async fn sleep_ms(&mut self, millis: f64) -> wasmtime::Result<()> {
        if millis.is_finite() && millis > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(millis / 1000.0)).await;
        }
        Ok(())
    }
}
