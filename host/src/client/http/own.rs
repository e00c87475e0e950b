//! A connection of one's own: one HTTP/1.1 keep-alive connection to the target's origin (plain
//! `http://`, or `https://` over TLS: [`super::socket`]), held by one virtual user, driven by that
//! user's task and reopened when the server closes it (what oha and wrk do per connection). This
//! is the path a load test repeats most, so it is lean: the request is written from one reused
//! buffer with one `write`, and the response is framed by [`super::h1`] straight from the read
//! buffer — no pool checkout, no channels between a request and a connection task, no header map
//! unless the caller wants the headers. hyper's client costs more per request than everything
//! else the host does for a plain GET together (docs/BENCHMARKS.md); HTTP/2 and other hosts stay
//! with the pooled hyper client.
//!
//! Timings and error classes are the pooled client's: `connect` is reported by the request that
//! opened the connection, `ttfb` when the response head is complete, `total` at the last body
//! byte; a request that fails or times out drops the connection so the next one starts clean.
//! A connection left idle for more than [`IDLE_CHECK_AFTER`] is checked before the next request
//! is written on it (at most one `recv`) and replaced if the server closed it. One that closes in
//! the instant after that check, or between back-to-back requests, costs an idempotent request
//! (RFC 9110 §9.2.2) one more try on a new connection, and any other request a `reset` error.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use hyper::Uri;
use hyper::http::uri::{Authority, InvalidUri, PathAndQuery};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::h1::{self, Chunked, Framing};
use super::socket::{Endpoint, Socket};
use super::{HttpError, Response, Timings, Url, chain, parse_header, parse_method};
use crate::deadline::Deadline;
use crate::error_class::ErrorClass;

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 16 * 1024;

/// An open connection unused for longer than this is checked before a request is written on it.
const IDLE_CHECK_AFTER: Duration = Duration::from_millis(10);

/// One VU's own HTTP/1.1 connection to an `http://` or `https://` origin (see the module docs).
pub struct OwnConnection {
    /// `http://host:port` (or `https://`), for error messages.
    origin: Arc<str>,
    authority: Authority,
    /// Where to connect (`host:port`, the port defaulting to the scheme's), and TLS for `https`.
    endpoint: Endpoint,
    /// `http` or `https`.
    scheme: &'static str,
    /// The base URL's path without its trailing `/` (usually empty), put before request paths.
    prefix: String,
    /// The `host` header every request gets unless it brings its own.
    host: String,
    /// The last request target [`OwnConnection::join`] made.
    last_path: Option<PathAndQuery>,
    /// The open connection, if any.
    conn: Option<Conn>,
    /// The request being written, kept for its allocation.
    request: Vec<u8>,
    /// Bounds each exchange (see [`Deadline`]).
    deadline: Deadline,
}

/// An open connection and the bytes read from it but not yet consumed.
struct Conn {
    stream: Socket,
    read: BytesMut,
    /// When its last response ended (or it was opened).
    idle_since: Instant,
}

impl fmt::Debug for OwnConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnConnection")
            .field("origin", &self.origin)
            .field("open", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

/// How an exchange failed, before it becomes an [`HttpError`] naming the request.
enum Failure {
    Connect(io::Error),
    Io(io::Error),
    /// The server closed the connection before the response was complete.
    Closed,
    Parse(h1::ParseError),
}

impl Failure {
    fn class(&self) -> ErrorClass {
        match self {
            Failure::Connect(e) => super::blame::connect_failure(e).map_or(ErrorClass::Connect, |(c, _)| c),
            Failure::Io(e) if e.kind() == io::ErrorKind::TimedOut => ErrorClass::Timeout,
            Failure::Io(_) | Failure::Closed => ErrorClass::Reset,
            Failure::Parse(_) => ErrorClass::Other,
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Connect(e) => super::blame::describe(e, format!("tcp connect error: {}", chain(e))).1,
            Failure::Io(e) => chain(e),
            Failure::Closed => "connection closed before the response was complete".to_string(),
            Failure::Parse(e) => e.to_string(),
        }
    }

    /// Whether nothing of an answer arrived because the (reused) connection was already gone.
    fn is_stale_connection(&self) -> bool {
        match self {
            Failure::Closed => true,
            Failure::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted
            ),
            _ => false,
        }
    }
}

