//! The run as it goes. Once per interval every active phase is sampled; each sample is appended
//! to `timeseries.jsonl` and flushed at once (a `kill -9` loses at most the last interval), and
//! drawn as a live progress line: redrawn in place on a terminal, printed as plain periodic lines
//! otherwise, silent with `--quiet`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use runner_reports::thresholds::{self, Threshold};
use runner_reports::timeseries::{PhaseStart, Record, Sample};
use runner_reports::{Summary, metric};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::capabilities::{RunContext, Stop};
use crate::stats::{PhaseShape, PhaseStats};

/// How often phases are sampled.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Without a terminal, a progress line is printed this often per phase.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// Where progress goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Redrawn lines on a terminal, periodic plain lines otherwise.
    Auto,
    /// Nothing.
    Quiet,
}

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
        let file = BufWriter::new(File::create(dir.join("timeseries.jsonl"))?);
        let (stop, mut stopped) = oneshot::channel();
        let (extra, extra_rx) = mpsc::unbounded_channel();
        let mut sampler = Sampler::new(run, file, progress, abort_on, extra_rx);
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
            sampler.close();
            Ok(sampler.aborted)
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
    bar: Option<ProgressBar>,
    printed: Instant,
}

struct Sampler {
    run: Arc<RunContext>,
    file: BufWriter<File>,
    progress: Progress,
    bars: Option<MultiProgress>,
    seen: HashMap<String, Seen>,
    abort_on: Vec<Threshold>,
    aborted: Option<String>,
    extra: mpsc::UnboundedReceiver<Record>,
}

impl Sampler {
    fn new(
        run: Arc<RunContext>,
        file: BufWriter<File>,
        progress: Progress,
        abort_on: Vec<Threshold>,
        extra: mpsc::UnboundedReceiver<Record>,
    ) -> Self {
        let bars = (progress == Progress::Auto && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Self { run, file, progress, bars, seen: HashMap::new(), abort_on, aborted: None, extra }
    }

    /// Stops the run gracefully when a threshold already fails on what has been observed.
    /// Thresholds with nothing observed yet are not judged mid-run.
    fn check_thresholds(&mut self) {
        if self.abort_on.is_empty() || self.aborted.is_some() {
            return;
        }
        let (phases, _) = self.run.phases.reports(self.run.started);
        let live = Summary { phases, ..Summary::default() };
        let failed = thresholds::evaluate(&self.abort_on, &live)
            .into_iter()
            .find(|r| !r.passed && r.observed.is_some());
        if let Some(r) = failed {
            let why = format!(
                "aborted by --abort-on-fail: threshold {} failed ({} observed, {})",
                r.expression,
                thresholds::observed_text(&r),
                r.scope
            );
            eprintln!("{why}");
            self.run.request_stop(Stop::Graceful);
            self.aborted = Some(why);
        }
    }

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
                let bar = self.bars.as_ref().map(|m| m.add(new_bar()));
                let fresh = Seen {
                    at: started,
                    requests: 0,
                    errors: 0,
                    output_tokens: 0,
                    done: false,
                    bar,
                    printed: now,
                };
                self.seen.insert(stats.name.clone(), fresh);
            }
            let Some(seen) = self.seen.get_mut(&stats.name) else { continue };
            if seen.done {
                continue;
            }
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
                iterations: stats.iteration_counts(),
                in_flight: stats.in_flight.load(std::sync::atomic::Ordering::Relaxed).max(0) as u64,
                interval_s: now.saturating_duration_since(seen.at).as_secs_f64(),
                interval_requests: stats.requests().saturating_sub(seen.requests),
                interval_errors: stats.errors().saturating_sub(seen.errors),
                interval_output_tokens: stats.output_tokens().saturating_sub(seen.output_tokens),
                latency: stats.take_interval(),
            };
            (seen.at, seen.requests, seen.errors, seen.output_tokens, seen.done) =
                (now, sample.requests, sample.errors, sample.output_tokens, last);
            let line = progress_line(&sample, &shape);
            match (&seen.bar, self.progress) {
                (Some(bar), _) => {
                    bar.set_message(line);
                    if last {
                        bar.finish();
                    }
                }
                (None, Progress::Auto) if last || now.duration_since(seen.printed) >= PLAIN_EVERY => {
                    seen.printed = now;
                    eprintln!("{line}");
                }
                _ => {}
            }
            self.write(&Record::Sample(sample))?;
        }
        self.check_thresholds();
        self.file.flush()
    }

    fn close(&mut self) {
        if let Some(bars) = &self.bars {
            let _ = bars.clear();
        }
    }
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
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

/// `len64-c20  12s/30s  234 req  23.4 req/s  ttft p95 51.2 ms  0 errors  20 in flight`
fn progress_line(s: &Sample, shape: &PhaseShape) -> String {
    let planned = shape.planned.map(|d| format!("/{}s", d.as_secs())).unwrap_or_default();
    let p95 = |key: &str| s.latency.get(key).map(|d| format!("  {key} p95 {:.1} ms", d.p95));
    let latency = p95(metric::TTFT).or_else(|| p95(metric::HTTP_TOTAL)).unwrap_or_default();
    format!(
        "{}  {:.0}s{planned}  {} req  {:.1} req/s{latency}  {} errors  {} in flight{}",
        s.phase,
        s.elapsed_s,
        s.requests,
        s.requests_per_s(),
        s.errors,
        s.in_flight,
        if s.last { "  done" } else { "" }
    )
}
