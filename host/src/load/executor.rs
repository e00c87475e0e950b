//! Runs one phase to its end: the open-loop driver (iterations start at planned instants on a
//! pool of VUs) and the closed-loop driver (each active VU starts its next iteration when the
//! last one ends). Every executor of the WIT is one of these two with a different [`Plan`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::plan::{ArrivalTimes, Arrivals, Budget, Plan, VuCurve};
use super::vu::{Outcome, PhaseVu};
use super::{PhaseSpec, Segment, Stop, StopSignal, VuFactory};
use crate::stats::PhaseStats;

/// How often a ramping closed-loop phase re-reads its VU curve.
const RAMP_TICK: Duration = Duration::from_millis(10);
/// At most this many VUs are created before an open-loop phase starts; more come on demand.
const MAX_PREALLOCATED: u32 = 64;

/// What a phase runs with: where its VUs come from, the run's stop request, and the iteration
/// timeout.
#[derive(Clone)]
pub struct PhaseEnv {
    pub vus: Arc<dyn VuFactory>,
    pub stop: StopSignal,
    pub iteration_timeout: Duration,
}

/// Runs `spec` to its end, recording into `stats`. Fails only when VUs cannot be created.
/// A split run's worker (`spec.segment`) runs its share of the plan: the arrivals, VUs and
/// iterations numbered `k` with `k mod N` = its index ([`Segment`]).
pub async fn run_phase(env: PhaseEnv, spec: PhaseSpec, stats: Arc<PhaseStats>) -> Result<(), String> {
    let share = Share { graceful: spec.graceful_stop, seg: spec.segment, at: spec.start_at };
    let result = match spec.plan {
        Plan::Pause(d) => {
            planned_start(&env, share.at).await;
            stats.mark_started(Instant::now());
            tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = env.stop.until(Stop::Graceful) => {}
            }
            Ok(())
        }
        Plan::Open { arrivals, max_vus, duration } => {
            open_loop(&env, &stats, arrivals, share.seg.share_cap(max_vus), duration, share).await
        }
        Plan::Closed { vus, budget, duration } => {
            closed_loop(&env, &stats, vus, budget, duration, share).await
        }
    };
    stats.mark_started(Instant::now());
    stats.mark_ended(Instant::now());
    result
}

/// How this process runs its part of a phase: its share of the plan, when its traffic starts,
/// and how long in-flight iterations may finish after the schedule.
#[derive(Clone, Copy)]
struct Share {
    graceful: Duration,
    seg: Segment,
    at: Option<Instant>,
}

/// Waits for the phase's planned start, if it has one (or for the run's stop). The VUs are made
/// before: instantiating them takes each worker a different time, which would become skew.
async fn planned_start(env: &PhaseEnv, at: Option<Instant>) {
    if let Some(at) = at {
        tokio::select! {
            _ = super::planned::sleep_until(at) => {}
            _ = env.stop.until(Stop::Graceful) => {}
        }
    }
}

async fn new_vu(env: &PhaseEnv, stats: &Arc<PhaseStats>, id: u32) -> Result<PhaseVu, String> {
    PhaseVu::new(env.vus.as_ref(), stats, id).await
}

/// Keeps a VU usable after an iteration: replaced in place by a fresh one when the iteration
/// broke it. `false` when no fresh one could be made (the VU is then unusable).
async fn replace_if_broken(
    env: &PhaseEnv,
    stats: &Arc<PhaseStats>,
    vu: &mut PhaseVu,
    outcome: &Outcome,
) -> bool {
    if !matches!(outcome, Outcome::Broken(_)) {
        return true;
    }
    match new_vu(env, stats, vu.id).await {
        Ok(fresh) => {
            *vu = fresh;
            true
        }
        Err(_) => false,
    }
}

