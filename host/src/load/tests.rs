//! The scheduler on its own: plain Rust VUs with known behaviour, no Wasm. Counts are exact;
//! times are only bounded loosely (the machines are shared).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::executor::{PhaseEnv, run_phase};
use super::plan::{Arrivals, Budget, Gaps, Plan, RateProfile, VuCurve};
use super::*;
use crate::stats::{PhaseStats, Tags};

/// What every iteration of a [`FakeVu`] does.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Completes after this long.
    Sleep(Duration),
    /// Fails (the VU stays usable).
    Fail,
    /// Breaks the VU (it must be replaced).
    Break,
}

struct FakeVu(Behaviour);

impl Vu for FakeVu {
    fn iterate(&mut self, _iteration: u64) -> BoxFuture<'_, Outcome> {
        let behaviour = self.0;
        Box::pin(async move {
            match behaviour {
                Behaviour::Sleep(d) => {
                    tokio::time::sleep(d).await;
                    Outcome::Completed
                }
                Behaviour::Fail => Outcome::Failed("told to fail".into()),
                Behaviour::Break => Outcome::Broken("told to break".into()),
            }
        })
    }
}

/// Makes [`FakeVu`]s and counts how many it made.
struct FakeVus {
    behaviour: Behaviour,
    created: AtomicU32,
}

impl VuFactory for FakeVus {
    fn create<'a>(
        &'a self,
        _phase: &'a Arc<PhaseStats>,
        _id: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Vu>, String>> {
        self.created.fetch_add(1, Ordering::Relaxed);
        let vu: Box<dyn Vu> = Box::new(FakeVu(self.behaviour));
        Box::pin(async move { Ok(vu) })
    }
}

fn env(behaviour: Behaviour, iteration_timeout: Duration) -> (PhaseEnv, Arc<FakeVus>) {
    let vus = Arc::new(FakeVus { behaviour, created: AtomicU32::new(0) });
    let env = PhaseEnv { vus: vus.clone(), stop: StopSignal::default(), iteration_timeout };
    (env, vus)
}

fn spec(plan: Plan) -> PhaseSpec {
    PhaseSpec {
        name: "p".into(),
        tags: Tags::new(),
        executor: "test",
        plan,
        graceful_stop: Duration::from_secs(5),
        segment: Segment::WHOLE,
        start_at: None,
    }
}

async fn run(env: PhaseEnv, plan: Plan) -> Arc<PhaseStats> {
    let stats = Arc::new(PhaseStats::new("p", Tags::new()));
    run_phase(env, spec(plan), stats.clone()).await.expect("the phase runs");
    stats
}

#[tokio::test]
async fn a_closed_loop_runs_each_vus_budget_exactly() {
    let (env, vus) = env(Behaviour::Sleep(Duration::from_millis(1)), Duration::from_secs(10));
    let plan = Plan::Closed {
        vus: VuCurve::constant(3),
        budget: Budget::PerVu(4),
        duration: Duration::from_secs(60),
    };
    let stats = run(env, plan).await;
    let counts = stats.iterations.counts();
    assert_eq!((counts.completed, counts.failed, counts.dropped, counts.interrupted), (12, 0, 0, 0));
    assert_eq!(vus.created.load(Ordering::Relaxed), 3);
    assert_eq!(stats.iterations.in_flight(), 0);
}

#[tokio::test]
async fn shared_iterations_are_split_among_vus_without_overshoot() {
    let (env, _) = env(Behaviour::Fail, Duration::from_secs(10));
    let plan = Plan::Closed {
        vus: VuCurve::constant(4),
        budget: Budget::Shared(10),
        duration: Duration::from_secs(60),
    };
    let stats = run(env, plan).await;
    let counts = stats.iterations.counts();
    assert_eq!((counts.completed, counts.failed), (0, 10));
    assert_eq!(stats.notes(), ["phase p: iteration failed: told to fail"]);
}

