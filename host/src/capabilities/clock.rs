//! `runner:scenario/clock`: the run's monotonic clock, and sleeping without blocking other VUs.
//!
//! A sleep's length comes from the guest, so it is checked before it reaches `Duration`
//! arithmetic (which panics on overflow): see [`sleep_duration`]. The controller's sleeps (in
//! `drive`) end early when the run is asked to stop, so one Ctrl-C/SIGTERM is not held up by a
//! scenario waiting for its next step; a VU's sleep is bounded by its phase's graceful stop, which
//! interrupts the iteration (`load/executor.rs`).

use std::time::{Duration, Instant};

use super::{HostState, Role, ms};
use crate::bindings::runner::scenario::clock::Host;
use crate::load::Stop;

/// The longest sleep a scenario may ask for: 30 days, far beyond any run, far below what
/// `Duration` and tokio's timer can hold.
pub const MAX_SLEEP: Duration = Duration::from_secs(30 * 24 * 3600);

/// Why a sleep was refused: the guest traps with this one line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("clock.sleep-ms({millis} ms): {why}")]
pub struct BadSleep {
    millis: String,
    why: &'static str,
}

/// The duration a `sleep-ms(millis)` sleeps. Zero and negative values are a deadline already
/// passed: no sleep (what `sleep_until(next)` loops rely on). NaN and ±infinity are a bug in the
/// scenario and longer than [`MAX_SLEEP`] can only be one: both are refused, never clamped, so
/// the author sees the value.
pub fn sleep_duration(millis: f64) -> Result<Duration, BadSleep> {
    let refuse = |why| Err(BadSleep { millis: millis.to_string(), why });
    if millis.is_nan() {
        return refuse("not a number");
    }
    if millis.is_infinite() {
        return refuse("an infinite sleep never ends; sleep a finite time");
    }
    if millis <= 0.0 {
        return Ok(Duration::ZERO);
    }
    if millis > MAX_SLEEP.as_secs_f64() * 1000.0 {
        return refuse("longer than the longest sleep a scenario may ask for (30 days)");
    }
    Ok(Duration::from_secs_f64(millis / 1000.0))
}

impl Host for HostState {
    async fn now_ms(&mut self) -> wasmtime::Result<f64> {
        Ok(ms(self.run.started.elapsed()))
    }

    async fn sleep_ms(&mut self, millis: f64) -> wasmtime::Result<()> {
        let duration = sleep_duration(millis)?;
        if duration.is_zero() {
            return Ok(());
        }
        match self.role {
            // `drive` waits for its next step; once the run is stopping there is none.
            // On a planned timeline (`--start-at`) the sleep moves the plan and ends at its
            // planned instant, so workers' sleeps end together however long their phases drained.
            Role::Controller { .. } => {
                let wake = self.run.planned.sleep(duration).unwrap_or_else(|| Instant::now() + duration);
                tokio::select! {
                    _ = crate::load::planned::sleep_until(wake) => {}
                    _ = self.run.stop.until(Stop::Graceful) => {}
                }
            }
            Role::Vu { .. } => tokio::time::sleep(duration).await,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_are_checked_before_any_arithmetic() {
        assert_eq!(sleep_duration(-5.0), Ok(Duration::ZERO));
        assert_eq!(sleep_duration(0.0), Ok(Duration::ZERO));
        assert_eq!(sleep_duration(1500.0), Ok(Duration::from_millis(1500)));
        assert_eq!(sleep_duration(MAX_SLEEP.as_secs_f64() * 1000.0), Ok(MAX_SLEEP));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, f64::MAX, 2.6e9 + 1.0e6] {
            let e = sleep_duration(bad).expect_err("refused");
            assert!(e.to_string().starts_with("clock.sleep-ms("), "{e}");
        }
    }
}
