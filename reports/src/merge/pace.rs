//! Which worker, if any, set a merged phase's pace rather than the server: one whose dispatch lag,
//! CPU or dropped arrivals stand apart from the other workers'.

use crate::model::WorkerPhase;

/// A dispatch lag p99 at or below this is no sign of a worker falling behind, whatever the
/// others' (a timer's granularity and one scheduler tick).
pub const PACE_LAG_MS: f64 = 2.0;
/// A worker stands out when its lag is more than this many times the others' median.
pub const PACE_LAG_FACTOR: f64 = 3.0;
/// A worker at this much of a core or more is saturated …
pub const PACE_CPU_BUSY_PCT: f64 = 90.0;
/// … when the others' median is below this.
pub const PACE_CPU_IDLE_PCT: f64 = 70.0;

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

/// Why worker `i`, and not the server, set the phase's pace; `None` when it did not stand out.
fn pacing_reason(workers: &[WorkerPhase], i: usize, bound_ms: Option<f64>) -> Option<String> {
    let w = &workers[i];
    let others: Vec<&WorkerPhase> =
        workers.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, o)| o).collect();
    if others.is_empty() {
        return None;
    }
    if let Some(lag) = w.dispatch_lag_p99_ms {
        let others_lag = median(others.iter().filter_map(|o| o.dispatch_lag_p99_ms).collect());
        let high = lag > PACE_LAG_MS || bound_ms.is_some_and(|b| lag > b);
        if let Some(med) = others_lag
            && high
            && lag > PACE_LAG_FACTOR * med
        {
            return Some(format!(
                "its dispatch lag p99 was {lag:.1} ms, against a median of {med:.1} ms among the others"
            ));
        }
    }
    if let Some(cpu) = w.cpu_pct {
        let others_cpu = median(others.iter().filter_map(|o| o.cpu_pct).collect());
        if let Some(med) = others_cpu
            && cpu >= PACE_CPU_BUSY_PCT
            && med < PACE_CPU_IDLE_PCT
        {
            return Some(format!(
                "its CPU was {cpu:.0} % of a core, against a median of {med:.0} % among the others"
            ));
        }
    }
    if w.dropped > 0 && others.iter().all(|o| o.dropped == 0) {
        return Some(format!("it dropped {} arrivals (no VU free) and the others none", w.dropped));
    }
    None
}

/// The worker that set the phase's pace, when one stands out: its dispatch lag p99 above
/// [`PACE_LAG_MS`] (or the phase's schedule bound) and more than [`PACE_LAG_FACTOR`]× the others'
/// median; or its CPU at [`PACE_CPU_BUSY_PCT`] while the others' median is below
/// [`PACE_CPU_IDLE_PCT`]; or it alone dropped arrivals. Of several, the one with the highest lag.
/// Its segment, and why.
pub fn pace(workers: &[WorkerPhase], bound_ms: Option<f64>) -> Option<(String, String)> {
    (0..workers.len())
        .filter_map(|i| pacing_reason(workers, i, bound_ms).map(|why| (i, why)))
        .max_by(|(a, _), (b, _)| {
            let lag = |i: usize| workers[i].dispatch_lag_p99_ms.unwrap_or(0.0);
            lag(*a).total_cmp(&lag(*b)).then(b.cmp(a))
        })
        .map(|(i, why)| (workers[i].segment.clone(), why))
}
