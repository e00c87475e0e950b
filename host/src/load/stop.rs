//! How far a run has been asked to stop: the one signal every executor, the time series and
//! `drive` watch. Raised by Ctrl-C/SIGTERM or by a failing `--abort-on-fail` threshold, never
//! lowered.

use tokio::sync::watch;

/// How far a run has been asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stop {
    /// Keep going.
    Running,
    /// Start nothing new; in-flight iterations get their phase's graceful stop.
    Graceful,
    /// Interrupt everything now; the report is still written.
    Now,
}

/// A run's stop request, shared by everything that must react to it. Clones see the same request.
#[derive(Debug, Clone)]
pub struct StopSignal {
    level: watch::Sender<Stop>,
}

impl Default for StopSignal {
    fn default() -> Self {
        Self { level: watch::Sender::new(Stop::Running) }
    }
}

impl StopSignal {
    /// Asks the run to stop at `level` (never lowers an earlier request).
    pub fn request(&self, level: Stop) {
        self.level.send_if_modified(|current| {
            let raise = level > *current;
            if raise {
                *current = level;
            }
            raise
        });
    }

    /// How far the run has been asked to stop.
    pub fn level(&self) -> Stop {
        *self.level.borrow()
    }

    /// Resolves once the run has been asked to stop at `level` or beyond.
    pub async fn until(&self, level: Stop) {
        let mut rx = self.level.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = rx.wait_for(|current| *current >= level).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_is_never_lowered_and_wakes_waiters() {
        let stop = StopSignal::default();
        let waiter = tokio::spawn({
            let stop = stop.clone();
            async move { stop.until(Stop::Graceful).await }
        });
        stop.request(Stop::Now);
        stop.request(Stop::Graceful);
        assert_eq!(stop.level(), Stop::Now);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.unwrap().unwrap();
    }
}
