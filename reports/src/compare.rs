//! `runner compare A B`: the regression table between two runs.
//!
//! [`compare`] pairs the phases of two [`Summary`]s by name and puts each headline number of A
//! beside B's with the relative change and whether that change is *worse* (latency up,
//! throughput down, error rate up) or *better*; [`render_comparison`] prints it as a plain
//! Markdown-style table for the terminal. [`Comparison::regressions`] is the CI gate behind
//! `--fail-on PCT`: it lists the latency and throughput rows that got worse by more than PCT.
//! Like the rest of this crate it never touches files: the host reads the two summaries.

use serde::Serialize;

use crate::format;
use crate::model::{Distribution, PhaseReport, ServerInfo, Summary, metric};

/// Which way a metric is judged, and whether the `--fail-on` gate looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A latency in ms: higher is worse. Gated.
    Latency,
    /// A throughput: lower is worse. Gated.
    Throughput,
    /// A share of failed requests: higher is worse. Shown, not gated (thresholds cover it).
    ErrorRate,
    /// A plain count (requests sent): shown without a verdict, since more is not better by itself.
    Count,
}

impl Kind {
    /// Whether a rise in this metric is a regression; `None` for metrics that are not judged.
    fn higher_is_worse(self) -> Option<bool> {
        match self {
            Kind::Latency | Kind::ErrorRate => Some(true),
            Kind::Throughput => Some(false),
            Kind::Count => None,
        }
    }

    /// How a value of this kind is printed: same rules as the console and Markdown reports.
    fn format(self, value: f64) -> String {
        match self {
            Kind::Latency => format::ms(value),
            Kind::ErrorRate => format::percent(value),
            Kind::Count => format::count(value.max(0.0).round() as u64),
            // Throughput rows are requests/s or tokens/s; both read well with 2 decimals.
            Kind::Throughput => format::rate(value),
        }
    }
}

/// How B fared against A on one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// B is worse than A (latency or error rate up, throughput down).
    Worse,
    /// B is better than A.
    Better,
    /// Both values are equal.
    Same,
    /// Not judged: a count, or a value missing on one side.
    NotJudged,
}

/// One metric of A beside B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// What the row shows, e.g. `TTFT p50 (ms)`.
    pub metric: String,
    /// How the row is judged and printed.
    pub kind: Kind,
    /// A's value; `None` when A has no samples of it.
    pub a: Option<f64>,
    /// B's value; `None` when B has no samples of it.
    pub b: Option<f64>,
    /// (B − A) / A as a fraction (0.123 = +12.3%); `None` when a side is missing or A is 0
    /// while B is not (the change is unbounded). Two zeros are a change of 0.
    pub change: Option<f64>,
    /// Whether the change is a regression.
    pub verdict: Verdict,
}

impl Row {
    /// A row from two optional values, with its change and verdict worked out.
    pub fn new(metric: impl Into<String>, kind: Kind, a: Option<f64>, b: Option<f64>) -> Row {
        let (change, verdict) = match (a, b) {
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() => {
                let change = if a == b {
                    Some(0.0)
                } else if a == 0.0 {
                    None
                } else {
                    Some((b - a) / a.abs())
                };
                let verdict = match kind.higher_is_worse() {
                    None => Verdict::NotJudged,
                    Some(_) if a == b => Verdict::Same,
                    Some(higher_is_worse) if (b > a) == higher_is_worse => Verdict::Worse,
                    Some(_) => Verdict::Better,
                };
                (change, verdict)
            }
            _ => (None, Verdict::NotJudged),
        };
        Row { metric: metric.into(), kind, a, b, change, verdict }
    }

    /// Whether this row trips a `--fail-on limit_pct` gate: a latency or throughput that got
    /// worse by more than `limit_pct` percent. A latency that rose from exactly 0 (no relative
    /// change can be computed) counts as beyond any limit.
    pub fn exceeds(&self, limit_pct: f64) -> bool {
        if !matches!(self.kind, Kind::Latency | Kind::Throughput) || self.verdict != Verdict::Worse {
            return false;
        }
        match self.change {
            Some(change) => change.abs() * 100.0 > limit_pct,
            None => true,
        }
    }
}

/// The rows of one phase present in both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseComparison {
    /// The phase's name, the same in both runs.
    pub name: String,
    /// Requests, error rate, throughput, then latency percentiles; metrics neither run
    /// recorded are left out.
    pub rows: Vec<Row>,
}

/// Everything `runner compare` shows: whole-run totals, paired phases, unpaired phases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// How run A is named in the output; [`compare`] fills in scenario and start time, and
    /// the caller may replace it (the CLI puts the path in front).
    pub a_label: String,
    /// How run B is named in the output.
    pub b_label: String,
    /// Whole-run totals: requests and error rate over all phases.
    pub run: Vec<Row>,
    /// Phases present in both runs, in A's order.
    pub phases: Vec<PhaseComparison>,
    /// Phases only in B, in B's order.
    pub added: Vec<String>,
    /// Phases only in A, in A's order.
    pub removed: Vec<String>,
    /// Differences in set-up that make the numbers less comparable (scenario, target, params,
    /// labels, the server met).
    pub notes: Vec<String>,
}

