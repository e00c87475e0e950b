//! The run as it goes. Once per interval every active phase is sampled; each sample is appended
//! to `timeseries.jsonl` and flushed at once (a `kill -9` loses at most the last interval), drawn
//! as a live progress line (`progress`), and the live results are judged by `--abort-on-fail`
//! (`abort`). Telemetry records reach the same file through [`Timeline::sink`]. Every record
//! written is also handed to the run's [`Tap`]s (the live dashboard), whatever became of the file.
//!
//! The file is a copy, not the results: those stay in memory (`stats/`). So a write that fails
//! (a full disk) is said once, on stderr, the file is left as it is, and sampling, progress and
//! `--abort-on-fail` go on; [`Timeline::finish`] hands the failure to the summary's notes.
//!
//! A sample's interval is the time the phase ran in it, not the time between two ticks: the
//! sample after a phase ended covers only what was left of the phase, so its rate is not
//! diluted by the time after the end (and a rate over a short interval is shown with care:
//! `runner_reports::timeseries::PARTIAL_S`).

mod abort;
mod progress;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runner_reports::thresholds::Threshold;
use runner_reports::timeseries::{PhaseStart, Record, RunStart, Sample};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use progress::Progress;

use crate::run::{RunContext, TIMESERIES};
use crate::stats::{PhaseShape, PhaseStats};
use abort::AbortOnFail;
use progress::ProgressLines;

/// How often phases are sampled.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Something else that gets every record as it is written (`outputs::dashboard`'s feed). It is
/// called on the sampler's task, so it must return at once: it may not wait for anyone.
pub trait Tap: Send + 'static {
    /// `record`, with `json` its one-line serialized form as written to `timeseries.jsonl`.
    fn record(&mut self, record: &Record, json: &[u8]);
}

/// The running sampler; [`Timeline::finish`] takes the last samples and flushes.
pub struct Timeline {
    stop: oneshot::Sender<()>,
    /// Records from elsewhere (telemetry), written at the next sample.
    extra: mpsc::UnboundedSender<Record>,
    task: JoinHandle<TimelineEnd>,
}

/// How the time series ended.
#[derive(Debug, Default)]
pub struct TimelineEnd {
    /// Why a threshold aborted the run (`--abort-on-fail`), if one did.
    pub aborted: Option<String>,
    /// The first write to `timeseries.jsonl` that failed; nothing was written after it.
    pub write_error: Option<String>,
}

impl Timeline {
    /// Starts sampling `run`'s phases into `dir/timeseries.jsonl`. `abort_on` are thresholds
    /// checked on the live results at every sample: the first one that fails on observed values
    /// stops the run gracefully (`--abort-on-fail`).
    /// The file starts with the run's id (`run_id`), written before this returns. Every record
    /// also goes to each of `taps`.
    pub fn start(
        run: Arc<RunContext>,
        dir: &Path,
        run_id: &str,
        progress: Progress,
        abort_on: Vec<Threshold>,
        mut taps: Vec<Box<dyn Tap>>,
    ) -> std::io::Result<Self> {
        let path = dir.join(TIMESERIES);
        let mut file = BufWriter::new(File::create(&path)?);
        let first = Record::Run(RunStart { run_id: run_id.to_string() });
        let json = serde_json::to_vec(&first).map_err(std::io::Error::other)?;
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.flush()?;
        for tap in &mut taps {
            tap.record(&first, &json);
        }
        let (stop, mut stopped) = oneshot::channel();
        let (extra, extra_rx) = mpsc::unbounded_channel();
        let mut sampler = Sampler {
            run,
            path: path.display().to_string(),
            file: Some(file),
            write_error: None,
            progress: ProgressLines::new(progress),
            seen: HashMap::new(),
            abort: AbortOnFail::new(abort_on),
            extra: extra_rx,
            taps,
        };
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(INTERVAL);
            // After a stall, one sample late rather than a burst of samples milliseconds apart.
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await; // the first tick is immediate
            loop {
                tokio::select! {
                    _ = tick.tick() => sampler.sample(),
                    _ = &mut stopped => break,
                }
            }
            sampler.sample();
            sampler.progress.close();
            TimelineEnd { aborted: sampler.abort.aborted, write_error: sampler.write_error }
        });
        Ok(Self { stop, extra, task })
    }

    /// Where other parts of the run (the telemetry sampler) send records to be written into
    /// `timeseries.jsonl`, in arrival order, at each interval.
    pub fn sink(&self) -> mpsc::UnboundedSender<Record> {
        self.extra.clone()
    }

    /// Takes the final samples, writes them and stops.
    pub async fn finish(self) -> TimelineEnd {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_else(|e| TimelineEnd {
            aborted: None,
            write_error: Some(format!("the time series' task ended: {e}")),
        })
    }
}

