//! `runner:scenario/metrics`: custom trends, counters and checks, recorded into the calling
//! instance's phase. A name or tag no report can render ([`limits::name`], [`limits::tags`]) is
//! refused: these calls return nothing, so the update is dropped, counted and noted in the
//! report, as is a trend value that is not a finite number. Thresholds declared from `drive` are
//! bounded in number and length.

use super::{HostState, limits, tags};
use crate::bindings::runner::scenario::metrics::Host;

/// The kind of cap note for custom-metric updates refused for their name or tags.
pub const METRIC_REFUSED: &str = "custom-metric updates were refused: their name or tags cannot be reported";

/// The kind of cap note for trend values that are NaN or infinite.
pub const TREND_NOT_FINITE: &str = "custom trend values were refused: not a finite number";

impl HostState {
    /// Whether an update of metric `name` with `extra` tags may be recorded; counts it if not.
    fn metric_ok(&self, name: &str, extra: &[(String, String)]) -> bool {
        match limits::name("a metric name", name).and_then(|()| limits::tags(extra)) {
            Ok(()) => true,
            Err(why) => {
                self.stats().caps.record(METRIC_REFUSED, 1, || why);
                false
            }
        }
    }
}

impl Host for HostState {
    async fn trend(
        &mut self,
        name: String,
        value: f64,
        extra: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        if !value.is_finite() {
            // Recorded as 0 it would drag the trend's percentiles down in silence.
            self.stats().caps.record(TREND_NOT_FINITE, 1, || format!("{value} for trend {name:?}"));
        } else if self.metric_ok(&name, &extra) {
            self.stats().record_trend(&name, value, &tags(extra));
        }
        Ok(())
    }

    async fn count(
        &mut self,
        name: String,
        delta: u64,
        extra: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        if self.metric_ok(&name, &extra) {
            self.stats().count(&name, delta, &tags(extra));
        }
        Ok(())
    }

    async fn check(
        &mut self,
        name: String,
        ok: bool,
        extra: Vec<(String, String)>,
    ) -> wasmtime::Result<bool> {
        if self.metric_ok(&name, &extra) {
            self.stats().check(&name, ok, &tags(extra));
        }
        Ok(ok)
    }

    async fn threshold(&mut self, expression: String) -> wasmtime::Result<Result<(), String>> {
        if let Err(e) = limits::text("a threshold", &expression, limits::MAX_THRESHOLD_BYTES) {
            return Ok(Err(e));
        }
        let threshold = match runner_reports::thresholds::parse(&expression) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e.to_string())),
        };
        // Declared thresholds are kept (and judged) until the report: a `drive` declaring them in
        // a loop would grow them without bound. A repeated expression is not a new one.
        let declared = self.run.declared_thresholds();
        if declared.len() >= limits::MAX_THRESHOLDS
            && !declared.iter().any(|d| d.expression == threshold.expression)
        {
            return Ok(Err(format!(
                "threshold {expression:?} not declared: a run may declare at most {} thresholds",
                limits::MAX_THRESHOLDS
            )));
        }
        self.run.declare_thresholds([threshold]);
        Ok(Ok(()))
    }
}