/// A regression found by [`Comparison::regressions`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regression {
    /// The phase it was found in.
    pub phase: String,
    /// The row that got worse.
    pub row: Row,
}

impl Comparison {
    /// How many latency and throughput rows have a value on both sides, so the `--fail-on` gate
    /// could judge them. Zero (no phase in common, or none with numbers on both sides) means a
    /// gate that found no regression has not passed anything: the CLI refuses it.
    pub fn gated_rows(&self) -> usize {
        self.phases
            .iter()
            .flat_map(|p| &p.rows)
            .filter(|r| matches!(r.kind, Kind::Latency | Kind::Throughput) && r.verdict != Verdict::NotJudged)
            .count()
    }

    /// The latency and throughput rows that got worse by more than `limit_pct` percent
    /// (the `--fail-on` gate), in table order.
    pub fn regressions(&self, limit_pct: f64) -> Vec<Regression> {
        self.phases
            .iter()
            .flat_map(|p| {
                p.rows
                    .iter()
                    .filter(|r| r.exceeds(limit_pct))
                    .map(|r| Regression { phase: p.name.clone(), row: r.clone() })
            })
            .collect()
    }
}

/// The latency statistics the table shows, in order: (metric key, label, statistic).
const LATENCY_ROWS: &[(&str, &str, format::Stat)] = &[
    (metric::TTFT, "TTFT p50 (ms)", format::Stat::P50),
    (metric::TTFT, "TTFT p95 (ms)", format::Stat::P95),
    (metric::TTFT, "TTFT p99 (ms)", format::Stat::P99),
    (metric::ITL, "ITL p50 (ms)", format::Stat::P50),
    (metric::ITL, "ITL p95 (ms)", format::Stat::P95),
    (metric::TPOT, "TPOT p50 (ms)", format::Stat::P50),
    (metric::E2E, "E2E p50 (ms)", format::Stat::P50),
    (metric::E2E, "E2E p95 (ms)", format::Stat::P95),
    (metric::E2E, "E2E p99 (ms)", format::Stat::P99),
];

/// Puts run B beside run A, phase by phase (paired by name).
pub fn compare(a: &Summary, b: &Summary) -> Comparison {
    let mut phases = Vec::new();
    let mut removed = Vec::new();
    for pa in &a.phases {
        match b.phases.iter().find(|pb| pb.name == pa.name) {
            Some(pb) => phases.push(PhaseComparison { name: pa.name.clone(), rows: phase_rows(pa, pb) }),
            None => removed.push(pa.name.clone()),
        }
    }
    let added = b
        .phases
        .iter()
        .filter(|pb| !a.phases.iter().any(|pa| pa.name == pb.name))
        .map(|pb| pb.name.clone())
        .collect();
    let (req_a, err_a) = totals(a);
    let (req_b, err_b) = totals(b);
    let run = vec![
        Row::new("requests", Kind::Count, Some(req_a as f64), Some(req_b as f64)),
        Row::new("errors", Kind::ErrorRate, Some(share(err_a, req_a)), Some(share(err_b, req_b))),
    ];
    Comparison { a_label: label(a), b_label: label(b), run, phases, added, removed, notes: setup_notes(a, b) }
}

fn label(s: &Summary) -> String {
    format!("{} {}, started {}", s.scenario.name, s.scenario.version, s.started_at)
}

fn totals(s: &Summary) -> (u64, u64) {
    s.phases.iter().fold((0, 0), |(r, e), p| (r + p.requests, e + p.errors))
}

/// Errors over requests; 0 when nothing was sent, as [`PhaseReport::error_rate`] does.
fn share(errors: u64, requests: u64) -> f64 {
    if requests == 0 { 0.0 } else { errors as f64 / requests as f64 }
}

fn phase_rows(a: &PhaseReport, b: &PhaseReport) -> Vec<Row> {
    let mut rows = vec![
        Row::new("requests", Kind::Count, Some(a.requests as f64), Some(b.requests as f64)),
        Row::new("errors", Kind::ErrorRate, Some(a.error_rate()), Some(b.error_rate())),
        Row::new("requests/s", Kind::Throughput, Some(a.requests_per_s), Some(b.requests_per_s)),
    ];
    // A plain-HTTP scenario produces no tokens: leave the row out rather than show 0 → 0.
    if a.output_tokens > 0 || b.output_tokens > 0 {
        rows.push(Row::new(
            "output tok/s",
            Kind::Throughput,
            Some(a.output_tokens_per_s),
            Some(b.output_tokens_per_s),
        ));
    }
    for &(key, name, stat) in LATENCY_ROWS {
        let value = |p: &PhaseReport| p.metric(key).map(|d: &Distribution| stat.of(d));
        let (va, vb) = (value(a), value(b));
        if va.is_some() || vb.is_some() {
            rows.push(Row::new(name, Kind::Latency, va, vb));
        }
    }
    rows
}

