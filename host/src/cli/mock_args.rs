//! The simulated server's settings on the command line: `runner mock`'s flags ([`MockArgs`]) and
//! the `--mock key=value,…` spec of `runner play` ([`parse_mock_spec`]), which name the same
//! settings.

use std::time::Duration;

use clap::Args;
use runner::mock::{MockConfig, PrefixCacheConfig, prefix_cache};

#[derive(Args, Clone)]
pub struct MockArgs {
    /// Simulated time to first token, in ms.
    #[arg(long, default_value_t = 50)]
    pub ttft_ms: u64,
    /// Simulated inter-token latency, in ms.
    #[arg(long, default_value_t = 10)]
    pub itl_ms: u64,
    /// Uniform jitter (±) on every token's time, in ms.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Concurrent generation slots; requests beyond them queue (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    pub capacity: usize,
    /// Output tokens when a request gives no max_tokens.
    #[arg(long, default_value_t = 128)]
    pub default_max_tokens: u32,
    /// Inject a fault into a fraction of generation requests (repeatable; rates add up to at most 1),
    /// e.g. status=503@0.1, reset-mid-stream, stall-mid-stream=5s, huge-body=300MB. See docs/RELIABILITY.md.
    #[arg(long = "fault", value_name = "KIND[=ARG][@RATE]")]
    pub faults: Vec<runner::mock::FaultSpec>,
    /// Answer 401 to every /v1 request that does not carry `Authorization: Bearer KEY` (what
    /// `vllm serve --api-key` does).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Serve a vLLM-shaped Prometheus page at /metrics (running / waiting requests, KV-cache use,
    /// TTFT / ITL / queue-time histograms), a DCGM-shaped one at /metrics/dcgm and llama.cpp-shaped
    /// /slots.
    #[arg(long)]
    pub metrics: bool,
    /// A model to serve (repeatable). Without any, /v1/models lists one, `mock`, and requests
    /// may name any model; with some, it lists those and requests must name one of them.
    #[arg(long = "served-model", value_name = "NAME")]
    pub models: Vec<String>,
    /// Serve every route under this path prefix (e.g. /openai), as behind a proxy.
    #[arg(long, value_name = "PATH", default_value = "", value_parser = parse_prefix)]
    pub prefix: String,
    /// Chat answers open with N reasoning tokens (`delta.reasoning_content`), part of the output
    /// length, reported in usage's `completion_tokens_details`.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub reasoning: u32,
    /// Tokens per stream chunk after the first, each chunk sent when its last token is due.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub tokens_per_chunk: u32,
    /// Report `prompt_tokens_details.cached_tokens` in usage: N, or the prompt's length if
    /// shorter, as if served from a prefix cache.
    #[arg(long, value_name = "N")]
    pub cached_tokens: Option<u64>,
    /// The model ends its answers after N tokens (`finish_reason: "stop"`) unless the request
    /// says `"ignore_eos": true`, as a real model stops at its end of sequence.
    #[arg(long, value_name = "N")]
    pub eos: Option<u32>,
    /// The length of the vectors /v1/embeddings answers with.
    #[arg(long, default_value_t = runner::mock::DEFAULT_EMBEDDING_DIM)]
    pub embedding_dim: u32,
    /// A chat request with `tools` is answered with a tool call for N steps of an agent loop
    /// (rounds of `tool` results since the last user message), then with words; 0: never.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub tool_steps: u32,
    /// Keep a prefix cache of blocks of BLOCK tokens (vLLM's default: 16): usage reports each
    /// request's cached prompt tokens and /metrics counts vLLM's prefix_cache_queries/hits.
    #[arg(long, value_name = "BLOCK")]
    pub prefix_cache: Option<u32>,
    /// The most tokens the prefix cache holds; the least recently used blocks go beyond.
    #[arg(long, value_name = "TOKENS", default_value_t = prefix_cache::DEFAULT_CAPACITY_TOKENS)]
    pub prefix_cache_capacity: u64,
    /// Prefill time per uncached prompt token, in µs, added to the time to the first token.
    #[arg(long, value_name = "US", default_value_t = 0)]
    pub prefill_per_token_us: u64,
}

