//! Thresholds: pass/fail criteria on a finished run, written like k6's (`ttft:p95<200ms`,
//! `errors:rate==0`) and evaluated on the [`Summary`] alone, so they can be checked again on any
//! `summary.json` later. This module owns the expression syntax ([`parse`]), the evaluation rules
//! ([`evaluate`]) and how an observed value is shown ([`observed_text`]); the results are stored
//! in [`Summary::thresholds`]. The user-facing description is docs/THRESHOLDS.md.

use std::fmt;

use crate::format;
use crate::model::{Distribution, PhaseReport, Summary, ThresholdResult, metric};

/// The distribution keys a threshold may name, besides `custom:<name>`.
const DISTRIBUTIONS: [&str; 15] = [
    metric::TTFT,
    metric::TTFO,
    metric::TTST,
    metric::ITL,
    metric::CHUNK_GAP,
    metric::TPOT,
    metric::E2E,
    metric::E2E_PER_TOKEN,
    metric::TOKENS_PER_S,
    metric::HTTP_TTFB,
    metric::HTTP_TOTAL,
    metric::HTTP_CONNECT,
    metric::DISPATCH_LAG,
    metric::LATENCY_FROM_SCHEDULE,
    metric::ITERATION,
];

/// What a threshold measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A distribution of [`PhaseReport::metrics`], by key (`ttft`, `custom:my_trend`).
    Distribution(String),
    /// Failed requests: `rate` (errors / requests) or `count`.
    Errors,
    /// Scenario checks: `rate` (passes / (passes + fails)).
    Checks,
    /// Open-loop iterations dropped for want of a free VU: `count`.
    DroppedIterations,
    /// A phase's successful requests per second: `value`.
    RequestsPerS,
    /// A phase's output tokens per second, all requests together: `value`.
    OutputTokensPerS,
}

impl Subject {
    fn from_name(name: &str) -> Option<Subject> {
        Some(match name {
            "errors" => Subject::Errors,
            "checks" => Subject::Checks,
            "dropped_iterations" => Subject::DroppedIterations,
            "requests_per_s" => Subject::RequestsPerS,
            "output_tokens_per_s" => Subject::OutputTokensPerS,
            key if DISTRIBUTIONS.contains(&key) => Subject::Distribution(key.to_string()),
            key => match key.strip_prefix(metric::CUSTOM_PREFIX) {
                Some(trend) if !trend.is_empty() => Subject::Distribution(key.to_string()),
                _ => return None,
            },
        })
    }

    /// The aggregations this subject takes, in the order error messages list them.
    fn aggregations(&self) -> &'static [Aggregation] {
        use Aggregation::*;
        match self {
            Subject::Distribution(_) => &[Mean, Min, Max, P50, P90, P95, P99, Count],
            Subject::Errors => &[Rate, Count],
            Subject::Checks => &[Rate],
            Subject::DroppedIterations => &[Count],
            Subject::RequestsPerS | Subject::OutputTokensPerS => &[Value],
        }
    }
}

/// How a subject is reduced to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// Arithmetic mean of a distribution.
    Mean,
    /// Smallest sample.
    Min,
    /// Largest sample.
    Max,
    /// Median.
    P50,
    /// 90th percentile.
    P90,
    /// 95th percentile.
    P95,
    /// 99th percentile.
    P99,
    /// Number of samples, errors or dropped iterations.
    Count,
    /// A share from 0 to 1.
    Rate,
    /// The value itself (throughputs).
    Value,
}

