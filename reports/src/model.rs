//! The run-summary model: what `summary.json` holds, field by field.
//!
//! The host measures a run with HdrHistograms and fills these types once, at the end; the
//! renderers in this crate and any outside tool (jq, notebooks, CI gates) read them back.
//! The schema is documented in docs/SUMMARY-SCHEMA.md. Versioning rule: adding a field keeps
//! [`SCHEMA_VERSION`] (readers ignore fields they do not know, and new fields must carry a
//! serde default so older files still load); removing or renaming a field, or changing its
//! meaning or unit, bumps it. All times are milliseconds as `f64` unless the name says `_s`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The version of the `summary.json` schema this crate writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Names of the well-known entries of [`PhaseReport::metrics`], shared by the host (which fills
/// them) and the renderers (which look them up), so a typo cannot silently drop a column.
pub mod metric {
    /// Request start → first generated token: content, reasoning or a tool call (ms).
    pub const TTFT: &str = "ttft";
    /// Request start → first output token: content or a tool call, reasoning excluded (ms).
    pub const TTFO: &str = "ttfo";
    /// Request start → second generated token (ms).
    pub const TTST: &str = "ttst";
    /// Gaps between consecutive content tokens after the first (ms).
    pub const ITL: &str = "itl";
    /// Gaps between consecutive body chunks, whatever they carry (ms).
    pub const CHUNK_GAP: &str = "chunk_gap";
    /// Time per output token: (E2E − TTFT) / (output tokens − 1) (ms).
    pub const TPOT: &str = "tpot";
    /// Request start → last byte (ms).
    pub const E2E: &str = "e2e";
    /// E2E divided by the request's output tokens (ms).
    pub const E2E_PER_TOKEN: &str = "e2e_per_token";
    /// Per-request decode speed: output tokens / (E2E − TTFT), in tokens per second.
    pub const TOKENS_PER_S: &str = "tokens_per_s";
    /// HTTP time to first byte of the response (ms).
    pub const HTTP_TTFB: &str = "http_ttfb";
    /// HTTP request total, send → last byte (ms).
    pub const HTTP_TOTAL: &str = "http_total";
    /// Time to open the connection, for requests that opened one (ms).
    pub const HTTP_CONNECT: &str = "http_connect";
    /// How late an iteration started compared with its planned start (ms, open loop).
    pub const DISPATCH_LAG: &str = "dispatch_lag";
    /// Latency counted from the planned start rather than the actual send (ms, open loop).
    pub const LATENCY_FROM_SCHEDULE: &str = "latency_from_schedule";
    /// How long one iteration of the scenario took, guest work included (ms).
    pub const ITERATION: &str = "iteration";
    /// Prefix of custom trends recorded by the scenario: `custom:<name>`.
    pub const CUSTOM_PREFIX: &str = "custom:";

    /// The key under which a scenario's custom trend `name` is stored.
    pub fn custom(name: &str) -> String {
        format!("{CUSTOM_PREFIX}{name}")
    }

    /// Whether `key` is in milliseconds; custom trends and speeds carry their own units.
    pub fn is_millis(key: &str) -> bool {
        !key.starts_with(CUSTOM_PREFIX) && key != TOKENS_PER_S
    }
}

/// Why a `summary.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The text is not JSON, or not the shape of a summary.
    #[error("summary.json is not a valid run summary: {0}")]
    Json(#[from] serde_json::Error),
    /// The document has no `schema_version` field, so it is not a summary we can trust.
    #[error("summary.json has no numeric `schema_version` field")]
    MissingVersion,
    /// The document was written with a schema this build does not understand.
    #[error(
        "summary.json has schema_version {found}, but this runner reads version {supported}; \
         {hint}"
    )]
    UnsupportedVersion {
        /// The version found in the document.
        found: u64,
        /// The version this crate reads ([`SCHEMA_VERSION`]).
        supported: u32,
        /// What to do about it.
        hint: &'static str,
    },
}