#[tokio::test]
async fn a_broken_vu_is_replaced_by_a_fresh_one() {
    let (env, vus) = env(Behaviour::Break, Duration::from_secs(10));
    let plan = Plan::Closed {
        vus: VuCurve::constant(2),
        budget: Budget::PerVu(3),
        duration: Duration::from_secs(60),
    };
    let stats = run(env, plan).await;
    assert_eq!(stats.iterations.counts().failed, 6);
    // Two to start with, and one fresh VU after each of the six broken iterations.
    assert_eq!(vus.created.load(Ordering::Relaxed), 2 + 6);
}

#[tokio::test]
async fn an_iteration_past_the_timeout_is_cut_and_counted_as_failed() {
    let (env, vus) = env(Behaviour::Sleep(Duration::from_secs(30)), Duration::from_millis(50));
    let plan = Plan::Closed {
        vus: VuCurve::constant(1),
        budget: Budget::PerVu(2),
        duration: Duration::from_secs(60),
    };
    let began = Instant::now();
    let stats = run(env, plan).await;
    assert!(began.elapsed() < Duration::from_secs(20), "the timeout cut both iterations");
    assert_eq!(stats.iterations.counts().failed, 2);
    assert_eq!(vus.created.load(Ordering::Relaxed), 1 + 2);
    assert!(stats.notes()[0].contains("iteration timeout"), "{:?}", stats.notes());
}

#[tokio::test]
async fn an_open_loop_drops_arrivals_it_has_no_vu_for_and_counts_them() {
    // 20 arrivals over 200 ms, each iteration busy for 10 s, at most 2 VUs: 2 start, 18 are
    // dropped, and the 2 in flight are cut when the (short) graceful stop ends.
    let (env, vus) = env(Behaviour::Sleep(Duration::from_secs(10)), Duration::from_secs(60));
    let duration = Duration::from_millis(200);
    let arrivals = Arrivals::Rate { profile: RateProfile::constant(100.0, duration), gaps: Gaps::Uniform };
    let stats = Arc::new(PhaseStats::new("p", Tags::new()));
    let spec = PhaseSpec {
        graceful_stop: Duration::from_millis(50),
        ..spec(Plan::Open { arrivals, max_vus: 2, duration })
    };
    run_phase(env, spec, stats.clone()).await.expect("the phase runs");
    let counts = stats.iterations.counts();
    assert_eq!((counts.completed, counts.dropped, counts.interrupted), (0, 18, 2));
    assert_eq!(vus.created.load(Ordering::Relaxed), 2);
    assert_eq!(stats.iterations.in_flight(), 0);
}

#[tokio::test]
async fn a_graceful_stop_ends_a_closed_loop_early() {
    let (env, _) = env(Behaviour::Sleep(Duration::from_millis(5)), Duration::from_secs(10));
    let stop = env.stop.clone();
    let plan = Plan::Closed {
        vus: VuCurve::constant(2),
        budget: Budget::Unlimited,
        duration: Duration::from_secs(60),
    };
    let phase = tokio::spawn(run(env, plan));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.request(Stop::Graceful);
    let stats =
        tokio::time::timeout(Duration::from_secs(20), phase).await.expect("stopped").expect("no panic");
    let counts = stats.iterations.counts();
    assert!(counts.completed > 0, "{counts:?}");
    assert_eq!(counts.interrupted, 0, "in-flight iterations finished within the graceful stop");
}

#[tokio::test]
async fn the_registry_refuses_a_second_phase_of_the_same_name_and_new_phases_once_stopping() {
    let stop = StopSignal::default();
    let limits = PhaseLimits {
        iteration_timeout: Duration::from_secs(1),
        lag_bound: Duration::from_millis(10),
        slo: None,
        observers: Default::default(),
    };
    let registry = PhaseRegistry::new(stop.clone(), limits);
    let (env, _) = env(Behaviour::Sleep(Duration::ZERO), Duration::from_secs(1));
    let pause = || spec(Plan::Pause(Duration::from_millis(1)));
    let handle = registry.start(pause(), env.vus.clone()).expect("first");
    assert!(registry.start(pause(), env.vus.clone()).unwrap_err().contains("already exists"));
    registry.wait(handle).await.expect("the pause ends");
    stop.request(Stop::Graceful);
    let late = PhaseSpec { name: "q".into(), ..pause() };
    assert!(registry.start(late, env.vus).unwrap_err().contains("stopping"));
}

