//! The host's outbound HTTP: what its two transports share — [`Request`], [`Response`],
//! [`Timings`], [`HttpError`] and its message format, the method and header checks — and the
//! transports themselves, re-exported here:
//!
//! - [`HttpClient`] (`pooled.rs`): pooled hyper connections, HTTP/1.1 and HTTP/2 over TLS, for any
//!   origin; the OpenAI client and every request off the target go through it.
//! - [`OwnConnection`] (`own.rs`, framed by `h1.rs`): one VU's own HTTP/1.1 keep-alive connection
//!   to a plain `http://` target, the path a load test repeats most.
//!
//! [`TargetHeaders`] (`headers.rs`) are the headers the run adds to every request to the target.
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

mod h1;
mod headers;
mod own;
mod pooled;
mod tls;

pub use headers::{HeaderError, RequestHeaders, TargetHeaders};
pub use own::OwnConnection;
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