impl Aggregation {
    const ALL: [(&'static str, Aggregation); 10] = [
        ("mean", Aggregation::Mean),
        ("min", Aggregation::Min),
        ("max", Aggregation::Max),
        ("p50", Aggregation::P50),
        ("p90", Aggregation::P90),
        ("p95", Aggregation::P95),
        ("p99", Aggregation::P99),
        ("count", Aggregation::Count),
        ("rate", Aggregation::Rate),
        ("value", Aggregation::Value),
    ];

    fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, a)| *a == self).map_or("?", |(n, _)| n)
    }

    /// Percentiles cannot be merged across phases without the histograms.
    fn is_percentile(self) -> bool {
        matches!(self, Aggregation::P50 | Aggregation::P90 | Aggregation::P95 | Aggregation::P99)
    }

    fn of(self, d: &Distribution) -> f64 {
        match self {
            Aggregation::Mean => d.mean,
            Aggregation::Min => d.min,
            Aggregation::Max => d.max,
            Aggregation::P50 => d.p50,
            Aggregation::P90 => d.p90,
            Aggregation::P95 => d.p95,
            Aggregation::P99 => d.p99,
            Aggregation::Count => d.count as f64,
            Aggregation::Rate | Aggregation::Value => f64::NAN,
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    /// Whether `observed <op> limit` holds; never for a value that is not finite.
    pub fn holds(self, observed: f64, limit: f64) -> bool {
        observed.is_finite()
            && match self {
                Op::Lt => observed < limit,
                Op::Le => observed <= limit,
                Op::Gt => observed > limit,
                Op::Ge => observed >= limit,
                Op::Eq => observed == limit,
                Op::Ne => observed != limit,
            }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        })
    }
}

/// A parsed threshold expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as given, trimmed; results quote it so the user recognises it.
    pub expression: String,
    /// What is measured.
    pub subject: Subject,
    /// `{phase=<name>}`: only that phase; `None`: the whole run.
    pub phase: Option<String>,
    /// How the subject is reduced to one number.
    pub aggregation: Aggregation,
    /// The comparison.
    pub op: Op,
    /// The bound, converted to the metric's own unit (ms for millisecond distributions).
    pub limit: f64,
}

impl Threshold {
    /// Whether the observed value is in milliseconds (and so the bound may carry ms, s or us).
    pub fn is_millis(&self) -> bool {
        match &self.subject {
            Subject::Distribution(key) => metric::is_millis(key) && self.aggregation != Aggregation::Count,
            _ => false,
        }
    }
}

/// Why a threshold expression was refused. Every message is one line that quotes the expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    /// No comparison operator was found.
    #[error("threshold '{0}': no comparison; write <metric>:<aggregation><op><value>, e.g. ttft:p95<200ms")]
    NoOperator(String),
    /// A lone `=`.
    #[error("threshold '{0}': `=` is not an operator; use `==`")]
    SingleEquals(String),
    /// The left side has no `:<aggregation>`.
    #[error("threshold '{0}': no aggregation; write <metric>:<aggregation>, e.g. ttft:p95 or errors:rate")]
    NoAggregation(String),
    /// The metric is not one a threshold can name.
    #[error(
        "threshold '{expr}': unknown metric '{metric}'; known: {}, custom:<name>, errors, checks, \
         dropped_iterations, requests_per_s, output_tokens_per_s",
        DISTRIBUTIONS.join(", ")
    )]
    UnknownMetric {
        /// The expression.
        expr: String,
        /// The metric as written.
        metric: String,
    },
    /// The aggregation does not apply to the metric.
    #[error("threshold '{expr}': '{metric}' has no aggregation '{aggregation}'; it takes {allowed}")]
    BadAggregation {
        /// The expression.
        expr: String,
        /// The metric as written.
        metric: String,
        /// The aggregation as written.
        aggregation: String,
        /// The aggregations the metric takes, comma-separated.
        allowed: String,
    },
    /// A `{…}` selector other than `{phase=<name>}`.
    #[error("threshold '{expr}': cannot scope by '{selector}'; only {{phase=<name>}} is supported")]
    BadSelector {
        /// The expression.
        expr: String,
        /// The selector as written, braces included.
        selector: String,
    },
    /// The bound is missing or not a finite number.
    #[error("threshold '{expr}': '{value}' is not a number")]
    BadValue {
        /// The expression.
        expr: String,
        /// The bound as written, unit stripped.
        value: String,
    },
    /// A unit the metric does not take.
    #[error("threshold '{expr}': unit '{unit}' does not apply here; {hint}")]
    BadUnit {
        /// The expression.
        expr: String,
        /// The unit as written.
        unit: String,
        /// What would be accepted.
        hint: &'static str,
    },
}

