//! What one request left behind, in the recorder's own terms: the transports (`client/`) and the
//! capabilities turn their results into these, so the recorder depends on no client type.

use std::time::{Duration, Instant};

/// A successful LLM call: its latencies and token counts.
#[derive(Debug, Clone, Default)]
pub struct LlmSample<'a> {
    /// When the request was sent (for the live outputs; `None`: E2E before it was recorded).
    pub started: Option<Instant>,
    /// The HTTP status of the answer (0 when unknown).
    pub status: u16,
    /// Request start → last byte.
    pub e2e: Duration,
    /// Request start → first generated token: content, reasoning or a tool call (streamed calls
    /// only).
    pub ttft: Option<Duration>,
    /// Request start → first output token: content or a tool call, reasoning excluded.
    pub ttfo: Option<Duration>,
    /// Request start → second generated token.
    pub ttst: Option<Duration>,
    /// (E2E − TTFT) / (output tokens − 1).
    pub tpot: Option<Duration>,
    /// Gaps between content tokens after the first.
    pub itl: &'a [Duration],
    /// Gaps between stream chunks, whatever they carried.
    pub chunk_gaps: &'a [Duration],
    pub input_tokens: Option<u32>,
    pub output_tokens: u32,
    /// Whether `output_tokens` came from the server's `usage` (else it was counted).
    pub output_tokens_from_usage: bool,
    /// What `usage` said, when the server sent it.
    pub usage_output_tokens: Option<u32>,
    /// What the client counted in the stream.
    pub counted_output_tokens: u32,
    /// Stream chunks that carried reasoning and no output.
    pub reasoning_chunks: u32,
    /// The server's `usage.completion_tokens_details.reasoning_tokens`, when sent.
    pub reasoning_tokens: Option<u32>,
    /// The server's `usage.prompt_tokens_details.cached_tokens`, when sent.
    pub cached_tokens: Option<u32>,
    /// Tool calls in the answer.
    pub tool_calls: u32,
}

/// A plain HTTP exchange that got a response (any status).
#[derive(Debug, Clone, Copy)]
pub struct HttpSample {
    /// The response's HTTP status.
    pub status: u16,
    /// Time to connect, when this request opened its connection.
    pub connect: Option<Duration>,
    /// Request start → first byte of the response.
    pub ttfb: Duration,
    /// Request start → last byte.
    pub total: Duration,
}

/// Per-request service-level objectives (`--goodput`): a request is *good* when it succeeded
/// and met every bound given. A bound on a metric the request lacks (TTFT of a non-streamed
/// call) is not met.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slo {
    pub ttft: Option<Duration>,
    pub tpot: Option<Duration>,
    pub e2e: Option<Duration>,
}

impl Slo {
    /// Whether `sample` met every bound.
    pub fn met_by(&self, sample: &LlmSample<'_>) -> bool {
        let within = |bound: Option<Duration>, value: Option<Duration>| match bound {
            None => true,
            Some(b) => value.is_some_and(|v| v <= b),
        };
        within(self.ttft, sample.ttft) && within(self.tpot, sample.tpot) && within(self.e2e, Some(sample.e2e))
    }
}

impl std::fmt::Display for Slo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [("ttft", self.ttft), ("tpot", self.tpot), ("e2e", self.e2e)]
            .into_iter()
            .filter_map(|(name, bound)| bound.map(|b| format!("{name}<={}", humantime::format_duration(b))))
            .collect();
        f.write_str(&parts.join(", "))
    }
}