/// The most generation slots the simulated server takes (tokio's semaphore panics past ~2^61).
pub const MAX_CAPACITY: usize = 1_000_000;
/// The longest embedding vector the simulated server makes (it builds one per input text).
pub const MAX_EMBEDDING_DIM: u32 = 65_536;

impl MockArgs {
    /// Refuses settings that would make the simulated server panic or allocate without bound;
    /// one line, a usage error for either spelling.
    pub fn check(&self) -> Result<(), String> {
        let max_ms = runner::capabilities::limits::MAX_DURATION.as_millis();
        for (what, ms) in [("ttft", self.ttft_ms), ("itl", self.itl_ms), ("jitter", self.jitter_ms)] {
            if u128::from(ms) > max_ms {
                return Err(format!("{what} of {ms} ms is longer than the maximum of 7days"));
            }
        }
        if self.capacity > MAX_CAPACITY {
            return Err(format!("capacity {} is over the maximum of {MAX_CAPACITY}", self.capacity));
        }
        if u128::from(self.prefill_per_token_us) > max_ms * 1000 {
            return Err(format!(
                "prefill-per-token of {} µs is longer than the maximum of 7days",
                self.prefill_per_token_us
            ));
        }
        if let Some(block) = self.prefix_cache {
            if block == 0 || block > prefix_cache::MAX_BLOCK_TOKENS {
                return Err(format!(
                    "prefix-cache block of {block} tokens must be from 1 to {}",
                    prefix_cache::MAX_BLOCK_TOKENS
                ));
            }
            let blocks = self.prefix_cache_capacity / u64::from(block);
            if blocks == 0 || blocks > prefix_cache::MAX_BLOCKS {
                return Err(format!(
                    "prefix-cache-capacity of {} tokens must hold from 1 to {} blocks of {block}",
                    self.prefix_cache_capacity,
                    prefix_cache::MAX_BLOCKS
                ));
            }
            if self.cached_tokens.is_some() {
                return Err("cached-tokens and prefix-cache both set usage's cached tokens: give one".into());
            }
        }
        if self.embedding_dim == 0 || self.embedding_dim > MAX_EMBEDDING_DIM {
            return Err(format!(
                "embedding-dim {} must be from 1 to {MAX_EMBEDDING_DIM}",
                self.embedding_dim
            ));
        }
        Ok(())
    }

    /// The simulated server's configuration, its randomness seeded with `seed`.
    pub fn config(&self, seed: u64) -> MockConfig {
        MockConfig {
            ttft: Duration::from_millis(self.ttft_ms),
            itl: Duration::from_millis(self.itl_ms),
            jitter: Duration::from_millis(self.jitter_ms),
            capacity: self.capacity,
            default_max_tokens: self.default_max_tokens,
            seed,
            faults: self.faults.clone(),
            metrics: self.metrics,
            api_key: self.api_key.clone(),
            models: self.models.clone(),
            prefix: self.prefix.clone(),
            reasoning: self.reasoning,
            tokens_per_chunk: self.tokens_per_chunk,
            cached_tokens: self.cached_tokens,
            eos: self.eos,
            embedding_dim: self.embedding_dim,
            tool_steps: self.tool_steps,
            prefix_cache: self.prefix_cache.map(|block_tokens| PrefixCacheConfig {
                block_tokens,
                capacity_tokens: self.prefix_cache_capacity,
            }),
            prefill_per_token: Duration::from_micros(self.prefill_per_token_us),
        }
    }
}

