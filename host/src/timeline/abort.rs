//! `--abort-on-fail`: thresholds judged on the live results at every sample; the first one that
//! fails on observed values stops the run gracefully. Thresholds with nothing observed yet are
//! not judged mid-run.

use std::sync::Arc;

use runner_reports::Summary;
use runner_reports::thresholds::{self, Threshold};

use crate::load::Stop;
use crate::run::RunContext;

/// The live threshold check of one run.
pub(super) struct AbortOnFail {
    thresholds: Vec<Threshold>,
    /// Why the run was aborted, once it was.
    pub(super) aborted: Option<String>,
}

impl AbortOnFail {
    pub(super) fn new(thresholds: Vec<Threshold>) -> Self {
        Self { thresholds, aborted: None }
    }

    /// Judges the thresholds on `run`'s results so far; stops the run at the first failure.
    pub(super) fn check(&mut self, run: &Arc<RunContext>) {
        if self.thresholds.is_empty() || self.aborted.is_some() {
            return;
        }
        let phases = run.phases.live_reports(run.started);
        let live = Summary { phases, ..Summary::default() };
        let failed = thresholds::evaluate(&self.thresholds, &live)
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
            run.stop.request(Stop::Graceful);
            self.aborted = Some(why);
        }
    }
}
