//! `runner:scenario/log`: guest messages go to the run's log (tracing), tagged with their origin,
//! at most [`LOG_LINES_PER_S`] lines and [`LOG_BYTES_PER_S`] bytes a second per instance
//! ([`LogLimiter`]) so that a guest logging in a tight loop — or logging a few huge lines —
//! cannot flood the host's output or slow it down. A line longer than [`LOG_LINE_BYTES`] is cut
//! (and said so, in the line and in the report); lines over either rate are dropped and counted
//! on the phase's [`crate::stats::PhaseStats`]; the report says so. Control characters are
//! written escaped (tracing's formatter does that), never raw to the operator's terminal.

use std::time::Instant;

use super::{HostState, limits};
use crate::bindings::runner::scenario::log::{Host, Level};

/// Lines per second one instance may log, sustained.
pub const LOG_LINES_PER_S: f64 = 100.0;
/// Lines one instance may log at once after being quiet (the bucket's depth).
pub const LOG_BURST: f64 = 100.0;
/// Bytes per second one instance may log, sustained, and at once (the byte bucket's depth).
pub const LOG_BYTES_PER_S: f64 = 64.0 * 1024.0;
/// The longest line written; a longer one is cut to it.
pub const LOG_LINE_BYTES: usize = 4096;

/// The kind of cap note for lines cut to [`LOG_LINE_BYTES`].
pub const LINE_CUT: &str = "log lines were cut to 4096 bytes";

/// Two token buckets: one holds up to [`LOG_BURST`] lines and refills at [`LOG_LINES_PER_S`],
/// the other up to [`LOG_BYTES_PER_S`] bytes and refills at that rate. A line goes out when
/// both have room for it.
#[derive(Debug, Clone)]
pub struct LogLimiter {
    tokens: f64,
    bytes: f64,
    refilled_at: Option<Instant>,
}

impl Default for LogLimiter {
    fn default() -> Self {
        Self { tokens: LOG_BURST, bytes: LOG_BYTES_PER_S, refilled_at: None }
    }
}

impl LogLimiter {
    /// Whether a line of `len` bytes logged at `now` may go out (and takes its tokens if so).
    pub fn admit(&mut self, now: Instant, len: usize) -> bool {
        if let Some(then) = self.refilled_at {
            let secs = now.saturating_duration_since(then).as_secs_f64();
            self.tokens = (self.tokens + secs * LOG_LINES_PER_S).min(LOG_BURST);
            self.bytes = (self.bytes + secs * LOG_BYTES_PER_S).min(LOG_BYTES_PER_S);
        }
        self.refilled_at = Some(now);
        let len = len as f64;
        if self.tokens >= 1.0 && self.bytes >= len {
            self.tokens -= 1.0;
            self.bytes -= len;
            true
        } else {
            false
        }
    }
}

impl Host for HostState {
    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let origin = self.origin();
        let message = limits::cut(&message, LOG_LINE_BYTES);
        if !self.log_limit.admit(Instant::now(), message.len()) {
            let before = self.stats().drop_log_line();
            if before == 0 {
                tracing::warn!(
                    "[{origin}] logs faster than {LOG_LINES_PER_S} lines/s or {LOG_BYTES_PER_S} bytes/s: \
                     lines over the cap are dropped and counted in the report"
                );
            }
            return Ok(());
        }
        if let std::borrow::Cow::Owned(_) = message {
            self.stats().caps.record(LINE_CUT, 1, || format!("a line logged by {origin}"));
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
        let admitted = (0..1000).filter(|_| limit.admit(t0, 10)).count();
        assert_eq!(admitted, LOG_BURST as usize);
        // Over the next second, one line every millisecond: about LOG_LINES_PER_S get through.
        let admitted = (1..=1000).filter(|ms| limit.admit(t0 + Duration::from_millis(*ms), 10)).count();
        assert!((99..=101).contains(&admitted), "{admitted}");
    }

    #[test]
    fn a_quiet_instance_refills_only_up_to_the_burst() {
        let mut limit = LogLimiter::default();
        let t0 = Instant::now();
        assert!(limit.admit(t0, 10));
        let later = t0 + Duration::from_secs(3600);
        let admitted = (0..1000).filter(|_| limit.admit(later, 10)).count();
        assert_eq!(admitted, LOG_BURST as usize);
    }

    #[test]
    fn bytes_are_capped_too_not_only_lines() {
        // Lines of the longest length: the byte bucket (64 KiB) passes 16 of them at once, far
        // fewer than the line bucket would, and then 16 a second.
        let mut limit = LogLimiter::default();
        let t0 = Instant::now();
        let admitted = (0..100).filter(|_| limit.admit(t0, LOG_LINE_BYTES)).count();
        assert_eq!(admitted, 16);
        let admitted =
            (1..=100).filter(|i| limit.admit(t0 + Duration::from_millis(i * 10), LOG_LINE_BYTES)).count();
        assert!((15..=17).contains(&admitted), "{admitted}");
    }

    #[test]
    fn a_long_line_is_cut_and_says_so() {
        let line = "x".repeat(10_000);
        let cut = limits::cut(&line, LOG_LINE_BYTES);
        assert!(
            cut.starts_with(&"x".repeat(LOG_LINE_BYTES)) && cut.ends_with("(5904 more bytes cut)"),
            "{cut}"
        );
        assert!(LINE_CUT.contains(&LOG_LINE_BYTES.to_string()));
    }
}