/// A request as written, and what reading its answer depends on.
struct Outgoing<'a> {
    /// The encoded request.
    bytes: &'a [u8],
    /// A HEAD request's answer has no body, whatever its head says.
    head_request: bool,
    want_headers: bool,
    /// May be sent a second time: an idempotent method (RFC 9110 §9.2.2), or a request the
    /// caller declares replayable (see [`OwnConnection::start`]).
    replayable: bool,
    sent_at: Instant,
}

/// What [`exchange`] learned, also when it failed or was cut by the deadline.
#[derive(Default)]
struct Progress {
    connect: Option<Duration>,
    head_at: Option<Instant>,
}

impl OwnConnection {
    /// A connection (opened on first use) to `base`'s origin, when `base` is a plain `http://`
    /// URL with a host, or an `https://` one and `tls` is given (the pooled client's trust,
    /// [`super::HttpClient::own_tls`]); `None` otherwise.
    pub fn new(base: &str, tls: Option<Arc<rustls::ClientConfig>>) -> Option<OwnConnection> {
        let uri: Uri = base.parse().ok()?;
        let (scheme, default_port, tls) = match (uri.scheme_str(), tls) {
            (Some("http"), _) => ("http", 80, None),
            (Some("https"), Some(tls)) => ("https", 443, Some(tls)),
            _ => return None,
        };
        let authority = uri.authority()?.clone();
        if authority.host().is_empty() {
            return None;
        }
        let host = authority.as_str().to_string();
        let endpoint =
            Endpoint::new(authority.host(), authority.port_u16().unwrap_or(default_port), tls).ok()?;
        let origin = Arc::from(format!("{scheme}://{authority}"));
        let prefix = uri.path().trim_end_matches('/').to_string();
        Some(OwnConnection {
            origin,
            authority,
            endpoint,
            scheme,
            prefix,
            host,
            last_path: None,
            conn: None,
            request: Vec::new(),
            deadline: Deadline::new(),
        })
    }

    /// The request target for `path` (starting with `/`) on the base URL, as
    /// [`crate::capabilities::http::resolve`] joins them.
    pub fn join(&mut self, path: &str) -> Result<PathAndQuery, InvalidUri> {
        // A VU mostly asks for the same path again: the last one is reused (a reference count)
        // instead of being validated and copied anew.
        if let Some(last) = &self.last_path
            && last.as_str().strip_prefix(self.prefix.as_str()) == Some(path)
        {
            return Ok(last.clone());
        }
        let joined = if self.prefix.is_empty() {
            PathAndQuery::try_from(path)?
        } else {
            PathAndQuery::try_from(format!("{}{path}", self.prefix))?
        };
        self.last_path = Some(joined.clone());
        Ok(joined)
    }

    /// The origin's host, as the allow-list compares it.
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// Whether `uri` can go over this connection: the same scheme, host and port.
    pub fn serves(&self, uri: &Uri) -> bool {
        uri.scheme_str() == Some(self.scheme) && uri.authority() == Some(&self.authority)
    }

    /// Whether a connection is open now (it may still turn out closed on the next request).
    pub fn is_open(&self) -> bool {
        self.conn.is_some()
    }