async fn open_loop(
    env: &PhaseEnv,
    stats: &Arc<PhaseStats>,
    arrivals: Arrivals,
    max_vus: u32,
    duration: Duration,
    share: Share,
) -> Result<(), String> {
    let Share { graceful, seg, at } = share;
    let timeout = env.iteration_timeout;
    let prealloc = match &arrivals {
        Arrivals::AllAtOnce(n) => seg.share_u32(*n).min(max_vus),
        Arrivals::Rate { profile, .. } => ((profile.max_rate() / f64::from(seg.count())).ceil() as u32)
            .clamp(1, MAX_PREALLOCATED)
            .min(max_vus),
        Arrivals::Scheduled(offsets) => {
            (seg.share(offsets.len() as u64).min(u64::from(MAX_PREALLOCATED)) as u32).clamp(1, max_vus)
        }
    };
    let (idle_tx, mut idle_rx) = mpsc::unbounded_channel::<PhaseVu>();
    for id in 0..prealloc {
        let _ = idle_tx.send(new_vu(env, stats, id).await?);
    }
    let mut created = prealloc;
    let mut tasks = JoinSet::new();
    let mut iteration = 0u64;
    planned_start(env, at).await;
    let t0 = Instant::now();
    stats.mark_started(t0);
    // A rate-driven schedule ends at its duration whatever its rate: a dispatcher that fell
    // behind (a rate above what one task can start on this machine) stops at the end instead of
    // working through the backlog for seconds more, and counts what it did not start.
    let end = matches!(arrivals, Arrivals::Rate { .. }).then_some(t0 + duration);
    // Every worker draws the whole schedule (the same seed gives the same one) and keeps its own
    // arrivals: `taken` numbers the schedule's arrivals, not this worker's.
    let schedule = ArrivalTimes::new(&arrivals).enumerate().filter(|(k, _)| seg.owns(*k as u64));
    for (taken, offset) in schedule {
        let intended = t0 + offset;
        if end.is_some_and(|end| Instant::now() >= end) {
            not_started(stats, &arrivals, taken as u64, seg);
            break;
        }
        tokio::select! {
            biased;
            _ = env.stop.until(Stop::Graceful) => break,
            _ = tokio::time::sleep_until(intended.into()) => {}
        }
        while let Some(joined) = tasks.try_join_next() {
            if joined.is_err() {
                // The task panicked (a host bug) and took its VU with it: let a new one be made.
                created = created.saturating_sub(1);
            }
        }
        // A recorded schedule's iteration `i` is its arrival `i` (the trace row it replays), even
        // when earlier arrivals were dropped; other schedules number the iterations they start.
        let n = match arrivals {
            Arrivals::Scheduled(_) => taken as u64,
            _ => seg.global(iteration),
        };
        let vu = match idle_rx.try_recv() {
            Ok(vu) => vu,
            Err(_) if created < max_vus => {
                created += 1;
                new_vu(env, stats, created - 1).await?
            }
            Err(_) => {
                // No free VU: the arrival is lost, and said so (never silently skipped).
                stats.iterations.dropped();
                continue;
            }
        };
        iteration += 1;
        let (env, stats, idle_tx) = (env.clone(), stats.clone(), idle_tx.clone());
        tasks.spawn(async move {
            let lag = intended.elapsed();
            let mut vu = vu;
            let outcome = vu.iterate(n, timeout).await;
            stats.record_schedule(lag, intended.elapsed());
            if replace_if_broken(&env, &stats, &mut vu, &outcome).await {
                let _ = idle_tx.send(vu);
            }
        });
    }
    let schedule_end = (t0 + duration).max(Instant::now());
    drain(&env.stop, &mut tasks, schedule_end + graceful, graceful, stats).await;
    Ok(())
}

/// The kind of cap note for arrivals the dispatcher did not reach before the phase's end.
pub const NOT_STARTED: &str = "planned arrivals were not started: the dispatcher fell behind the rate and the phase ended at its duration";

/// Counts this segment's arrivals of `arrivals` from the `taken`-th of the schedule on as
/// dropped, and notes why.
fn not_started(stats: &PhaseStats, arrivals: &Arrivals, taken: u64, seg: Segment) {
    let Arrivals::Rate { profile, .. } = arrivals else { return };
    let planned = profile.expected_arrivals().ceil();
    let planned = seg.share(if planned >= u64::MAX as f64 { u64::MAX } else { planned as u64 });
    let (taken, planned_f) = (seg.share(taken), planned as f64);
    let left = planned.saturating_sub(taken);
    if left == 0 {
        return;
    }
    stats.iterations.dropped_many(left);
    stats.caps.record(NOT_STARTED, left, || {
        format!("{taken} of about {planned_f:.0} started; the rest counted as dropped")
    });
}