/// One run: everything `summary.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The schema of this document; [`SCHEMA_VERSION`] when written by this crate.
    pub schema_version: u32,
    /// The version of `runner` that made the run.
    pub runner_version: String,
    /// The run's identity, the same in its `run.json`, `summary.json` and `timeseries.jsonl`, so
    /// `runner report` never mixes one run's files with another's; empty in folders written
    /// before it existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub run_id: String,
    /// The scenario package that drove the run.
    pub scenario: ScenarioInfo,
    /// The base URL the traffic went to.
    pub target: String,
    /// Whether the target was the built-in simulated server (`runner mock`).
    pub target_is_mock: bool,
    /// The random seed of the run: plans are deterministic given parameters and seed.
    pub seed: u64,
    /// The scenario parameters as resolved (defaults plus `--param`).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// The model the run's LLM calls named when they named none themselves, and where it came
    /// from; absent when there was none (the calls then name no model, or their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<RunModel>,
    /// The run's labels (`--label key=value`): what the person running it said it was (a GPU, a
    /// build, a team), carried into every output so runs can be told apart and grouped.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// What the target said about itself when the run was prepared (software, version, the
    /// models it lists); absent for a run that learnt nothing, or one written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerInfo>,
    /// The names (never the values) of the headers sent with every request to the target:
    /// `--header`s and the API key's `authorization`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    /// Wall-clock length of the whole run, in seconds.
    pub duration_s: f64,
    /// The phases, in the order they started.
    #[serde(default)]
    pub phases: Vec<PhaseReport>,
    /// Warnings the run wants the reader to see.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The one warning that comes before everything else in every rendering, because it changes
    /// what the numbers mean (e.g. "nothing reached the server"); absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// The `--threshold` criteria and how the run fared against each, in the order given;
    /// empty when none were set (and in summaries written before thresholds existed).
    #[serde(default)]
    pub thresholds: Vec<ThresholdResult>,
    /// The share of a distributed run this worker ran (`--segment I/N`); absent for a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentInfo>,
    /// A run merged from workers' folders by `runner merge`: who ran which share, and how far
    /// apart they started each phase; absent for a run made by one process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed: Option<Distributed>,
}

/// The share of a distributed run one worker ran: the I-th of N shares of every phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// I, 0-based (as `$SLURM_PROCID` and `$JOB_COMPLETION_INDEX`).
    pub index: u32,
    /// N, the number of workers.
    pub count: u32,
    /// The machine the worker ran on (its host name).
    pub host: String,
    /// The agreed wall-clock start (`--start-at`, RFC 3339); absent when the worker started at once.
    #[serde(default)]
    pub start_at: Option<String>,
    /// How late the worker actually started after `start_at`, ms; absent without `start_at`.
    #[serde(default)]
    pub start_late_ms: Option<f64>,
}

impl SegmentInfo {
    /// "I/N", as `--segment` takes it.
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

/// The runner's own CPU over one phase: how busy the load generator itself was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientReport {
    /// CPU time (user + system) of the runner's whole process over the phase, seconds.
    pub cpu_s: f64,
    /// `cpu_s` over the phase's duration, in % of one core (a busy 4-core process reads 400).
    pub cpu_pct: f64,
}

/// How a merged run's workers shared it (see `runner merge`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Distributed {
    /// The workers, in segment order.
    pub workers: Vec<WorkerInfo>,
    /// Per phase, each worker's share and who set the pace.
    pub phases: Vec<DistributedPhase>,
}

/// One worker of a merged run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// "I/N".
    pub segment: String,
    /// The machine it ran on; empty when its summary did not say.
    pub host: String,
    /// When it started (its summary's `started_at`).
    pub started_at: String,
    /// How late it started after `--start-at`, ms.
    #[serde(default)]
    pub start_late_ms: Option<f64>,
}

