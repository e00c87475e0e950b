//! The run as it goes. Once per interval every active phase is sampled; each sample is appended
//! to `timeseries.jsonl` and flushed at once (a `kill -9` loses at most the last interval), drawn
//! as a live progress line (`progress`), and the live results are judged by `--abort-on-fail`
//! (`abort`). Telemetry records reach the same file through [`Timeline::sink`].

mod abort;
mod progress;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runner_reports::thresholds::Threshold;
use runner_reports::timeseries::{PhaseStart, Record, Sample};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use progress::Progress;

use crate::run::{RunContext, TIMESERIES};
use crate::stats::{PhaseShape, PhaseStats};
use abort::AbortOnFail;
use progress::ProgressLines;

/// How often phases are sampled.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// The running sampler; [`Timeline::finish`] takes the last samples and flushes.
pub struct Timeline {
    stop: oneshot::Sender<()>,
    /// Records from elsewhere (telemetry), written at the next sample.
    extra: mpsc::UnboundedSender<Record>,
    task: JoinHandle<std::io::Result<Option<String>>>,
}

impl Timeline {
    /// Starts sampling `run`'s phases into `dir/timeseries.jsonl`. `abort_on` are thresholds
    /// checked on the live results at every sample: the first one that fails on observed values
    /// stops the run gracefully (`--abort-on-fail`).
    pub fn start(
        run: Arc<RunContext>,
        dir: &Path,
        progress: Progress,
        abort_on: Vec<Threshold>,
    ) -> std::io::Result<Self> {
        let file = BufWriter::new(File::create(dir.join(TIMESERIES))?);
        let (stop, mut stopped) = oneshot::channel();
        let (extra, extra_rx) = mpsc::unbounded_channel();
        let mut sampler = Sampler {
            run,
            file,
            progress: ProgressLines::new(progress),
            seen: HashMap::new(),
            abort: AbortOnFail::new(abort_on),
            extra: extra_rx,
        };
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(INTERVAL);
            tick.tick().await; // the first tick is immediate
            loop {
                tokio::select! {
                    _ = tick.tick() => sampler.sample()?,
                    _ = &mut stopped => break,
                }
            }
            sampler.sample()?;
            sampler.progress.close();
            Ok(sampler.abort.aborted)
        });
        Ok(Self { stop, extra, task })
    }

    /// Where other parts of the run (the telemetry sampler) send records to be written into
    /// `timeseries.jsonl`, in arrival order, at each interval.
    pub fn sink(&self) -> mpsc::UnboundedSender<Record> {
        self.extra.clone()
    }

    /// Takes the final samples, writes them and stops. Returns why the run was aborted by a
    /// threshold, if it was.
    pub async fn finish(self) -> std::io::Result<Option<String>> {
        let _ = self.stop.send(());
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// What the sampler remembers of a phase between two samples.
struct Seen {
    at: Instant,
    requests: u64,
    errors: u64,
    output_tokens: u64,
    done: bool,
}

struct Sampler {
    run: Arc<RunContext>,
    file: BufWriter<File>,
    progress: ProgressLines,
    seen: HashMap<String, Seen>,
    abort: AbortOnFail,
    extra: mpsc::UnboundedReceiver<Record>,
}

impl Sampler {
    fn write(&mut self, record: &Record) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.file, record).map_err(std::io::Error::other)?;
        self.file.write_all(b"\n")
    }

    fn sample(&mut self) -> std::io::Result<()> {
        while let Ok(record) = self.extra.try_recv() {
            self.write(&record)?;
        }
        let now = Instant::now();
        let t_s = now.saturating_duration_since(self.run.started).as_secs_f64();
        for (stats, shape) in self.run.phases.entries() {
            let Some(started) = stats.started_at() else { continue };
            if !self.seen.contains_key(&stats.name) {
                self.write(&Record::Phase(phase_start(&stats, &shape, started, self.run.started)))?;
                let fresh = Seen { at: started, requests: 0, errors: 0, output_tokens: 0, done: false };
                self.seen.insert(stats.name.clone(), fresh);
            }
            let Some(seen) = self.seen.get_mut(&stats.name) else { continue };
            if seen.done {
                continue;
            }
            let sample = next_sample(&stats, seen, now, t_s);
            self.progress.show(&sample, &shape, now);
            self.write(&Record::Sample(sample))?;
        }
        self.abort.check(&self.run);
        self.file.flush()
    }
}

/// The phase's sample at `now`: totals so far, and what changed since `seen` (then updated).
fn next_sample(stats: &PhaseStats, seen: &mut Seen, now: Instant, t_s: f64) -> Sample {
    let last = stats.ended();
    let sample = Sample {
        t_s,
        phase: stats.name.clone(),
        elapsed_s: stats.elapsed().as_secs_f64(),
        last,
        requests: stats.requests(),
        errors: stats.errors(),
        errors_by_class: stats.errors_by_class(),
        output_tokens: stats.output_tokens(),
        iterations: stats.iterations.counts(),
        in_flight: stats.iterations.in_flight(),
        interval_s: now.saturating_duration_since(seen.at).as_secs_f64(),
        interval_requests: stats.requests().saturating_sub(seen.requests),
        interval_errors: stats.errors().saturating_sub(seen.errors),
        interval_output_tokens: stats.output_tokens().saturating_sub(seen.output_tokens),
        latency: stats.take_interval(),
    };
    (seen.at, seen.requests, seen.errors, seen.output_tokens, seen.done) =
        (now, sample.requests, sample.errors, sample.output_tokens, last);
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
