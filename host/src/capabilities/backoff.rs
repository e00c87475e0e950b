//! Backing off from a connection that cannot be opened. A request that fails before reaching the
//! server (`connect`, `tls`, `client-limit`) comes back in microseconds, so a VU that simply
//! tries again turns a refused port or a refused certificate into thousands of connection
//! attempts a second (4 VUs made 35,821 in 15 s) and a "load test" of nothing. Each instance
//! waits after such a failure — 10 ms, doubling to 1 s — before its call returns, resets on any
//! request that reached the server, and stops waiting when the run is asked to stop. The phase
//! counts the waits and its report says so.

use std::time::Duration;

use super::HostState;
use crate::error_class::ErrorClass;
use crate::load::Stop;

/// The first wait after a connection failure.
pub const FIRST: Duration = Duration::from_millis(10);
/// The longest wait: one attempt a second per VU.
pub const MAX: Duration = Duration::from_secs(1);

/// One instance's back-off state: the wait its next connection failure gets.
#[derive(Debug, Default)]
pub struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    /// The wait after one more connection failure in a row.
    fn failed(&mut self) -> Duration {
        let wait = self.next.unwrap_or(FIRST);
        self.next = Some((wait * 2).min(MAX));
        wait
    }

    /// A request reached the server: the next failure starts again from [`FIRST`].
    pub fn reset(&mut self) {
        self.next = None;
    }
}

impl HostState {
    /// After a request that failed with `class`: keeps its message for the report when the class
    /// is one the report explains, and backs off when no connection could be opened.
    pub(super) async fn after_failure(&mut self, class: ErrorClass, message: &str) {
        self.stats().record_error_message(class, message);
        if !class.is_connection_failure() {
            if !class.never_reached_server() {
                self.backoff.reset();
            }
            return;
        }
        self.back_off().await;
    }

    /// After requests sent at once (`llm.call-many`), given the failures' classes and messages:
    /// each message is kept as [`HostState::after_failure`] keeps it, and the instance backs off
    /// once — when no request reached the server and one could not connect — not once per
    /// failure: the batch is one attempt, and its requests failed side by side, not in a row.
    pub(super) async fn after_batch(&mut self, failures: &[(ErrorClass, &str)], answered: usize) {
        for (class, message) in failures {
            self.stats().record_error_message(*class, message);
        }
        if answered > 0 || failures.iter().any(|(class, _)| !class.never_reached_server()) {
            self.backoff.reset();
        } else if failures.iter().any(|(class, _)| class.is_connection_failure()) {
            self.back_off().await;
        }
    }

    /// Waits the next back-off (or until the run is asked to stop) and counts the wait.
    async fn back_off(&mut self) {
        let wait = self.backoff.failed();
        let began = std::time::Instant::now();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = self.run.stop.until(Stop::Graceful) => {}
        }
        self.stats().record_backoff(began.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_to_the_cap_and_reset_on_a_success() {
        let mut b = Backoff::default();
        let waits: Vec<_> = (0..9).map(|_| b.failed().as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.failed(), FIRST);
    }
}
