//! The run's monotonic clock, the only clock a scenario sees.

use std::time::Duration;

use crate::bindings::runner::scenario::clock as raw;

/// Milliseconds since the run started.
pub fn now_ms() -> f64 {
    raw::now_ms()
}

/// Suspends this VU (or the controller) for `duration`; other VUs go on.
pub fn sleep(duration: Duration) {
    raw::sleep_ms(duration.as_secs_f64() * 1_000.0);
}