    /// Sends `method path` and reads the whole response, like [`super::HttpClient::send`];
    /// `timeout` covers everything up to the last byte. The response's headers are filled only
    /// when `want_headers` is set.
    pub async fn send(
        &mut self,
        method: String,
        path: PathAndQuery,
        headers: &[(String, String)],
        body: Bytes,
        timeout: Duration,
        want_headers: bool,
    ) -> Result<Response, HttpError> {
        let error = |class, cause: &dyn fmt::Display| {
            let url = Url::OnOrigin { origin: self.origin.clone(), path: path.clone() };
            HttpError::new(class, &method, &url, cause)
        };
        if let Err(cause) = validate(&method, headers) {
            return Err(error(ErrorClass::InvalidRequest, &cause));
        }
        h1::encode_request(&mut self.request, &method, path.as_str(), &self.host, headers, &body);
        let close_after = headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("connection")
                && value.split(',').any(|t| t.trim().eq_ignore_ascii_case("close"))
        });
        let sent_at = Instant::now();
        let outgoing = Outgoing {
            bytes: &self.request,
            head_request: method == "HEAD",
            want_headers,
            replayable: is_idempotent(&method),
            sent_at,
        };
        let mut progress = Progress::default();
        let exchange = exchange(&mut self.conn, &self.endpoint, &outgoing, &mut progress);
        let outcome = self.deadline.run(sent_at + timeout, exchange).await;
        let result = match outcome {
            Some(Ok((head, body, last))) => Ok(Response {
                status: head.status,
                headers: head.headers,
                body,
                timings: Timings {
                    connect: progress.connect,
                    ttfb: progress.head_at.map_or(Duration::ZERO, |at| at - sent_at),
                    total: last.saturating_duration_since(sent_at),
                },
            }),
            Some(Err(failure)) => Err(error(failure.class(), &failure.message())),
            None if progress.head_at.is_some() => {
                Err(error(ErrorClass::Timeout, &format_args!("no complete response within {timeout:?}")))
            }
            None => Err(error(ErrorClass::Timeout, &format_args!("no response headers within {timeout:?}"))),
        };
        if result.is_err() || close_after {
            // An abandoned or broken exchange would leave the connection mid-response; and a
            // caller that asked for `connection: close` gets it even if the server did not say so.
            self.conn = None;
        }
        result
    }
}

impl OwnConnection {
    /// Sends a request and returns once the response head arrives; the body is then read with
    /// [`OwnStreaming::next_chunk`] as it comes (server-sent events). `timeout` covers everything
    /// up to the last byte, as for [`OwnConnection::send`].
    ///
    /// `replayable` lets a request that is not idempotent by its method be sent once more on a
    /// new connection when the reused one turns out closed before any byte of the answer came
    /// back (the server closed it as the request went out). A completion qualifies: the answer
    /// depends on the body alone and changes nothing on the server, so a second send is what the
    /// client would have done had it known the connection was gone.
    pub async fn start(
        &mut self,
        method: String,
        path: PathAndQuery,
        headers: &[(String, String)],
        body: &[u8],
        timeout: Duration,
        replayable: bool,
    ) -> Result<OwnStreaming<'_>, HttpError> {
        let url = Url::OnOrigin { origin: self.origin.clone(), path: path.clone() };
        if let Err(cause) = validate(&method, headers) {
            return Err(HttpError::new(ErrorClass::InvalidRequest, &method, &url, cause));
        }
        h1::encode_request(&mut self.request, &method, path.as_str(), &self.host, headers, body);
        let sent_at = Instant::now();
        let deadline = sent_at + timeout;
        let outgoing = Outgoing {
            bytes: &self.request,
            head_request: method == "HEAD",
            want_headers: true,
            replayable: replayable || is_idempotent(&method),
            sent_at,
        };
        let mut progress = Progress::default();
        let exchange = exchange_head(&mut self.conn, &self.endpoint, &outgoing, &mut progress);
        let head = match self.deadline.run(deadline, exchange).await {
            Some(Ok(head)) => head,
            Some(Err(failure)) => {
                self.conn = None;
                return Err(HttpError::new(failure.class(), &method, &url, failure.message()));
            }
            None => {
                self.conn = None;
                let cause = format_args!("no response headers within {timeout:?}");
                return Err(HttpError::new(ErrorClass::Timeout, &method, &url, cause));
            }
        };
        let head_at = progress.head_at.unwrap_or(sent_at);
        let left = match head.framing {
            Framing::Empty => BodyLeft::Done,
            Framing::Length(n) => BodyLeft::Length(n),
            Framing::Chunked => BodyLeft::Chunked(Chunked::default()),
            Framing::UntilClose => BodyLeft::UntilClose,
        };
        let mut streaming = OwnStreaming {
            status: head.status,
            headers: head.headers,
            sent_at,
            ttfb: head_at.saturating_duration_since(sent_at),
            connect: progress.connect,
            deadline,
            owner: self,
            left: BodyLeft::Done,
            keep_alive: head.keep_alive,
            arrived: head_at,
            method,
            url,
        };
        if matches!(left, BodyLeft::Done) {
            streaming.end_of_body();
        } else {
            streaming.left = left;
        }
        Ok(streaming)
    }
}

