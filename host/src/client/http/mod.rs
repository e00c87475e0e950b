//! The host's outbound HTTP: what its two transports share — [`Request`], [`Response`],
//! [`Timings`], [`HttpError`] and its message format, the method and header checks — and the
//! transports themselves, re-exported here:
//!
//! - [`HttpClient`] (`pooled.rs`): pooled hyper connections, HTTP/1.1 (or HTTP/2 with `--http2`),
//!   for any origin; every request off the target, and every request with `--http2`, goes
//!   through it.
//! - [`OwnConnection`] (`own.rs`, framed by `h1.rs`): one VU's own HTTP/1.1 keep-alive connection
//!   to an `http://` or `https://` target (TLS: `socket.rs`), the path a load test repeats most.
//!
//! [`TargetHeaders`] (`headers.rs`) are the headers the run adds to every request to the target.
//! [`Connections`] picks between the two for one request and hands back a [`BodyStream`] that
//! reads either's body as it arrives.
//!
//! Both time a request from the instant before it is sent and classify every failure with the
//! crate's one [`ErrorClass`], so a guest sees the same timings and classes on either path.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::HeaderMap;
use hyper::header::{HeaderName, HeaderValue};
use hyper::http::uri::PathAndQuery;
use thiserror::Error;

use crate::error_class::ErrorClass;

mod blame;
mod h1;
mod headers;
mod own;
mod pooled;
mod socket;
mod tls;

pub use headers::{HeaderError, RequestHeaders, TargetHeaders};
pub use own::{OwnConnection, OwnStreaming};
pub use pooled::{ClientConfig, HttpClient, Streaming};
pub use tls::load_pem_certs;

/// One request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// An absolute `http://` or `https://` URL.
    pub url: String,
    /// Header names and values, sent in order.
    pub headers: Vec<(String, String)>,
    /// The request body (empty for none).
    pub body: Bytes,
    /// Covers everything up to the last byte of the response; `None` uses the client's default.
    pub timeout: Option<Duration>,
}

/// Host-side timings, each measured from the instant just before the request is handed to hyper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// The TCP (and TLS) connect time of a fresh connection; `None` when a pooled one was reused.
    pub connect: Option<Duration>,
    /// Time to the response headers.
    pub ttfb: Duration,
    /// Time to the last byte of the body.
    pub total: Duration,
}

/// A complete response. An HTTP error status is a response, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The headers as received; [`header_pairs`] turns them into names and values.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// When the answer arrived.
    pub timings: Timings,
}

/// A failed request: its class and a one-line message naming the URL and the cause chain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{class}: {message}")]
pub struct HttpError {
    /// What kind of failure.
    pub class: ErrorClass,
    /// One line: the method and URL, then the causes from outermost to innermost.
    pub message: String,
}

impl HttpError {
    fn new(class: ErrorClass, method: &str, url: &dyn fmt::Display, cause: impl fmt::Display) -> Self {
        HttpError { class, message: format!("{method} {url}: {cause}") }
    }
}

/// The connections one request may take: a VU's own connection to the target when it has one
/// and the request goes there, else the run's pooled client.
pub struct Connections<'c> {
    /// Serves every origin.
    pub pooled: &'c HttpClient,
    /// The VU's own connection to the target, if any.
    pub own: Option<&'c mut OwnConnection>,
}

