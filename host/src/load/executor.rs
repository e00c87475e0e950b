//! Runs one phase to its end: the open-loop driver (iterations start at planned instants on a
//! pool of VUs) and the closed-loop driver (each active VU starts its next iteration when the
//! last one ends). Every executor of the WIT is one of these two with a different [`Plan`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::PhaseSpec;
use super::plan::{ArrivalTimes, Arrivals, Budget, Plan, VuCurve};
use super::vu::{Outcome, Vu};
use crate::capabilities::{RunContext, Stop};
use crate::stats::PhaseStats;

/// How often a ramping closed-loop phase re-reads its VU curve.
const RAMP_TICK: Duration = Duration::from_millis(10);
/// At most this many VUs are created before an open-loop phase starts; more come on demand.
const MAX_PREALLOCATED: u32 = 64;

/// Runs `spec` to its end, recording into `stats`. Fails only when VUs cannot be created.
pub async fn run_phase(run: Arc<RunContext>, spec: PhaseSpec, stats: Arc<PhaseStats>) -> Result<(), String> {
    let graceful = spec.graceful_stop;
    let result = match spec.plan {
        Plan::Pause(d) => {
            stats.mark_started(Instant::now());
            tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = run.until(Stop::Graceful) => {}
            }
            Ok(())
        }
        Plan::Open { arrivals, max_vus, duration } => {
            open_loop(&run, &stats, arrivals, max_vus, duration, graceful).await
        }
        Plan::Closed { vus, budget, duration } => {
            closed_loop(&run, &stats, vus, budget, duration, graceful).await
        }
    };
    stats.mark_started(Instant::now());
    stats.mark_ended(Instant::now());
    result
}

async fn new_vu(run: &Arc<RunContext>, stats: &Arc<PhaseStats>, id: u32) -> Result<Vu, String> {
    Vu::new(run, stats, id).await.map_err(|e| {
        let why = crate::engine::one_line(&e);
        // Pool exhaustion reads "... instance limit of N reached ..."; say which knob raises it.
        let hint = if why.contains("limit") { " (more VUs at once need a higher --max-vus)" } else { "" };
        format!("phase {}: cannot create VU {id}: {why}{hint}", stats.name)
    })
}

/// Keeps a VU usable after an iteration: replaced in place by a fresh instance when the
/// iteration broke it. `false` when no fresh one could be made (the VU is then unusable).
async fn replace_if_broken(
    run: &Arc<RunContext>,
    stats: &Arc<PhaseStats>,
    vu: &mut Vu,
    outcome: &Outcome,
) -> bool {
    if !matches!(outcome, Outcome::Broken(_)) {
        return true;
    }
    match new_vu(run, stats, vu.id).await {
        Ok(fresh) => {
            *vu = fresh;
            true
        }
        Err(_) => false,
    }
}

