//! `--dashboard ADDR`: a live dashboard of the run, served over plain HTTP while it goes.
//!
//! `GET /` is one self-contained page (`page.html`, with report.html's stylesheet; its script
//! draws the charts as SVG, no network beyond this server); `GET /events` is a stream of
//! server-sent events: the time series so far (the [`feed`]'s bounded history), a `replayed`
//! event, then each record as the timeline writes it, and `end` when the run has finished.
//! Anything else is 404, any other method 405. There is no authentication.
//!
//! The server must never slow the run: the timeline publishes into the [`Feed`] without
//! waiting, each stream is fed by its own task from a broadcast receiver that skips what a slow
//! browser could not take, and [`Dashboard::end`] gives open streams [`GRACE`] to deliver their
//! `end` before it cuts them.

pub mod feed;
#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::Full;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

pub use feed::Feed;
use feed::{END, Event, Subscription};

/// How long the open streams get to deliver `end` once the run has finished, before the server
/// closes them: a browser that reads gets it in milliseconds, a stalled one is not waited for.
pub const GRACE: Duration = Duration::from_millis(500);
/// A connection that has not sent its request headers within this is closed.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames queued for one stream's connection; past it the stream's task waits and its broadcast
/// receiver, not the run, falls behind.
const STREAM_QUEUE: usize = 16;
/// The replay goes out in chunks of about this many bytes.
const REPLAY_CHUNK: usize = 64 << 10;

const PAGE_TEMPLATE: &str = include_str!("page.html");
/// Where the page's template takes report.html's stylesheet.
const CSS_SLOT: &str = "/*{report.css}*/";
/// The page may run its own inline script and style and talk to this server only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                   connect-src 'self'; img-src data:";

/// Why the dashboard cannot be served.
#[derive(Debug, thiserror::Error)]
#[error("--dashboard {addr}: cannot listen there: {source}")]
pub struct DashboardError {
    addr: SocketAddr,
    source: std::io::Error,
}

/// The running dashboard server. Dropping it stops the server (without `end` for the streams).
pub struct Dashboard {
    addr: SocketAddr,
    feed: Feed,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Dashboard {
    /// Binds `addr` (port 0 picks a free one) and serves at once, on the current tokio runtime.
    pub async fn bind(addr: SocketAddr) -> Result<Self, DashboardError> {
        let listener = TcpListener::bind(addr).await.map_err(|source| DashboardError { addr, source })?;
        let addr = listener.local_addr().map_err(|source| DashboardError { addr, source })?;
        let feed = Feed::new();
        let page = Bytes::from(page());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, feed.clone(), page, stopped));
        Ok(Self { addr, feed, stop, task })
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL, e.g. `http://127.0.0.1:5665/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Where the timeline publishes the run's records.
    pub fn feed(&self) -> Feed {
        self.feed.clone()
    }

    /// The run has finished: every stream is sent `end`, new connections are refused, and the
    /// server closes within [`GRACE`]. Await the handle to know it has (it never fails).
    pub fn end(self) -> JoinHandle<()> {
        self.feed.end();
        let _ = self.stop.send(true);
        self.task
    }
}

/// The page: its template with report.html's stylesheet in place.
fn page() -> String {
    PAGE_TEMPLATE.replacen(CSS_SLOT, runner_reports::html::STYLE, 1)
}

/// Accepts connections until stopped, then gives them [`GRACE`] to finish and cuts the rest.
async fn serve(listener: TcpListener, feed: Feed, page: Bytes, stopped: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    let mut stop = stopped.clone();
    loop {
        tokio::select! {
            // A dropped `Dashboard` stops the server too.
            () = stopping(&mut stop) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // A per-connection error (ECONNABORTED, EMFILE) must not end the dashboard;
                    // a short pause keeps a lasting one from spinning.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                conns.spawn(connection(stream, feed.clone(), page.clone(), stopped.clone()));
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, async { while conns.join_next().await.is_some() {} }).await;
    conns.shutdown().await;
}

/// Returns once the server is told to stop, or its `Dashboard` is gone.
async fn stopping(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped here: it may not live across an await.
    let _ = stop.wait_for(|s| *s).await;
}

/// One browser connection (HTTP/1.1, keep-alive). When the server stops it is shut down
/// gracefully: an idle connection closes at once, a stream once it has sent `end`.
async fn connection(stream: TcpStream, feed: Feed, page: Bytes, mut stopped: watch::Receiver<bool>) {
    let service = service_fn(move |req| {
        let response = respond(&req, &feed, &page);
        async move { Ok::<_, Infallible>(response) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        // A connection error is the browser's business (it went away); nothing to report.
        _ = conn.as_mut() => return,
        () = stopping(&mut stopped) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The answer to one request.
fn respond(req: &Request<Incoming>, feed: &Feed, page: &Bytes) -> Response<DashBody> {
    if req.method() != Method::GET {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET"));
        return resp;
    }
    match req.uri().path() {
        "/" => {
            let mut resp = Response::new(DashBody::Full(Full::new(page.clone())));
            let headers = resp.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        "/events" => {
            let (tx, rx) = mpsc::channel(STREAM_QUEUE);
            // The stream's own task: it alone waits for this browser.
            tokio::spawn(stream_events(feed.subscribe(), tx));
            let mut resp = Response::new(DashBody::Stream(rx));
            let headers = resp.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        _ => text(StatusCode::NOT_FOUND, "not found: the dashboard is at / and its events at /events\n"),
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<DashBody> {
    let mut resp = Response::new(DashBody::Full(Full::new(Bytes::from_static(body.as_bytes()))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

/// Feeds one `/events` stream: the replay, `replayed`, then live records until `end`. Ends when
/// the browser goes away (the body, and so `tx`'s receiver, is dropped).
async fn stream_events(sub: Subscription, tx: mpsc::Sender<Bytes>) {
    let Subscription { replay, mut live, ended } = sub;
    let replayed = replay.len();
    let mut chunk = BytesMut::new();
    for frame in replay {
        chunk.extend_from_slice(&frame);
        if chunk.len() >= REPLAY_CHUNK && tx.send(chunk.split().freeze()).await.is_err() {
            return;
        }
    }
    chunk.extend_from_slice(format!("event: replayed\ndata: {{\"records\":{replayed}}}\n\n").as_bytes());
    if ended {
        chunk.extend_from_slice(END);
    }
    if tx.send(chunk.freeze()).await.is_err() || ended {
        return;
    }
    loop {
        let frame = match live.recv().await {
            Ok(Event::Frame(frame)) => frame,
            Ok(Event::End) => {
                let _ = tx.send(Bytes::from_static(END)).await;
                return;
            }
            // This browser fell behind: the oldest records it had not taken are gone; say how
            // many, and go on with the newest.
            Err(broadcast::error::RecvError::Lagged(n)) => {
                Bytes::from(format!("event: lagged\ndata: {{\"skipped\":{n}}}\n\n"))
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if tx.send(frame).await.is_err() {
            return;
        }
    }
}

/// A response body: the page or a message whole, or an event stream.
enum DashBody {
    Full(Full<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl Body for DashBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            DashBody::Full(full) => Pin::new(full).poll_frame(cx),
            DashBody::Stream(rx) => rx.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            DashBody::Full(full) => full.is_end_stream(),
            DashBody::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            DashBody::Full(full) => full.size_hint(),
            DashBody::Stream(_) => SizeHint::default(),
        }
    }
}