/// One phase of a merged run, worker by worker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DistributedPhase {
    /// The phase's name.
    pub phase: String,
    /// The latest worker's wall-clock start of the phase minus the earliest's, ms.
    pub start_skew_ms: f64,
    /// The workers that ran the phase, in segment order.
    pub workers: Vec<WorkerPhase>,
    /// The segment ("I/N") whose own limits, not the server, set the phase's pace; absent when
    /// no worker stood out.
    #[serde(default)]
    pub paced_by: Option<String>,
}

/// One worker's share of one phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerPhase {
    /// "I/N".
    pub segment: String,
    /// Its wall-clock start of the phase after the earliest worker's, ms.
    pub start_offset_ms: f64,
    /// Requests it sent.
    pub requests: u64,
    /// Requests that failed.
    pub errors: u64,
    /// Open-loop arrivals it dropped (no VU free).
    #[serde(default)]
    pub dropped: u64,
    /// Its dispatch lag p99, ms; absent for a closed-loop phase.
    #[serde(default)]
    pub dispatch_lag_p99_ms: Option<f64>,
    /// Its own CPU over the phase, % of one core; absent when its summary did not record it.
    #[serde(default)]
    pub cpu_pct: Option<f64>,
}

/// What the target told about itself, asked once before any traffic (`GET /v1/models`, the
/// `Server` header, and the version endpoints of vLLM, llama.cpp, TGI and SGLang). Every field is
/// what the server said, cut to a short line; a field the server did not give is absent. Nothing
/// the runner sent (headers, keys) is ever recorded here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The server software, when an endpoint identified it: `vllm`, `llama.cpp`, `tgi`,
    /// `sglang`, or the product named by the `Server` header (e.g. `runner-mock`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// Its version, as the server gave it (llama.cpp: the build number, e.g. `b4321`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its build: llama.cpp's `build_info`, TGI's git `sha`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// The `Server` response header, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_header: Option<String>,
    /// The models `GET /v1/models` listed, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// Other facts the version endpoint gave, by name: llama.cpp's `model_path`, `total_slots`,
    /// `n_ctx`; TGI's `model_id`, `model_dtype`, `max_total_tokens`; SGLang's `model_path`,
    /// `tp_size`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    /// The endpoints that answered, e.g. `/v1/models`, `/version`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answered: Vec<String>,
}

impl ServerInfo {
    /// Whether the server told nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == ServerInfo::default()
    }

    /// Software and version in a few words, e.g. `vllm 0.6.3` or `llama.cpp b4321
    /// (b4321-abcdef)`; the `Server` header when nothing else named the software; `None` when
    /// the server said neither.
    pub fn identity(&self) -> Option<String> {
        let mut words: Vec<String> = self.software.iter().chain(&self.version).cloned().collect();
        if let Some(build) = self.build.as_ref().filter(|b| Some(*b) != self.version.as_ref()) {
            words.push(format!("({build})"));
        }
        if words.is_empty() {
            return self.server_header.as_ref().map(|h| format!("Server: {h}"));
        }
        Some(words.join(" "))
    }

    /// One line for the reports: identity, `Server` header and models, e.g.
    /// `vllm 0.6.3; Server: uvicorn; models: a, b`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.identity().into_iter().collect();
        if let Some(h) = &self.server_header
            && self.software.is_some()
        {
            parts.push(format!("Server: {h}"));
        }
        if !self.models.is_empty() {
            parts.push(format!("models: {}", self.models.join(", ")));
        }
        if parts.is_empty() { "(nothing)".to_string() } else { parts.join("; ") }
    }
}

/// The run's model: its name and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunModel {
    /// The model name, as sent in the requests' `model` field.
    pub name: String,
    /// Where the name came from.
    pub source: ModelSource,
}

/// Where a run's model came from, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelSource {
    /// `--model`.
    Flag,
    /// The scenario's `model` parameter: `-p model=…`, or its non-empty default.
    Param,
    /// The one model the target listed at `GET /v1/models`.
    Discovered,
}

