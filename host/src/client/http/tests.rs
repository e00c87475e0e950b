//! Tests of [`super`], against local servers on 127.0.0.1.

use super::super::test_support::*;
use super::*;

fn client() -> HttpClient {
    HttpClient::new(ClientConfig::default()).expect("client")
}

fn get(url: String) -> Request {
    Request {
        method: "GET".into(),
        url,
        headers: vec![],
        body: Bytes::new(),
        timeout: Some(Duration::from_secs(5)),
    }
}

#[tokio::test]
async fn reuses_connection_and_reports_connect_once() {
    let (addr, conns) = hyper_server().await;
    let c = client();
    let first = c.send(get(format!("http://{addr}/a"))).await.expect("first");
    assert_eq!((first.status, &first.body[..]), (200, &b"hello /a"[..]));
    assert!(first.timings.connect.is_some());
    assert!(first.timings.connect <= Some(first.timings.ttfb));
    assert!(first.timings.ttfb <= first.timings.total);
    let second = c.send(get(format!("http://{addr}/b"))).await.expect("second");
    assert_eq!(&second.body[..], b"hello /b");
    assert_eq!(second.timings.connect, None);
    assert_eq!(load(&conns), 1);
}

#[tokio::test]
async fn error_status_is_a_response() {
    let (addr, _) = script_server(vec![full_response(503, "text/plain", "busy")]).await;
    let r = client().send(get(format!("http://{addr}/"))).await.expect("response");
    assert_eq!((r.status, &r.body[..]), (503, &b"busy"[..]));
    assert!(r.headers.iter().any(|(k, v)| k == "content-type" && v == "text/plain"));
}

#[tokio::test]
async fn sends_method_headers_and_body() {
    let (addr, mut bodies) = script_server(vec![full_response(200, "text/plain", "ok")]).await;
    let req = Request {
        method: "POST".into(),
        url: format!("http://{addr}/x"),
        headers: vec![("x-test".into(), "1".into())],
        body: Bytes::from_static(b"payload"),
        timeout: None,
    };
    assert_eq!(client().send(req).await.expect("ok").status, 200);
    assert_eq!(bodies.recv().await.expect("body"), b"payload");
}

#[tokio::test]
async fn connection_refused_is_connect() {
    let addr = closed_port().await;
    let url = format!("http://{addr}/v1");
    let e = client().send(get(url.clone())).await.expect_err("refused");
    assert_eq!(e.class, ErrorClass::Connect);
    assert!(e.message.contains(&url), "{}", e.message);
    assert!(e.message.to_lowercase().contains("refused"), "{}", e.message);
    assert!(!e.message.contains('\n'));
}

#[tokio::test]
async fn tls_handshake_failure_is_connect() {
    let (addr, _) = hyper_server().await;
    let e = client().send(get(format!("https://{addr}/"))).await.expect_err("not TLS");
    assert_eq!(e.class, ErrorClass::Connect, "{}", e.message);
}

#[tokio::test]
async fn invalid_requests_are_classified() {
    let c = client();
    let mut bad = vec![get("not a url".into()), get("ftp://127.0.0.1/".into()), get("/relative".into())];
    bad.push(Request { method: "G T".into(), ..get("http://127.0.0.1:1/".into()) });
    bad.push(Request { headers: vec![("bad name".into(), "v".into())], ..get("http://127.0.0.1:1/".into()) });
    bad.push(Request { headers: vec![("x".into(), "a\nb".into())], ..get("http://127.0.0.1:1/".into()) });
    for req in bad {
        let e = c.send(req.clone()).await.expect_err("invalid");
        assert_eq!(e.class, ErrorClass::InvalidRequest, "{req:?}: {}", e.message);
    }
}

#[tokio::test]
async fn stall_before_headers_times_out() {
    let (addr, _) = script_server(vec![Step::Sleep(Duration::from_secs(3))]).await;
    let t = Instant::now();
    let req = Request { timeout: Some(Duration::from_millis(100)), ..get(format!("http://{addr}/")) };
    let e = client().send(req).await.expect_err("stall");
    assert_eq!(e.class, ErrorClass::Timeout);
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn streaming_chunks_carry_arrival_time_and_stall_times_out() {
    let ms = Duration::from_millis;
    let script = vec![sse_head(), chunk("a"), Step::Sleep(ms(50)), chunk("b"), Step::Sleep(ms(3000)), end()];
    let (addr, _) = script_server(script).await;
    let req = Request { timeout: Some(ms(400)), ..get(format!("http://{addr}/")) };
    let mut s = client().start(req).await.expect("start");
    assert_eq!(s.status, 200);
    let (a, at_a) = s.next_chunk().await.expect("a").expect("some");
    let (b, at_b) = s.next_chunk().await.expect("b").expect("some");
    assert_eq!((&a[..], &b[..]), (&b"a"[..], &b"b"[..]));
    assert!(at_b - at_a >= ms(45), "{:?}", at_b - at_a);
    assert!(at_a >= s.sent_at + s.ttfb);
    let e = s.next_chunk().await.expect_err("stall");
    assert_eq!(e.class, ErrorClass::Timeout);
}

#[tokio::test]
async fn reset_and_close_mid_body_are_reset() {
    for last in [Some(Step::Reset), None] {
        let mut script = vec![sse_head(), chunk("a"), Step::Sleep(Duration::from_millis(20))];
        script.extend(last.clone());
        let (addr, _) = script_server(script).await;
        let mut s = client().start(get(format!("http://{addr}/"))).await.expect("start");
        assert!(s.next_chunk().await.expect("a").is_some());
        let e = s.next_chunk().await.expect_err("cut");
        assert_eq!(e.class, ErrorClass::Reset, "{last:?}: {}", e.message);
    }
}

#[tokio::test]
async fn reset_before_headers_is_reset() {
    let (addr, _) = script_server(vec![Step::Reset]).await;
    let e = client().send(get(format!("http://{addr}/"))).await.expect_err("reset");
    assert_eq!(e.class, ErrorClass::Reset, "{}", e.message);
}

#[test]
fn class_names_match_the_contract() {
    let all = [
        ErrorClass::Connect,
        ErrorClass::Timeout,
        ErrorClass::Reset,
        ErrorClass::InvalidRequest,
        ErrorClass::Other,
    ];
    let names: Vec<_> = all.iter().map(|c| c.as_str()).collect();
    assert_eq!(names, ["connect", "timeout", "reset", "invalid-request", "other"]);
}
