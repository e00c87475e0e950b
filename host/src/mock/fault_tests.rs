//! Fault injection over real TCP on 127.0.0.1: what each fault puts on the wire, read with a raw socket
//! so that resets, broken framing and invalid bytes are seen exactly as a client would see them.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::{Fault, FaultSpec, MockConfig, MockServer};

async fn server(faults: &[&str]) -> MockServer {
    let cfg = MockConfig {
        ttft: Duration::from_millis(5),
        itl: Duration::from_millis(2),
        faults: faults.iter().map(|f| f.parse::<FaultSpec>().expect("a valid fault")).collect(),
        ..Default::default()
    };
    MockServer::start(([127, 0, 0, 1], 0).into(), cfg).await.expect("bind 127.0.0.1:0")
}

/// What a raw HTTP/1.1 exchange left: every byte received, when each arrived, and how the read ended.
struct Raw {
    bytes: Vec<u8>,
    /// `None` for a clean end of stream.
    error: Option<io::ErrorKind>,
    /// Arrival time of each read, from the request's send.
    reads: Vec<(Duration, usize)>,
}

impl Raw {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    fn contains(&self, needle: &[u8]) -> bool {
        self.bytes.windows(needle.len()).any(|w| w == needle)
    }
}

/// Connects and POSTs a chat request with `Connection: close`; returns the socket and when it was sent.
async fn send_chat(addr: SocketAddr, max_tokens: u32, stream: bool) -> (TcpStream, Instant) {
    let body = format!(
        r#"{{"messages":[{{"role":"user","content":"hi"}}],"max_tokens":{max_tokens},"stream":{stream}}}"#
    );
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut sock = TcpStream::connect(addr).await.expect("connect");
    sock.write_all(head.as_bytes()).await.expect("write head");
    sock.write_all(body.as_bytes()).await.expect("write body");
    (sock, Instant::now())
}

/// POSTs a chat request with `Connection: close` and reads until the end, an error, or 10 s.
async fn exchange(addr: SocketAddr, max_tokens: u32, stream: bool) -> Raw {
    let (mut sock, sent) = send_chat(addr, max_tokens, stream).await;
    let mut raw = Raw { bytes: Vec::new(), error: None, reads: Vec::new() };
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = sent + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, sock.read(&mut buf)).await {
            Err(_) => panic!("no end within 10 s; got:\n{}", raw.text()),
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                raw.reads.push((sent.elapsed(), n));
                raw.bytes.extend_from_slice(&buf[..n]);
            }
            Ok(Err(e)) => {
                raw.error = Some(e.kind());
                break;
            }
        }
    }
    raw
}

#[tokio::test]
async fn status_fault_answers_an_openai_error_object() {
    let srv = server(&["status=503"]).await;
    let raw = exchange(srv.addr(), 4, true).await;
    let text = raw.text();
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.to_ascii_lowercase().contains("retry-after: 1"), "{text}");
    let body = &text[text.find("\r\n\r\n").expect("a header end") + 4..];
    let v: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(v["error"]["code"], 503);
    assert_eq!(v["error"]["type"], "server_error");
    assert_eq!(raw.error, None);
    assert_eq!((srv.stats().faulted, srv.stats().completed), (1, 1));
}

#[tokio::test]
async fn reset_before_headers_sends_rst_and_nothing_else() {
    let srv = server(&["reset-before-headers"]).await;
    let raw = exchange(srv.addr(), 4, true).await;
    assert!(raw.bytes.is_empty(), "no response at all, got:\n{}", raw.text());
    assert_eq!(raw.error, Some(io::ErrorKind::ConnectionReset), "an RST, not a FIN");
    // The server keeps serving other connections.
    let srv2 = server(&[]).await;
    assert!(exchange(srv2.addr(), 2, true).await.contains(b"data: [DONE]"));
}