impl ModelSource {
    /// How the reports say where the model came from.
    pub fn describe(self) -> &'static str {
        match self {
            ModelSource::Flag => "from --model",
            ModelSource::Param => "from the model parameter",
            ModelSource::Discovered => "discovered at /v1/models",
        }
    }
}

/// How a run fared against one threshold (see docs/THRESHOLDS.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// The expression as the user wrote it, e.g. `ttft:p95<200ms`.
    pub expression: String,
    /// What it was checked over: `whole run`, `in every phase` or `phase <name>`.
    pub scope: String,
    /// The value compared, in the metric's own unit (ms for millisecond metrics); for an
    /// "in every phase" scope, the worst phase's. `null` when nothing could be observed.
    pub observed: Option<f64>,
    /// Whether the threshold held. A threshold with nothing to observe fails.
    pub passed: bool,
    /// Why it failed or where the worst value came from, when that needs saying.
    #[serde(default)]
    pub note: Option<String>,
}

/// The scenario package that drove a run, as its `describe()` reported it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// The scenario's name.
    pub name: String,
    /// The scenario's own version.
    pub version: String,
    /// Who wrote it (from `describe`); empty when it does not say.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    /// One-line description.
    pub description: String,
    /// The version of the WIT package `runner:scenario` the component was built against.
    pub wit_version: String,
    /// Where the component was loaded from: a file's path, `shipped:NAME@VERSION`, or an OCI
    /// reference pinned by its manifest's digest.
    pub path: String,
    /// `sha256:HEX` of the component's bytes: what ran, whatever its source (empty in runs
    /// recorded before digests were).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

/// One phase of a run: a block of load with one executor, a name and tags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// The phase's name, unique in a run.
    pub name: String,
    /// The phase's tags; reports group phases by them (one sweep row per concurrency level).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The executor, e.g. `constant-vus`, `constant-arrival-rate`.
    pub executor: String,
    /// The plan for a human, e.g. "20 VUs for 10s", "200 req/s for 5s (poisson), max 50 VUs".
    pub plan: String,
    /// The VU count of a closed-loop phase: the sweep column.
    pub concurrency: Option<u32>,
    /// Planned iterations per second of an open-loop phase.
    pub target_rate: Option<f64>,
    /// When the phase started, in seconds from the run start.
    pub start_s: f64,
    /// How long the phase ran, in seconds.
    pub duration_s: f64,
    /// What became of the phase's iterations.
    pub iterations: Iterations,
    /// Requests sent (HTTP and LLM calls).
    pub requests: u64,
    /// Requests that failed (any class).
    pub errors: u64,
    /// Failed requests by error class: the WIT `error-class` names (`connect`, `timeout`,
    /// `http-status`, ...), or finer classes the host adds.
    #[serde(default)]
    pub errors_by_class: BTreeMap<String, u64>,
    /// Requests per second over the phase.
    pub requests_per_s: f64,
    /// Output tokens per second over the phase, all requests together.
    pub output_tokens_per_s: f64,
    /// Prompt tokens over the phase.
    pub input_tokens: u64,
    /// Output tokens over the phase.
    pub output_tokens: u64,
    /// Reasoning tokens over the phase, as the server's `usage` reported them (part of
    /// `output_tokens`); 0 when no server reported any.
    #[serde(default)]
    pub reasoning_tokens: u64,
    /// Prompt tokens the server reported as served from its prefix cache, over the phase
    /// (part of `input_tokens`); see [`TokenAccounting::cached_reported`].
    #[serde(default)]
    pub cached_tokens: u64,
    /// Tool calls in the answers over the phase.
    #[serde(default)]
    pub tool_calls: u64,
    /// Where the output-token counts came from.
    pub tokens: TokenAccounting,
    /// Distributions by metric name; see [`metric`] for the well-known keys.
    #[serde(default)]
    pub metrics: BTreeMap<String, Distribution>,
    /// How well an open-loop phase kept to its schedule; `None` for closed-loop phases.
    pub schedule: Option<ScheduleReport>,
    /// Custom counters recorded by the scenario.
    #[serde(default)]
    pub counters: BTreeMap<String, u64>,
    /// Checks recorded by the scenario, by name.
    #[serde(default)]
    pub checks: BTreeMap<String, CheckCount>,
    /// Metrics split by the extra tags that requests carried beyond the phase's own.
    #[serde(default)]
    pub by_tags: Vec<TaggedMetrics>,
    /// Requests that met every per-request SLO of `--goodput` (vLLM's goodput); absent without SLOs.
    #[serde(default)]
    pub goodput: Option<Goodput>,
    /// GPU and server telemetry sampled while the phase ran (`--telemetry`); absent without it.
    #[serde(default)]
    pub telemetry: Option<TelemetryReport>,
    /// Every histogram behind [`PhaseReport::metrics`], lossless: metric name → HdrHistogram V2,
    /// deflate-compressed, base64 ([`crate::histogram`]). What `runner merge` adds up.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub histograms: BTreeMap<String, String>,
    /// The runner's own CPU over the phase; absent in summaries written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientReport>,
}