impl<'c> Connections<'c> {
    /// Sends `req` and returns once the response head arrives (see [`HttpClient::start`] and
    /// [`OwnConnection::start`]; `replayable` is the latter's). Timing starts, on either path,
    /// the instant before the request is handed over (pooled) or written (own).
    ///
    /// On the pooled client a replayable request whose connection was closed or reset before the
    /// response head is sent once more: hyper does not say whether that connection was a reused
    /// one the server had just closed (the case the resend is for), so a server that resets every
    /// request sees it twice and the second reset is the error. The timings keep the first send
    /// as their origin, as on an own connection.
    pub async fn start(self, req: Request, replayable: bool) -> Result<BodyStream<'c>, HttpError> {
        if let Some(own) = self.own
            && let Ok(uri) = req.url.parse::<hyper::Uri>()
            && own.serves(&uri)
            && let Some(path) = uri.path_and_query().cloned()
        {
            let timeout = req.timeout.unwrap_or(self.pooled.default_timeout());
            let streaming = own.start(req.method, path, &req.headers, &req.body, timeout, replayable).await?;
            return Ok(BodyStream::Own(streaming));
        }
        if !replayable {
            return self.pooled.start(req).await.map(BodyStream::Pooled);
        }
        let first = std::time::Instant::now();
        let timeout = req.timeout.unwrap_or(self.pooled.default_timeout());
        match self.pooled.start(req.clone()).await {
            Err(e) if e.class == ErrorClass::Reset => {
                let mut again = self.pooled.start(req).await?;
                again.ttfb += again.sent_at.saturating_duration_since(first);
                again.sent_at = first;
                again.deadline = first + timeout;
                Ok(BodyStream::Pooled(again))
            }
            other => other.map(BodyStream::Pooled),
        }
    }
}

/// A response whose body is read as it arrives, from either transport.
#[derive(Debug)]
pub enum BodyStream<'c> {
    /// From the pooled client.
    Pooled(Streaming),
    /// From a VU's own connection.
    Own(OwnStreaming<'c>),
}

impl BodyStream<'_> {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            BodyStream::Pooled(s) => s.status,
            BodyStream::Own(s) => s.status,
        }
    }

    /// The origin of every timing of this request.
    pub fn sent_at(&self) -> std::time::Instant {
        match self {
            BodyStream::Pooled(s) => s.sent_at,
            BodyStream::Own(s) => s.sent_at,
        }
    }

    /// Time to the response head.
    pub fn ttfb(&self) -> Duration {
        match self {
            BodyStream::Pooled(s) => s.ttfb,
            BodyStream::Own(s) => s.ttfb,
        }
    }

    /// The headers as received.
    pub fn headers(&self) -> &HeaderMap {
        match self {
            BodyStream::Pooled(s) => &s.headers,
            BodyStream::Own(s) => &s.headers,
        }
    }

    /// The next body piece and the instant it arrived, or `None` at the end of the body.
    pub async fn next_chunk(&mut self) -> Result<Option<(Bytes, std::time::Instant)>, HttpError> {
        match self {
            BodyStream::Pooled(s) => s.next_chunk().await,
            BodyStream::Own(s) => s.next_chunk().await,
        }
    }

    /// Reads the rest of the body, keeping at most `limit` bytes.
    pub async fn read_to_end(&mut self, limit: usize) -> Result<Bytes, HttpError> {
        match self {
            BodyStream::Pooled(s) => s.read_to_end(limit).await,
            BodyStream::Own(s) => s.read_to_end(limit).await,
        }
    }
}

/// A request's URL as error messages name it. A request on an [`OwnConnection`] carries only
/// its path, so the full URL is spelled out only when a message needs it.
#[derive(Debug, Clone)]
enum Url {
    Full(String),
    OnOrigin { origin: Arc<str>, path: PathAndQuery },
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Url::Full(url) => f.write_str(url),
            Url::OnOrigin { origin, path } => write!(f, "{origin}{path}"),
        }
    }
}

/// Header names and values in the order received; non-UTF-8 values are converted lossily.
pub fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

/// A request method as hyper takes it, or why not (for an `invalid-request` message).
fn parse_method(method: &str) -> Result<hyper::Method, String> {
    hyper::Method::from_bytes(method.as_bytes()).map_err(|_| format!("invalid method {method:?}"))
}

/// A header field as hyper takes it, or why not (for an `invalid-request` message).
fn parse_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("invalid header name {name:?}"))?;
    let value = HeaderValue::from_str(value).map_err(|_| format!("invalid value for header {name}"))?;
    Ok((name, value))
}

/// The error and its causes on one line, skipping a cause that repeats its parent's text.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string().replace(['\n', '\r'], " ");
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests;