/// Reads `--mock`'s `key=value,…` spec into the same settings `runner mock` takes as flags.
pub fn parse_mock_spec(spec: &str) -> Result<MockArgs, String> {
    let mut sim = MockArgs {
        ttft_ms: 50,
        itl_ms: 10,
        jitter_ms: 0,
        capacity: 0,
        default_max_tokens: 128,
        faults: Vec::new(),
        metrics: false,
        api_key: None,
        models: Vec::new(),
        prefix: String::new(),
        reasoning: 0,
        tokens_per_chunk: 1,
        cached_tokens: None,
        eos: None,
        embedding_dim: runner::mock::DEFAULT_EMBEDDING_DIM,
        tool_steps: 1,
        prefix_cache: None,
        prefix_cache_capacity: prefix_cache::DEFAULT_CAPACITY_TOKENS,
        prefill_per_token_us: 0,
    };
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item.split_once('=').ok_or_else(|| format!("expected key=value, got {item:?}"))?;
        let millis = || -> Result<u64, String> {
            humantime::parse_duration(value)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .map_err(|e| format!("{key}={value}: not a duration like 50ms ({e})"))
        };
        let number = || value.parse::<u64>().map_err(|_| format!("{key}={value}: not a whole number"));
        match key {
            "ttft" => sim.ttft_ms = millis()?,
            "itl" => sim.itl_ms = millis()?,
            "jitter" => sim.jitter_ms = millis()?,
            "capacity" => sim.capacity = usize::try_from(number()?).unwrap_or(usize::MAX),
            "max-tokens" => {
                sim.default_max_tokens = number()?.try_into().map_err(|_| "max-tokens too large")?
            }
            // `fault=KIND[=ARG][@RATE]`, repeatable: the value keeps its own `=` (split_once took the first).
            "fault" => sim.faults.push(
                value.parse().map_err(|e: runner::mock::FaultSpecError| format!("fault={value}: {e}"))?,
            ),
            "api-key" if !value.is_empty() => sim.api_key = Some(value.to_string()),
            "api-key" => return Err("api-key= needs a key".into()),
            "model" if !value.is_empty() => sim.models.push(value.to_string()),
            "model" => return Err("model= needs a name".into()),
            "prefix" => sim.prefix = parse_prefix(value)?,
            "reasoning" => sim.reasoning = number()?.try_into().map_err(|_| "reasoning too large")?,
            "tokens-per-chunk" => match number()?.try_into() {
                Ok(k) if k >= 1 => sim.tokens_per_chunk = k,
                _ => return Err(format!("tokens-per-chunk={value}: from 1 to {}", u32::MAX)),
            },
            "cached-tokens" => sim.cached_tokens = Some(number()?),
            "eos" => sim.eos = Some(number()?.try_into().map_err(|_| "eos too large")?),
            "embedding-dim" => {
                sim.embedding_dim = number()?.try_into().map_err(|_| "embedding-dim too large")?
            }
            "tool-steps" => sim.tool_steps = number()?.try_into().map_err(|_| "tool-steps too large")?,
            // `prefix-cache=on` is vLLM's block size; a number is a block size.
            "prefix-cache" if value == "on" => sim.prefix_cache = Some(prefix_cache::DEFAULT_BLOCK_TOKENS),
            "prefix-cache" => {
                let block = number()?.try_into().map_err(|_| format!("prefix-cache={value}: too large"))?;
                sim.prefix_cache = Some(block);
            }
            "prefix-cache-capacity" => sim.prefix_cache_capacity = number()?,
            "prefill-per-token" => {
                let d = humantime::parse_duration(value)
                    .map_err(|e| format!("{key}={value}: not a duration like 100us ({e})"))?;
                sim.prefill_per_token_us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
            }
            _ => {
                return Err(format!(
                    "unknown key {key:?} (known: ttft, itl, jitter, capacity, max-tokens, fault, api-key, \
                     model, prefix, reasoning, tokens-per-chunk, cached-tokens, eos, embedding-dim, \
                     tool-steps, prefix-cache, prefix-cache-capacity, prefill-per-token)"
                ));
            }
        }
    }
    runner::mock::fault::check_rates(&sim.faults).map_err(|e| e.to_string())?;
    sim.check()?;
    Ok(sim)
}

/// A URL path prefix: empty, or `/` and segments, kept without its trailing `/`.
fn parse_prefix(s: &str) -> Result<String, String> {
    let prefix = s.trim_end_matches('/');
    if prefix.is_empty() {
        return Ok(String::new());
    }
    if !prefix.starts_with('/') || prefix.contains(|c: char| c == '?' || c == '#' || c.is_whitespace()) {
        return Err(format!("prefix {s:?} is not a path like /openai"));
    }
    Ok(prefix.to_string())
}
