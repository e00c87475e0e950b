//! The soak sections of the report, the analysis of a long-running stability test: phases tagged
//! `window=<k>` are grouped into sampling windows, and a soak's usual success criteria are judged
//! on the windows — mean latency variance, errors, completion and, with GPU
//! telemetry, VRAM drift.

use std::collections::BTreeMap;

use crate::document::{Align, Document};
use crate::format;
use crate::model::{PhaseReport, Summary, metric};

/// The bound on VRAM drift over a soak, 100 MB, in MiB: a leak shows as steady growth well past it.
pub const MAX_VRAM_DELTA_MIB: f64 = 100.0e6 / 1_048_576.0;

/// The bound on the variation of the windowed mean latency: a server that holds steady stays within 5 %.
pub const MAX_MEAN_LATENCY_VARIATION: f64 = 0.05;

/// One sampling window: every phase tagged with the same `window`.
#[derive(Debug, Default)]
struct Window {
    start_s: f64,
    phases: usize,
    requests: u64,
    errors: u64,
    e2e_count: u64,
    e2e_sum_ms: f64,
    ttft_count: u64,
    ttft_sum_ms: f64,
    vram_max_mib: Option<f64>,
    temperature_max_c: Option<f64>,
}

fn max_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

impl Window {
    fn add(&mut self, p: &PhaseReport) {
        self.start_s = if self.phases == 0 { p.start_s } else { self.start_s.min(p.start_s) };
        self.phases += 1;
        self.requests += p.requests;
        self.errors += p.errors;
        if let Some(d) = p.metric(metric::E2E) {
            self.e2e_count += d.count;
            self.e2e_sum_ms += d.mean * d.count as f64;
        }
        if let Some(d) = p.metric(metric::TTFT) {
            self.ttft_count += d.count;
            self.ttft_sum_ms += d.mean * d.count as f64;
        }
        if let Some(t) = &p.telemetry {
            self.vram_max_mib = max_of(self.vram_max_mib, t.memory_used_max_mib);
            self.temperature_max_c = max_of(self.temperature_max_c, t.temperature_max_c);
        }
    }

    fn mean_e2e(&self) -> Option<f64> {
        (self.e2e_count > 0).then(|| self.e2e_sum_ms / self.e2e_count as f64)
    }

    fn mean_ttft(&self) -> Option<f64> {
        (self.ttft_count > 0).then(|| self.ttft_sum_ms / self.ttft_count as f64)
    }
}

/// Windows in order, keyed by their numeric `window` tag.
fn windows(s: &Summary) -> BTreeMap<u64, Window> {
    let mut out: BTreeMap<u64, Window> = BTreeMap::new();
    for p in &s.phases {
        if let Some(k) = p.tags.get("window").and_then(|w| w.parse::<u64>().ok()) {
            out.entry(k).or_default().add(p);
        }
    }
    out
}

/// Coefficient of variation (population standard deviation over mean) of `values`.
pub fn variation(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean > 0.0).then(|| var.sqrt() / mean)
}

fn verdict(pass: bool) -> String {
    if pass { "✅ pass".into() } else { "❌ fail".into() }
}