/// Parses `<metric>[{phase=<name>}]:<aggregation> <op> <value>[unit]`; spaces are optional.
pub fn parse(expr: &str) -> Result<Threshold, ThresholdError> {
    let expression = expr.trim().to_string();
    let e = || expression.clone();
    let at = operator_position(&expression).ok_or_else(|| ThresholdError::NoOperator(e()))?;
    let (lhs, rest) = expression.split_at(at);
    let (op, rhs) =
        [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("!=", Op::Ne), ("<", Op::Lt), (">", Op::Gt)]
            .iter()
            .find_map(|(sym, op)| rest.strip_prefix(sym).map(|r| (*op, r)))
            .ok_or_else(|| match rest.starts_with('=') {
                true => ThresholdError::SingleEquals(e()),
                false => ThresholdError::NoOperator(e()),
            })?;

    // The aggregation follows the last `:` after any selector, whose phase name may hold a `:`.
    let lhs = lhs.trim();
    let after_selector = lhs.rfind('}').map_or(0, |i| i + 1);
    let colon = lhs[after_selector..].rfind(':').ok_or_else(|| ThresholdError::NoAggregation(e()))?;
    let (target, aggregation) = lhs.split_at(after_selector + colon);
    let (target, aggregation) = (target.trim(), aggregation[1..].trim());
    let (name, phase) = match target.find('{') {
        None => (target, None),
        Some(open) => {
            let selector = &target[open..];
            let phase = selector
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .and_then(|s| s.split_once('='))
                .filter(|(k, v)| k.trim() == "phase" && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
                .ok_or_else(|| ThresholdError::BadSelector { expr: e(), selector: selector.to_string() })?;
            (target[..open].trim(), Some(phase))
        }
    };
    let subject = Subject::from_name(name)
        .ok_or_else(|| ThresholdError::UnknownMetric { expr: e(), metric: name.to_string() })?;
    let aggregation = Aggregation::ALL
        .iter()
        .find(|(n, a)| *n == aggregation && subject.aggregations().contains(a))
        .map(|(_, a)| *a)
        .ok_or_else(|| ThresholdError::BadAggregation {
            expr: e(),
            metric: name.to_string(),
            aggregation: aggregation.to_string(),
            allowed: subject.aggregations().iter().map(|a| a.name()).collect::<Vec<_>>().join(", "),
        })?;

    let mut threshold = Threshold { expression: e(), subject, phase, aggregation, op, limit: 0.0 };
    threshold.limit = bound(&threshold, rhs.trim())?;
    Ok(threshold)
}

/// The byte offset of the comparison operator: the first `<`, `>`, `=` or `!` outside `{…}`,
/// so a selector's own `=` is not mistaken for one.
fn operator_position(expr: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in expr.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '<' | '>' | '=' | '!' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// The bound in the metric's own unit. The unit is the trailing run of letters, so `2e3ms`
/// reads as 2000 ms.
fn bound(t: &Threshold, rhs: &str) -> Result<f64, ThresholdError> {
    let split = rhs.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len();
    let (number, unit) = (rhs[..split].trim(), &rhs[split..]);
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| ThresholdError::BadValue { expr: t.expression.clone(), value: number.to_string() })?;
    let bad = |hint| ThresholdError::BadUnit { expr: t.expression.clone(), unit: unit.to_string(), hint };
    match (t.is_millis(), unit) {
        (_, "") => Ok(value),
        (true, "ms") => Ok(value),
        (true, "s") => Ok(value * 1000.0),
        (true, "us") => Ok(value / 1000.0),
        (true, _) => Err(bad("use ms, s or us (no unit means ms)")),
        (false, _) if matches!(t.subject, Subject::Distribution(ref k) if k.starts_with(metric::CUSTOM_PREFIX)) => {
            Err(bad("custom trends carry the scenario's own unit: write the bare number"))
        }
        (false, _) => Err(bad("this metric has no time unit: write the bare number")),
    }
}

/// Evaluates every threshold on a finished run, in the order given.
pub fn evaluate(thresholds: &[Threshold], summary: &Summary) -> Vec<ThresholdResult> {
    thresholds.iter().map(|t| evaluate_one(t, summary)).collect()
}

/// Where a scope's value comes from: an exact total over the phases in scope, or one value per
/// phase (percentiles and throughputs, which do not merge) that every phase must satisfy.
enum Observed {
    Total(f64),
    PerPhase(Vec<(String, f64)>),
    /// Nothing to measure; the text says why.
    Missing(String),
}

fn evaluate_one(t: &Threshold, s: &Summary) -> ThresholdResult {
    let result = |scope: String, observed: Option<f64>, passed: bool, note: Option<String>| ThresholdResult {
        expression: t.expression.clone(),
        scope,
        observed,
        passed,
        note,
    };
    let phases: Vec<&PhaseReport> = match &t.phase {
        None => s.phases.iter().collect(),
        Some(name) => match s.phases.iter().find(|p| p.name == *name) {
            Some(p) => vec![p],
            None => {
                let known: Vec<&str> = s.phases.iter().map(|p| p.name.as_str()).collect();
                let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                let note = format!("no phase named '{name}' in this run (phases: {known})");
                return result(format!("phase {name}"), None, false, Some(note));
            }
        },
    };
    let observed = observe(t, &phases);
    let per_phase = t.aggregation.is_percentile() || t.aggregation == Aggregation::Value;
    let scope = match &t.phase {
        Some(name) => format!("phase {name}"),
        None if per_phase => "in every phase".to_string(),
        None => "whole run".to_string(),
    };
    match observed {
        Observed::Missing(why) => result(scope, None, false, Some(why)),
        Observed::Total(v) => {
            let note = (!v.is_finite()).then(|| "the value is not a finite number".to_string());
            result(scope, v.is_finite().then_some(v), t.op.holds(v, t.limit), note)
        }
        Observed::PerPhase(values) => {
            let failing: Vec<&(String, f64)> =
                values.iter().filter(|(_, v)| !t.op.holds(*v, t.limit)).collect();
            let worst = worst(t.op, &values, &failing);
            let note = if !failing.is_empty() && values.len() > 1 {
                let names: Vec<&str> = failing.iter().map(|(n, _)| n.as_str()).collect();
                Some(format!("fails in {} ({} of {} phases)", names.join(", "), failing.len(), values.len()))
            } else if values.len() > 1 {
                worst.map(|(n, _)| format!("worst: {n} ({} phases)", values.len()))
            } else {
                None
            };
            result(scope, worst.map(|(_, v)| *v).filter(|v| v.is_finite()), failing.is_empty(), note)
        }
    }
}

/// The phase value a reader should see: the one furthest on the wrong side of the bound.
fn worst<'a>(
    op: Op,
    values: &'a [(String, f64)],
    failing: &[&'a (String, f64)],
) -> Option<&'a (String, f64)> {
    let by = |a: &&(String, f64), b: &&(String, f64)| a.1.total_cmp(&b.1);
    match op {
        Op::Lt | Op::Le => values.iter().max_by(by),
        Op::Gt | Op::Ge => values.iter().min_by(by),
        Op::Eq | Op::Ne => failing.first().copied().or(values.first()),
    }
}

