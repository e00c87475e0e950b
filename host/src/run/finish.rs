//! The last stage: stop the telemetry and the time series (and with them the live dashboard),
//! turn every phase into its report, assemble the summary (see [`SummaryBuilder`]) and write the
//! run folder.

use std::time::{Duration, Instant};

use runner_reports::Summary;

use super::PlayOptions;
use super::drive::Driven;
use super::folder;
use super::prepare::Prepared;
use super::start::Started;
use super::summary::SummaryBuilder;
use crate::load::Stop;
use crate::stats::PhaseShape;

/// What the finish stage hands back.
pub struct Finished {
    pub summary: Summary,
    /// Whether the run was cut short by Ctrl-C or SIGTERM.
    pub interrupted: bool,
    /// What could not be written into the run folder, one line.
    pub folder_error: Option<String>,
}

/// Runs the finish stage.
pub async fn finish(
    opts: &PlayOptions,
    prepared: Prepared,
    started: Started,
    driven: Driven,
) -> anyhow::Result<Finished> {
    let Started { run, header, folder, timeline, sampler, outputs, controller } = started;
    let duration = run.started.elapsed();
    drop(controller);
    // Before the time series closes, so the telemetry's last sample is written into it.
    let telemetry = match sampler {
        Some(sampler) => Some(sampler.finish().await),
        None => None,
    };
    let mut header = header;
    let header_is_split_against_mock =
        header.target_is_mock && header.segment.as_ref().is_some_and(|s| s.count > 1);
    let late_note = start_late(&mut header, driven.start_late);
    let mut summary = SummaryBuilder::new(header, duration);
    if let Some(note) = late_note {
        summary.run_note(note);
    }
    if header_is_split_against_mock {
        summary.run_note(
            "each worker of this split run played against its own built-in simulated server: give \
             the workers one --target"
                .to_string(),
        );
    }
    for error in driven.phase_errors {
        summary.run_note(error);
    }
    let ended = timeline.finish().await;
    // The time series is complete: the dashboard's browsers get `end`, and the server closes
    // while the summary is written (it takes at most `dashboard::GRACE`).
    let mut prepared = prepared;
    let dashboard_closed = prepared.dashboard.take().map(|d| d.end());
    if let Some(e) = &ended.write_error {
        summary.run_note(format!("the time series is incomplete: {e}"));
    }
    for note in outputs.finish(&run).await {
        summary.run_note(note);
    }
    let aborted = ended.aborted;
    // A stop that no threshold asked for came from Ctrl-C or SIGTERM.
    let interrupted = run.stop.level() > Stop::Running && aborted.is_none();
    let interruption = interrupted
        .then(|| "the run was interrupted (Ctrl-C or SIGTERM): it covers what ran until then".to_string());
    summary.stopped_early(aborted.or(interruption)).drive_error(driven.error);

    let (mut phases, notes) = run.phases.reports(run.started);
    if let Some(mut by_phase) = telemetry {
        for p in &mut phases {
            p.telemetry = by_phase.remove(&p.name);
        }
    }
    summary.phases(phases, notes);
    // What drive() recorded itself (a breaking-point search's verdict, a warm-up request) is a
    // row of its own, after the phases.
    if !run.drive_stats.is_empty() {
        run.drive_stats.mark_ended(Instant::now());
        let shape = PhaseShape {
            executor: "drive".into(),
            plan: "recorded by drive() itself, outside any phase".into(),
            ..PhaseShape::default()
        };
        summary.drive_row(run.drive_stats.report(&shape, run.started));
    }
    let measured: Vec<_> = run.phases.entries().into_iter().map(|(stats, _)| stats).collect();
    let measured = measured.iter().map(AsRef::as_ref).chain([run.drive_stats.as_ref()]);
    summary.headline(crate::stats::nothing_reached_the_server(measured, &run.settings.target));
    summary.thresholds(&opts.thresholds, run.declared_thresholds());
    let summary = summary.build();
    if let Some(mock) = prepared.mock {
        mock.shutdown().await;
    }
    // A full disk loses the folder, not the run: the caller still prints the summary, then says
    // what is missing. The lock is held until the last file is written.
    let failed_writes: Vec<String> = ended
        .write_error
        // Its error was said when it happened, and is in the summary's notes.
        .map(|_| format!("{} stopped at its first failed write", folder::TIMESERIES))
        .into_iter()
        .chain(folder::write(&folder.dir, &summary).err().map(|e| format!("{e:#}")))
        .collect();
    drop(folder);
    if let Some(closed) = dashboard_closed {
        let _ = closed.await;
    }
    let folder_error = (!failed_writes.is_empty()).then(|| failed_writes.join("; "));
    Ok(Finished { summary, interrupted, folder_error })
}

/// A late start beyond this is worth a note: workers meant to start together did not.
const LATE_START_NOTE: Duration = Duration::from_secs(1);

/// Records in the summary's segment how late `drive` started after `--start-at`; returns a note
/// when it was late enough to matter (the worker was not ready by then, or the time had passed).
fn start_late(header: &mut Summary, late: Option<Duration>) -> Option<String> {
    let (Some(segment), Some(late)) = (header.segment.as_mut(), late) else { return None };
    segment.start_late_ms = Some(late.as_secs_f64() * 1000.0);
    (late >= LATE_START_NOTE).then(|| {
        format!(
            "this worker started {:.1} s after --start-at (it was not ready, or the time had passed): \
             its phases ran late against the other workers'",
            late.as_secs_f64()
        )
    })
}