/// "## Soak windows" and "## Soak criteria", when phases carry `window` tags.
pub(super) fn soak(doc: &mut Document, s: &Summary) {
    let windows = windows(s);
    if windows.is_empty() {
        return;
    }
    let fmt_ms = |v: Option<f64>| v.map(format::ms).unwrap_or_else(|| format::NONE.to_string());
    let rows: Vec<Vec<String>> = windows
        .iter()
        .map(|(k, w)| {
            vec![
                k.to_string(),
                format!("+{}", format::duration_s(w.start_s)),
                w.phases.to_string(),
                format::count(w.requests),
                format::errors(w.errors, w.requests),
                fmt_ms(w.mean_e2e()),
                fmt_ms(w.mean_ttft()),
                w.vram_max_mib.map_or_else(|| "n/a".into(), |v| format!("{v:.0}")),
                w.temperature_max_c.map_or_else(|| "n/a".into(), |v| format!("{v:.0}")),
            ]
        })
        .collect();
    doc.heading(2, "Soak windows");
    use Align::{Left as L, Right as R};
    doc.table(
        &[
            ("Window", R),
            ("Start", R),
            ("Phases", R),
            ("Requests", R),
            ("Errors", R),
            ("Mean latency (ms)", R),
            ("Mean TTFT (ms)", R),
            ("Max VRAM (MiB)", R),
            ("Max GPU temp (°C)", R),
        ],
        rows,
    );

    let means: Vec<f64> = windows.values().filter_map(Window::mean_e2e).collect();
    let errors: u64 = windows.values().map(|w| w.errors).sum();
    let interrupted: u64 = s.phases.iter().map(|p| p.iterations.interrupted).sum();
    let cut_short = s.notes.iter().any(|n| n.contains("interrupted") || n.starts_with("drive() failed"));
    let mut criteria = vec![
        vec![
            "The run completed without a crash".into(),
            if cut_short {
                "cut short (see notes)".into()
            } else {
                format!("{interrupted} iterations interrupted")
            },
            verdict(!cut_short && interrupted == 0),
        ],
        vec!["Errors: none".into(), format::count(errors), verdict(errors == 0)],
    ];
    criteria.push(match variation(&means) {
        Some(cv) => vec![
            format!("Mean latency variation < {}", format::percent(MAX_MEAN_LATENCY_VARIATION)),
            format!("{} over {} windows", format::percent(cv), means.len()),
            verdict(cv < MAX_MEAN_LATENCY_VARIATION),
        ],
        None => vec![
            format!("Mean latency variation < {}", format::percent(MAX_MEAN_LATENCY_VARIATION)),
            "fewer than two windows with requests".into(),
            "n/a".into(),
        ],
    });
    // VRAM drift: the last window's peak against the first's (100 MB = 95.4 MiB).
    let vram: Vec<f64> = windows.values().filter_map(|w| w.vram_max_mib).collect();
    criteria.push(match (vram.first(), vram.last()) {
        (Some(first), Some(last)) if vram.len() >= 2 => {
            let delta = last - first;
            vec![
                "VRAM delta < 100 MB".into(),
                format!("{delta:+.0} MiB (first window {first:.0}, last {last:.0})"),
                verdict(delta.abs() < MAX_VRAM_DELTA_MIB),
            ]
        }
        _ => {
            vec!["VRAM delta < 100 MB".into(), "no GPU memory telemetry in two windows".into(), "n/a".into()]
        }
    });
    doc.heading(2, "Soak criteria");
    doc.paragraph(
        "The soak's success criteria, judged on the windows above; the variation is the \
         standard deviation of the windows' mean latency over their mean.",
    );
    doc.table(&[("Criterion", L), ("Observed", L), ("Result", L)], criteria);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Distribution;

    fn phase(window: u64, start_s: f64, requests: u64, errors: u64, mean_e2e: f64) -> PhaseReport {
        let e2e = Distribution { count: requests - errors, mean: mean_e2e, ..Distribution::default() };
        PhaseReport {
            name: format!("burst-{window}-{start_s}"),
            tags: BTreeMap::from([("window".to_string(), window.to_string())]),
            start_s,
            requests,
            errors,
            metrics: BTreeMap::from([(metric::E2E.to_string(), e2e)]),
            ..PhaseReport::default()
        }
    }

    #[test]
    fn variation_is_the_coefficient_of_variation() {
        assert_eq!(variation(&[10.0]), None);
        let cv = variation(&[9.0, 11.0]).expect("two values");
        assert!((cv - 0.1).abs() < 1e-12, "{cv}");
    }

    #[test]
    fn windows_group_phases_and_criteria_are_judged() {
        let s = Summary {
            phases: vec![
                phase(0, 0.0, 10, 0, 100.0),
                phase(0, 30.0, 10, 0, 102.0),
                phase(1, 300.0, 10, 0, 101.0),
                phase(2, 600.0, 10, 1, 140.0),
            ],
            ..Summary::default()
        };
        let mut doc = Document::default();
        soak(&mut doc, &s);
        let md = crate::markdown::write(&doc);
        assert!(md.contains("| 0 | +0s | 2 | 20 | 0 | 101.0 | - | n/a | n/a |"), "{md}");
        assert!(md.contains("| 2 | +10m 00s | 1 | 10 | 1 (10.0%) | 140.0 |"), "{md}");
        assert!(md.contains("| Errors: none | 1 | ❌ fail |"), "{md}");
        // Means 101, 101, 140: σ ≈ 18.4 around 114, a variation of 16.1 % > 5 %.
        assert!(md.contains("Mean latency variation < 5.0% | 16.1% over 3 windows | ❌ fail |"), "{md}");
    }

    #[test]
    fn vram_drift_is_judged_from_the_windows_telemetry() {
        let with_vram = |window, start_s, mib: f64| {
            let mut p = phase(window, start_s, 10, 0, 100.0);
            p.telemetry = Some(crate::model::TelemetryReport {
                memory_used_max_mib: Some(mib),
                temperature_max_c: Some(60.0),
                ..Default::default()
            });
            p
        };
        let s = Summary {
            phases: vec![
                with_vram(0, 0.0, 11_000.0),
                with_vram(1, 300.0, 11_050.0),
                with_vram(2, 600.0, 11_200.0),
            ],
            ..Summary::default()
        };
        let mut doc = Document::default();
        soak(&mut doc, &s);
        let md = crate::markdown::write(&doc);
        assert!(md.contains("| 0 | +0s | 1 | 10 | 0 | 100.0 | - | 11000 | 60 |"), "{md}");
        assert!(
            md.contains("| VRAM delta < 100 MB | +200 MiB (first window 11000, last 11200) | ❌ fail |"),
            "{md}"
        );
    }

    #[test]
    fn runs_without_windows_have_no_soak_section() {
        let mut doc = Document::default();
        soak(&mut doc, &Summary { phases: vec![PhaseReport::default()], ..Summary::default() });
        assert!(crate::markdown::write(&doc).is_empty());
    }
}