/// What is left of a streamed body.
enum BodyLeft {
    /// This many bytes.
    Length(u64),
    Chunked(Chunked),
    /// Everything until the server closes the connection.
    UntilClose,
    /// Nothing: the body ended, or reading it failed.
    Done,
}

/// A response on an [`OwnConnection`] whose body is read as it arrives. It borrows the
/// connection: dropped before the body's end, it closes the connection, so that no later request
/// is written on one whose answer was not read to its end.
pub struct OwnStreaming<'c> {
    /// The HTTP status code.
    pub status: u16,
    /// The headers as received.
    pub headers: hyper::HeaderMap,
    /// The instant just before the request was written (or its connection opened).
    pub sent_at: Instant,
    /// Time to the response head.
    pub ttfb: Duration,
    /// Connect time when this request opened the connection.
    pub connect: Option<Duration>,
    /// `sent_at` plus the request's timeout.
    pub deadline: Instant,
    owner: &'c mut OwnConnection,
    left: BodyLeft,
    keep_alive: bool,
    /// When the bytes now in the read buffer arrived.
    arrived: Instant,
    method: String,
    url: Url,
}

impl fmt::Debug for OwnStreaming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnStreaming")
            .field("status", &self.status)
            .field("url", &self.url)
            .field("ttfb", &self.ttfb)
            .finish_non_exhaustive()
    }
}

impl OwnStreaming<'_> {
    /// The next piece of the body with the host instant its bytes arrived, or `None` at the end.
    /// Bytes that came with the head (or with the previous piece) carry that read's instant.
    pub async fn next_chunk(&mut self) -> Result<Option<(Bytes, Instant)>, HttpError> {
        loop {
            let OwnConnection { conn, deadline, .. } = &mut *self.owner;
            let Some(conn) = conn.as_mut() else {
                return match self.left {
                    BodyLeft::Done => Ok(None),
                    _ => Err(self.fail(&Failure::Closed)),
                };
            };
            let piece = match &mut self.left {
                BodyLeft::Done => return Ok(None),
                BodyLeft::Length(n) => {
                    let take = conn.read.len().min(usize::try_from(*n).unwrap_or(usize::MAX));
                    *n -= take as u64;
                    let complete = *n == 0;
                    (conn.read.split_to(take).freeze(), complete)
                }
                BodyLeft::Chunked(decoder) => {
                    let mut out = BytesMut::new();
                    match decoder.decode(&mut conn.read, &mut out) {
                        Ok(complete) => (out.freeze(), complete),
                        Err(e) => return Err(self.fail(&Failure::Parse(e))),
                    }
                }
                BodyLeft::UntilClose => (conn.read.split().freeze(), false),
            };
            let arrived = self.arrived;
            match piece {
                (bytes, true) => {
                    self.end_of_body();
                    return Ok((!bytes.is_empty()).then_some((bytes, arrived)));
                }
                (bytes, false) if !bytes.is_empty() => return Ok(Some((bytes, arrived))),
                _ => {}
            }
            match deadline.run(self.deadline, conn.fill()).await {
                Some(Ok(at)) => self.arrived = at,
                Some(Err(Failure::Closed)) if matches!(self.left, BodyLeft::UntilClose) => {
                    self.end_of_body();
                    return Ok(None);
                }
                Some(Err(failure)) => return Err(self.fail(&failure)),
                None => {
                    let after = self.deadline.saturating_duration_since(self.sent_at);
                    let cause = format!("no complete response within {after:?}");
                    self.owner.conn = None;
                    self.left = BodyLeft::Done;
                    return Err(HttpError::new(ErrorClass::Timeout, &self.method, &self.url, cause));
                }
            }
        }
    }

    /// Reads the rest of the body, up to `limit` bytes (the rest is read and dropped).
    pub async fn read_to_end(&mut self, limit: usize) -> Result<Bytes, HttpError> {
        let mut buf = BytesMut::new();
        while let Some((chunk, _)) = self.next_chunk().await? {
            let room = limit.saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        Ok(buf.freeze())
    }

    /// The body ended: the connection stays for the next request when the server keeps it and
    /// sent nothing past this answer.
    fn end_of_body(&mut self) {
        self.left = BodyLeft::Done;
        let keep = self.keep_alive;
        match self.owner.conn.as_mut() {
            Some(conn) if keep && conn.read.is_empty() => conn.idle_since = self.arrived,
            _ => self.owner.conn = None,
        }
    }

    /// Drops the connection and names the failure.
    fn fail(&mut self, failure: &Failure) -> HttpError {
        self.owner.conn = None;
        self.left = BodyLeft::Done;
        HttpError::new(failure.class(), &self.method, &self.url, failure.message())
    }
}

