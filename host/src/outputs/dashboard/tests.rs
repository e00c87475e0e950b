//! The dashboard server over real sockets: what each path answers, the event stream's order
//! (replay, `replayed`, live records, `end`), and that a browser that never reads neither holds
//! the publisher nor the server's end.

use std::time::{Duration, Instant};

use runner_reports::timeseries::{Record, RunStart, Sample};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

async fn start() -> Dashboard {
    Dashboard::bind(([127, 0, 0, 1], 0).into()).await.expect("binding a free port")
}

fn publish(feed: &Feed, record: &Record) {
    let json = serde_json::to_vec(record).expect("a record serializes");
    feed.publish(record, &json);
}

fn sample(t_s: f64) -> Record {
    Record::Sample(Sample { t_s, phase: "p".into(), interval_s: 1.0, ..Sample::default() })
}

/// Sends `request` and reads the whole answer (the server closes after it).
async fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connecting");
    stream.write_all(request.as_bytes()).await.expect("sending");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("an answer within 10 s")
        .expect("reading");
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads from `stream` into `seen` until it holds `needle`.
async fn read_until(stream: &mut TcpStream, seen: &mut String, needle: &str) {
    let mut buf = [0u8; 8192];
    while !seen.contains(needle) {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within 10 s; got:\n{seen}"))
            .expect("reading");
        assert!(n > 0, "the stream closed before {needle:?}; got:\n{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

#[tokio::test]
async fn the_page_is_served_with_report_css_and_nothing_else_is() {
    let dashboard = start().await;
    let addr = dashboard.addr();
    let page = exchange(addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("content-type: text/html; charset=utf-8\r\n"), "{page}");
    assert!(page.contains("connect-src 'self'"), "a CSP that lets the page reach only this server");
    assert!(page.contains(runner_reports::html::STYLE), "report.html's stylesheet is inlined");
    assert!(!page.contains(CSS_SLOT), "the stylesheet's slot is filled");
    assert!(page.contains("new EventSource(\"events\")"), "the page reads /events");
    assert!(
        !page.contains("http://") && !page.contains("https://") && !page.contains(" src="),
        "the page loads nothing from elsewhere"
    );

    let missing = exchange(addr, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(missing.starts_with("HTTP/1.1 404 Not Found\r\n"), "{missing}");
    let post =
        exchange(addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
    assert!(post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{post}");
    assert!(post.contains("allow: GET\r\n"), "{post}");
    dashboard.end().await.expect("the server task ends");
}

#[tokio::test]
async fn a_taken_address_is_one_line() {
    let first = start().await;
    let Err(e) = Dashboard::bind(first.addr()).await else { panic!("bound a taken address") };
    let text = e.to_string();
    assert!(text.starts_with(&format!("--dashboard {}: cannot listen there: ", first.addr())), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[tokio::test]
async fn events_are_replayed_then_live_then_end_for_every_browser() {
    let dashboard = start().await;
    let feed = dashboard.feed();
    publish(&feed, &Record::Run(RunStart { run_id: "run-1".into() }));
    publish(&feed, &sample(1.0));
    let request = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut browsers = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(dashboard.addr()).await.expect("connecting");
        stream.write_all(request.as_bytes()).await.expect("sending");
        let mut seen = String::new();
        read_until(&mut stream, &mut seen, "event: replayed\ndata: {\"records\":2}\n\n").await;
        browsers.push((stream, seen));
    }
    publish(&feed, &sample(2.0));
    let closed = dashboard.end();
    for (stream, seen) in &mut browsers {
        read_until(stream, seen, "event: end\n").await;
        assert!(seen.contains("content-type: text/event-stream\r\n"), "{seen}");
        let run = seen.find("data: {\"kind\":\"run\",\"run_id\":\"run-1\"}").expect("the run record");
        let first = seen.find("\"t_s\":1.0").expect("the replayed sample");
        let replayed = seen.find("event: replayed").expect("the end of the replay");
        let live = seen.find("\"t_s\":2.0").expect("the live sample");
        let end = seen.find("event: end").expect("end");
        assert!(run < first && first < replayed && replayed < live && live < end, "{seen}");
    }
    tokio::time::timeout(Duration::from_secs(5), closed).await.expect("closed").expect("the task ends");
}

#[tokio::test]
async fn a_browser_that_never_reads_holds_neither_the_run_nor_the_end() {
    let dashboard = start().await;
    let feed = dashboard.feed();
    // Connects, asks for the stream, and never reads a byte of it.
    let mut stalled = TcpStream::connect(dashboard.addr()).await.expect("connecting");
    stalled.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("sending");
    // One that connects and never even asks.
    let _silent = TcpStream::connect(dashboard.addr()).await.expect("connecting");
    // And one that reads all along, keeping only the tail of what it read.
    let mut reader = TcpStream::connect(dashboard.addr()).await.expect("connecting");
    reader.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("sending");
    let reading = tokio::spawn(async move {
        let mut tail = String::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match tokio::time::timeout(Duration::from_secs(20), reader.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => {
                    tail.push_str(&String::from_utf8_lossy(&buf[..n]));
                    let keep = tail.len().saturating_sub(256);
                    tail.drain(..tail.floor_char_boundary(keep));
                }
                _ => return tail,
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // 64 MiB: far more than the sockets' buffers hold, so the stalled stream's writes block.
    let big = Record::Sample(Sample { phase: "x".repeat(16 << 10), ..Sample::default() });
    let began = Instant::now();
    for _ in 0..4096 {
        publish(&feed, &big);
        tokio::task::yield_now().await;
    }
    let publishing = began.elapsed();
    assert!(publishing < Duration::from_secs(5), "publishing took {publishing:?}");

    let began = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), dashboard.end())
        .await
        .expect("closed")
        .expect("the task ends");
    let ending = began.elapsed();
    assert!(ending < GRACE + Duration::from_secs(1), "the server took {ending:?} to close");
    let tail = reading.await.expect("the reader's task");
    assert!(tail.contains("event: end\n"), "the reader got the end: {tail}");
    drop(stalled);
}
