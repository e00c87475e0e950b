//! The pooled client, [`HttpClient`]: hyper-util's connection pool (HTTP/1.1, and HTTP/2 over TLS
//! by ALPN) with host-side timings (connect, time to first byte, total) and a classification of
//! every failure. It serves every origin; a VU's requests to an `http(s)://` target take its
//! [`super::OwnConnection`] instead.
//!
//! Connect time is measured by wrapping the connector: each new connection carries its
//! TCP+TLS duration in hyper-util's `Connected::extra`, which the pool copies into every
//! response's extensions; a shared "taken" flag makes only the first response on that
//! connection report it, so reused connections report `None`.
//!
//! TLS is rustls with the ring provider: the native roots plus any `--ca-cert` roots
//! ([`ClientConfig::extra_root_certs`], read with [`super::load_pem_certs`]), or no verification
//! at all when [`ClientConfig::insecure`] is set. Every connection is HTTP/1.1 unless
//! [`ClientConfig::http2`] asks for HTTP/2 only (ALPN `h2` over TLS, prior knowledge over plain
//! `http://`).

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::HeaderMap;
use hyper::Uri;
use hyper::body::Incoming;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

use super::{HttpError, Request, Response, Timings, Url, chain, parse_header, parse_method, tls};
use crate::error_class::ErrorClass;

/// Settings of an [`HttpClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Used when a request carries no timeout of its own.
    pub default_timeout: Duration,
    /// How long an unused pooled connection is kept open.
    pub pool_idle_timeout: Duration,
    /// The most idle connections kept per host.
    pub pool_max_idle_per_host: usize,
    /// DER certificates trusted as roots in addition to the native ones (`--ca-cert`), for
    /// ingresses signed by a private CA. See [`super::load_pem_certs`].
    pub extra_root_certs: Vec<Vec<u8>>,
    /// DANGER: accept any server certificate, for any name, from any issuer. The handshake
    /// signature is still checked, but nothing proves who the server is, so anyone on the path
    /// can read and alter the traffic (API keys included). Only for testing against
    /// self-signed ingresses; prefer `extra_root_certs`. Overrides `extra_root_certs`.
    pub insecure: bool,
    /// Speak HTTP/2 only: offered by ALPN over TLS, by prior knowledge over plain `http://`.
    /// Off, every connection is HTTP/1.1 (what OpenAI-compatible clients use).
    pub http2: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            default_timeout: Duration::from_secs(60),
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 1024,
            extra_root_certs: Vec::new(),
            insecure: false,
            http2: false,
        }
    }
}

/// A pooled HTTP client; cheap to clone (clones share the pool).
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<TimedConnector, Full<Bytes>>,
    default_timeout: Duration,
    /// The same trust, offering only HTTP/1.1: for a VU's own TLS connection.
    own_tls: Arc<rustls::ClientConfig>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").field("default_timeout", &self.default_timeout).finish_non_exhaustive()
    }
}

/// A response whose body is read chunk by chunk, for streaming use (server-sent events).
pub struct Streaming {
    /// The HTTP status code.
    pub status: u16,
    /// The headers as received; [`super::header_pairs`] turns them into names and values.
    pub headers: HeaderMap,
    /// The instant just before the request was handed to hyper: the origin of every timing.
    pub sent_at: Instant,
    /// Time to the response headers.
    pub ttfb: Duration,
    /// Connect time of a fresh connection; `None` when a pooled one was reused.
    pub connect: Option<Duration>,
    /// `sent_at` plus the request's timeout: [`Streaming::next_chunk`] fails with
    /// [`ErrorClass::Timeout`] once it passes.
    pub deadline: Instant,
    body: Incoming,
    method: String,
    url: Url,
}

impl fmt::Debug for Streaming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streaming")
            .field("status", &self.status)
            .field("url", &self.url)
            .field("ttfb", &self.ttfb)
            .field("connect", &self.connect)
            .finish_non_exhaustive()
    }
}

impl Streaming {
    /// Wraps a response whose headers just arrived.
    fn new(
        response: hyper::Response<Incoming>,
        sent_at: Instant,
        deadline: Instant,
        connect: Option<Duration>,
        method: String,
        url: Url,
    ) -> Streaming {
        let ttfb = sent_at.elapsed();
        // Moved, not copied: most callers never look at the headers, and converting them to
        // strings was a tenth of the host's own work per small request.
        let (parts, body) = response.into_parts();
        let status = parts.status.as_u16();
        let headers = parts.headers;
        Streaming { status, headers, sent_at, ttfb, connect, deadline, body, method, url }
    }

