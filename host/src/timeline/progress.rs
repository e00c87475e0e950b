//! Live progress on stderr, one line per phase: redrawn in place on a terminal, printed as plain
//! periodic lines otherwise, silent with `--quiet`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use runner_reports::metric;
use runner_reports::timeseries::Sample;

use crate::stats::PhaseShape;

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

/// One phase's line.
struct Line {
    bar: Option<ProgressBar>,
    printed: Instant,
}

/// The progress lines of a run's phases.
pub(super) struct ProgressLines {
    progress: Progress,
    bars: Option<MultiProgress>,
    lines: HashMap<String, Line>,
}

impl ProgressLines {
    pub(super) fn new(progress: Progress) -> Self {
        let bars = (progress == Progress::Auto && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Self { progress, bars, lines: HashMap::new() }
    }

    /// Shows a phase's newest sample (its last one finishes the line).
    pub(super) fn show(&mut self, sample: &Sample, shape: &PhaseShape, now: Instant) {
        let bars = &self.bars;
        let line = self
            .lines
            .entry(sample.phase.clone())
            .or_insert_with(|| Line { bar: bars.as_ref().map(|m| m.add(new_bar())), printed: now });
        let text = progress_line(sample, shape);
        match (&line.bar, self.progress) {
            (Some(bar), _) => {
                bar.set_message(text);
                if sample.last {
                    bar.finish();
                }
            }
            (None, Progress::Auto) if sample.last || now.duration_since(line.printed) >= PLAIN_EVERY => {
                line.printed = now;
                eprintln!("{text}");
            }
            _ => {}
        }
    }

    /// One line of its own on stderr, above the redrawn lines when there are any.
    pub(super) fn say(&self, line: &str) {
        match &self.bars {
            Some(bars) if bars.println(line).is_ok() => {}
            _ => eprintln!("{line}"),
        }
    }

    /// Clears redrawn lines from the terminal.
    pub(super) fn close(&mut self) {
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
        // A phase's short first or last interval would read as a spike: the phase's average.
        s.steady_requests_per_s(),
        s.errors,
        s.in_flight,
        if s.last { "  done" } else { "" }
    )
}
