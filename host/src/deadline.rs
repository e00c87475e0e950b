//! [`Deadline`]: the re-armable timer that bounds one wait after another — each request on a
//! VU's own connection, and each iteration of a VU — without registering a new timer per wait.

use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::time::Instant;

use tokio::time::Sleep;

/// A timer for a stream of deadlines that only move forward (one request or iteration after
/// another), re-armed only when it fires early instead of once per wait.
///
/// `tokio::time::timeout` registers a timer and removes it for every wait; a wait that ends
/// well before its deadline (nearly all of them) paid for both for nothing. Here the timer keeps
/// an earlier deadline (never a later one than the current wait's), and when it fires before the
/// current deadline it is moved there: a wait still ends exactly at its own deadline.
pub struct Deadline {
    /// Created by the first wait (a timer needs the runtime, which `new` may run without).
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Default for Deadline {
    fn default() -> Self {
        Deadline::new()
    }
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline").field("armed_for", &self.sleep.as_ref().map(|s| s.deadline())).finish()
    }
}

impl Deadline {
    /// A timer not armed yet: the first wait arms it.
    pub fn new() -> Deadline {
        Deadline { sleep: None }
    }

    /// Runs `fut` to completion, or until `deadline` passes first (`None`), as
    /// `tokio::time::timeout_at` does: `fut` is polled before the timer.
    pub async fn run<F: Future>(&mut self, deadline: Instant, fut: F) -> Option<F::Output> {
        let deadline = tokio::time::Instant::from_std(deadline);
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() > deadline {
            sleep.as_mut().reset(deadline);
        }
        let mut fut = pin!(fut);
        loop {
            tokio::select! {
                biased;
                out = &mut fut => return Some(out),
                () = sleep.as_mut() => {
                    if tokio::time::Instant::now() >= deadline {
                        return None;
                    }
                    sleep.as_mut().reset(deadline);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn deadline_ends_each_wait_at_its_own_deadline() {
        let ms = Duration::from_millis;
        let mut d = Deadline::new();
        let done = d.run(Instant::now() + ms(300), tokio::time::sleep(ms(10))).await;
        assert!(done.is_some());
        // Armed for a later instant than this wait's: it must still end at its own deadline.
        let t = Instant::now();
        assert!(d.run(t + ms(100), std::future::pending::<()>()).await.is_none());
        assert!(t.elapsed() >= ms(100) && t.elapsed() < ms(250), "{:?}", t.elapsed());
        // Armed for an earlier (passed) instant: re-armed, not ended early.
        let t = Instant::now();
        assert!(d.run(t + ms(150), std::future::pending::<()>()).await.is_none());
        assert!(t.elapsed() >= ms(150), "{:?}", t.elapsed());
    }
}