/// A phase's telemetry: the samples taken while it ran, aggregated. A field is `None` when no
/// source gave it (no GPU source, no queue series): absent, never zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetryReport {
    /// Samples taken while the phase ran.
    pub samples: u64,
    /// GPU utilisation, %, mean over samples (each sample: mean over devices).
    #[serde(default)]
    pub gpu_util_avg_pct: Option<f64>,
    /// GPU utilisation, %, highest sample.
    #[serde(default)]
    pub gpu_util_max_pct: Option<f64>,
    /// GPU memory used (summed over devices), MiB, highest sample.
    #[serde(default)]
    pub memory_used_max_mib: Option<f64>,
    /// Hottest GPU, °C, highest sample.
    #[serde(default)]
    pub temperature_max_c: Option<f64>,
    /// Power drawn (summed over devices), W, mean over samples.
    #[serde(default)]
    pub power_avg_w: Option<f64>,
    /// Requests waiting in the server's queue, highest sample.
    #[serde(default)]
    pub queue_waiting_max: Option<f64>,
    /// Requests waiting in the server's queue, mean over samples.
    #[serde(default)]
    pub queue_waiting_avg: Option<f64>,
    /// Requests the server was generating for, highest sample.
    #[serde(default)]
    pub queue_running_max: Option<f64>,
    /// KV-cache use, %, highest sample.
    #[serde(default)]
    pub kv_cache_max_pct: Option<f64>,
    /// Streaming multiprocessors active (DCGM's `DCGM_FI_PROF_SM_ACTIVE`), %, mean over samples:
    /// a truer saturation signal than GPU utilisation, which counts any kernel running as 100 %.
    #[serde(default)]
    pub sm_active_avg_pct: Option<f64>,
    /// Streaming multiprocessors active, %, highest sample.
    #[serde(default)]
    pub sm_active_max_pct: Option<f64>,
    /// SM clock (mean over devices), MHz, mean over samples.
    #[serde(default)]
    pub sm_clock_avg_mhz: Option<f64>,
    /// GPU memory held by processes (summed over processes and devices), MiB, highest sample.
    #[serde(default)]
    pub process_memory_max_mib: Option<f64>,
    /// llama.cpp slots processing a request (its `/slots`), mean over samples.
    #[serde(default)]
    pub slots_busy_avg: Option<f64>,
    /// llama.cpp slots processing a request, highest sample.
    #[serde(default)]
    pub slots_busy_max: Option<f64>,
    /// llama.cpp slots in all.
    #[serde(default)]
    pub slots_total: Option<f64>,
    /// Tokens decoded so far by the requests in llama.cpp's busy slots, highest sample (how far
    /// the longest-running generations got).
    #[serde(default)]
    pub decoded_tokens_max: Option<f64>,
    /// Requests the server preempted during the phase (a counter's increase over the phase).
    #[serde(default)]
    pub preemptions: Option<f64>,
    /// Prompt tokens the server looked up in its prefix cache during the phase (vLLM's
    /// `prefix_cache_queries` counter, its increase over the phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_cache_queries: Option<f64>,
    /// Prompt tokens those lookups found cached (vLLM's `prefix_cache_hits`, its increase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_cache_hits: Option<f64>,
    /// The server's prefix-cache hit rate over the phase, 0…1: `prefix_cache_hits` over
    /// `prefix_cache_queries`; absent when the server publishes no such counters or looked
    /// nothing up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_cache_hit_rate: Option<f64>,
    /// The server's own time to first token over the phase (vLLM's histogram, as a delta).
    #[serde(default)]
    pub server_ttft: Option<ServerLatency>,
    /// The server's own inter-token latency over the phase.
    #[serde(default)]
    pub server_itl: Option<ServerLatency>,
    /// The server's own queue time over the phase.
    #[serde(default)]
    pub server_queue_time: Option<ServerLatency>,
    /// Series kept by `--prom-keep`, by name (with labels), over the phase's samples.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kept: BTreeMap<String, KeptSeries>,
}