async fn closed_loop(
    env: &PhaseEnv,
    stats: &Arc<PhaseStats>,
    curve: VuCurve,
    budget: Budget,
    duration: Duration,
    share: Share,
) -> Result<(), String> {
    let Share { graceful, seg, at } = share;
    let timeout = env.iteration_timeout;
    // This worker's VUs are the curve's VUs k with k mod N = its index: at every instant the
    // workers' active VUs add up to the curve's.
    let (most, ramping) = (seg.share_u32(curve.max()), !curve.stages.is_empty());
    // A shared budget goes to the workers that have VUs: with fewer VUs than workers, a worker
    // without one would hold iterations nobody runs.
    let budget = match budget {
        Budget::Shared(total) => Budget::Shared(seg.share_among(total, curve.max())),
        other => other,
    };
    let active_at = move |t: Duration| seg.share_u32(curve.at(t));
    let mut vus = Vec::new();
    for id in 0..most {
        vus.push(new_vu(env, stats, id).await?);
    }
    planned_start(env, at).await;
    let t0 = Instant::now();
    stats.mark_started(t0);
    let end = t0 + duration;
    // A worker whose share of a timed phase holds no VU (fewer VUs than workers) still lasts the
    // phase's duration: ending at once, it would start its next phase while the others run this
    // one. A budget-bound phase with no VU here has nothing to wait for.
    if most == 0 && matches!(budget, Budget::Unlimited) {
        tokio::select! {
            _ = tokio::time::sleep_until(end.into()) => {}
            _ = env.stop.until(Stop::Graceful) => {}
        }
        return Ok(());
    }
    let (active_tx, active_rx) = watch::channel(active_at(Duration::ZERO));
    let ramp = ramping.then(|| {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RAMP_TICK);
            while Instant::now() < end {
                tick.tick().await;
                active_tx.send_if_modified(|n| {
                    let now = active_at(t0.elapsed());
                    std::mem::replace(n, now) != now
                });
            }
        })
    });
    let next_iteration = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for vu in vus {
        let (env, stats, next_iteration, mut active) =
            (env.clone(), stats.clone(), next_iteration.clone(), active_rx.clone());
        tasks.spawn(async move {
            let mut vu = vu;
            let mut mine = 0u64;
            loop {
                if Instant::now() >= end || env.stop.level() >= Stop::Graceful {
                    break;
                }
                // A phase that does not ramp has all its VUs active throughout: no need to read
                // the shared curve (a lock) per iteration.
                if ramping && vu.id >= *active.borrow_and_update() {
                    tokio::select! {
                        changed = active.changed() => if changed.is_err() { break } else { continue },
                        _ = tokio::time::sleep_until(end.into()) => break,
                        _ = env.stop.until(Stop::Graceful) => break,
                    }
                }
                let n = next_iteration.fetch_add(1, Ordering::Relaxed);
                let within_budget = match budget {
                    Budget::Unlimited => true,
                    Budget::PerVu(k) => mine < k,
                    Budget::Shared(total) => n < total,
                };
                if !within_budget {
                    break;
                }
                mine += 1;
                let outcome = vu.iterate(seg.global(n), timeout).await;
                if !replace_if_broken(&env, &stats, &mut vu, &outcome).await {
                    break;
                }
            }
        });
    }
    drain(&env.stop, &mut tasks, end + graceful, graceful, stats).await;
    if let Some(ramp) = ramp {
        ramp.abort();
    }
    Ok(())
}

/// Waits for in-flight iterations until `deadline` — or, once the run is asked to stop, for
/// `graceful` more, or not at all when asked to stop at once — then interrupts and counts the rest.
async fn drain(
    stop: &StopSignal,
    tasks: &mut JoinSet<()>,
    deadline: Instant,
    graceful: Duration,
    stats: &PhaseStats,
) {
    let all_done = async { while tasks.join_next().await.is_some() {} };
    let cut = async {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline.into()) => {}
            _ = async { stop.until(Stop::Graceful).await; tokio::time::sleep(graceful).await } => {}
            _ = stop.until(Stop::Now) => {}
        }
    };
    let finished = tokio::select! {
        _ = all_done => true,
        _ = cut => false,
    };
    if !finished {
        stats.iterations.interrupt_in_flight();
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
}