fn observe(t: &Threshold, phases: &[&PhaseReport]) -> Observed {
    let sum = |f: fn(&PhaseReport) -> u64| phases.iter().map(|p| f(p)).sum::<u64>();
    let requests = sum(|p| p.requests);
    let no_requests = || Observed::Missing("no samples: no requests were sent".to_string());
    match (&t.subject, t.aggregation) {
        (Subject::Errors, agg) => match (requests, agg) {
            (0, _) => no_requests(),
            (_, Aggregation::Count) => Observed::Total(sum(|p| p.errors) as f64),
            (n, _) => Observed::Total(sum(|p| p.errors) as f64 / n as f64),
        },
        (Subject::Checks, _) => {
            let (passes, fails) = phases
                .iter()
                .flat_map(|p| p.checks.values())
                .fold((0u64, 0u64), |(a, b), c| (a + c.passes, b + c.fails));
            match passes + fails {
                0 => Observed::Missing("no samples: no checks were recorded".to_string()),
                n => Observed::Total(passes as f64 / n as f64),
            }
        }
        (Subject::DroppedIterations, _) => match phases.len() {
            0 => Observed::Missing("no samples: no phases ran".to_string()),
            _ => Observed::Total(sum(|p| p.iterations.dropped) as f64),
        },
        (Subject::RequestsPerS | Subject::OutputTokensPerS, _) => {
            let values: Vec<(String, f64)> = phases
                .iter()
                .filter(|p| p.requests > 0)
                .map(|p| {
                    let v = match t.subject {
                        Subject::RequestsPerS => p.requests_per_s,
                        _ => p.output_tokens_per_s,
                    };
                    (p.name.clone(), v)
                })
                .collect();
            if values.is_empty() { no_requests() } else { Observed::PerPhase(values) }
        }
        (Subject::Distribution(key), agg) => {
            let dists: Vec<(&str, &Distribution)> =
                phases.iter().filter_map(|p| p.metric(key).map(|d| (p.name.as_str(), d))).collect();
            if dists.is_empty() {
                return Observed::Missing(format!("no samples of '{key}'"));
            }
            let count: u64 = dists.iter().map(|(_, d)| d.count).sum();
            match agg {
                a if a.is_percentile() => {
                    Observed::PerPhase(dists.iter().map(|(n, d)| (n.to_string(), a.of(d))).collect())
                }
                Aggregation::Count => Observed::Total(count as f64),
                Aggregation::Min => {
                    Observed::Total(dists.iter().map(|(_, d)| d.min).fold(f64::INFINITY, f64::min))
                }
                Aggregation::Max => {
                    Observed::Total(dists.iter().map(|(_, d)| d.max).fold(f64::NEG_INFINITY, f64::max))
                }
                // Exact: the mean of the merged samples is the count-weighted mean of the means.
                _ => Observed::Total(
                    dists.iter().map(|(_, d)| d.mean * d.count as f64).sum::<f64>() / count as f64,
                ),
            }
        }
    }
}

/// A result's observed value for people, in the metric's unit: `"53.20 ms"`, `"0.0133"`, `"4"`;
/// [`format::NONE`] when nothing was observed.
pub fn observed_text(result: &ThresholdResult) -> String {
    let Some(v) = result.observed else { return format::NONE.to_string() };
    // The result keeps only the expression; parsing it again recovers the unit. A summary from a
    // newer runner may use syntax this build does not know: then the bare number is shown.
    let Ok(t) = parse(&result.expression) else { return format::number(v) };
    match (&t.subject, t.aggregation) {
        _ if t.is_millis() => format::ms_unit(v),
        (_, Aggregation::Count) if v.fract() == 0.0 && v >= 0.0 => format::count(v as u64),
        (_, Aggregation::Rate) => format!("{v:.4}"),
        (Subject::RequestsPerS, _) => format!("{} req/s", format::rate(v)),
        (Subject::OutputTokensPerS, _) => format!("{} tok/s", format::tok_s(v)),
        (Subject::Distribution(k), _) if k == metric::TOKENS_PER_S => format!("{} tok/s", format::tok_s(v)),
        _ => format::number(v),
    }
}
