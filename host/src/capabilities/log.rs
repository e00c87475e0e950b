//! `runner:scenario/log`: guest messages go to the run's log (tracing), tagged with their origin,
//! at most [`LOG_LINES_PER_S`] lines a second per instance ([`LogLimiter`]) so that a guest
//! logging in a tight loop cannot flood the host's output or slow it down. Lines over the cap
//! are dropped and counted on the phase's [`crate::stats::PhaseStats`]; the report says so.

use std::time::Instant;

use super::HostState;
use crate::bindings::runner::scenario::log::{Host, Level};

/// Lines per second one instance may log, sustained.
pub const LOG_LINES_PER_S: f64 = 100.0;
/// Lines one instance may log at once after being quiet (the bucket's depth).
pub const LOG_BURST: f64 = 100.0;

/// A token bucket: it holds up to [`LOG_BURST`] lines and refills at [`LOG_LINES_PER_S`].
#[derive(Debug, Clone)]
pub struct LogLimiter {
    tokens: f64,
    refilled_at: Option<Instant>,
}

impl Default for LogLimiter {
    fn default() -> Self {
        Self { tokens: LOG_BURST, refilled_at: None }
    }
}

impl LogLimiter {
    /// Whether a line logged at `now` may go out (and takes its token if so).
    pub fn admit(&mut self, now: Instant) -> bool {
        if let Some(then) = self.refilled_at {
            let earned = now.saturating_duration_since(then).as_secs_f64() * LOG_LINES_PER_S;
            self.tokens = (self.tokens + earned).min(LOG_BURST);
        }
        self.refilled_at = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Host for HostState {
    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let origin = self.origin();
        if !self.log_limit.admit(Instant::now()) {
            let before = self.stats().drop_log_line();
            if before == 0 {
                tracing::warn!(
                    "[{origin}] logs faster than {LOG_LINES_PER_S} lines/s: lines over the cap are dropped \
                     and counted in the report"
                );
            }
            return Ok(());
        }
        match level {
            Level::Debug => tracing::debug!(target: "scenario", "[{origin}] {message}"),
            Level::Info => tracing::info!(target: "scenario", "[{origin}] {message}"),
            Level::Warn => tracing::warn!(target: "scenario", "[{origin}] {message}"),
            Level::Error => tracing::error!(target: "scenario", "[{origin}] {message}"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let mut limit = LogLimiter::default();
        let t0 = Instant::now();
        let admitted = (0..1000).filter(|_| limit.admit(t0)).count();
        assert_eq!(admitted, LOG_BURST as usize);
        // Over the next second, one line every millisecond: about LOG_LINES_PER_S get through.
        let admitted = (1..=1000).filter(|ms| limit.admit(t0 + Duration::from_millis(*ms))).count();
        assert!((99..=101).contains(&admitted), "{admitted}");
    }

    #[test]
    fn a_quiet_instance_refills_only_up_to_the_burst() {
        let mut limit = LogLimiter::default();
        let t0 = Instant::now();
        assert!(limit.admit(t0));
        let later = t0 + Duration::from_secs(3600);
        let admitted = (0..1000).filter(|_| limit.admit(later)).count();
        assert_eq!(admitted, LOG_BURST as usize);
    }
}