/// What the sampler remembers of a phase between two samples.
struct Seen {
    /// The phase's elapsed seconds at the last sample.
    elapsed_s: f64,
    requests: u64,
    errors: u64,
    output_tokens: u64,
    done: bool,
}

struct Sampler {
    run: Arc<RunContext>,
    path: String,
    /// `None` once a write failed.
    file: Option<BufWriter<File>>,
    write_error: Option<String>,
    progress: ProgressLines,
    seen: HashMap<String, Seen>,
    abort: AbortOnFail,
    extra: mpsc::UnboundedReceiver<Record>,
    taps: Vec<Box<dyn Tap>>,
}

impl Sampler {
    /// Writes `record` into the file (while it takes writes) and hands it to the taps.
    fn write(&mut self, record: &Record) {
        let json = match serde_json::to_vec(record) {
            Ok(json) => json,
            Err(e) => return self.check(Err(std::io::Error::other(e))),
        };
        for tap in &mut self.taps {
            tap.record(record, &json);
        }
        let Some(file) = &mut self.file else { return };
        let written = file.write_all(&json).and_then(|()| file.write_all(b"\n"));
        self.check(written);
    }

    /// Flushes what this interval wrote, so a killed run keeps it.
    fn flush(&mut self) {
        let Some(file) = &mut self.file else { return };
        let flushed = file.flush();
        self.check(flushed);
    }

    /// The first failed write is said at once, one line, and ends the writing: the file keeps
    /// what reached it (a torn last line at worst, which `runner report` skips).
    fn check(&mut self, result: std::io::Result<()>) {
        let Err(e) = result else { return };
        if let Some(file) = self.file.take() {
            // Drop the buffer unwritten: a later write after space came back would only tear
            // the file in its middle.
            let _ = file.into_parts();
        }
        self.progress.say(&format!(
            "error: writing {} failed ({e}); the run goes on, its results kept in memory, and the \
             summary is printed at the end",
            self.path
        ));
        self.write_error = Some(e.to_string());
    }

    fn sample(&mut self) {
        while let Ok(record) = self.extra.try_recv() {
            self.write(&record);
        }
        let now = Instant::now();
        let t_s = now.saturating_duration_since(self.run.started).as_secs_f64();
        for (stats, shape) in self.run.phases.entries() {
            let Some(started) = stats.started_at() else { continue };
            if !self.seen.contains_key(&stats.name) {
                self.write(&Record::Phase(phase_start(&stats, &shape, started, self.run.started)));
                let fresh = Seen { elapsed_s: 0.0, requests: 0, errors: 0, output_tokens: 0, done: false };
                self.seen.insert(stats.name.clone(), fresh);
            }
            let Some(seen) = self.seen.get_mut(&stats.name) else { continue };
            if seen.done {
                continue;
            }
            let sample = next_sample(&stats, seen, t_s);
            self.progress.show(&sample, &shape, now);
            self.write(&Record::Sample(sample));
        }
        self.abort.check(&self.run);
        self.flush();
    }
}

/// The phase's sample now: totals so far, and what changed since `seen` (then updated).
fn next_sample(stats: &PhaseStats, seen: &mut Seen, t_s: f64) -> Sample {
    // `ended` before `elapsed`: a phase seen ended has its final elapsed time.
    let last = stats.ended();
    let elapsed_s = stats.elapsed().as_secs_f64();
    let sample = Sample {
        t_s,
        phase: stats.name.clone(),
        elapsed_s,
        last,
        requests: stats.requests(),
        errors: stats.errors(),
        errors_by_class: stats.errors_by_class(),
        output_tokens: stats.output_tokens(),
        iterations: stats.iterations.counts(),
        in_flight: stats.iterations.in_flight(),
        // The phase's own time in the interval: up to its end, not to this tick.
        interval_s: (elapsed_s - seen.elapsed_s).max(0.0),
        interval_requests: stats.requests().saturating_sub(seen.requests),
        interval_errors: stats.errors().saturating_sub(seen.errors),
        interval_output_tokens: stats.output_tokens().saturating_sub(seen.output_tokens),
        latency: stats.take_interval(),
    };
    (seen.elapsed_s, seen.requests, seen.errors, seen.output_tokens, seen.done) =
        (elapsed_s, sample.requests, sample.errors, sample.output_tokens, last);
    sample
}

fn phase_start(stats: &PhaseStats, shape: &PhaseShape, started: Instant, run_started: Instant) -> PhaseStart {
    PhaseStart {
        t_s: started.saturating_duration_since(run_started).as_secs_f64(),
        phase: stats.name.clone(),
        tags: stats.tags.clone(),
        executor: shape.executor.clone(),
        plan: shape.plan.clone(),
        concurrency: shape.concurrency,
        target_rate: shape.target_rate,
        planned_s: shape.planned.map(|d| d.as_secs_f64()),
    }
}
