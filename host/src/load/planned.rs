//! The drive's planned timeline (`--start-at`): workers that run the same `drive` start each
//! phase at the same planned instant, with no coordinator between them.
//!
//! Each worker keeps a cursor on its own copy of the plan. It starts at the common start time;
//! a phase's traffic begins at the cursor (its VUs are made before; a worker that is early
//! waits: `executor.rs`), and moves the cursor by the phase's *planned length* — its schedule
//! plus its graceful stop, the longest it can last (k6's `maxDuration` of a scenario). `drive`'s own sleeps move the cursor by their length.
//! A worker whose phase drained quickly therefore waits for the others' planned end rather than
//! running ahead, and one that was late catches up at the next phase: lateness never accumulates
//! as long as each phase ends within its planned length, which its graceful stop guarantees.
//!
//! A phase bounded only by an iteration budget has no planned length (each worker ends when its
//! share is done); after it the cursor falls back to the worker's real time, and later phases
//! are aligned only as well as the workers' budgets took the same time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How close to a planned instant the runtime's timer (millisecond ticks) brings a waiter; the
/// rest is spent yielding, so a phase starts within microseconds of its instant, not a tick.
const SPIN: Duration = Duration::from_millis(2);

/// The planned timeline of a `drive`, or none (a run without `--start-at`: phases start when
/// `drive` asks for them).
#[derive(Debug, Default)]
pub struct PlannedClock {
    cursor: Mutex<Option<Instant>>,
    /// Phases started and not yet waited for, by handle: their planned start and length.
    running: Mutex<HashMap<u32, (Instant, Option<Duration>)>>,
}

impl PlannedClock {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.cursor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers the plan of a phase `drive` started (planned at `planned`, lasting at most
    /// `length`), until [`PlannedClock::waited`].
    pub fn started(&self, handle: u32, planned: Option<Instant>, length: Option<Duration>) {
        if let Some(at) = planned {
            self.running.lock().unwrap_or_else(|p| p.into_inner()).insert(handle, (at, length));
        }
    }

    /// `drive` waited for the phase `handle` to end: the cursor moves past its planned end.
    pub fn waited(&self, handle: u32) {
        let plan = self.running.lock().unwrap_or_else(|p| p.into_inner()).remove(&handle);
        if let Some((at, length)) = plan {
            self.phase_ended(Some(at), length);
        }
    }

    /// Starts the timeline at `at`: the first phase is planned there.
    pub fn begin(&self, at: Instant) {
        *self.lock() = Some(at);
    }

    /// The planned instant of what `drive` does next; `None` without a timeline.
    pub fn cursor(&self) -> Option<Instant> {
        *self.lock()
    }

    /// A phase planned at `planned` ended: the next is planned `length` after it (never before
    /// the cursor: phases `drive` runs side by side each leave it where the longest ends), or,
    /// when the phase had no planned length, at the worker's real time.
    pub fn phase_ended(&self, planned: Option<Instant>, length: Option<Duration>) {
        let mut cursor = self.lock();
        let Some(at) = *cursor else { return };
        let next = match (planned, length) {
            (Some(start), Some(length)) => start + length,
            _ => Instant::now(),
        };
        *cursor = Some(at.max(next));
    }

    /// `drive` sleeps `d`: returns the planned instant it wakes at and moves the cursor there, or
    /// `None` without a timeline.
    pub fn sleep(&self, d: Duration) -> Option<Instant> {
        let mut cursor = self.lock();
        let at = cursor.as_mut()?;
        *at += d;
        Some(*at)
    }
}

/// Sleeps until `at` on the runtime's timer, then yields until the instant itself: a start
/// skew of a timer tick between workers would show up in every merged phase.
pub async fn sleep_until(at: Instant) {
    if let Some(early) = at.checked_sub(SPIN) {
        tokio::time::sleep_until(early.into()).await;
    }
    while Instant::now() < at {
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_timeline_nothing_is_planned() {
        let clock = PlannedClock::default();
        assert_eq!(clock.cursor(), None);
        assert_eq!(clock.sleep(Duration::from_secs(1)), None);
        clock.phase_ended(None, Some(Duration::from_secs(1)));
        assert_eq!(clock.cursor(), None);
    }

    #[test]
    fn phases_and_sleeps_move_the_cursor_by_their_planned_length() {
        let t0 = Instant::now() + Duration::from_secs(100);
        let clock = PlannedClock::default();
        clock.begin(t0);
        clock.phase_ended(Some(t0), Some(Duration::from_secs(12)));
        assert_eq!(clock.cursor(), Some(t0 + Duration::from_secs(12)));
        assert_eq!(clock.sleep(Duration::from_secs(3)), Some(t0 + Duration::from_secs(15)));
        // Two phases side by side: the cursor goes where the longer one ends, whatever the order.
        let at = t0 + Duration::from_secs(15);
        clock.phase_ended(Some(at), Some(Duration::from_secs(10)));
        clock.phase_ended(Some(at), Some(Duration::from_secs(4)));
        assert_eq!(clock.cursor(), Some(at + Duration::from_secs(10)));
    }

    #[test]
    fn a_phase_without_a_planned_length_falls_back_to_real_time() {
        let clock = PlannedClock::default();
        let t0 = Instant::now();
        clock.begin(t0);
        clock.phase_ended(Some(t0), None);
        assert!(clock.cursor().unwrap() >= t0);
    }

    #[tokio::test]
    async fn a_phase_starts_at_its_planned_instant_never_before() {
        let at = Instant::now() + Duration::from_millis(30);
        sleep_until(at).await;
        let now = Instant::now();
        assert!(now >= at);
        // How late is a benchmark's question (docs/DISTRIBUTED.md), not a shared machine's test.
        assert!(now - at < Duration::from_secs(1), "{:?} late", now - at);
    }
}