/// A server-side latency histogram over one phase: the increase of its cumulative buckets between
/// the samples that bracket the phase. Quantiles are interpolated inside buckets (as Prometheus'
/// `histogram_quantile`), so they are only as fine as the server's bucket bounds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerLatency {
    /// Observations over the phase.
    pub count: u64,
    /// Mean, ms (exact: from the histogram's sum).
    pub mean_ms: Option<f64>,
    /// Median, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
}

/// A series kept by `--prom-keep`: its value over the phase's samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeptSeries {
    /// Mean over the samples that had it.
    pub avg: f64,
    /// Highest sample.
    pub max: f64,
}

/// The requests of a phase that met every per-request service-level objective.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Goodput {
    /// The objectives, as given: e.g. `ttft<=200ms, tpot<=50ms`.
    pub slo: String,
    /// Successful requests that met every objective.
    pub good_requests: u64,
    /// `good_requests` over all requests of the phase (failed ones included), 0…1.
    pub share: f64,
    /// `good_requests` per second of the phase.
    pub per_s: f64,
}

impl PhaseReport {
    /// The distribution of `key`, if the phase recorded at least one sample of it.
    pub fn metric(&self, key: &str) -> Option<&Distribution> {
        self.metrics.get(key).filter(|d| !d.is_empty())
    }

    /// The share of requests that failed, from 0 to 1; 0 when nothing was sent.
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 { 0.0 } else { self.errors as f64 / self.requests as f64 }
    }

    /// Whether TTFO is worth showing beside TTFT: some request reasoned first, so the two differ.
    pub fn reasoned(&self) -> bool {
        self.tokens.reasoning > 0 && self.metric(metric::TTFO).is_some()
    }

    /// The share of input tokens served from the server's prefix cache, 0…1; `None` when no
    /// request's `usage` reported cached tokens (or no input tokens were reported).
    pub fn cached_share(&self) -> Option<f64> {
        (self.tokens.cached_reported > 0 && self.input_tokens > 0)
            .then(|| self.cached_tokens as f64 / self.input_tokens as f64)
    }
}

/// What became of a phase's iterations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Iterations {
    /// Iterations that ran to the end without trapping.
    pub completed: u64,
    /// Iterations that trapped or returned an error.
    pub failed: u64,
    /// Open loop: planned iterations never started because no VU was free.
    pub dropped: u64,
    /// Iterations cut short when the phase ended.
    pub interrupted: u64,
}

/// Where output-token counts came from, and how often the two sources disagreed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAccounting {
    /// Requests whose count came from the server's `usage`.
    pub from_usage: u64,
    /// Requests whose count was taken by counting content chunks.
    pub counted: u64,
    /// Requests where `usage` and the counted chunks disagreed.
    pub disagreements: u64,
    /// Sum of (usage − counted) over the disagreeing requests.
    pub discrepancy: i64,
    /// Requests whose model reasoned before answering: at least one reasoning chunk, or reasoning
    /// tokens in `usage`. TTFO differs from TTFT only in these.
    #[serde(default)]
    pub reasoning: u64,
    /// Requests whose `usage` reported cached prompt tokens (`prompt_tokens_details`), even 0.
    #[serde(default)]
    pub cached_reported: u64,
}

