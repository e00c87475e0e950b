//! The third stage: the controller runs `drive()`, which starts the phases, while Ctrl-C and
//! SIGTERM are watched: the first stops the run gracefully, the second at once.
//!
//! A graceful stop must end the run within the phases' graceful stop, whatever `drive` does: its
//! sleeps end at once (`capabilities/clock.rs`), new phases are refused, and a `drive` still
//! running [`DRIVE_GRACE`] after its last phase ended is dropped, so a container's stop grace
//! (10 s in Docker) is not spent on a scenario that loops without load.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::context::RunContext;
use super::start::Started;
use crate::engine;
use crate::load::Stop;

/// How the drive stage ended.
pub struct Driven {
    /// The error `drive` returned or trapped with, if any.
    pub error: Option<String>,
    /// Why phases that `drive` started but did not wait for failed.
    pub phase_errors: Vec<String>,
    /// With `--start-at`: how long after that time `drive` started (the worker was ready late,
    /// or the time was already past).
    pub start_late: Option<Duration>,
}

/// Runs `drive()` to its end (or until a second interrupt) and waits for every phase it
/// started.
pub async fn drive(started: &mut Started) -> Driven {
    let run = &started.run;
    let (store, controller) = &mut started.controller;
    let interrupts = tokio::spawn(watch_interrupts(run.clone()));
    let start_late = match run.settings.start_at {
        Some(at) => Some(start_at(run, at).await),
        None => None,
    };
    run.drive_stats.mark_started(Instant::now());
    let call = controller.runner_scenario_guest().call_drive(store);
    let error = tokio::select! {
        result = call => match result {
            Ok(Ok(())) => None,
            Ok(Err(message)) => Some(message),
            Err(trap) => Some(format!("drive() trapped: {}", engine::one_line(&trap))),
        },
        _ = run.stop.until(Stop::Now) => Some("stopped at once by a second interrupt".to_string()),
        _ = graceful_cut(run) => Some(format!(
            "drive() had not returned {} s after the interrupt and the end of its phases: dropped",
            DRIVE_GRACE.as_secs()
        )),
    };
    let phase_errors = run.phases.wait_all().await;
    interrupts.abort();
    Driven { error, phase_errors, start_late }
}

/// Waits for the wall-clock time `at` (or a stop), starts the planned timeline there, and returns
/// how late after `at` the wait ended.
async fn start_at(run: &RunContext, at: SystemTime) -> Duration {
    let (now, wall) = (Instant::now(), SystemTime::now());
    let instant = match at.duration_since(wall) {
        Ok(ahead) => now + ahead,
        Err(past) => now.checked_sub(past.duration()).unwrap_or(now),
    };
    tokio::select! {
        _ = crate::load::planned::sleep_until(instant) => {}
        _ = run.stop.until(Stop::Graceful) => {}
    }
    run.planned.begin(instant);
    Instant::now().saturating_duration_since(instant)
}

/// How long `drive` may go on after a graceful stop once every phase has ended: enough to read
/// the last summaries and log, not enough to outlast a container's stop grace.
pub const DRIVE_GRACE: Duration = Duration::from_secs(2);

/// Resolves [`DRIVE_GRACE`] after the run is asked to stop gracefully and every phase has ended
/// (each within its own graceful stop); never before a stop is asked for.
async fn graceful_cut(run: &RunContext) {
    run.stop.until(Stop::Graceful).await;
    // Phases end on their own schedule (the executors watch the same signal); polling their end
    // keeps the registry free of a second notification path.
    while run.phases.entries().iter().any(|(stats, _)| !stats.ended()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(DRIVE_GRACE).await;
}

/// First Ctrl-C (or SIGTERM): start nothing new and let in-flight iterations finish within their
/// graceful stop. Second: stop at once. Either way the run folder is written.
async fn watch_interrupts(run: Arc<RunContext>) {
    let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        return;
    };
    let mut interrupt = async || {
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            r = terminate.recv() => r.is_some(),
        }
    };
    if !interrupt().await {
        return;
    }
    eprintln!(
        "interrupted: starting nothing new, in-flight iterations may finish; interrupt again to stop at once"
    );
    run.stop.request(Stop::Graceful);
    if interrupt().await {
        eprintln!("stopping at once");
        run.stop.request(Stop::Now);
    }
}
