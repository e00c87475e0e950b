//! `runner-reports`: the run-summary model of `runner` and everything made from it.
//!
//! The host measures a run and fills a [`Summary`] at the end; this crate turns it into
//! `summary.json` ([`Summary::to_json`]), `report.md` ([`render_markdown`]), `report.html`
//! ([`render_html`], self-contained, with charts), `summary.csv` ([`render_csv`]), the JSON of
//! `vllm bench serve --save-result` ([`vllm`]) and the console summary ([`render_console`]);
//! the two reports render one document built from the summary, so they show the same tables;
//! checks `--threshold` criteria against it ([`thresholds`]); compares two runs ([`compare()`]);
//! reads or rebuilds from the per-second time series ([`timeseries`]); and merges the run folders
//! of a distributed run's workers into one ([`merge`]), exactly, from their lossless histograms
//! ([`histogram`]). It is a pure library:
//! it formats strings and never touches files, so the host decides where and when they are written.

#![warn(missing_docs)]

pub mod compare;
pub mod console;
mod document;
pub mod format;
pub mod histogram;
pub mod html;
pub mod markdown;
pub mod merge;
pub mod model;
mod sections;
pub mod summary_csv;
pub mod thresholds;
pub mod timeseries;
pub mod vllm;

pub use compare::{Comparison, compare, render_comparison};
pub use console::render_console;
pub use html::render_html;
pub use markdown::render_markdown;
pub use model::{
    CheckCount, ClientReport, Distributed, DistributedPhase, Distribution, Goodput, Iterations, ModelSource,
    PhaseReport, ReportError, RunModel, SCHEMA_VERSION, ScenarioInfo, ScheduleReport, SegmentInfo,
    ServerInfo, Summary, TaggedMetrics, ThresholdResult, TokenAccounting, WorkerInfo, WorkerPhase, metric,
};
pub use summary_csv::render_csv;
pub use thresholds::{Threshold, ThresholdError};