impl Drop for OwnStreaming<'_> {
    fn drop(&mut self) {
        if !matches!(self.left, BodyLeft::Done) {
            self.owner.conn = None;
        }
    }
}

/// Whether a method may be repeated without changing what it does (RFC 9110 §9.2.2).
fn is_idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE")
}

/// Checks the request's method and headers the way the pooled client builds them.
fn validate(method: &str, headers: &[(String, String)]) -> Result<(), String> {
    parse_method(method)?;
    for (name, value) in headers {
        parse_header(name, value)?;
    }
    Ok(())
}

/// Writes `request` on the open connection (or a new one) and reads the answer: its head, its
/// body and the instant of the last byte. See [`exchange_head`] for the retry.
async fn exchange(
    slot: &mut Option<Conn>,
    endpoint: &Endpoint,
    outgoing: &Outgoing<'_>,
    progress: &mut Progress,
) -> Result<(h1::Head, Bytes, Instant), Failure> {
    let head = exchange_head(slot, endpoint, outgoing, progress).await?;
    let Some(conn) = slot.as_mut() else {
        return Err(Failure::Closed); // `exchange_head` leaves the connection that answered.
    };
    let head_at = progress.head_at.unwrap_or(outgoing.sent_at);
    match conn.read_body(&head, head_at).await {
        Ok((body, last)) => {
            conn.idle_since = last;
            if !head.keep_alive || !conn.read.is_empty() {
                // Closing, or bytes past the response that no request asked for.
                *slot = None;
            }
            Ok((head, body, last))
        }
        Err(failure) => {
            *slot = None;
            Err(failure)
        }
    }
}

