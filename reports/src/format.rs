//! Number, duration and distribution formatting shared by the console and the report sections,
//! so both print the same value the same way.
//!
//! Rules: milliseconds get 2 decimals under 100 and 1 decimal from 100 up (precision that the
//! histograms' 3 significant digits can back); seconds get 2 decimals as hand-made sweep tables have them;
//! anything without samples, or not finite, prints as [`NONE`].

use std::collections::BTreeMap;

use crate::model::Distribution;

/// What a cell shows when there is no value: an empty distribution, a missing metric, NaN.
pub const NONE: &str = "-";

/// Milliseconds without a unit: `"56.60"`, `"168.3"`.
pub fn ms(value: f64) -> String {
    if !value.is_finite() {
        NONE.to_string()
    } else if value.abs() < 100.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

/// Milliseconds with their unit: `"56.60 ms"`.
pub fn ms_unit(value: f64) -> String {
    if value.is_finite() { format!("{} ms", ms(value)) } else { NONE.to_string() }
}

/// A millisecond value shown in seconds with 2 decimals, as sweep tables usually show them: `"1.13"`.
pub fn ms_as_s(value_ms: f64) -> String {
    if value_ms.is_finite() { format!("{:.2}", value_ms / 1000.0) } else { NONE.to_string() }
}

/// A rate per second (requests/s, iterations/s) with 2 decimals: `"23.02"`.
pub fn rate(value: f64) -> String {
    if value.is_finite() { format!("{value:.2}") } else { NONE.to_string() }
}

/// A token throughput with 1 decimal: `"105.4"`.
pub fn tok_s(value: f64) -> String {
    if value.is_finite() { format!("{value:.1}") } else { NONE.to_string() }
}

/// A plain number of unknown unit (custom trends): 2 decimals under 100, 1 above, like [`ms`].
pub fn number(value: f64) -> String {
    ms(value)
}

/// A count with thousands separators: `"10,000"`.
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A signed count with an explicit sign: `"+12"`, `"-3"`, `"0"`.
pub fn signed(value: i64) -> String {
    if value > 0 { format!("+{value}") } else { value.to_string() }
}

/// A share from 0 to 1 as a percentage with 1 decimal: `"1.3%"`.
pub fn percent(share: f64) -> String {
    if share.is_finite() { format!("{:.1}%", share * 100.0) } else { NONE.to_string() }
}

/// A duration in seconds for people: `"850ms"`, `"10s"`, `"12.5s"`, `"1m 30s"`, `"2h 05m"`.
pub fn duration_s(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return NONE.to_string();
    }
    if seconds == 0.0 {
        return "0s".to_string();
    }
    if seconds < 1.0 {
        return format!("{:.0}ms", seconds * 1000.0);
    }
    if seconds < 60.0 {
        let tenths = (seconds * 10.0).round();
        return if tenths % 10.0 == 0.0 {
            format!("{:.0}s", tenths / 10.0)
        } else {
            format!("{:.1}s", tenths / 10.0)
        };
    }
    // Whole seconds are enough once a run is over a minute long.
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    if h > 0 { format!("{h}h {m:02}m") } else { format!("{m}m {s:02}s") }
}

/// Errors as `"0"` or `"3 (1.3%)"`.
pub fn errors(errors: u64, requests: u64) -> String {
    if errors == 0 || requests == 0 {
        count(errors)
    } else {
        format!("{} ({})", count(errors), percent(errors as f64 / requests as f64))
    }
}

/// Which statistic of a [`Distribution`] to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// The mean.
    Mean,
    /// The standard deviation.
    StdDev,
    /// The smallest sample.
    Min,
    /// The median.
    P50,
    /// The 90th percentile.
    P90,
    /// The 95th percentile.
    P95,
    /// The 99th percentile.
    P99,
    /// The largest sample.
    Max,
}

impl Stat {
    /// The statistic's value in `dist`.
    pub fn of(self, dist: &Distribution) -> f64 {
        match self {
            Stat::Mean => dist.mean,
            Stat::StdDev => dist.stddev,
            Stat::Min => dist.min,
            Stat::P50 => dist.p50,
            Stat::P90 => dist.p90,
            Stat::P95 => dist.p95,
            Stat::P99 => dist.p99,
            Stat::Max => dist.max,
        }
    }
}

/// One statistic of a distribution formatted by `fmt`, or [`NONE`] when it has no samples.
pub fn stat(dist: Option<&Distribution>, which: Stat, fmt: fn(f64) -> String) -> String {
    match dist {
        Some(d) if !d.is_empty() => fmt(which.of(d)),
        _ => NONE.to_string(),
    }
}

/// Several statistics of a millisecond distribution joined by `" / "`: `"18.50 / 56.60 / 168.3"`,
/// or a single [`NONE`] when it has no samples.
pub fn stats_ms(dist: Option<&Distribution>, which: &[Stat]) -> String {
    match dist {
        Some(d) if !d.is_empty() => which.iter().map(|s| ms(s.of(d))).collect::<Vec<_>>().join(" / "),
        _ => NONE.to_string(),
    }
}

/// Tags as `"len=short, model=qwen"`; empty tags give an empty string.
pub fn tags(tags: &BTreeMap<String, String>) -> String {
    tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_switches_precision_at_100() {
        assert_eq!(ms(56.6), "56.60");
        assert_eq!(ms(99.994), "99.99");
        assert_eq!(ms(168.27), "168.3");
        assert_eq!(ms(f64::NAN), "-");
        assert_eq!(ms_unit(8.8), "8.80 ms");
    }

    #[test]
    fn seconds_and_rates_follow_the_seed() {
        assert_eq!(ms_as_s(1130.0), "1.13");
        assert_eq!(ms_as_s(4370.4), "4.37");
        assert_eq!(rate(23.0249), "23.02");
        assert_eq!(tok_s(105.44), "105.4");
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(signed(12), "+12");
        assert_eq!(signed(-3), "-3");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_s(0.0), "0s");
        assert_eq!(duration_s(0.85), "850ms");
        assert_eq!(duration_s(10.0), "10s");
        assert_eq!(duration_s(12.54), "12.5s");
        assert_eq!(duration_s(90.0), "1m 30s");
        assert_eq!(duration_s(7500.0), "2h 05m");
        assert_eq!(duration_s(-1.0), "-");
    }

    #[test]
    fn empty_distributions_print_a_dash() {
        let empty = Distribution::default();
        assert_eq!(stats_ms(Some(&empty), &[Stat::P50, Stat::P95]), "-");
        assert_eq!(stat(None, Stat::Mean, ms), "-");
        let d = Distribution { count: 3, p50: 18.5, p95: 56.6, p99: 168.27, ..Default::default() };
        assert_eq!(stats_ms(Some(&d), &[Stat::P50, Stat::P95, Stat::P99]), "18.50 / 56.60 / 168.3");
    }

    #[test]
    fn errors_show_share_only_when_nonzero() {
        assert_eq!(errors(0, 100), "0");
        assert_eq!(errors(3, 200), "3 (1.5%)");
    }
}
