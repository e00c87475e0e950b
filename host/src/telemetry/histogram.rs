//! Server-side latency histograms (vLLM's TTFT, inter-token and queue-time histograms) as
//! per-phase deltas: the cumulative buckets scraped at a phase's start and end are subtracted,
//! and the phase's count, mean and quantiles are read from the difference the way Prometheus'
//! `histogram_quantile` does (linear interpolation inside the bucket that holds the rank).

use runner_reports::model::ServerLatency;

/// Which server histogram a series feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServerHistogram {
    /// Time to first token, as the server measured it (arrival to first token: queue included).
    Ttft,
    /// Time between output tokens.
    Itl,
    /// Time spent queued before the first scheduling.
    QueueTime,
}

impl ServerHistogram {
    /// The histogram a series' base name (without `_bucket`/`_sum`/`_count`) belongs to.
    pub fn from_base(name: &str) -> Option<ServerHistogram> {
        match name {
            "vllm:time_to_first_token_seconds" => Some(ServerHistogram::Ttft),
            // The newer name (vLLM ≥ 0.9) and the older one for the same figure.
            "vllm:inter_token_latency_seconds" | "vllm:time_per_output_token_seconds" => {
                Some(ServerHistogram::Itl)
            }
            "vllm:request_queue_time_seconds" => Some(ServerHistogram::QueueTime),
            _ => None,
        }
    }
}

/// One histogram as scraped: cumulative counts per upper bound (`le`, seconds), the sum of the
/// observations (seconds) and their count. Label sets (engines, models) are summed into one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cumulative {
    /// `(le, cumulative count)`, sorted by `le`; the last is `+Inf` when the server published it.
    pub buckets: Vec<(f64, f64)>,
    /// Sum of the observations, seconds.
    pub sum: f64,
    /// Number of observations.
    pub count: f64,
}

impl Cumulative {
    /// Adds one `_bucket` series (several label sets with the same `le` are summed).
    pub fn add_bucket(&mut self, le: f64, value: f64) {
        match self.buckets.iter_mut().find(|(b, _)| *b == le) {
            Some((_, v)) => *v += value,
            None => {
                let at = self.buckets.partition_point(|(b, _)| *b < le);
                self.buckets.insert(at, (le, value));
            }
        }
    }

    /// What was observed between `before` and `self` (a later scrape of the same histogram).
    /// A server restart resets the counters; then everything in `self` is new, as Prometheus'
    /// `increase()` takes it.
    pub fn since(&self, before: &Cumulative) -> Cumulative {
        let reset = self.count < before.count
            || self
                .buckets
                .iter()
                .any(|(le, v)| before.buckets.iter().find(|(b, _)| b == le).is_some_and(|(_, old)| v < old));
        if reset {
            return self.clone();
        }
        let buckets = self
            .buckets
            .iter()
            .map(|&(le, v)| (le, v - before.buckets.iter().find(|(b, _)| *b == le).map_or(0.0, |(_, o)| *o)))
            .collect();
        Cumulative { buckets, sum: self.sum - before.sum, count: self.count - before.count }
    }

