//! How each [`Fault`] is acted out: the error response of `status=CODE`, the endless body of
//! `huge-body`, the broken SSE events of the malformed kinds, and the corrupted non-streaming bodies.
//!
//! The generator ([`super::generate::stream`]) decides *when* a mid-stream fault happens; this module
//! owns *what* goes on the wire.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::StatusCode;
use hyper::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Response, body::Frame};
use rand::RngCore;
use tokio::sync::mpsc;

use super::RequestGuard;
use super::api::MockBody;
use super::conn::Abort;
use super::fault::{Fault, request_rng};

/// Chunk size of a huge body; the chunk is one static buffer, so producing it allocates nothing.
const HUGE_CHUNK: usize = 64 * 1024;

/// The filler of a huge body: a JSON string's worth of letters.
static FILL: [u8; HUGE_CHUNK] = [b'a'; HUGE_CHUNK];

/// A streamed huge body: one chunk event whose content string runs until the filler ends.
const HUGE_EVENT_HEAD: &[u8] =
    br#"data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":""#;
const HUGE_EVENT_TAIL: &[u8] = b"\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n";
/// A whole huge body: one completion whose message content is the filler.
const HUGE_JSON_HEAD: &[u8] =
    br#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""#;
const HUGE_JSON_TAIL: &[u8] = br#""},"finish_reason":"length"}]}"#;

/// Bytes of garbage injected by [`Fault::Garbage`].
const GARBAGE_LEN: usize = 64;

/// Time for hyper to put already-handed-over bytes on the wire before a reset destroys them.
const FLUSH_GRACE: Duration = Duration::from_millis(20);

/// The index of the token before which a mid-stream fault strikes: half-way, but after at least one
/// token, so the client has seen headers and content first.
pub(super) fn cut_point(max_tokens: u64) -> u64 {
    (max_tokens / 2).max(1).min(max_tokens)
}

