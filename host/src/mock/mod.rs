//! The built-in simulated OpenAI-compatible server behind `runner mock`.
//!
//! It owns the listener, the accept loop, the slot semaphore that models a GPU's batch capacity, and the
//! live counters. It is the ground truth for the runner's tests and benchmarks, so its timing is an
//! absolute schedule (see the `generate` module) rather than a chain of relative sleeps: what a test asserts the
//! runner measures is exactly what this server did.
//!
//! The module only refers to itself (`self::`/`super::`), so it also compiles standalone.

mod api;
mod conn;
mod embed;
pub mod fault;
#[cfg(test)]
mod fault_tests;
mod generate;
mod images;
mod inject;
mod metrics;
pub mod prefix_cache;
#[cfg(test)]
mod prefix_cache_tests;
mod seen;
mod shape;
#[cfg(test)]
mod shape_tests;
#[cfg(test)]
mod tests;

pub use fault::{Fault, FaultSpec, FaultSpecError};
pub use prefix_cache::PrefixCacheConfig;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use self::conn::{Abort, AbortableStream};

/// How the simulated server behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Time from getting a slot to the first token.
    pub ttft: Duration,
    /// Nominal time between consecutive tokens.
    pub itl: Duration,
    /// Each token's send time is shifted by a uniform offset in `[-jitter, +jitter]`.
    pub jitter: Duration,
    /// Concurrent generation slots; `0` means unlimited. Requests beyond it wait in FIFO order.
    pub capacity: usize,
    /// Output length when a request names neither `max_tokens` nor `max_completion_tokens`.
    pub default_max_tokens: u32,
    /// Seed for the jitter and the fault draw; a given seed and request order always give the same
    /// schedule and the same faults.
    pub seed: u64,
    /// Faults injected into generation requests, each into its own fraction of them (see [`fault`]).
    /// Their rates must add up to at most 1.
    pub faults: Vec<FaultSpec>,
    /// Serve a vLLM-shaped Prometheus page at `/metrics` and a DCGM-shaped one at `/metrics/dcgm`
    /// (see the `metrics` module).
    pub metrics: bool,
    /// When set, every `/v1` request must carry `Authorization: Bearer <key>`, or gets 401 with
    /// an OpenAI-style error body (what `vllm serve --api-key` does). Never logged.
    pub api_key: Option<String>,
    /// The models served. Empty: `/v1/models` lists one, `mock`, and a request may name any
    /// model or none. Otherwise `/v1/models` lists these, and a generation request must name
    /// one of them (a missing model is a 400, another one a 404, as OpenAI answers).
    pub models: Vec<String>,
    /// A path prefix every route is served under (e.g. `/openai`: `/openai/v1/models`), as
    /// behind a proxy; empty for none. Paths outside it get 404. [`MockServer::url`] includes it.
    pub prefix: String,
    /// Chat answers open with this many reasoning tokens (`delta.reasoning_content`), counted in
    /// the output length as real servers count them and reported in
    /// `usage.completion_tokens_details.reasoning_tokens`; 0 for none.
    pub reasoning: u32,
    /// Tokens per stream chunk after the first (1: one token per chunk). Each chunk leaves when
    /// its last token is due, as with speculative decoding or a server's stream interval.
    pub tokens_per_chunk: u32,
    /// When set, usage reports `prompt_tokens_details.cached_tokens`: this many prompt tokens, or
    /// the whole prompt if it is shorter, as if served from a prefix cache.
    pub cached_tokens: Option<u64>,
    /// When set, the model ends every answer after this many tokens with `finish_reason: "stop"`
    /// (its end of sequence) unless the request says `"ignore_eos": true`, as vLLM, SGLang and
    /// llama.cpp let a benchmark ask.
    pub eos: Option<u32>,
    /// The length of the vectors `/v1/embeddings` answers with.
    pub embedding_dim: u32,
    /// How many steps of an agent loop a chat request with `tools` is answered with a tool call:
    /// while the conversation since its last user message holds fewer rounds of `tool` results
    /// than this, the answer is a tool call; then words. 1 (the default): one tool call, then
    /// words once its result is in; 0: never a tool call.
    pub tool_steps: u32,
    /// When set, the server keeps a prefix cache (see [`prefix_cache`]): usage reports each
    /// request's cached prompt tokens (in place of `cached_tokens`) and `/metrics` counts vLLM's
    /// `prefix_cache_queries` and `prefix_cache_hits`.
    pub prefix_cache: Option<PrefixCacheConfig>,
    /// Prefill time per prompt token that is not cached, added to the time to the first token:
    /// TTFT = `ttft` + `prefill_per_token` × uncached prompt tokens. Zero: TTFT ignores the prompt.
    pub prefill_per_token: Duration,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            ttft: Duration::from_millis(50),
            itl: Duration::from_millis(10),
            jitter: Duration::ZERO,
            capacity: 0,
            default_max_tokens: 128,
            seed: 0,
            faults: Vec::new(),
            metrics: false,
            api_key: None,
            models: Vec::new(),
            prefix: String::new(),
            reasoning: 0,
            tokens_per_chunk: 1,
            cached_tokens: None,
            eos: None,
            embedding_dim: DEFAULT_EMBEDDING_DIM,
            tool_steps: 1,
            prefix_cache: None,
            prefill_per_token: Duration::ZERO,
        }
    }
}

