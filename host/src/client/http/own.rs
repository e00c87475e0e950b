//! A connection of one's own: one HTTP/1.1 keep-alive connection to a plain `http://` origin,
//! held by one virtual user and reopened when the server closes it — what oha does per
//! connection — and driven by that user's own task. It skips the pooled client's per-request work (checkout under a mutex, hashing
//! the pool key, absolute-to-origin URI rewriting) on the path a load test repeats most.
//!
//! Timings and error classes are the pooled client's: `connect` is reported by the request that
//! opened the connection (TCP connect, after which hyper's handshake does no I/O), and a request
//! that fails or times out drops the connection so the next one starts clean rather than waiting
//! behind an abandoned exchange.

use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Uri;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HOST, HeaderName, HeaderValue};
use hyper::http::uri::{Authority, InvalidUri, PathAndQuery};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::{BoxError, ErrorClass, HttpError, Streaming, Url, chain, classify};

/// One VU's own HTTP/1.1 connection to a plain `http://` origin (see the module docs).
pub struct OwnConnection {
    /// `http://host:port`, for error messages.
    origin: Arc<str>,
    authority: Authority,
    /// Where to connect: `host:port`, the port defaulting to 80.
    addr: String,
    /// The base URL's path without its trailing `/` (usually empty), put before request paths.
    prefix: String,
    /// The `Host` header every request gets unless it brings its own.
    host_header: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// The connection's I/O, driven by the VU's own task while a request is in flight (see
    /// [`drive`]) rather than by a task of its own: no hop between tasks per request.
    driver: Option<Driver>,
    /// Bounds the wait for response headers (see [`Deadline`]).
    deadline: Deadline,
}

impl fmt::Debug for OwnConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnConnection")
            .field("origin", &self.origin)
            .field("open", &self.sender.is_some())
            .finish_non_exhaustive()
    }
}

impl OwnConnection {
    /// A connection (opened on first use) to `base`'s origin, when `base` is a plain `http://`
    /// URL with a host; `None` otherwise (TLS and HTTP/2 stay with the pooled client).
    pub fn new(base: &str) -> Option<OwnConnection> {
        let uri: Uri = base.parse().ok()?;
        if uri.scheme_str() != Some("http") {
            return None;
        }
        let authority = uri.authority()?.clone();
        if authority.host().is_empty() {
            return None;
        }
        let host_header = HeaderValue::from_str(authority.as_str()).ok()?;
        let addr = format!("{}:{}", authority.host(), authority.port_u16().unwrap_or(80));
        let origin = Arc::from(format!("http://{authority}"));
        let prefix = uri.path().trim_end_matches('/').to_string();
        Some(OwnConnection {
            origin,
            authority,
            addr,
            prefix,
            host_header,
            sender: None,
            driver: None,
            deadline: Deadline::new(),
        })
    }

    /// The request target for `path` (starting with `/`) on the base URL, as
    /// [`crate::capabilities::http::resolve`] joins them.
    pub fn join(&self, path: &str) -> Result<PathAndQuery, InvalidUri> {
        if self.prefix.is_empty() {
            PathAndQuery::try_from(path)
        } else {
            PathAndQuery::try_from(format!("{}{path}", self.prefix))
        }
    }

    /// The origin's host, as the allow-list compares it.
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// Whether `uri` can go over this connection: plain `http` to the same host and port.
    pub fn serves(&self, uri: &Uri) -> bool {
        uri.scheme_str() == Some("http") && uri.authority() == Some(&self.authority)
    }

    /// Whether a connection is open now (it may still turn out closed on the next request).
    pub fn is_open(&self) -> bool {
        self.sender.as_ref().is_some_and(|s| !s.is_closed())
    }

    /// Sends `method path` and reads the whole response, like [`super::HttpClient::send`];
    /// `timeout` covers everything up to the last byte.
    pub async fn send(
        &mut self,
        method: String,
        path: PathAndQuery,
        headers: &[(String, String)],
        body: Bytes,
        timeout: Duration,
    ) -> Result<super::Response, HttpError> {
        let url = Url::OnOrigin { origin: self.origin.clone(), path: path.clone() };
        let request = self.build(&method, &url, path, headers, body)?;
        let sent_at = Instant::now();
        let deadline = sent_at + timeout;
        let exchange = dispatch(&mut self.sender, &mut self.driver, &self.addr, request);
        let (response, connect) = match self.deadline.run(deadline, exchange).await {
            Some(Ok(answer)) => answer,
            Some(Err(e)) => {
                self.close();
                return Err(HttpError::new(classify(&*e), &method, &url, chain(&*e)));
            }
            None => {
                // The abandoned exchange would hold the connection: start the next one afresh.
                self.close();
                return Err(HttpError::new(
                    ErrorClass::Timeout,
                    &method,
                    &url,
                    format_args!("no response headers within {timeout:?}"),
                ));
            }
        };
        let streaming = Streaming::new(response, sent_at, deadline, connect, method, url);
        let result = drive(&mut self.driver, streaming.finish()).await;
        if result.is_err() {
            self.close();
        }
        result
    }