/// The response of `status=CODE`: an OpenAI-style error object, and `Retry-After` where a real server
/// would send one.
pub(super) fn status_response(code: u16) -> Response<MockBody> {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let error_type = match code {
        429 => "rate_limit_error",
        500..=599 => "server_error",
        _ => "invalid_request_error",
    };
    let body = serde_json::json!({
        "error": {
            "message": format!("injected fault: HTTP {code}"),
            "type": error_type,
            "param": null,
            "code": code,
        }
    });
    let mut resp = Response::new(MockBody::Full(Full::new(Bytes::from(body.to_string()))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if code == 429 || code == 503 {
        resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

/// A body of `size` bytes produced chunk by chunk as the client reads: `head`, filler, then `tail`.
pub(super) struct HugeBody {
    head: Option<Bytes>,
    fill_left: u64,
    tail: Option<Bytes>,
    /// Marks the request complete once the tail is handed over.
    guard: Option<RequestGuard>,
}

impl HugeBody {
    /// A body of about `size` bytes (never less than `head` + `tail`) with the content type to send.
    /// When `streaming`, it is one SSE event whose JSON string never seems to end; else one JSON object.
    pub(super) fn new(size: u64, streaming: bool, guard: RequestGuard) -> (Self, &'static str) {
        let (head, tail, content_type) = if streaming {
            (HUGE_EVENT_HEAD, HUGE_EVENT_TAIL, "text/event-stream")
        } else {
            (HUGE_JSON_HEAD, HUGE_JSON_TAIL, "application/json")
        };
        let frame = (head.len() + tail.len()) as u64;
        let body = HugeBody {
            head: Some(Bytes::from_static(head)),
            fill_left: size.saturating_sub(frame),
            tail: Some(Bytes::from_static(tail)),
            guard: Some(guard),
        };
        (body, content_type)
    }

    /// The next frame, or `None` at the end.
    pub(super) fn next_frame(&mut self) -> Option<Frame<Bytes>> {
        if let Some(head) = self.head.take() {
            return Some(Frame::data(head));
        }
        if self.fill_left > 0 {
            let n = usize::try_from(self.fill_left).unwrap_or(HUGE_CHUNK).min(HUGE_CHUNK);
            self.fill_left -= n as u64;
            return Some(Frame::data(Bytes::from_static(&FILL[..n])));
        }
        let tail = self.tail.take()?;
        if let Some(guard) = self.guard.take() {
            guard.finish();
        }
        Some(Frame::data(tail))
    }
}

/// The SSE event that stands for `fault` at the cut point, when the fault is an extra event.
pub(super) fn broken_event(fault: Fault, head: &str, seed: u64, seq: u64) -> Option<Bytes> {
    match fault {
        // Cut off inside the JSON string, as a server crashing mid-serialisation would.
        Fault::BadJson => Some(Bytes::from(format!("{head}{{\"index\":0,\"delta\":{{\"content\":\"\n\n"))),
        Fault::InvalidUtf8 => {
            let mut event = format!("{head}{{\"index\":0,\"delta\":{{\"content\":\"").into_bytes();
            event.extend_from_slice(b"\xff\xfe");
            event.extend_from_slice(b"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
            Some(Bytes::from(event))
        }
        Fault::Garbage => Some(garbage(seed, seq)),
        _ => None,
    }
}

/// `GARBAGE_LEN` seeded random bytes. The first is 0xFF, which never occurs in UTF-8, so the garbage can
/// never pass for a field line that a spec-following SSE parser would silently ignore.
fn garbage(seed: u64, seq: u64) -> Bytes {
    let mut bytes = vec![0u8; GARBAGE_LEN];
    request_rng(seed, seq).fill_bytes(&mut bytes);
    bytes[0] = 0xFF;
    Bytes::from(bytes)
}

/// The error object of [`Fault::ErrorEvent`], in the shape of OpenAI's and current vLLM's errors.
fn error_object() -> String {
    serde_json::json!({
        "error": {
            "message": "injected fault: the engine failed mid-generation",
            "type": "InternalServerError",
            "param": null,
            "code": 500,
        }
    })
    .to_string()
}

/// The event [`Fault::ErrorEvent`] sends in the middle of a stream.
pub(super) fn error_event() -> Bytes {
    Bytes::from(format!("data: {}\n\n", error_object()))
}

/// `event` without its `data: ` prefix (for [`Fault::NoDataPrefix`]).
pub(super) fn strip_data_prefix(event: Bytes) -> Bytes {
    if event.starts_with(b"data: ") { event.slice(6..) } else { event }
}

/// Waits until the connection has taken every queued event, gives hyper a moment to write them, then
/// resets the connection. Returns once the connection is gone.
pub(super) async fn reset_after_flush(tx: &mpsc::Sender<Bytes>, abort: &Abort) {
    while tx.capacity() < tx.max_capacity() {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(1)) => {}
            _ = tx.closed() => return,
        }
    }
    tokio::time::sleep(FLUSH_GRACE).await;
    abort.fire();
    // Dropping `tx` now would end the body cleanly (a zero-length chunk) before the connection task
    // gets to reset the socket, so the sender lives until the connection has dropped the receiver.
    tx.closed().await;
}

/// Keeps a stream's body open after its last event: returns only once the connection has dropped the
/// receiver (the client went away, or the server is shutting down), so the terminating chunk is never
/// sent. The answer is complete, so the request already counts as completed and its slot is free.
pub(super) async fn hold_open(tx: &mpsc::Sender<Bytes>) {
    tx.closed().await;
}

/// The non-streaming body `body` as `fault` leaves it, when the fault changes the body. Stream-only
/// faults (`no-data-prefix`, `no-done`, `hold-after-done`) leave it whole; `error-event` replaces it
/// with the error object (sent with status 200).
pub(super) fn corrupt_whole(body: Bytes, fault: Fault, seed: u64, seq: u64) -> Bytes {
    let half = body.len() / 2;
    match fault {
        Fault::ErrorEvent => Bytes::from(error_object()),
        Fault::BadJson => body.slice(..half),
        Fault::Garbage => [&body[..half], &garbage(seed, seq)[..], &body[half..]].concat().into(),
        Fault::InvalidUtf8 => {
            // Inside the generated text, where a broken tokenizer would put it.
            let at = find(&body, br#""content":""#)
                .or_else(|| find(&body, br#""text":""#))
                .map_or(half, |(start, len)| start + len);
            [&body[..at], b"\xff\xfe", &body[at..]].concat().into()
        }
        _ => body,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<(usize, usize)> {
    hay.windows(needle.len()).position(|w| w == needle).map(|i| (i, needle.len()))
}

/// A non-streaming body sent in two halves with `fault` between them: a reset, or a stall. Returns the
/// receiver to serve as the body.
pub(super) fn split_whole(
    body: Bytes,
    fault: Fault,
    abort: Arc<Abort>,
    guard: RequestGuard,
) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let half = body.len() / 2;
        if tx.send(body.slice(..half)).await.is_err() {
            return;
        }
        match fault {
            Fault::ResetMidStream => {
                reset_after_flush(&tx, &abort).await;
                return;
            }
            Fault::StallMidStream(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = tx.closed() => return,
                }
            }
            _ => {}
        }
        if tx.send(body.slice(half..)).await.is_ok() {
            guard.finish();
        }
    });
    rx
}