/// The default length of an embedding vector (that of small sentence-embedding models).
pub const DEFAULT_EMBEDDING_DIM: u32 = 384;

/// A snapshot of the server's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MockStats {
    /// HTTP requests received, on any path.
    pub received: u64,
    /// Requests received whose response is not yet fully produced (includes `waiting`).
    pub in_flight: u64,
    /// Generation requests queued for a free slot.
    pub waiting: u64,
    /// Requests whose response was fully produced (for streams: `[DONE]` was handed to the connection).
    pub completed: u64,
    /// Requests abandoned before completion: the client went away, or a fault cut the response short.
    pub cancelled: u64,
    /// Generation requests that were given a fault.
    pub faulted: u64,
}

/// Shared, lock-free counters behind [`MockStats`].
#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    in_flight: AtomicU64,
    waiting: AtomicU64,
    completed: AtomicU64,
    cancelled: AtomicU64,
    faulted: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> MockStats {
        MockStats {
            received: self.received.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            waiting: self.waiting.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            faulted: self.faulted.load(Ordering::Relaxed),
        }
    }
}

/// Counts one request as in flight for as long as it lives.
///
/// A request can end by being dropped anywhere (hyper drops the service future or the body when the
/// client disconnects), so the bookkeeping lives in `Drop` rather than at each exit point.
struct RequestGuard {
    counters: Arc<Counters>,
    done: bool,
}

impl RequestGuard {
    fn new(counters: Arc<Counters>) -> Self {
        counters.received.fetch_add(1, Ordering::Relaxed);
        counters.in_flight.fetch_add(1, Ordering::Relaxed);
        Self { counters, done: false }
    }