#[tokio::test]
async fn reset_mid_stream_sends_some_tokens_then_rst() {
    let srv = server(&["reset-mid-stream"]).await;
    let raw = exchange(srv.addr(), 8, true).await;
    let text = raw.text();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert_eq!(text.matches(r#""content":"#).count(), 4, "half of the 8 tokens first:\n{text}");
    assert!(!text.contains("[DONE]"));
    assert_eq!(raw.error, Some(io::ErrorKind::ConnectionReset));
    assert_eq!(srv.stats().cancelled, 1, "a reset response is not complete");
}

#[tokio::test]
async fn reset_mid_stream_also_cuts_a_non_streaming_body() {
    let srv = server(&["reset-mid-stream"]).await;
    let raw = exchange(srv.addr(), 8, false).await;
    assert!(raw.text().starts_with("HTTP/1.1 200"), "{}", raw.text());
    assert!(raw.contains(br#""id":"chatcmpl-mock-0""#), "the first half came:\n{}", raw.text());
    assert!(!raw.contains(br#""usage""#), "the second half did not");
    assert_eq!(raw.error, Some(io::ErrorKind::ConnectionReset));
}

#[tokio::test]
async fn stall_mid_stream_pauses_after_half_the_tokens_then_finishes() {
    let srv = server(&["stall-mid-stream=300ms"]).await;
    let raw = exchange(srv.addr(), 8, true).await;
    assert!(raw.contains(b"data: [DONE]"), "the stream resumes and ends:\n{}", raw.text());
    let gap = raw.reads.windows(2).map(|w| w[1].0 - w[0].0).max().expect("several reads");
    assert!(gap >= Duration::from_millis(295) && gap < Duration::from_millis(400), "longest gap {gap:?}");
}

#[tokio::test]
async fn slow_headers_delays_the_status_line() {
    let srv = server(&["slow-headers=200ms"]).await;
    let raw = exchange(srv.addr(), 2, true).await;
    let first = raw.reads.first().expect("a response").0;
    assert!(first >= Duration::from_millis(200), "headers after {first:?}");
    assert!(raw.contains(b"data: [DONE]"));
}

#[tokio::test]
async fn malformed_kinds_break_the_stream_as_named() {
    let srv = server(&["bad-json"]).await;
    let raw = exchange(srv.addr(), 4, true).await;
    assert!(raw.contains(b"\"delta\":{\"content\":\"\n\n"), "a truncated event:\n{}", raw.text());
    assert!(raw.contains(b"data: [DONE]"));

    let srv = server(&["no-data-prefix"]).await;
    let raw = exchange(srv.addr(), 4, true).await;
    assert_eq!(raw.text().matches("data: {").count(), 3, "one of 4 tokens lost its prefix:\n{}", raw.text());
    assert!(raw.contains(b"\r\n{\"id\":"), "the bare event starts a chunk:\n{}", raw.text());

    let srv = server(&["no-done"]).await;
    let raw = exchange(srv.addr(), 4, true).await;
    assert!(raw.text().ends_with("0\r\n\r\n"), "a clean chunked end:\n{}", raw.text());
    assert!(!raw.contains(b"[DONE]") && raw.contains(br#""finish_reason":"length""#));

    let srv = server(&["invalid-utf8"]).await;
    let raw = exchange(srv.addr(), 4, true).await;
    assert!(raw.contains(b"\"content\":\"\xff\xfe\""), "{}", raw.text());

    let garbage = |r: &Raw| {
        let at = r.bytes.iter().position(|&b| b == 0xFF).expect("garbage starts with 0xFF");
        r.bytes[at..at + 64].to_vec()
    };
    let srv = server(&["garbage"]).await;
    let a = exchange(srv.addr(), 4, true).await;
    assert!(String::from_utf8(a.bytes.clone()).is_err(), "garbage is not text");
    let srv = server(&["garbage"]).await;
    let b = exchange(srv.addr(), 4, true).await;
    assert_eq!(garbage(&a), garbage(&b), "the same seed gives the same garbage");
    assert!(a.contains(b"data: [DONE]"), "the stream goes on after the garbage");
}

/// `[DONE]` arrives as its own chunk, and then nothing: not the terminating chunk, not a close, even
/// though the request asked for `Connection: close`. The answer itself is complete.
#[tokio::test]
async fn hold_after_done_sends_done_then_keeps_the_response_open() {
    let srv = server(&["hold-after-done"]).await;
    let (mut sock, sent) = send_chat(srv.addr(), 4, true).await;
    let done = b"data: [DONE]\n\n\r\n";
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !bytes.windows(done.len()).any(|w| w == done) {
        let read = tokio::time::timeout_at(sent + Duration::from_secs(10), sock.read(&mut buf)).await;
        let n = read.expect("[DONE] within 10 s").expect("a clean read");
        assert!(n > 0, "the response ended before [DONE]:\n{}", String::from_utf8_lossy(&bytes));
        bytes.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert_eq!(text.matches(r#""content":"#).count(), 4, "every token before [DONE]:\n{text}");
    assert!(text.ends_with("data: [DONE]\n\n\r\n"), "nothing after [DONE]:\n{text}");
    let after = tokio::time::timeout(Duration::from_millis(300), sock.read(&mut buf)).await;
    assert!(after.is_err(), "the response stays open after [DONE], got {after:?}");
    assert_eq!((srv.stats().completed, srv.stats().cancelled), (1, 0), "the answer itself is complete");
}

#[tokio::test]
async fn malformed_kinds_corrupt_a_non_streaming_body() {
    for (fault, valid_utf8) in [("bad-json", true), ("garbage", false), ("invalid-utf8", false)] {
        let srv = server(&[fault]).await;
        let raw = exchange(srv.addr(), 4, false).await;
        let at = raw.bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("a header end") + 4;
        let body = &raw.bytes[at..];
        assert!(serde_json::from_slice::<serde_json::Value>(body).is_err(), "{fault}: the body is not JSON");
        assert_eq!(std::str::from_utf8(body).is_ok(), valid_utf8, "{fault}");
    }
}

#[tokio::test]
async fn huge_body_has_the_exact_size_and_is_produced_in_chunks() {
    let srv = server(&["huge-body=5MB"]).await;
    let raw = exchange(srv.addr(), 4, false).await;
    assert_eq!(raw.error, None);
    // A Content-Length would let hyper frame it; without one it goes out chunked, as generated.
    let text = raw.text();
    assert!(text.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{}", &text[..200]);
    let body = dechunk(&raw.bytes[text.find("\r\n\r\n").expect("a header end") + 4..]);
    assert_eq!(body.len(), 5_000_000);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("well-formed, only huge");
    assert!(v["choices"][0]["message"]["content"].as_str().is_some_and(|c| c.len() > 4_999_000));
    assert_eq!(srv.stats().completed, 1);

    let srv = server(&["huge-body=1MB"]).await;
    let raw = exchange(srv.addr(), 4, true).await;
    assert!(raw.text().contains("text/event-stream"));
    assert!(raw.contains(b"data: [DONE]"), "a streamed huge body is one long event, then [DONE]");
}

/// The payload of an HTTP/1.1 chunked body.
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..line_end]).expect("ascii"), 16).expect("hex");
        b = &b[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[tokio::test]
async fn faults_apply_to_their_share_of_requests_only() {
    let srv = server(&["status=500@0.5"]).await;
    let mut failed = 0;
    for _ in 0..40 {
        if exchange(srv.addr(), 1, true).await.text().starts_with("HTTP/1.1 500") {
            failed += 1;
        }
    }
    assert!((10..=30).contains(&failed), "{failed} of 40 failed at rate 0.5");
    assert_eq!(srv.stats().faulted, failed);
}

#[tokio::test]
async fn only_generation_requests_are_faulted() {
    let srv = server(&["reset-before-headers"]).await;
    for path in ["/health", "/v1/models"] {
        let mut sock = TcpStream::connect(srv.addr()).await.expect("connect");
        let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        sock.write_all(req.as_bytes()).await.expect("write");
        let mut out = Vec::new();
        sock.read_to_end(&mut out).await.expect("a clean answer, no reset");
        assert!(out.starts_with(b"HTTP/1.1 200"), "{path}: {}", String::from_utf8_lossy(&out));
    }
    assert_eq!(srv.stats().faulted, 0);
}

#[tokio::test]
async fn rates_over_one_are_refused_at_start() {
    let cfg = MockConfig {
        faults: vec![
            FaultSpec::new(Fault::NoDone, 0.7).expect("rate"),
            FaultSpec::new(Fault::Garbage, 0.7).expect("rate"),
        ],
        ..Default::default()
    };
    let err = MockServer::start(([127, 0, 0, 1], 0).into(), cfg).await.expect_err("refused");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("more than 1"), "{err}");
}