/// What differs between the runs' set-ups, so a reader does not blame the server for it.
fn setup_notes(a: &Summary, b: &Summary) -> Vec<String> {
    let mut notes = Vec::new();
    if a.scenario.name != b.scenario.name || a.scenario.version != b.scenario.version {
        notes.push(format!(
            "different scenarios: A ran {} {}, B ran {} {}",
            a.scenario.name, a.scenario.version, b.scenario.name, b.scenario.version
        ));
    }
    // The built-in mock listens on a fresh port each run: only a real target's URL matters.
    if a.target != b.target && !(a.target_is_mock && b.target_is_mock) {
        notes.push(format!("different targets: A {}, B {}", a.target, b.target));
    }
    let changed = changed_entries(&a.params, &b.params);
    if !changed.is_empty() {
        notes.push(format!("different parameters: {}", changed.join(", ")));
    }
    let changed = changed_entries(&a.labels, &b.labels);
    if !changed.is_empty() {
        notes.push(format!("different labels: {}", changed.join(", ")));
    }
    notes.extend(server_note(a.server.as_ref(), b.server.as_ref()));
    notes
}

/// `key: A's → B's` for each key whose value differs between the two maps (`(unset)` for none).
fn changed_entries(
    a: &std::collections::BTreeMap<String, String>,
    b: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&String>| v.map_or("(unset)".to_string(), Clone::clone);
            format!("{k}: {} → {}", show(a.get(k)), show(b.get(k)))
        })
        .collect()
}

/// Whether the two runs met different servers: another software, version, build or model list.
/// Runs that recorded nothing of their server (older summaries) are not said to differ.
fn server_note(a: Option<&ServerInfo>, b: Option<&ServerInfo>) -> Option<String> {
    let (a, b) = (a?, b?);
    let what = |s: &ServerInfo| (s.software.clone(), s.version.clone(), s.build.clone(), s.models.clone());
    (what(a) != what(b)).then(|| format!("different servers: A {}, B {}", a.describe(), b.describe()))
}

/// A relative change as a signed percentage with 1 decimal: `"+12.3%"`, `"-4.0%"`, `"0.0%"`.
pub fn signed_percent(change: f64) -> String {
    let pct = change * 100.0;
    // Anything that rounds to zero prints unsigned, so "-0.0%" never appears.
    if pct.abs() < 0.05 { "0.0%".to_string() } else { format!("{pct:+.1}%") }
}

/// The change cell: `"+200.0% worse"`, `"-3.1% better"`, `"0.0%"`, `"n/a"`, `"n/a worse"`.
fn change_cell(row: &Row) -> String {
    let amount = row.change.map_or_else(|| "n/a".to_string(), signed_percent);
    // A change too small to print is not called better or worse.
    let visible = row.change.is_none_or(|c| (c * 100.0).abs() >= 0.05);
    match row.verdict {
        Verdict::Worse if visible => format!("{amount} worse"),
        Verdict::Better if visible => format!("{amount} better"),
        _ => amount,
    }
}

fn value_cell(kind: Kind, value: Option<f64>) -> String {
    value.map_or_else(|| format::NONE.to_string(), |v| kind.format(v))
}

/// One table: a header line and the rows, columns padded to line up in a terminal.
fn table(out: &mut String, rows: &[Row]) {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| [r.metric.clone(), value_cell(r.kind, r.a), value_cell(r.kind, r.b), change_cell(r)])
        .collect();
    let header = ["metric", "A", "B", "change"].map(String::from);
    let mut width = [0usize; 4];
    for line in std::iter::once(&header).chain(&cells) {
        for (w, cell) in width.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 4]| {
        let [m, a, b, c] = cells;
        format!(
            "| {m:<w0$} | {a:>w1$} | {b:>w2$} | {c:<w3$} |\n",
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3]
        )
    };
    out.push_str(&line(&header));
    out.push_str(&format!(
        "|{}|{}:|{}:|{}|\n",
        "-".repeat(width[0] + 2),
        "-".repeat(width[1] + 1),
        "-".repeat(width[2] + 1),
        "-".repeat(width[3] + 2)
    ));
    for c in &cells {
        out.push_str(&line(c));
    }
}

/// The comparison as text for the terminal: labels, set-up notes, the whole-run table, one
/// table per paired phase, and the phases only one run had.
pub fn render_comparison(c: &Comparison) -> String {
    let mut out = String::new();
    out.push_str(&format!("A: {}\nB: {}\n", c.a_label, c.b_label));
    out.push_str("change = (B − A) / A; worse = latency or error rate up, throughput down\n");
    for note in &c.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str("\nwhole run\n");
    table(&mut out, &c.run);
    for p in &c.phases {
        out.push_str(&format!("\nphase {}\n", p.name));
        table(&mut out, &p.rows);
    }
    if !c.removed.is_empty() {
        out.push_str(&format!("\nphases only in A (removed): {}\n", c.removed.join(", ")));
    }
    if !c.added.is_empty() {
        out.push_str(&format!("\nphases only in B (added): {}\n", c.added.join(", ")));
    }
    if c.phases.is_empty() {
        out.push_str("\nno phase name is in both runs: nothing to compare phase by phase\n");
    }
    out
}
