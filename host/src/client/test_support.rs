//! Local servers for the client's tests: a scripted raw-TCP server (exact bytes, sleeps,
//! resets) and a keep-alive hyper server, both on 127.0.0.1.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One step of a scripted response.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// Write these bytes and flush.
    Write(Vec<u8>),
    /// Wait, measured from the previous sleep's scheduled end (or the request's arrival),
    /// so timer overshoot does not accumulate across steps.
    Sleep(Duration),
    /// Abort the connection with a TCP RST.
    Reset,
}

/// The status line and headers every scripted event stream has.
const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n";

/// The head of a chunked `text/event-stream` response on a connection the server closes after it.
pub(crate) fn sse_head() -> Step {
    Step::Write(format!("{SSE_HEAD}connection: close\r\n\r\n").into_bytes())
}

/// The head of a chunked `text/event-stream` response on a keep-alive connection, which a client
/// may reuse once the body has ended.
pub(crate) fn sse_head_keep_alive() -> Step {
    Step::Write(format!("{SSE_HEAD}\r\n").into_bytes())
}

/// One chunk of a chunked body.
pub(crate) fn chunk(data: &str) -> Step {
    Step::Write(format!("{:x}\r\n{data}\r\n", data.len()).into_bytes())
}

/// The end of a chunked body.
pub(crate) fn end() -> Step {
    Step::Write(b"0\r\n\r\n".to_vec())
}

/// A complete response with a fixed body.
pub(crate) fn full_response(status: u16, content_type: &str, body: &str) -> Step {
    Step::Write(
        format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A server that answers every connection with `script`; request bodies go to the receiver.
pub(crate) async fn script_server(script: Vec<Step>) -> (SocketAddr, mpsc::UnboundedReceiver<Vec<u8>>) {
    let (addr, mut requests) = recording_server(script).await;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some((_, body)) = requests.recv().await {
            if tx.send(body).is_err() {
                return;
            }
        }
    });
    (addr, rx)
}

/// [`script_server`] that hands over each request's head (its request line and headers, as
/// sent) with its body.
pub(crate) async fn recording_server(
    script: Vec<Step>,
) -> (SocketAddr, mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let script = script.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = sock.set_nodelay(true);
                let Some(request) = read_request(&mut sock).await else {
                    return;
                };
                let _ = tx.send(request);
                let mut schedule = tokio::time::Instant::now();
                for step in script {
                    match step {
                        Step::Write(bytes) => {
                            if sock.write_all(&bytes).await.is_err() || sock.flush().await.is_err() {
                                return;
                            }
                        }
                        Step::Sleep(d) => {
                            schedule += d;
                            tokio::time::sleep_until(schedule).await;
                        }
                        Step::Reset => {
                            let _ = sock.set_zero_linger();
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, rx)
}

/// Reads one request head and its content-length body.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len: usize = head
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    Some((head, buf[head_end..head_end + len].to_vec()))
}

/// A keep-alive HTTP/1.1 server answering `hello <path>`; the counter counts connections.
pub(crate) async fn hyper_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let conns = Arc::new(AtomicUsize::new(0));
    let counter = conns.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let body = format!("hello {}", req.uri().path());
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(body))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(sock), svc)
                    .await;
            });
        }
    });
    (addr, conns)
}

/// A port with nothing listening on it.
pub(crate) async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr")
}

/// Convenience for counters in assertions.
pub(crate) fn load(c: &AtomicUsize) -> usize {
    c.load(Ordering::SeqCst)
}