    /// Marks the response as fully produced.
    fn finish(mut self) {
        self.done = true;
        self.counters.completed.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        if !self.done {
            self.counters.cancelled.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Counts one request as waiting for a slot for as long as it lives.
struct WaitingGuard(Arc<Counters>);

impl WaitingGuard {
    fn new(counters: Arc<Counters>) -> Self {
        counters.waiting.fetch_add(1, Ordering::Relaxed);
        Self(counters)
    }
}

impl Drop for WaitingGuard {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

/// State shared by every connection of one server.
#[derive(Debug)]
struct Shared {
    cfg: MockConfig,
    /// `None` when capacity is unlimited. Tokio's semaphore is fair, so waiters are served FIFO.
    slots: Option<Arc<Semaphore>>,
    counters: Arc<Counters>,
    /// Orders generation requests; seeds each request's jitter and names its response id.
    next_seq: AtomicU64,
    /// The delays served, for the `/metrics` histograms (recorded only with `cfg.metrics`).
    observed: metrics::Observed,
    /// What requests carried (sessions, images, texts to embed), for `/metrics`.
    seen: seen::Seen,
    /// The prefix cache, when configured.
    prefix_cache: Option<prefix_cache::PrefixCache>,
}

/// A running simulated server. Dropping it also stops the accept loop (without waiting for it).
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: oneshot::Sender<()>,
    accept: JoinHandle<()>,
}

impl MockServer {
    /// Binds `addr` (port 0 picks a free one), spawns the accept loop on the current tokio runtime and
    /// returns at once. Fails with `InvalidInput` when the faults' rates add up to more than 1.
    pub async fn start(addr: SocketAddr, cfg: MockConfig) -> std::io::Result<MockServer> {
        fault::check_rates(&cfg.faults)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let slots = (cfg.capacity > 0).then(|| Arc::new(Semaphore::new(cfg.capacity)));
        let shared = Arc::new(Shared {
            slots,
            counters: Arc::new(Counters::default()),
            next_seq: AtomicU64::new(0),
            observed: metrics::Observed::default(),
            seen: seen::Seen::default(),
            prefix_cache: cfg.prefix_cache.map(prefix_cache::PrefixCache::new),
            cfg,
        });
        let (stop, stopped) = oneshot::channel();
        let accept = tokio::spawn(accept_loop(listener, shared.clone(), stopped));
        Ok(MockServer { addr, shared, stop, accept })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:8000`, with the prefix if any; an unspecified bind
    /// address is reported as loopback.
    pub fn url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            match self.addr {
                SocketAddr::V4(_) => "127.0.0.1".to_string(),
                SocketAddr::V6(_) => "[::1]".to_string(),
            }
        } else {
            match self.addr {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            }
        };
        format!("http://{}:{}{}", ip, self.addr.port(), self.shared.cfg.prefix)
    }

    /// The counters as of now.
    pub fn stats(&self) -> MockStats {
        self.shared.counters.snapshot()
    }

    /// The prefix cache's (queries, hits) so far, in prompt tokens; `None` without a prefix cache.
    pub fn prefix_cache_counts(&self) -> Option<(u64, u64)> {
        self.shared.prefix_cache.as_ref().map(prefix_cache::PrefixCache::counts)
    }

    /// Stops accepting and closes every open connection; in-flight responses are dropped. When this
    /// returns the port is free.
    pub async fn shutdown(self) {
        let MockServer { stop, accept, .. } = self;
        // The receiver may already be gone if the loop died; either way it is stopping.
        let _ = stop.send(());
        let _ = accept.await;
    }
}

/// Accepts connections until told to stop. Connections live in a `JoinSet` so that stopping the loop
/// aborts them all (dropping their bodies, which in turn stops their generators and frees slots).
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stopped: oneshot::Receiver<()>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(s) => s,
                    // Per-connection errors (e.g. ECONNABORTED, EMFILE) must not kill the server;
                    // back off briefly so a persistent one does not spin.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                };
                // Without TCP_NODELAY, Nagle holds back small SSE events and ITL measurements lie.
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let abort = Arc::new(Abort::default());
                conns.spawn(async move {
                    let io = TokioIo::new(AbortableStream::new(stream, abort.clone()));
                    let handler_abort = abort.clone();
                    let service = service_fn(move |req| {
                        let answer = api::handle(shared.clone(), handler_abort.clone(), req);
                        async move {
                            let mut resp = answer.await?;
                            // Every answer names the server, as real ones do: the ground truth of
                            // the runner's server probe (`run/server_info.rs`).
                            resp.headers_mut().insert(hyper::header::SERVER, api::server_header());
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let builder = auto::Builder::new(TokioExecutor::new());
                    // A connection error is the client's business (reset, bad HTTP); nothing to report.
                    // A fired abort drops the connection mid-flight, which resets it (see `conn`).
                    tokio::select! {
                        _ = builder.serve_connection(io, service) => {}
                        _ = abort.fired() => {}
                    }
                });
            }
        }
    }
    conns.shutdown().await;
}