#[tokio::test]
async fn an_open_loop_ends_at_its_duration_whatever_its_rate() {
    // 20 million arrivals in 1 s: more than one dispatcher can start. It used to work through the
    // whole backlog (~6 s on the 2-core machine); the phase must end at its duration, and the
    // arrivals it did not reach are counted as dropped, with a note.
    let (env, _) = env(Behaviour::Sleep(Duration::ZERO), Duration::from_secs(10));
    let duration = Duration::from_secs(1);
    let arrivals = Arrivals::Rate { profile: RateProfile::constant(2e7, duration), gaps: Gaps::Uniform };
    let stats = Arc::new(PhaseStats::new("p", Tags::new()));
    let spec = PhaseSpec {
        graceful_stop: Duration::from_millis(100),
        ..spec(Plan::Open { arrivals, max_vus: 1, duration })
    };
    let began = Instant::now();
    run_phase(env, spec, stats.clone()).await.expect("the phase runs");
    let took = began.elapsed();
    assert!(took < Duration::from_millis(2500), "the phase ran {took:?} for a 1 s schedule");
    let c = stats.iterations.counts();
    assert_eq!(
        c.completed + c.failed + c.dropped + c.interrupted,
        20_000_000,
        "every planned arrival is counted: {c:?}"
    );
    assert!(stats.caps.count(super::executor::NOT_STARTED) > 0, "{:?}", stats.notes());
}

/// A VU that records the iteration numbers it is given and is busy for a while on each.
struct RecordingVu(Arc<std::sync::Mutex<Vec<u64>>>, Duration);

impl Vu for RecordingVu {
    fn iterate(&mut self, iteration: u64) -> BoxFuture<'_, Outcome> {
        self.0.lock().expect("not poisoned").push(iteration);
        let busy = self.1;
        Box::pin(async move {
            tokio::time::sleep(busy).await;
            Outcome::Completed
        })
    }
}

struct RecordingVus(Arc<std::sync::Mutex<Vec<u64>>>, Duration);

impl VuFactory for RecordingVus {
    fn create<'a>(
        &'a self,
        _phase: &'a Arc<PhaseStats>,
        _id: u32,
    ) -> BoxFuture<'a, Result<Box<dyn Vu>, String>> {
        let vu: Box<dyn Vu> = Box::new(RecordingVu(self.0.clone(), self.1));
        Box::pin(async move { Ok(vu) })
    }
}

#[tokio::test]
async fn a_recorded_schedule_starts_each_arrival_at_its_offset_as_its_own_iteration() {
    // One VU busy 100 ms per iteration; arrivals at 0, 20, 40, 400 and 400 ms: the 2nd and 3rd
    // find the VU busy and are dropped, the 4th starts as iteration 3 (its row of the trace, not
    // the 2nd started), and the 5th, at the same instant, is dropped too.
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let vus = Arc::new(RecordingVus(seen.clone(), Duration::from_millis(100)));
    let env = PhaseEnv { vus, stop: StopSignal::default(), iteration_timeout: Duration::from_secs(5) };
    let offsets: Arc<[Duration]> = [0, 20, 40, 400, 400].map(Duration::from_millis).into();
    let plan = Plan::Open {
        arrivals: Arrivals::Scheduled(offsets),
        max_vus: 1,
        duration: Duration::from_millis(400),
    };
    let began = Instant::now();
    let stats = run(env, plan).await;
    let took = began.elapsed();
    assert_eq!(*seen.lock().expect("not poisoned"), [0, 3]);
    let c = stats.iterations.counts();
    assert_eq!((c.completed, c.dropped), (2, 3), "{c:?}");
    // The last start was at 400 ms and took 100 ms: the phase cannot end before 500 ms.
    assert!(took >= Duration::from_millis(500), "{took:?}");
    let lag = stats.distribution(runner_reports::metric::DISPATCH_LAG);
    assert_eq!(lag.count, 2, "lateness is measured for every start");
}

