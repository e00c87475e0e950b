//! Token generation for the mock: the absolute send schedule, slot acquisition, the SSE producer task
//! and the non-streaming wait. What each event says is the `shape` module's business.
//!
//! Every token time is computed from the instant the request got its slot (`t0`), never from the
//! previous token, so timer lateness does not accumulate and the mean inter-token latency is exact.
//! The first token is due at `ttft` plus the prefill of the prompt's uncached tokens
//! (`prefill-per-token` each; the prefix cache, when on, says which are cached).
//! A chunk of several tokens leaves when its last token is due.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::time::{Instant, sleep_until};

use super::conn::Abort;
use super::fault::Fault;
use super::inject;
use super::shape::Job;
use super::{MockConfig, RequestGuard, Shared, WaitingGuard};

/// Upper bound on a schedule offset, so `Instant + offset` can never overflow whatever the config.
const MAX_OFFSET: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Yields the offset from `t0` at which each successive token is due.
pub(super) struct Schedule {
    ttft: u128,
    itl: u128,
    jitter: i64,
    rng: Option<StdRng>,
    k: u128,
    prev: u128,
}

impl Schedule {
    /// The schedule of the `seq`-th generation request under `cfg`. Jitter is seeded from the config's
    /// seed and `seq`, so a run with the same seed and request order replays the same schedule.
    pub(super) fn new(cfg: &MockConfig, seq: u64) -> Self {
        let jitter = i64::try_from(cfg.jitter.as_nanos()).unwrap_or(i64::MAX);
        // Splitmix-style mixing keeps neighbouring requests' streams unrelated.
        let rng = (jitter > 0).then(|| {
            StdRng::seed_from_u64(cfg.seed ^ seq.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        });
        Self { ttft: cfg.ttft.as_nanos(), itl: cfg.itl.as_nanos(), jitter, rng, k: 0, prev: 0 }
    }

    /// The same schedule with the first token (and so every token) `delay` later: the prompt's
    /// prefill.
    pub(super) fn after(mut self, delay: Duration) -> Self {
        self.ttft = self.ttft.saturating_add(delay.as_nanos());
        self
    }

    /// The offset of the next token: `ttft + k·itl ± jitter`, clamped so it never precedes the previous
    /// token (or `t0`).
    pub(super) fn next_offset(&mut self) -> Duration {
        let nominal = self.ttft.saturating_add(self.k.saturating_mul(self.itl));
        self.k += 1;
        let shifted = match self.rng.as_mut() {
            Some(rng) => {
                let delta = rng.random_range(-self.jitter..=self.jitter);
                if delta >= 0 {
                    nominal.saturating_add(delta.unsigned_abs().into())
                } else {
                    nominal.saturating_sub(delta.unsigned_abs().into())
                }
            }
            None => nominal,
        };
        let at = shifted.max(self.prev).min(MAX_OFFSET.as_nanos());
        self.prev = at;
        // `at` is at most MAX_OFFSET in nanoseconds, which fits a u64.
        Duration::from_nanos(u64::try_from(at).unwrap_or(u64::MAX))
    }
}

/// Waits for a generation slot in FIFO order; `None` when capacity is unlimited. Counted as waiting
/// while queued; dropping the future leaves the queue.
pub(super) async fn acquire_slot(shared: &Shared) -> Option<OwnedSemaphorePermit> {
    let slots = shared.slots.clone()?;
    let _waiting = WaitingGuard::new(shared.counters.clone());
    // The semaphore is never closed, so an error cannot happen; treat it as "no slot needed".
    slots.acquire_owned().await.ok()
}

/// Schedules the request's prompt now that it has its slot: with a prefix cache, looks up (and
/// records) its cached prefix; returns the prefill time of its uncached tokens, which delays its
/// first token.
fn prefill(shared: &Shared, job: &mut Job) -> Duration {
    if let Some(cache) = &shared.prefix_cache {
        job.cached_tokens = Some(cache.schedule(&job.blocks, job.prompt_tokens));
    }
    let per_token = shared.cfg.prefill_per_token;
    if per_token.is_zero() {
        return Duration::ZERO;
    }
    let cached = job.cached_tokens.unwrap_or(0).min(job.prompt_tokens);
    let uncached = u32::try_from(job.prompt_tokens - cached).unwrap_or(u32::MAX);
    per_token.saturating_mul(uncached).min(MAX_OFFSET)
}

/// Produces a stream's SSE events into `tx` on schedule, acting out `fault` (if any) at the cut point.
/// Returns early, freeing the slot, as soon as the receiving body is dropped (the client went away or the
/// server is shutting down) or a fault ends the stream.
pub(super) async fn stream(
    shared: Arc<Shared>,
    guard: RequestGuard,
    mut job: Job,
    tx: mpsc::Sender<Bytes>,
    fault: Option<Fault>,
    abort: Arc<Abort>,
) {
    let arrived = Instant::now();
    let permit = tokio::select! {
        p = acquire_slot(&shared) => p,
        _ = tx.closed() => return,
    };
    let mut t0 = Instant::now();
    // The `/metrics` histograms measure from arrival, as vLLM's do; the previous token's send time
    // gives the inter-token gaps.
    let observe = shared.cfg.metrics.then_some(&shared.observed);
    let mut sent_at: Option<Instant> = None;
    if let Some(o) = observe {
        o.queue.observe(t0 - arrived);
    }
    let prefill_time = prefill(&shared, &mut job);
    let mut schedule = Schedule::new(&shared.cfg, job.seq).after(prefill_time);
    let head = job.chunk_head();
    let max = u64::from(job.max_tokens);
    let cut = inject::cut_point(max);
    // The first token of the chunk being gathered.
    let mut from = 0;
    for k in 0..=max {
        if k == cut
            && let Some(fault) = fault
        {
            match fault {
                Fault::ResetMidStream => {
                    inject::reset_after_flush(&tx, &abort).await;
                    return;
                }
                Fault::StallMidStream(stall) => {
                    tokio::select! {
                        _ = tokio::time::sleep(stall) => {}
                        _ = tx.closed() => return,
                    }
                    // The rest of the schedule moves back by the stall, as a paused server's would.
                    t0 += stall;
                }
                Fault::ErrorEvent => {
                    // vLLM's way: the error as an event, then `[DONE]`; the answer stops there.
                    for event in [inject::error_event(), Bytes::from_static(b"data: [DONE]\n\n")] {
                        if tx.send(event).await.is_err() {
                            return;
                        }
                    }
                    return;
                }
                other => {
                    let broken = inject::broken_event(other, &head, shared.cfg.seed, job.seq);
                    if let Some(event) = broken
                        && tx.send(event).await.is_err()
                    {
                        return;
                    }
                }
            }
        }
        if k == max {
            break;
        }
        let at = t0 + schedule.next_offset();
        if !job.ends_chunk(k) {
            continue;
        }
        tokio::select! {
            _ = sleep_until(at) => {}
            _ = tx.closed() => return,
        }
        let mut event = job.chunk_event(&head, from, k + 1);
        if (from..=k).contains(&cut) && fault == Some(Fault::NoDataPrefix) {
            event = inject::strip_data_prefix(event);
        }
        from = k + 1;
        if tx.send(event).await.is_err() {
            return;
        }
        if let Some(o) = observe {
            let now = Instant::now();
            match sent_at {
                None => o.ttft.observe(now - arrived),
                Some(previous) => o.itl.observe(now - previous),
            }
            sent_at = Some(now);
        }
    }
    if job.include_usage && tx.send(job.usage_event(&head)).await.is_err() {
        return;
    }
    if fault != Some(Fault::NoDone) && tx.send(Bytes::from_static(b"data: [DONE]\n\n")).await.is_err() {
        return;
    }
    guard.finish();
    drop(permit);
    if fault == Some(Fault::HoldAfterDone) {
        inject::hold_open(&tx).await;
    }
}

/// Holds a slot until the last token's due time, then returns the whole body. Dropping the future (hyper
/// does when the client disconnects) frees the slot.
pub(super) async fn complete(shared: Arc<Shared>, guard: RequestGuard, job: Job) -> Bytes {
    let body = produce(shared, job).await;
    guard.finish();
    body
}

/// [`complete`] without marking the request complete, for a fault that still has to deliver the body.
pub(super) async fn produce(shared: Arc<Shared>, mut job: Job) -> Bytes {
    let arrived = Instant::now();
    let permit = acquire_slot(&shared).await;
    let t0 = Instant::now();
    let prefill_time = prefill(&shared, &mut job);
    let mut schedule = Schedule::new(&shared.cfg, job.seq).after(prefill_time);
    let mut last = Duration::ZERO;
    for _ in 0..job.max_tokens {
        last = schedule.next_offset();
    }
    sleep_until(t0 + last).await;
    if shared.cfg.metrics {
        // A whole response has no token events; the histograms get the schedule it stood for,
        // replayed (the schedule is seeded by the request's sequence number).
        let o = &shared.observed;
        o.queue.observe(t0 - arrived);
        let mut replay = Schedule::new(&shared.cfg, job.seq).after(prefill_time);
        let mut previous = None;
        for _ in 0..job.max_tokens {
            let at = replay.next_offset();
            match previous {
                None => o.ttft.observe(t0 + at - arrived),
                Some(p) => o.itl.observe(at - p),
            }
            previous = Some(at);
        }
    }
    let body = job.full_body();
    drop(permit);
    body
}
