//! Who else sees each request as it ends: the run's live outputs (`requests.jsonl`, the
//! Prometheus endpoint). The recorder keeps its histograms for the report; an observer gets the
//! same request once, at the moment it is recorded, and must not block: it is called on the VU's
//! task, inside the request's measured path's tail.
//!
//! The recorder knows observers only through [`RequestObserver`], so it depends on no output.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{HttpSample, LlmSample, Tags};
use crate::error_class::ErrorClass;

/// What kind of request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A chat or text completion (`llm.call`).
    Llm,
    /// An embeddings call.
    Embedding,
    /// A plain HTTP exchange (`http.send`).
    Http,
}

impl RequestKind {
    /// The name outputs write.
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Llm => "llm",
            RequestKind::Embedding => "embedding",
            RequestKind::Http => "http",
        }
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// A completion that succeeded, with all it measured.
    Llm(&'a LlmSample<'a>),
    /// An embeddings call that succeeded: its E2E and input tokens.
    Embedding { e2e: Duration, input_tokens: Option<u32> },
    /// A plain HTTP exchange that got a response (any status).
    Http(&'a HttpSample),
    /// A failure, by class, with the HTTP status when one was received.
    Failed { class: ErrorClass, status: Option<u16> },
}

/// One request as it ends.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// The phase it belongs to.
    pub phase: &'a str,
    /// The phase's own tags.
    pub phase_tags: &'a Tags,
    /// The request's own tags.
    pub tags: &'a Tags,
    pub kind: RequestKind,
    /// When it was sent, where known (every request the capabilities time; a request refused
    /// before sending starts and ends at once).
    pub started: Option<Instant>,
    /// When it ended (was recorded).
    pub ended: Instant,
    pub outcome: Outcome<'a>,
}

/// A live output of the run. Implementations take a few atomics or a bounded queue's slot: the
/// VU that ended the request is waiting.
pub trait RequestObserver: Send + Sync {
    /// A request ended.
    fn request(&self, request: &Observed<'_>);
    /// An open-loop iteration of `phase` started `lag` after its intended instant.
    fn dispatch_lag(&self, _phase: &str, _lag: Duration) {}
}

/// The run's observers: none by default (the recorder then does nothing more per request).
#[derive(Clone, Default)]
pub struct Observers(Option<Arc<[Arc<dyn RequestObserver>]>>);

impl Observers {
    /// Observers that each see every request.
    pub fn new(list: Vec<Arc<dyn RequestObserver>>) -> Self {
        if list.is_empty() { Self(None) } else { Self(Some(list.into())) }
    }

    /// Whether there is any observer (the recorder skips building events otherwise).
    pub fn any(&self) -> bool {
        self.0.is_some()
    }

    /// Tells every observer about `request`.
    pub fn request(&self, request: &Observed<'_>) {
        for o in self.0.iter().flat_map(|list| list.iter()) {
            o.request(request);
        }
    }

    /// Tells every observer about an iteration's dispatch lag.
    pub fn dispatch_lag(&self, phase: &str, lag: Duration) {
        for o in self.0.iter().flat_map(|list| list.iter()) {
            o.dispatch_lag(phase, lag);
        }
    }
}

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Observers({})", self.0.as_ref().map_or(0, |l| l.len()))
    }
}