    /// Reads the whole body before the deadline, stamping the total time at the last byte.
    pub async fn finish(mut self) -> Result<Response, HttpError> {
        let mut last = self.sent_at + self.ttfb;
        // Most bodies arrive in one chunk: keep it as is instead of copying it into a buffer.
        let mut first: Option<Bytes> = None;
        let mut rest = BytesMut::new();
        while let Some((chunk, at)) = self.next_chunk().await? {
            last = at;
            match &first {
                None => first = Some(chunk),
                Some(head) => {
                    if rest.is_empty() {
                        rest.extend_from_slice(head);
                    }
                    rest.extend_from_slice(&chunk);
                }
            }
        }
        let body = if rest.is_empty() { first.unwrap_or_default() } else { rest.freeze() };
        Ok(Response {
            status: self.status,
            headers: std::mem::take(&mut self.headers),
            body,
            timings: Timings {
                connect: self.connect,
                ttfb: self.ttfb,
                total: last.saturating_duration_since(self.sent_at),
            },
        })
    }

    /// The next body chunk with the host instant it arrived, or `None` at the end of the body.
    pub async fn next_chunk(&mut self) -> Result<Option<(Bytes, Instant)>, HttpError> {
        loop {
            let frame = match tokio::time::timeout_at(self.deadline.into(), self.body.frame()).await {
                Err(_) => return Err(self.timeout_error()),
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => {
                    let (class, message) = describe_failure(&e);
                    return Err(HttpError::new(class, &self.method, &self.url, message));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let at = Instant::now();
            // Trailers and empty data frames carry no body bytes; wait for the next frame.
            if let Ok(data) = frame.into_data()
                && !data.is_empty()
            {
                return Ok(Some((data, at)));
            }
        }
    }

    /// Reads the rest of the body, up to `limit` bytes (the rest is drained and dropped).
    pub async fn read_to_end(&mut self, limit: usize) -> Result<Bytes, HttpError> {
        let mut buf = BytesMut::new();
        while let Some((chunk, _)) = self.next_chunk().await? {
            let room = limit.saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        Ok(buf.freeze())
    }

    fn timeout_error(&self) -> HttpError {
        let after = self.deadline.saturating_duration_since(self.sent_at);
        HttpError::new(
            ErrorClass::Timeout,
            &self.method,
            &self.url,
            format_args!("no complete response within {after:?}"),
        )
    }
}

impl HttpClient {
    /// Builds a client with its own connection pool.
    pub fn new(config: ClientConfig) -> Result<HttpClient, HttpError> {
        let tls = tls::client_config(&config)?;
        let mut own_tls = tls.clone();
        own_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut http = HttpConnector::new();
        // SSE chunks are tiny; Nagle would hold them back and distort every inter-token gap.
        http.set_nodelay(true);
        http.enforce_http(false);
        let builder = HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http();
        let https = if config.http2 {
            builder.enable_http2().wrap_connector(http)
        } else {
            builder.enable_http1().wrap_connector(http)
        };
        let inner = Client::builder(TokioExecutor::new())
            .http2_only(config.http2)
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(TimedConnector { inner: https });
        Ok(HttpClient { inner, default_timeout: config.default_timeout, own_tls: Arc::new(own_tls) })
    }

    /// The TLS settings of a VU's own connection to an `https://` target: this client's trust
    /// (`--ca-cert`, `--insecure`), HTTP/1.1 only.
    pub fn own_tls(&self) -> Arc<rustls::ClientConfig> {
        self.own_tls.clone()
    }

    /// The timeout used for requests that carry none.
    pub fn default_timeout(&self) -> Duration {
        self.default_timeout
    }

    /// Sends a request and reads the whole response body before the deadline.
    pub async fn send(&self, req: Request) -> Result<Response, HttpError> {
        self.start(req).await?.finish().await
    }

    /// Sends a request and returns once the response headers arrive; the body is then read
    /// with [`Streaming::next_chunk`]. The request's timeout (or the default) sets the deadline.
    pub async fn start(&self, req: Request) -> Result<Streaming, HttpError> {
        let timeout = req.timeout.unwrap_or(self.default_timeout);
        let hyper_req = build_request(&req)?;
        let Request { method, url, .. } = req;
        let sent_at = Instant::now();
        let deadline = sent_at + timeout;
        let response = match tokio::time::timeout_at(deadline.into(), self.inner.request(hyper_req)).await {
            Err(_) => {
                return Err(HttpError::new(
                    ErrorClass::Timeout,
                    &method,
                    &url as &dyn fmt::Display,
                    format_args!("no response headers within {timeout:?}"),
                ));
            }
            Ok(Err(e)) => {
                let (class, message) = describe_failure(&e);
                return Err(HttpError::new(class, &method, &url as &dyn fmt::Display, message));
            }
            Ok(Ok(response)) => response,
        };
        let connect = response
            .extensions()
            .get::<ConnectInfo>()
            .and_then(|info| (!info.taken.swap(true, Ordering::AcqRel)).then_some(info.duration));
        Ok(Streaming::new(response, sent_at, deadline, connect, method, Url::Full(url)))
    }
}

fn build_request(req: &Request) -> Result<hyper::Request<Full<Bytes>>, HttpError> {
    let invalid = |cause: String| {
        HttpError::new(ErrorClass::InvalidRequest, &req.method, &req.url as &dyn fmt::Display, cause)
    };
    let method = parse_method(&req.method).map_err(invalid)?;
    let uri: Uri = req.url.parse().map_err(|e| invalid(format!("invalid URL: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => {
            return Err(invalid(format!("unsupported scheme {other:?} (use http or https)")));
        }
        None => {
            return Err(invalid("the URL must be absolute (http:// or https://)".into()));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("the URL has no host".into()));
    }
    let mut builder = hyper::Request::builder().method(method).uri(uri);
    for (name, value) in &req.headers {
        let (name, value) = parse_header(name, value).map_err(invalid)?;
        builder = builder.header(name, value);
    }
    builder.body(Full::new(req.body.clone())).map_err(|e| invalid(e.to_string()))
}

/// A failure's class and one-line message: a connection refused by its certificate or by the
/// runner's own limits is said to be so, with its fix (`blame.rs`); anything else is classified
/// by [`classify`] and described by its cause chain.
fn describe_failure(err: &(dyn StdError + 'static)) -> (ErrorClass, String) {
    if super::blame::connect_failure(err).is_some() {
        return super::blame::describe(err, chain(err));
    }
    (classify(err), chain(err))
}

/// Classifies a failure by walking its source chain, outermost first.
fn classify(err: &(dyn StdError + 'static)) -> ErrorClass {
    if let Some(e) = err.downcast_ref::<hyper_util::client::legacy::Error>()
        && e.is_connect()
    {
        return ErrorClass::Connect;
    }
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            match io.kind() {
                io::ErrorKind::ConnectionRefused
                | io::ErrorKind::NotFound
                | io::ErrorKind::AddrNotAvailable
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable => return ErrorClass::Connect,
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof => return ErrorClass::Reset,
                io::ErrorKind::TimedOut => return ErrorClass::Timeout,
                _ => {}
            }
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return ErrorClass::Timeout;
            }
            if h.is_incomplete_message() || h.is_canceled() || h.is_closed() || h.is_body_write_aborted() {
                // Keep walking: an io::Error underneath may say more, but this is already a reset.
                return deeper_io_class(e).unwrap_or(ErrorClass::Reset);
            }
        }
        cur = e.source();
    }
    ErrorClass::Other
}

fn deeper_io_class(err: &(dyn StdError + 'static)) -> Option<ErrorClass> {
    let mut cur = err.source();
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::TimedOut
        {
            return Some(ErrorClass::Timeout);
        }
        cur = e.source();
    }
    None
}

/// Connect duration of one connection, shared by every response on it.
#[derive(Clone, Debug)]
struct ConnectInfo {
    duration: Duration,
    taken: Arc<AtomicBool>,
}

type BoxError = Box<dyn StdError + Send + Sync>;
type InnerIo = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// Wraps the HTTPS connector to time each new connection (TCP connect plus TLS handshake).
#[derive(Clone)]
struct TimedConnector {
    inner: HttpsConnector<HttpConnector>,
}

impl tower_service::Service<Uri> for TimedConnector {
    type Response = TimedIo;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<TimedIo, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let started = Instant::now();
        let fut = self.inner.call(uri);
        Box::pin(async move {
            let io = fut.await?;
            Ok(TimedIo {
                inner: io,
                info: ConnectInfo { duration: started.elapsed(), taken: Arc::new(AtomicBool::new(false)) },
            })
        })
    }
}

/// A connection that reports its connect duration through `Connected::extra`.
struct TimedIo {
    inner: InnerIo,
    info: ConnectInfo,
}

impl Connection for TimedIo {
    fn connected(&self) -> Connected {
        self.inner.connected().extra(self.info.clone())
    }
}

impl Read for TimedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl Write for TimedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}
