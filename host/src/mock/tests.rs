//! Tests of the mock over real HTTP on 127.0.0.1: timing exactness, queueing, errors, disconnects.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::generate::Schedule;
use super::{MockConfig, MockServer};

pub(super) const MS: Duration = Duration::from_millis(1);

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) async fn server(cfg: MockConfig) -> MockServer {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    MockServer::start(addr, cfg).await.expect("bind 127.0.0.1:0")
}

/// A response in progress, with the instant its request was sent and the connection task (abort it to
/// drop the connection).
pub(super) struct Pending {
    pub(super) status: StatusCode,
    body: Incoming,
    sent: Instant,
    conn: JoinHandle<()>,
}

pub(super) async fn send(addr: SocketAddr, method: Method, path: &str, body: Option<&str>) -> Pending {
    send_with(addr, method, path, body, &[]).await
}

/// [`send`] with extra request headers.
async fn send_with(
    addr: SocketAddr,
    method: Method,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Pending {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut builder = Request::builder().method(method).uri(path).header("host", addr.to_string());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let req = match body {
        Some(b) => builder
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(b.to_string())).boxed()),
        None => builder.body(Empty::<Bytes>::new().map_err(|never| match never {}).boxed()),
    }
    .expect("request");
    let sent = Instant::now();
    let resp = sender.send_request(req).await.expect("send");
    Pending { status: resp.status(), body: resp.into_body(), sent, conn }
}

/// One SSE event's payload and its arrival time relative to the request's send.
pub(super) struct Event {
    pub(super) at: Duration,
    pub(super) data: String,
}

impl Pending {
    /// Reads the next SSE events as they arrive, stopping once `limit` events are in (or at the end).
    pub(super) async fn events(&mut self, limit: usize) -> Vec<Event> {
        let mut buf = String::new();
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(frame) = self.body.frame().await else {
                break;
            };
            let at = self.sent.elapsed();
            let frame = frame.expect("body frame");
            let Some(data) = frame.data_ref() else {
                continue;
            };
            buf.push_str(std::str::from_utf8(data).expect("utf-8"));
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                let data = event.trim_end().strip_prefix("data: ").expect("data: prefix").to_string();
                out.push(Event { at, data });
            }
        }
        out
    }

    pub(super) async fn text(self) -> String {
        let bytes = self.body.collect().await.expect("body").to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }
}