    fn close(&mut self) {
        self.sender = None;
        self.driver = None;
    }

    fn build(
        &self,
        method: &str,
        url: &Url,
        path: PathAndQuery,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<hyper::Request<Full<Bytes>>, HttpError> {
        let invalid = |cause: String| HttpError::new(ErrorClass::InvalidRequest, method, url, cause);
        let method = hyper::Method::from_bytes(method.as_bytes())
            .map_err(|_| invalid(format!("invalid method {method:?}")))?;
        let mut request = hyper::Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = Uri::from(path);
        let map = request.headers_mut();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| invalid(format!("invalid value for header {name}")))?;
            map.append(name, value);
        }
        map.entry(HOST).or_insert_with(|| self.host_header.clone());
        Ok(request)
    }
}

/// hyper's HTTP/1.1 connection state machine over a TCP stream.
type Driver = Pin<Box<http1::Connection<TokioIo<TcpStream>, Full<Bytes>>>>;

/// Runs `fut` while driving the connection's I/O in the same task; once the connection ends
/// (closed or failed), `fut` learns it from hyper and is run alone.
async fn drive<F: Future>(driver: &mut Option<Driver>, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    loop {
        let Some(conn) = driver.as_mut() else { return fut.await };
        tokio::select! {
            biased;
            out = &mut fut => return out,
            // Its error reaches the pending request through hyper; nothing to add here.
            _ = conn.as_mut() => *driver = None,
        }
    }
}

/// Sends on the open connection, or opens one first; the duration is the connect time of a
/// connection opened for this request.
async fn dispatch(
    slot: &mut Option<SendRequest<Full<Bytes>>>,
    driver: &mut Option<Driver>,
    addr: &str,
    mut request: hyper::Request<Full<Bytes>>,
) -> Result<(hyper::Response<Incoming>, Option<Duration>), BoxError> {
    if let Some(sender) = slot.as_mut() {
        // An error here means the server closed the idle connection: reconnect.
        if drive(driver, sender.ready()).await.is_ok() {
            match drive(driver, sender.try_send_request(request)).await {
                Ok(response) => return Ok((response, None)),
                // Not written at all (closed in between): safe to send again on a new one.
                Err(mut e) => match e.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(e.into_error().into()),
                },
            }
        }
        *slot = None;
        *driver = None;
    }
    let started = Instant::now();
    let tcp = TcpStream::connect(addr).await?;
    // Small requests and responses: Nagle would only add latency.
    tcp.set_nodelay(true)?;
    let connect = started.elapsed();
    let (mut sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
    *driver = Some(Box::pin(connection));
    let response = drive(driver, sender.send_request(request)).await?;
    *slot = Some(sender);
    Ok((response, Some(connect)))
}

/// A timer for a stream of deadlines that only move forward (one request or iteration after
/// another), re-armed only when it fires early instead of once per wait.
///
/// `tokio::time::timeout` registers a timer and removes it for every wait; a wait that ends
/// well before its deadline (nearly all of them) paid for both for nothing. Here the timer keeps
/// an earlier deadline (never a later one than the current wait's), and when it fires before the
/// current deadline it is moved there: a wait still ends exactly at its own deadline.
pub struct Deadline {
    /// Created by the first wait (a timer needs the runtime, which `new` may run without).
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Default for Deadline {
    fn default() -> Self {
        Deadline::new()
    }
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline").field("armed_for", &self.sleep.as_ref().map(|s| s.deadline())).finish()
    }
}

impl Deadline {
    /// A timer not armed yet: the first wait arms it.
    pub fn new() -> Deadline {
        Deadline { sleep: None }
    }

    /// Runs `fut` to completion, or until `deadline` passes first (`None`), as
    /// `tokio::time::timeout_at` does: `fut` is polled before the timer.
    pub async fn run<F: Future>(&mut self, deadline: Instant, fut: F) -> Option<F::Output> {
        let deadline = tokio::time::Instant::from_std(deadline);
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() > deadline {
            sleep.as_mut().reset(deadline);
        }
        let mut fut = pin!(fut);
        loop {
            tokio::select! {
                biased;
                out = &mut fut => return Some(out),
                () = sleep.as_mut() => {
                    if tokio::time::Instant::now() >= deadline {
                        return None;
                    }
                    sleep.as_mut().reset(deadline);
                }
            }
        }
    }
}