    /// The `q` quantile (0…1), seconds, as Prometheus' `histogram_quantile` computes it: the rank
    /// `q·count` is located in the first bucket whose cumulative count reaches it and interpolated
    /// linearly between that bucket's bounds (the lowest bucket starts at 0). A rank that falls in
    /// the `+Inf` bucket reads as the highest finite bound. `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.buckets.last().map_or(0.0, |(_, c)| *c);
        // `total` may be NaN from a malformed page: only a positive count has quantiles.
        if total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = q * total;
        let (mut lower, mut below) = (0.0, 0.0);
        for (i, &(le, cumulative)) in self.buckets.iter().enumerate() {
            if cumulative >= rank {
                if le.is_infinite() {
                    return Some(if i == 0 { 0.0 } else { lower });
                }
                if i == 0 && le <= 0.0 {
                    return Some(le);
                }
                let in_bucket = cumulative - below;
                if in_bucket <= 0.0 {
                    return Some(le);
                }
                return Some(lower + (le - lower) * (rank - below) / in_bucket);
            }
            (lower, below) = (le, cumulative);
        }
        Some(lower)
    }

    /// The report of this (delta) histogram, in milliseconds.
    pub fn report(&self) -> ServerLatency {
        let count = self.count.max(0.0).round() as u64;
        let ms = |s: Option<f64>| s.map(|s| s * 1000.0);
        ServerLatency {
            count,
            mean_ms: (self.count > 0.0).then(|| self.sum / self.count * 1000.0),
            p50_ms: ms(self.quantile(0.50)),
            p95_ms: ms(self.quantile(0.95)),
            p99_ms: ms(self.quantile(0.99)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(buckets: &[(f64, f64)], sum: f64) -> Cumulative {
        let mut h = Cumulative::default();
        for &(le, v) in buckets {
            h.add_bucket(le, v);
        }
        h.count = buckets.last().map_or(0.0, |b| b.1);
        h.sum = sum;
        h
    }

    #[test]
    fn quantiles_interpolate_inside_the_bucket_like_prometheus() {
        // 10 in (0, 0.1], 30 in (0.1, 0.2], 60 in (0.2, 0.4]: rank 50 is 10/60 into (0.2, 0.4].
        let h = hist(&[(0.1, 10.0), (0.2, 40.0), (0.4, 100.0), (f64::INFINITY, 100.0)], 25.0);
        let p50 = h.quantile(0.5).unwrap_or(f64::NAN);
        assert!((p50 - (0.2 + 0.2 * 10.0 / 60.0)).abs() < 1e-12, "{p50}");
        // Rank 5 is half-way into the first bucket, which starts at 0.
        assert!((h.quantile(0.05).unwrap_or(f64::NAN) - 0.05).abs() < 1e-12);
        let r = h.report();
        assert_eq!(r.count, 100);
        assert!(r.mean_ms.is_some_and(|m| (m - 250.0).abs() < 1e-9));
    }

    #[test]
    fn a_rank_in_the_inf_bucket_reads_as_the_highest_finite_bound() {
        let h = hist(&[(0.1, 1.0), (0.5, 2.0), (f64::INFINITY, 10.0)], 30.0);
        assert_eq!(h.quantile(0.99), Some(0.5));
        assert_eq!(Cumulative::default().quantile(0.5), None, "no observations: absent");
    }

    #[test]
    fn deltas_subtract_buckets_and_survive_a_reset() {
        let start = hist(&[(0.05, 100.0), (0.1, 100.0), (f64::INFINITY, 100.0)], 4.0);
        let end = hist(&[(0.05, 100.0), (0.1, 150.0), (f64::INFINITY, 150.0)], 8.0);
        let d = end.since(&start);
        assert_eq!(d.count, 50.0);
        assert_eq!(d.buckets, vec![(0.05, 0.0), (0.1, 50.0), (f64::INFINITY, 50.0)]);
        assert!((d.sum - 4.0).abs() < 1e-12);
        // Only the phase's 50 observations count: all in (0.05, 0.1], so p50 is the middle.
        assert!((d.quantile(0.5).unwrap_or(f64::NAN) - 0.075).abs() < 1e-12);
        let restarted = hist(&[(0.05, 3.0), (0.1, 3.0), (f64::INFINITY, 3.0)], 0.1);
        assert_eq!(restarted.since(&end), restarted, "a counter that went down is a restart");
    }

    #[test]
    fn names_map_to_histograms() {
        assert_eq!(
            ServerHistogram::from_base("vllm:time_per_output_token_seconds"),
            Some(ServerHistogram::Itl)
        );
        assert_eq!(ServerHistogram::from_base("vllm:e2e_request_latency_seconds"), None);
    }
}