pub(super) fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_chat_has_exact_ttft_and_itl() {
    let srv = server(MockConfig { ttft: ms(50), itl: ms(10), ..Default::default() }).await;
    let body = r#"{"model":"m1","messages":[{"role":"user","content":"say five words please now"}],
        "max_tokens":20,"stream":true,"stream_options":{"include_usage":true}}"#;
    let mut p = send(srv.addr(), Method::POST, "/v1/chat/completions", Some(body)).await;
    assert_eq!(p.status, StatusCode::OK);
    let events = p.events(usize::MAX).await;
    assert_eq!(events.len(), 22, "20 content + usage + [DONE]");

    let content = &events[..20];
    for (k, e) in content.iter().enumerate() {
        let v = json(&e.data);
        assert_eq!(v["object"], "chat.completion.chunk");
        assert_eq!(v["model"], "m1");
        assert_eq!(v["id"], json(&content[0].data)["id"]);
        let text = v["choices"][0]["delta"]["content"].as_str().expect("content");
        assert!(!text.is_empty());
        let finish = &v["choices"][0]["finish_reason"];
        if k == 19 { assert_eq!(finish, "length") } else { assert!(finish.is_null(), "{finish}") }
    }
    let usage = json(&events[20].data);
    assert_eq!(usage["choices"], serde_json::json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 20);
    assert_eq!(usage["usage"]["prompt_tokens"], 5);
    assert_eq!(usage["usage"]["total_tokens"], 25);
    assert_eq!(events[21].data, "[DONE]");

    let ttft = content[0].at;
    assert!(ttft >= ms(50) && ttft < ms(56), "ttft {ttft:?}");
    let mean_gap = (content[19].at - content[0].at) / 19;
    assert!(mean_gap.abs_diff(ms(10)) < MS, "mean gap {mean_gap:?}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_streaming_completion_waits_for_the_last_token() {
    let srv = server(MockConfig { ttft: ms(30), itl: ms(5), ..Default::default() }).await;
    let p = send(srv.addr(), Method::POST, "/v1/completions", Some(r#"{"prompt":"a b c","max_tokens":10}"#))
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let sent = p.sent;
    let v = json(&p.text().await);
    let elapsed = sent.elapsed();
    // ttft + (N-1)·itl = 30 + 45 ms.
    assert!(elapsed >= ms(75) && elapsed < ms(85), "elapsed {elapsed:?}");
    assert_eq!(v["object"], "text_completion");
    assert_eq!(v["model"], "mock");
    let text = v["choices"][0]["text"].as_str().expect("text");
    assert_eq!(text.split_whitespace().count(), 10);
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(v["usage"]["prompt_tokens"], 3);
    assert_eq!(v["usage"]["completion_tokens"], 10);
    assert_eq!(v["usage"]["total_tokens"], 13);
    let stats = srv.stats();
    assert_eq!((stats.received, stats.completed, stats.in_flight, stats.cancelled), (1, 1, 0, 0));
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_queues_requests_fifo() {
    let srv = server(MockConfig { ttft: ms(50), itl: ms(10), capacity: 2, ..Default::default() }).await;
    let addr = srv.addr();
    let body = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":5,"stream":true}"#;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(async move {
                let mut p = send(addr, Method::POST, "/v1/chat/completions", Some(body)).await;
                let events = p.events(usize::MAX).await;
                assert_eq!(events.len(), 6, "5 content + [DONE]");
                (events[0].at, events[4].at)
            })
        })
        .collect();
    tokio::time::sleep(ms(25)).await;
    let mid = srv.stats();
    assert_eq!((mid.received, mid.in_flight, mid.waiting), (4, 4, 2), "{mid:?}");
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("client task"));
    }
    results.sort();
    let [(t0, e0), (t1, e1), (t2, _), (t3, _)] = results[..] else { panic!("4 results") };
    for ttft in [t0, t1] {
        assert!(ttft >= ms(50) && ttft < ms(58), "first wave ttft {ttft:?}");
    }
    // The second wave gets slots when the first wave finishes (~90 ms), then waits a full TTFT.
    let first_e2e = e0.max(e1);
    for ttft in [t2, t3] {
        let expected = first_e2e + ms(50);
        assert!(
            ttft >= expected - ms(3) && ttft < expected + ms(8),
            "second wave ttft {ttft:?}, expected {expected:?}"
        );
    }
    let end = srv.stats();
    assert_eq!((end.completed, end.in_flight, end.waiting), (4, 0, 0), "{end:?}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_simple_endpoints() {
    let srv = server(MockConfig::default()).await;
    let addr = srv.addr();

    let p = send(addr, Method::GET, "/nope", None).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(json(&p.text().await)["error"]["message"].is_string());

    for path in ["/v1/chat/completions", "/v1/completions"] {
        let p = send(addr, Method::POST, path, Some("{not json")).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{path}");
        let v = json(&p.text().await);
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["code"], 400);
    }
    let p = send(addr, Method::POST, "/v1/chat/completions", Some(r#"{"max_tokens":3}"#)).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&p.text().await)["error"]["param"], "messages");
    let p = send(addr, Method::POST, "/v1/completions", Some(r#"{"prompt":"x","max_tokens":0}"#)).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&p.text().await)["error"]["param"], "max_tokens");
    let p = send(addr, Method::GET, "/v1/chat/completions", None).await;
    assert_eq!(p.status, StatusCode::METHOD_NOT_ALLOWED);

    let p = send(addr, Method::GET, "/", None).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.text().await, "ok");
    let p = send(addr, Method::GET, "/health", None).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.text().await, "");
    let p = send(addr, Method::GET, "/v1/models", None).await;
    let v = json(&p.text().await);
    assert_eq!(v["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["data"][0]["id"], "mock");

    let stats = srv.stats();
    assert_eq!((stats.received, stats.completed, stats.in_flight), (9, 9, 0));
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_mid_stream_frees_the_slot() {
    let srv = server(MockConfig { ttft: ms(20), itl: ms(10), capacity: 1, ..Default::default() }).await;
    let addr = srv.addr();
    let long = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":1000,"stream":true}"#;
    let mut a = send(addr, Method::POST, "/v1/chat/completions", Some(long)).await;
    assert_eq!(a.events(3).await.len(), 3);
    a.conn.abort();
    drop(a);

    let short = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stream":true}"#;
    let mut b = send(addr, Method::POST, "/v1/chat/completions", Some(short)).await;
    let events = b.events(usize::MAX).await;
    assert_eq!(events.len(), 3);
    // Had the slot stayed taken, B would wait ~10 s for A's 1000 tokens.
    assert!(events[0].at < ms(45), "ttft after disconnect {:?}", events[0].at);
    let stats = srv.stats();
    assert_eq!((stats.cancelled, stats.completed, stats.in_flight), (1, 1, 0), "{stats:?}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_non_streaming_frees_the_slot() {
    let srv = server(MockConfig { ttft: ms(20), itl: ms(10), capacity: 1, ..Default::default() }).await;
    let addr = srv.addr();
    let long = r#"{"prompt":"x","max_tokens":1000}"#;
    // A holds the slot for ~10 s without streaming; send it on a connection we can drop.
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    let conn = tokio::spawn(conn);
    let req = Request::post("/v1/completions")
        .header("host", addr.to_string())
        .body(Full::new(Bytes::from_static(long.as_bytes())))
        .expect("request");
    let a = tokio::spawn(async move { sender.send_request(req).await.map(|r| r.status()) });
    tokio::time::sleep(ms(40)).await;
    assert_eq!(srv.stats().in_flight, 1);
    a.abort();
    conn.abort();

    let p = send(addr, Method::POST, "/v1/completions", Some(r#"{"prompt":"x","max_tokens":1}"#)).await;
    let sent = p.sent;
    assert_eq!(p.status, StatusCode::OK);
    p.text().await;
    assert!(sent.elapsed() < ms(45), "request after disconnect took {:?}", sent.elapsed());
    let stats = srv.stats();
    assert_eq!((stats.cancelled, stats.completed, stats.in_flight), (1, 1, 0), "{stats:?}");
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_while_queued_leaves_the_queue() {
    let srv = server(MockConfig { ttft: ms(10), itl: ms(10), capacity: 1, ..Default::default() }).await;
    let addr = srv.addr();
    let long = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":1000,"stream":true}"#;
    let mut a = send(addr, Method::POST, "/v1/chat/completions", Some(long)).await;
    assert_eq!(a.events(1).await.len(), 1);
    let b = send(addr, Method::POST, "/v1/chat/completions", Some(long)).await;
    tokio::time::sleep(ms(20)).await;
    assert_eq!(srv.stats().waiting, 1);
    b.conn.abort();
    drop(b);
    tokio::time::sleep(ms(30)).await;
    let stats = srv.stats();
    assert_eq!((stats.waiting, stats.in_flight, stats.cancelled), (0, 1, 1), "{stats:?}");
    a.conn.abort();
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_count_defaults_and_completion_stream_shape() {
    let cfg =
        MockConfig { ttft: Duration::ZERO, itl: Duration::ZERO, default_max_tokens: 7, ..Default::default() };
    let srv = server(cfg).await;
    let addr = srv.addr();
    let mut p =
        send(addr, Method::POST, "/v1/completions", Some(r#"{"prompt":[1,2,3],"stream":true}"#)).await;
    let events = p.events(usize::MAX).await;
    assert_eq!(events.len(), 8, "7 content + [DONE], no usage unless asked");
    let first = json(&events[0].data);
    assert_eq!(first["object"], "text_completion");
    assert!(first["choices"][0]["text"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(json(&events[6].data)["choices"][0]["finish_reason"], "length");

    let body = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":50,"max_completion_tokens":4}"#;
    let v = json(&send(addr, Method::POST, "/v1/chat/completions", Some(body)).await.text().await);
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["usage"]["completion_tokens"], 4);
    let content = v["choices"][0]["message"]["content"].as_str().expect("content");
    assert_eq!(content.split_whitespace().count(), 4);
    srv.shutdown().await;
}

#[tokio::test]
async fn shutdown_releases_the_port() {
    let srv = server(MockConfig::default()).await;
    let addr = srv.addr();
    assert_eq!(srv.url(), format!("http://127.0.0.1:{}", addr.port()));
    srv.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
}

#[test]
fn schedule_is_exact_without_jitter() {
    let cfg = MockConfig { ttft: ms(50), itl: ms(10), ..Default::default() };
    let mut s = Schedule::new(&cfg, 0);
    let offsets: Vec<_> = (0..4).map(|_| s.next_offset()).collect();
    assert_eq!(offsets, [ms(50), ms(60), ms(70), ms(80)]);
}

#[test]
fn jitter_is_bounded_monotonic_and_seeded() {
    let cfg = MockConfig { ttft: ms(5), itl: ms(2), jitter: ms(3), seed: 42, ..Default::default() };
    let take = |cfg: &MockConfig, seq| {
        let mut s = Schedule::new(cfg, seq);
        (0..200).map(|_| s.next_offset()).collect::<Vec<_>>()
    };
    let a = take(&cfg, 0);
    assert_eq!(a, take(&cfg, 0), "same seed and request replay the same schedule");
    assert_ne!(a, take(&cfg, 1), "different requests get different jitter");
    assert_ne!(a, take(&MockConfig { seed: 43, ..cfg.clone() }, 0), "the seed matters");
    let mut moved = 0;
    for (k, w) in a.windows(2).enumerate() {
        assert!(w[1] >= w[0], "time went backwards at {k}");
    }
    for (k, at) in a.iter().enumerate() {
        let nominal = ms(5) + ms(2) * k as u32;
        // The clamp to the previous token can only delay a token, never beyond the previous's bound.
        assert!(*at + ms(3) >= nominal && *at <= nominal + ms(3), "token {k} at {at:?}, nominal {nominal:?}");
        if *at != nominal {
            moved += 1;
        }
    }
    assert!(moved > 100, "jitter barely applied ({moved}/200)");
}

#[tokio::test]
async fn a_required_api_key_guards_every_v1_path() {
    let srv =
        server(MockConfig { ttft: MS, itl: MS, api_key: Some("k-123".into()), ..MockConfig::default() })
            .await;
    let addr = srv.addr();
    let chat = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}"#;
    for auth in [None, Some("Bearer wrong"), Some("k-123"), Some("Basic k-123")] {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("authorization", a)).into_iter().collect();
        let p = send_with(addr, Method::POST, "/v1/chat/completions", Some(chat), &headers).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        let v = json(&p.text().await);
        assert_eq!(v["error"]["type"], "authentication_error");
        assert_eq!(v["error"]["code"], 401);
        assert!(!v.to_string().contains("k-123"), "the key is never echoed: {v}");
    }
    let p = send(addr, Method::GET, "/v1/models", None).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    let ok = [("authorization", "Bearer k-123")];
    let p = send_with(addr, Method::POST, "/v1/chat/completions", Some(chat), &ok).await;
    assert_eq!(p.status, StatusCode::OK);
    let p = send(addr, Method::GET, "/health", None).await;
    assert_eq!(p.status, StatusCode::OK, "health needs no key");
    for page in ["/metrics", "/metrics/dcgm", "/slots"] {
        let p = send(addr, Method::GET, page, None).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "{page} needs the key, as llama.cpp's does");
    }
}

#[tokio::test]
async fn configured_models_are_listed_and_required() {
    let models = vec!["a".to_string(), "b".to_string()];
    let srv = server(MockConfig { ttft: MS, itl: MS, models, ..MockConfig::default() }).await;
    let addr = srv.addr();
    let v = json(&send(addr, Method::GET, "/v1/models", None).await.text().await);
    let ids: Vec<&str> =
        v["data"].as_array().expect("a list").iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    let chat =
        |model: &str| format!(r#"{{{model}"messages":[{{"role":"user","content":"hi"}}],"max_tokens":2}}"#);
    let p = send(addr, Method::POST, "/v1/chat/completions", Some(&chat(r#""model":"b","#))).await;
    assert_eq!(p.status, StatusCode::OK);
    let p = send(addr, Method::POST, "/v1/chat/completions", Some(&chat(r#""model":"c","#))).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert_eq!(json(&p.text().await)["error"]["param"], "model");
    let p = send(addr, Method::POST, "/v1/chat/completions", Some(&chat(""))).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST, "a model is required when models are configured");
}

#[tokio::test]
async fn a_prefix_moves_every_route_under_it() {
    let srv =
        server(MockConfig { ttft: MS, itl: MS, prefix: "/openai".into(), ..MockConfig::default() }).await;
    assert!(srv.url().ends_with("/openai"), "{}", srv.url());
    let addr = srv.addr();
    let chat = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}"#;
    let p = send(addr, Method::POST, "/openai/v1/chat/completions", Some(chat)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(send(addr, Method::GET, "/openai/v1/models", None).await.status, StatusCode::OK);
    assert_eq!(send(addr, Method::GET, "/openai", None).await.status, StatusCode::OK);
    for outside in ["/v1/models", "/openaiv1/models", "/other/v1/models"] {
        assert_eq!(send(addr, Method::GET, outside, None).await.status, StatusCode::NOT_FOUND, "{outside}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_are_unit_vectors_of_the_text_after_a_prefill_delay() {
    let cfg = MockConfig { ttft: ms(20), itl: ms(100), embedding_dim: 8, ..Default::default() };
    let srv = server(cfg).await;
    let addr = srv.addr();
    let hundred_words = vec!["w"; 100].join(" ");
    let body = serde_json::json!({"model": "e", "input": [hundred_words, "a b", "a b"]}).to_string();
    let p = send(addr, Method::POST, "/v1/embeddings", Some(&body)).await;
    let (status, sent) = (p.status, p.sent);
    let v = json(&p.text().await);
    let took = sent.elapsed();
    assert_eq!(status, StatusCode::OK);
    // 104 input tokens at itl/100 each, after ttft.
    assert!(took >= ms(20 + 104) && took < ms(1000), "{took:?}");
    assert_eq!((v["object"].as_str(), v["model"].as_str()), (Some("list"), Some("e")));
    assert_eq!(
        (v["usage"]["prompt_tokens"].as_u64(), v["usage"]["total_tokens"].as_u64()),
        (Some(104), Some(104))
    );
    let vectors: Vec<Vec<f64>> = (0..3)
        .map(|i| {
            assert_eq!(v["data"][i]["index"], i);
            let numbers = v["data"][i]["embedding"].as_array().expect("a vector");
            numbers.iter().map(|x| x.as_f64().expect("a number")).collect()
        })
        .collect();
    assert!(vectors.iter().all(|v| v.len() == 8), "{vectors:?}");
    let norm = vectors[0].iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "unit length: {norm}");
    assert_eq!(vectors[1], vectors[2], "the same text, the same vector");
    assert_ne!(vectors[0], vectors[1]);

    let body = r#"{"input": "a b", "encoding_format": "base64"}"#;
    let v = json(&send(addr, Method::POST, "/v1/embeddings", Some(body)).await.text().await);
    let packed = v["data"][0]["embedding"].as_str().expect("base64 text");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(packed).expect("base64");
    let floats: Vec<f64> =
        bytes.chunks(4).map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect();
    assert_eq!(floats.len(), 8);
    assert!(floats.iter().zip(&vectors[1]).all(|(a, b)| (a - b).abs() < 1e-5), "the same vector, packed");

    for (bad, param) in [
        (r#"{"model": "e"}"#, "input"),
        (r#"{"input": []}"#, "input"),
        (r#"{"input": [{}]}"#, "input"),
        (r#"{"input": "x", "encoding_format": "hex"}"#, "encoding_format"),
    ] {
        let p = send(addr, Method::POST, "/v1/embeddings", Some(bad)).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(json(&p.text().await)["error"]["param"], param, "{bad}");
    }
    let wrong_method = send(addr, Method::GET, "/v1/embeddings", None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_parts_cost_prompt_tokens_and_sessions_images_and_texts_show_on_metrics() {
    let cfg = MockConfig { ttft: ms(0), itl: ms(0), metrics: true, ..Default::default() };
    let srv = server(cfg).await;
    let addr = srv.addr();
    let part = |url: &str| serde_json::json!({"type": "image_url", "image_url": {"url": url}});
    let chat = serde_json::json!({"max_tokens": 2, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this"}, part("https://example.com/a.png"), part("data:image/gif;base64,R0lGODlh")]}]});
    let session = [("x-session-id", "s-1")];
    let p = send_with(addr, Method::POST, "/v1/chat/completions", Some(&chat.to_string()), &session).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(json(&p.text().await)["usage"]["prompt_tokens"], 3 + 2 * super::images::IMAGE_TOKENS);
    let broken =
        serde_json::json!({"messages": [{"role": "user", "content": [part("data:image/png;base64,***")]}]});
    let p = send_with(addr, Method::POST, "/v1/chat/completions", Some(&broken.to_string()), &session).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST, "a broken data: URL");
    let embed = r#"{"input": ["a", "b", "c"]}"#;
    let p = send_with(addr, Method::POST, "/v1/embeddings", Some(embed), &[("x-session-id", "s-2")]).await;
    assert_eq!(p.status, StatusCode::OK);
    let page = send(addr, Method::GET, "/metrics", None).await.text().await;
    for line in [
        "runner_mock_session_requests_total{session_id=\"s-1\"} 2",
        "runner_mock_session_requests_total{session_id=\"s-2\"} 1",
        "runner_mock_image_parts_total 2",
        "runner_mock_embedding_inputs_total 3",
    ] {
        assert!(page.lines().any(|l| l == line), "{line} missing from:\n{page}");
    }
    srv.shutdown().await;
}