/// Summary statistics of one HdrHistogram. A distribution with `count == 0` has no samples and
/// all other fields 0; renderers print it as "-".
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Number of samples.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation.
    pub stddev: f64,
    /// Smallest sample.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
}

impl Distribution {
    /// Whether the distribution holds no samples.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// How well an open-loop phase kept to its planned start times.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScheduleReport {
    /// p99 of how late iterations started (ms).
    pub lag_p99_ms: f64,
    /// The lag above which the phase counts as behind schedule (ms).
    pub bound_ms: f64,
    /// Whether `lag_p99_ms` exceeded `bound_ms`: the load generator, not the target, was the limit.
    pub behind: bool,
}

/// Passes and fails of one check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckCount {
    /// Times the check held.
    pub passes: u64,
    /// Times the check failed.
    pub fails: u64,
}

/// The metrics of the requests that carried one set of extra tags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaggedMetrics {
    /// The extra tags (beyond the phase's own) these requests carried.
    pub tags: BTreeMap<String, String>,
    /// Requests with these tags.
    pub requests: u64,
    /// Failed requests with these tags.
    pub errors: u64,
    /// Prompt tokens of these requests, as reported (see [`PhaseReport::input_tokens`]).
    #[serde(default)]
    pub input_tokens: u64,
    /// Prompt tokens of these requests the server reported as cached (see
    /// [`PhaseReport::cached_tokens`]).
    #[serde(default)]
    pub cached_tokens: u64,
    /// Requests with these tags whose `usage` reported cached prompt tokens, even 0.
    #[serde(default)]
    pub cached_reported: u64,
    /// Distributions by metric name, as in [`PhaseReport::metrics`].
    #[serde(default)]
    pub metrics: BTreeMap<String, Distribution>,
    /// Custom counters updated with these tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, u64>,
    /// Checks recorded with these tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, CheckCount>,
    /// The histograms behind `metrics`, as in [`PhaseReport::histograms`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub histograms: BTreeMap<String, String>,
}

impl TaggedMetrics {
    /// The share of these requests' input tokens served from the server's prefix cache, 0…1;
    /// `None` when no answer's `usage` reported cached tokens (or no input tokens were reported).
    pub fn cached_share(&self) -> Option<f64> {
        (self.cached_reported > 0 && self.input_tokens > 0)
            .then(|| self.cached_tokens as f64 / self.input_tokens as f64)
    }
}

impl Summary {
    /// The summary as pretty-printed JSON, the content of `summary.json`.
    ///
    /// Non-finite floats (which the host should never produce) are written as `null`.
    pub fn to_json(&self) -> String {
        // Serializing cannot fail: every map is keyed by String and every type derives Serialize.
        serde_json::to_string_pretty(self).expect("a Summary always serializes to JSON")
    }

    /// Reads a `summary.json`, refusing documents written with another schema version.
    pub fn from_json(text: &str) -> Result<Summary, ReportError> {
        // Look at the version before the shape, so a future document fails with a message about
        // versions rather than about whichever field happened to change.
        let value: serde_json::Value = serde_json::from_str(text)?;
        let found = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or(ReportError::MissingVersion)?;
        if found != u64::from(SCHEMA_VERSION) {
            let hint = if found > u64::from(SCHEMA_VERSION) {
                "it was written by a newer runner: upgrade runner to read it"
            } else {
                "it predates the first released schema and cannot be read"
            };
            return Err(ReportError::UnsupportedVersion { found, supported: SCHEMA_VERSION, hint });
        }
        Ok(serde_json::from_value(value)?)
    }
}