async fn open_loop(
    run: &Arc<RunContext>,
    stats: &Arc<PhaseStats>,
    arrivals: Arrivals,
    max_vus: u32,
    duration: Duration,
    graceful: Duration,
) -> Result<(), String> {
    let timeout = run.settings.iteration_timeout;
    let prealloc = match &arrivals {
        Arrivals::AllAtOnce(n) => (*n).min(max_vus),
        Arrivals::Rate { profile, .. } => {
            (profile.max_rate().ceil() as u32).clamp(1, MAX_PREALLOCATED).min(max_vus)
        }
    };
    let (idle_tx, mut idle_rx) = mpsc::unbounded_channel::<Vu>();
    for id in 0..prealloc {
        let _ = idle_tx.send(new_vu(run, stats, id).await?);
    }
    let mut created = prealloc;
    let mut tasks = JoinSet::new();
    let mut iteration = 0u64;
    let t0 = Instant::now();
    stats.mark_started(t0);
    for offset in ArrivalTimes::new(&arrivals) {
        let intended = t0 + offset;
        tokio::select! {
            biased;
            _ = run.until(Stop::Graceful) => break,
            _ = tokio::time::sleep_until(intended.into()) => {}
        }
        while tasks.try_join_next().is_some() {}
        let vu = match idle_rx.try_recv() {
            Ok(vu) => vu,
            Err(_) if created < max_vus => {
                created += 1;
                new_vu(run, stats, created - 1).await?
            }
            Err(_) => {
                // No free VU: the arrival is lost, and said so (never silently skipped).
                stats.dropped_iterations.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let n = iteration;
        iteration += 1;
        let (run, stats, idle_tx) = (run.clone(), stats.clone(), idle_tx.clone());
        tasks.spawn(async move {
            let lag = intended.elapsed();
            let mut vu = vu;
            let outcome = vu.iterate(n, timeout).await;
            stats.record_schedule(lag, intended.elapsed());
            if replace_if_broken(&run, &stats, &mut vu, &outcome).await {
                let _ = idle_tx.send(vu);
            }
        });
    }
    let schedule_end = (t0 + duration).max(Instant::now());
    drain(run, &mut tasks, schedule_end + graceful, graceful, stats).await;
    Ok(())
}

async fn closed_loop(
    run: &Arc<RunContext>,
    stats: &Arc<PhaseStats>,
    curve: VuCurve,
    budget: Budget,
    duration: Duration,
    graceful: Duration,
) -> Result<(), String> {
    let timeout = run.settings.iteration_timeout;
    let mut vus = Vec::new();
    for id in 0..curve.max() {
        vus.push(new_vu(run, stats, id).await?);
    }
    let t0 = Instant::now();
    stats.mark_started(t0);
    let end = t0 + duration;
    let (active_tx, active_rx) = watch::channel(curve.at(Duration::ZERO));
    let ramping = !curve.stages.is_empty();
    let ramp = ramping.then(|| {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RAMP_TICK);
            while Instant::now() < end {
                tick.tick().await;
                active_tx.send_if_modified(|n| {
                    let now = curve.at(t0.elapsed());
                    std::mem::replace(n, now) != now
                });
            }
        })
    });
    let next_iteration = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for vu in vus {
        let (run, stats, next_iteration, mut active) =
            (run.clone(), stats.clone(), next_iteration.clone(), active_rx.clone());
        tasks.spawn(async move {
            let mut vu = vu;
            let mut mine = 0u64;
            loop {
                if Instant::now() >= end || run.stop_level() >= Stop::Graceful {
                    break;
                }
                // A phase that does not ramp has all its VUs active throughout: no need to read
                // the shared curve (a lock) per iteration.
                if ramping && vu.id >= *active.borrow_and_update() {
                    tokio::select! {
                        changed = active.changed() => if changed.is_err() { break } else { continue },
                        _ = tokio::time::sleep_until(end.into()) => break,
                        _ = run.until(Stop::Graceful) => break,
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
                let outcome = vu.iterate(n, timeout).await;
                if !replace_if_broken(&run, &stats, &mut vu, &outcome).await {
                    break;
                }
            }
        });
    }
    drain(run, &mut tasks, end + graceful, graceful, stats).await;
    if let Some(ramp) = ramp {
        ramp.abort();
    }
    Ok(())
}

/// Waits for in-flight iterations until `deadline` — or, once the run is asked to stop, for
/// `graceful` more, or not at all when asked to stop at once — then interrupts and counts the rest.
async fn drain(
    run: &RunContext,
    tasks: &mut JoinSet<()>,
    deadline: Instant,
    graceful: Duration,
    stats: &PhaseStats,
) {
    let all_done = async { while tasks.join_next().await.is_some() {} };
    let cut = async {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline.into()) => {}
            _ = async { run.until(Stop::Graceful).await; tokio::time::sleep(graceful).await } => {}
            _ = run.until(Stop::Now) => {}
        }
    };
    let finished = tokio::select! {
        _ = all_done => true,
        _ = cut => false,
    };
    if !finished {
        let in_flight = stats.in_flight.load(Ordering::Relaxed).max(0) as u64;
        stats.interrupted_iterations.fetch_add(in_flight, Ordering::Relaxed);
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
}