/// Runs `plan` as each of `count` segments, one after the other, and returns each segment's
/// iteration numbers and counts.
async fn run_segments(plan: Plan, count: u32, busy: Duration) -> Vec<(Vec<u64>, runner_reports::Iterations)> {
    let mut out = Vec::new();
    for index in 0..count {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let vus = Arc::new(RecordingVus(seen.clone(), busy));
        let env = PhaseEnv { vus, stop: StopSignal::default(), iteration_timeout: Duration::from_secs(5) };
        let stats = Arc::new(PhaseStats::new("p", Tags::new()));
        let spec = PhaseSpec { segment: Segment::new(index, count).expect("valid"), ..spec(plan.clone()) };
        run_phase(env, spec, stats.clone()).await.expect("the phase runs");
        let mut seen = seen.lock().expect("not poisoned").clone();
        seen.sort_unstable();
        out.push((seen, stats.iterations.counts()));
    }
    out
}

#[tokio::test]
async fn segments_of_an_open_loop_run_the_whole_schedule_once() {
    // 90 Poisson arrivals planned over 300 ms, split 4 ways: together the workers start exactly
    // the arrivals one process would have, each with its own, never one twice.
    let duration = Duration::from_millis(300);
    let arrivals =
        Arrivals::Rate { profile: RateProfile::constant(300.0, duration), gaps: Gaps::Poisson { seed: 9 } };
    let whole = plan::ArrivalTimes::new(&arrivals).count() as u64;
    let parts =
        run_segments(Plan::Open { arrivals, max_vus: 50, duration }, 4, Duration::from_millis(1)).await;
    let mut all: Vec<u64> = parts.iter().flat_map(|(seen, _)| seen.clone()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..whole).collect::<Vec<_>>(), "every arrival once, numbered as in the whole");
    for (index, (seen, counts)) in parts.iter().enumerate() {
        assert!(seen.iter().all(|k| k % 4 == index as u64), "segment {index}: {seen:?}");
        assert_eq!((counts.completed, counts.dropped), (seen.len() as u64, 0));
    }
}

#[tokio::test]
async fn segments_of_a_shared_budget_add_up_to_it() {
    // 10 iterations shared by 3 VUs, split 4 ways: VUs 1+1+1+0, so the iterations go 4+3+3+0
    // (a worker without a VU holds none).
    let plan = Plan::Closed {
        vus: VuCurve::constant(3),
        budget: Budget::Shared(10),
        duration: Duration::from_secs(30),
    };
    let parts = run_segments(plan, 4, Duration::ZERO).await;
    let done: Vec<u64> = parts.iter().map(|(_, c)| c.completed).collect();
    assert_eq!(done, [4, 3, 3, 0]);
    let mut all: Vec<u64> = parts.iter().flat_map(|(seen, _)| seen.clone()).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 10, "iteration numbers stay distinct across workers");
}

#[tokio::test]
async fn a_segment_without_a_vu_still_lasts_the_phase() {
    // 2 VUs for 300 ms split 4 ways: segments 2 and 3 have no VU, and still end with the phase
    // (not at once), so a worker does not run ahead of the others into the next phase.
    let plan = Plan::Closed {
        vus: VuCurve::constant(2),
        budget: Budget::Unlimited,
        duration: Duration::from_millis(300),
    };
    let (env, vus) = env(Behaviour::Sleep(Duration::from_millis(1)), Duration::from_secs(5));
    let stats = Arc::new(PhaseStats::new("p", Tags::new()));
    let spec = PhaseSpec { segment: Segment::new(3, 4).expect("valid"), ..spec(plan) };
    let began = Instant::now();
    run_phase(env, spec, stats.clone()).await.expect("the phase runs");
    assert!(began.elapsed() >= Duration::from_millis(300), "{:?}", began.elapsed());
    assert_eq!(vus.created.load(Ordering::Relaxed), 0);
    assert_eq!(stats.iterations.counts().completed, 0);
}