/// Writes `request` on the open connection (or a new one) and reads the answer's head, leaving
/// the connection in `slot` with the body still to read. A reused connection found closed before
/// any byte of the answer is replaced once when the request may be repeated.
async fn exchange_head(
    slot: &mut Option<Conn>,
    endpoint: &Endpoint,
    outgoing: &Outgoing<'_>,
    progress: &mut Progress,
) -> Result<h1::Head, Failure> {
    let mut retried = false;
    // A connection the server closed while it sat idle (its keep-alive timeout, a restart) is
    // replaced before the request is written, so that no request is lost to it — not even one
    // that may not be sent twice. Only after a pause: back-to-back requests are not slowed by the
    // check (it can cost a system call), and a server does not drop a connection it used a few
    // milliseconds ago except by failing, which the retry below covers for idempotent requests.
    if slot.as_mut().is_some_and(|conn| {
        outgoing.sent_at.saturating_duration_since(conn.idle_since) > IDLE_CHECK_AFTER
            && !conn.is_idle_and_open()
    }) {
        *slot = None;
    }
    loop {
        let reused = slot.is_some();
        let conn = match slot {
            Some(conn) => conn,
            None => {
                let started = Instant::now();
                // Boxed: connecting is a large future needed once per connection.
                let stream = Box::pin(endpoint.connect()).await.map_err(Failure::Connect)?;
                progress.connect = Some(started.elapsed());
                slot.insert(Conn {
                    stream,
                    read: BytesMut::with_capacity(READ_CHUNK),
                    idle_since: Instant::now(),
                })
            }
        };
        match conn.send_head(outgoing, progress).await {
            Ok(head) => return Ok(head),
            Err(failure) => {
                *slot = None;
                if reused
                    && !retried
                    && outgoing.replayable
                    && progress.head_at.is_none()
                    && failure.is_stale_connection()
                {
                    retried = true;
                    continue;
                }
                return Err(failure);
            }
        }
    }
}

impl Conn {
    /// See [`Socket::is_idle_and_open`].
    fn is_idle_and_open(&mut self) -> bool {
        self.stream.is_idle_and_open()
    }

    /// Reads more into the buffer; the instant it arrived, or `Closed` at the end of the stream.
    async fn fill(&mut self) -> Result<Instant, Failure> {
        self.read.reserve(READ_CHUNK);
        let n = self.stream.read_buf(&mut self.read).await.map_err(Failure::Io)?;
        if n == 0 {
            return Err(Failure::Closed);
        }
        Ok(Instant::now())
    }

    /// Writes one request and reads its answer's head.
    async fn send_head(
        &mut self,
        outgoing: &Outgoing<'_>,
        progress: &mut Progress,
    ) -> Result<h1::Head, Failure> {
        self.stream.write_all(outgoing.bytes).await.map_err(Failure::Io)?;
        // TLS may hold the last record back until flushed; for TCP this is nothing.
        self.stream.flush().await.map_err(Failure::Io)?;
        // When the bytes that completed the head arrived (read once per read, not again here).
        let mut arrived = None;
        loop {
            if let Some(head) = h1::parse_head(&mut self.read, outgoing.head_request, outgoing.want_headers)
                .map_err(Failure::Parse)?
            {
                progress.head_at = Some(arrived.unwrap_or_else(Instant::now));
                return Ok(head);
            }
            arrived = Some(self.fill().await?);
        }
    }

    /// Reads the whole body `head` announces; `last` is when the head arrived. Whether the
    /// connection stays open is the head's [`h1::Head::keep_alive`]: an answer read until close
    /// never leaves it open.
    async fn read_body(&mut self, head: &h1::Head, mut last: Instant) -> Result<(Bytes, Instant), Failure> {
        let body = match head.framing {
            Framing::Empty => Bytes::new(),
            Framing::Length(n) => {
                let n = usize::try_from(n).map_err(|_| Failure::Parse(h1::ParseError::ContentLength))?;
                while self.read.len() < n {
                    // Grown as the bytes come, not by what the head claims.
                    self.read.reserve((n - self.read.len()).min(1 << 20));
                    last = self.fill().await?;
                }
                // Most bodies arrive with their head: handed out without a copy.
                self.read.split_to(n).freeze()
            }
            Framing::Chunked => {
                let mut decoder = Chunked::default();
                let mut body = BytesMut::new();
                while !decoder.decode(&mut self.read, &mut body).map_err(Failure::Parse)? {
                    last = self.fill().await?;
                }
                body.freeze()
            }
            Framing::UntilClose => {
                loop {
                    match self.fill().await {
                        Ok(at) => last = at,
                        Err(Failure::Closed) => break,
                        Err(e) => return Err(e),
                    }
                }
                self.read.split().freeze()
            }
        };
        Ok((body, last))
    }
}
