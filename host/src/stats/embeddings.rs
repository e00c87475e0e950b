//! Embeddings calls in a phase. One is recorded like a non-streamed completion — a request, its
//! E2E, its input tokens (an error goes through [`PhaseStats::record_error`] like any other) —
//! so a phase of embeddings reports requests/s, E2E percentiles and input tokens with no new
//! fields. It has no output tokens, TTFT or TPOT. A phase that mixes embeddings with chat keeps
//! them apart by tagging the requests (the reports' per-tag tables); nothing is tagged for it.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use runner_reports::metric;

use super::{LlmSample, Outcome, PhaseStats, RequestKind, Tags, micros};

/// A successful embeddings call.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbeddingSample {
    /// Request start → last byte.
    pub e2e: Duration,
    /// `usage.prompt_tokens`, when the server sent it.
    pub input_tokens: Option<u32>,
}

impl PhaseStats {
    /// Records a successful embeddings call: one request, its E2E (phase, tag set and the time
    /// series) and its input tokens. Goodput judges it on E2E; a TTFT or TPOT bound, which it
    /// cannot meet, makes it not good (the rule for any request lacking the metric).
    pub fn record_embedding(&self, extra: &Tags, e: &EmbeddingSample) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if self.slo.as_ref().is_some_and(|slo| slo.met_by(&LlmSample { e2e: e.e2e, ..LlmSample::default() }))
        {
            self.good_requests.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(input) = e.input_tokens {
            self.input_tokens.fetch_add(u64::from(input), Ordering::Relaxed);
        }
        let mut r = self.lock();
        r.recovery.on_success(Instant::now);
        r.each_series(extra, |s| {
            s.requests += 1;
            s.record(metric::E2E, micros(e.e2e));
        });
        r.interval.record(metric::E2E, micros(e.e2e));
        drop(r);
        let outcome = Outcome::Embedding { e2e: e.e2e, input_tokens: e.input_tokens };
        self.observe(extra, RequestKind::Embedding, None, e.e2e, outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::error_class::ErrorClass;
    use crate::stats::Slo;

    #[test]
    fn an_embeddings_call_is_a_request_with_e2e_and_input_tokens_only() {
        let stats = PhaseStats::new("p", Tags::new())
            .with_slo(Some(Slo { e2e: Some(Duration::from_millis(50)), ..Slo::default() }));
        let tagged: Tags = BTreeMap::from([("api".to_string(), "embeddings".to_string())]);
        stats.record_embedding(
            &tagged,
            &EmbeddingSample { e2e: Duration::from_millis(20), input_tokens: Some(7) },
        );
        stats.record_embedding(
            &tagged,
            &EmbeddingSample { e2e: Duration::from_millis(80), input_tokens: None },
        );
        stats.record_error(&tagged, ErrorClass::Timeout);
        let report = stats.report(&crate::stats::PhaseShape::default(), Instant::now());
        assert_eq!((report.requests, report.errors, report.input_tokens, report.output_tokens), (3, 1, 7, 0));
        assert_eq!(report.metrics[metric::E2E].count, 2);
        assert!(
            !report.metrics.contains_key(metric::TTFT) && !report.metrics.contains_key(metric::E2E_PER_TOKEN)
        );
        let tokens = &report.tokens;
        assert_eq!((tokens.from_usage, tokens.counted), (0, 0), "no output tokens to account for");
        let by_tag = &report.by_tags[0];
        assert_eq!((by_tag.requests, by_tag.errors, by_tag.metrics[metric::E2E].count), (3, 1, 2));
        let goodput = report.goodput.expect("an SLO was given");
        assert_eq!(goodput.good_requests, 1, "only the 20 ms call met e2e<=50ms");
        assert_eq!(stats.take_interval()[metric::E2E].count, 2, "the time series sees them too");
    }
}
