//! Tests of [`super`], against local servers on 127.0.0.1.

use std::time::Instant;

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
    assert!(header_pairs(&r.headers).iter().any(|(k, v)| k == "content-type" && v == "text/plain"));
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
async fn a_plain_server_behind_https_is_tls_with_a_hint() {
    let (addr, _) = hyper_server().await;
    let e = client().send(get(format!("https://{addr}/"))).await.expect_err("not TLS");
    assert_eq!(e.class, ErrorClass::Tls, "{}", e.message);
    assert!(e.message.contains("use http:// for a plain server"), "{}", e.message);
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

// --- TLS and HTTP/2 -------------------------------------------------------------------------

mod tls {
    //! A private CA, a `localhost`/`127.0.0.1` certificate it signs, and a local server that
    //! speaks HTTP/1.1 and HTTP/2 (by ALPN over TLS) and reports the version of every request.

    use std::convert::Infallible;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, combinators::BoxBody};
    use hyper::Version;
    use hyper::body::{Body, Frame, Incoming};
    use hyper::service::service_fn;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    };
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;
    use tokio_rustls::TlsAcceptor;

    /// A test CA and a server configuration presenting a leaf certificate it signed.
    pub(super) struct Pki {
        /// The CA certificate, DER.
        pub ca_der: Vec<u8>,
        /// The CA certificate, PEM (what `--ca-cert` reads).
        pub ca_pem: String,
        /// Offers `h2` then `http/1.1`.
        pub server: Arc<rustls::ServerConfig>,
    }

    pub(super) fn pki() -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "runner test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key")).expect("CA");
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("leaf params")
            .signed_by(&leaf_key, &*ca)
            .expect("leaf");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)
            .expect("server cert");
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Pki { ca_der: ca.der().to_vec(), ca_pem: ca.pem(), server: Arc::new(server) }
    }

    /// The interval between the chunks of `/stream`.
    pub(super) const STREAM_GAP: Duration = Duration::from_millis(60);

    /// Serves `hello <path>`, or on `/stream` three SSE events [`STREAM_GAP`] apart, over TLS
    /// when `tls` is given (after waiting `handshake_delay` on each new connection, so the test
    /// can see the handshake inside the connect time) and over cleartext otherwise. hyper-util's
    /// auto server accepts both HTTP/1.1 and HTTP/2 (prior knowledge on cleartext), so the
    /// version it reports is the client's choice.
    pub(super) async fn server(
        tls: Option<Arc<rustls::ServerConfig>>,
        handshake_delay: Duration,
    ) -> (SocketAddr, mpsc::UnboundedReceiver<Version>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (seen, versions) = mpsc::unbounded_channel();
        let acceptor = tls.map(TlsAcceptor::from);
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (acceptor, seen) = (acceptor.clone(), seen.clone());
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(req, seen.clone()));
                    let auto = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = sock.set_nodelay(true);
                    match acceptor {
                        Some(acceptor) => {
                            tokio::time::sleep(handshake_delay).await;
                            // A client that rejects the certificate aborts here; nothing to serve.
                            let Ok(stream) = acceptor.accept(sock).await else { return };
                            let _ = auto.serve_connection(TokioIo::new(stream), svc).await;
                        }
                        None => {
                            let _ = auto.serve_connection(TokioIo::new(sock), svc).await;
                        }
                    }
                });
            }
        });
        (addr, versions)
    }

    async fn handle(
        req: hyper::Request<Incoming>,
        seen: mpsc::UnboundedSender<Version>,
    ) -> Result<hyper::Response<BoxBody<Bytes, Infallible>>, Infallible> {
        let _ = seen.send(req.version());
        if req.uri().path() != "/stream" {
            let body = Full::new(Bytes::from(format!("hello {}", req.uri().path())));
            return Ok(hyper::Response::new(body.boxed()));
        }
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            for (i, event) in ["data: a\n\n", "data: b\n\n", "data: [DONE]\n\n"].into_iter().enumerate() {
                if i > 0 {
                    tokio::time::sleep(STREAM_GAP).await;
                }
                if tx.send(Bytes::from_static(event.as_bytes())).await.is_err() {
                    return;
                }
            }
        });
        let response = hyper::Response::builder()
            .header("content-type", "text/event-stream")
            .body(ChannelBody(rx).boxed())
            .expect("response");
        Ok(response)
    }

    /// A body fed chunk by chunk from a channel; ends when the sender is dropped.
    struct ChannelBody(mpsc::Receiver<Bytes>);

    impl Body for ChannelBody {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            self.0.poll_recv(cx).map(|chunk| chunk.map(|data| Ok(Frame::data(data))))
        }
    }
}

fn tls_client(config: ClientConfig) -> HttpClient {
    HttpClient::new(config).expect("client")
}

fn trusting(pki: &tls::Pki) -> ClientConfig {
    ClientConfig { extra_root_certs: vec![pki.ca_der.clone()], ..ClientConfig::default() }
}

#[tokio::test]
async fn https_with_extra_root_speaks_http1_unless_http2_is_asked_for() {
    let pki = tls::pki();
    let (addr, mut versions) = tls::server(Some(pki.server.clone()), Duration::ZERO).await;
    for (http2, version) in [(false, hyper::Version::HTTP_11), (true, hyper::Version::HTTP_2)] {
        let c = tls_client(ClientConfig { http2, ..trusting(&pki) });
        for host in ["localhost", "127.0.0.1"] {
            let r = c.send(get(format!("https://{host}:{}/secure", addr.port()))).await.expect(host);
            assert_eq!((r.status, &r.body[..]), (200, &b"hello /secure"[..]), "{host}");
            assert_eq!(versions.recv().await, Some(version), "{host}, http2: {http2}");
        }
    }
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let pki = tls::pki();
    let (addr, mut versions) = tls::server(Some(pki.server.clone()), Duration::ZERO).await;
    let url = format!("https://localhost:{}/", addr.port());
    let e = client().send(get(url.clone())).await.expect_err("untrusted");
    assert_eq!(e.class, ErrorClass::Tls, "{}", e.message);
    assert!(e.message.contains(&url), "{}", e.message);
    assert!(e.message.to_lowercase().contains("certificate"), "{}", e.message);
    assert!(!e.message.contains('\n'), "{}", e.message);
    assert!(versions.try_recv().is_err(), "no request may reach the server");
}

#[tokio::test]
async fn insecure_skips_verification() {
    let pki = tls::pki();
    let (addr, mut versions) = tls::server(Some(pki.server.clone()), Duration::ZERO).await;
    let c = tls_client(ClientConfig { insecure: true, ..ClientConfig::default() });
    let r = c.send(get(format!("https://127.0.0.1:{}/any", addr.port()))).await.expect("insecure");
    assert_eq!((r.status, &r.body[..]), (200, &b"hello /any"[..]));
    assert_eq!(versions.recv().await, Some(hyper::Version::HTTP_11));
}

#[tokio::test]
async fn cleartext_is_http1_unless_http2_is_asked_for_then_h2_by_prior_knowledge() {
    let (addr, mut versions) = tls::server(None, Duration::ZERO).await;
    let r = client().send(get(format!("http://{addr}/plain"))).await.expect("plain");
    assert_eq!((r.status, &r.body[..]), (200, &b"hello /plain"[..]));
    assert_eq!(versions.recv().await, Some(hyper::Version::HTTP_11));
    let h2 = tls_client(ClientConfig { http2: true, ..ClientConfig::default() });
    let r = h2.send(get(format!("http://{addr}/plain"))).await.expect("h2c");
    assert_eq!((r.status, &r.body[..]), (200, &b"hello /plain"[..]));
    assert_eq!(versions.recv().await, Some(hyper::Version::HTTP_2));
}

#[tokio::test]
async fn tls_connect_time_includes_the_handshake() {
    let pki = tls::pki();
    // The TCP connect completes in the kernel at once; only the handshake waits for the delay.
    let delay = Duration::from_millis(80);
    let (addr, _) = tls::server(Some(pki.server.clone()), delay).await;
    let c = tls_client(ClientConfig { http2: true, ..trusting(&pki) });
    let first = c.send(get(format!("https://localhost:{}/a", addr.port()))).await.expect("first");
    let connect = first.timings.connect.expect("fresh connection reports connect");
    assert!(connect >= delay, "{connect:?}");
    assert!(connect <= first.timings.ttfb, "{connect:?} > {:?}", first.timings.ttfb);
    let second = c.send(get(format!("https://localhost:{}/b", addr.port()))).await.expect("second");
    assert_eq!(second.timings.connect, None, "the h2 connection is reused");
}

#[tokio::test]
async fn sse_over_tls_h2_arrives_chunk_by_chunk() {
    let pki = tls::pki();
    let (addr, mut versions) = tls::server(Some(pki.server.clone()), Duration::ZERO).await;
    let mut s = tls_client(ClientConfig { http2: true, ..trusting(&pki) })
        .start(get(format!("https://localhost:{}/stream", addr.port())))
        .await
        .expect("start");
    assert_eq!(s.status, 200);
    assert_eq!(versions.recv().await, Some(hyper::Version::HTTP_2));
    let mut chunks = Vec::new();
    while let Some(chunk) = s.next_chunk().await.expect("chunk") {
        chunks.push(chunk);
    }
    let texts: Vec<&[u8]> = chunks.iter().map(|(b, _)| &b[..]).collect();
    assert_eq!(texts, [&b"data: a\n\n"[..], b"data: b\n\n", b"data: [DONE]\n\n"]);
    assert!(chunks[0].1 >= s.sent_at + s.ttfb);
    for pair in chunks.windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!(gap >= tls::STREAM_GAP - Duration::from_millis(10), "{gap:?}");
    }
}

#[test]
fn load_pem_certs_reads_every_certificate() {
    let pki = tls::pki();
    let other = tls::pki();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, format!("{}{}", pki.ca_pem, other.ca_pem)).expect("write");
    assert_eq!(load_pem_certs(&path).expect("load"), [pki.ca_der.clone(), other.ca_der.clone()]);

    std::fs::write(&path, "not a certificate\n").expect("write");
    let e = load_pem_certs(&path).expect_err("empty");
    assert!(e.message.contains("BEGIN CERTIFICATE"), "{}", e.message);
    let e = load_pem_certs(&dir.path().join("missing.pem")).expect_err("missing");
    assert!(e.message.contains("missing.pem"), "{}", e.message);
}

#[test]
fn invalid_extra_root_fails_at_construction() {
    let config = ClientConfig { extra_root_certs: vec![b"junk".to_vec()], ..ClientConfig::default() };
    let e = HttpClient::new(config).expect_err("junk root");
    assert!(e.message.contains("extra CA certificate #1"), "{}", e.message);
}

/// One GET on `own`, read to the end.
async fn own_get(
    own: &mut OwnConnection,
    path: &'static str,
    timeout: Duration,
) -> Result<Response, HttpError> {
    let path = PathAndQuery::from_static(path);
    own.send("GET".into(), path, &[], Bytes::new(), timeout, true).await
}

#[tokio::test]
async fn own_connection_is_reused_and_reports_connect_once() {
    let (addr, conns) = hyper_server().await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let first = own_get(&mut own, "/a", Duration::from_secs(5)).await.expect("first");
    assert_eq!((first.status, &first.body[..]), (200, &b"hello /a"[..]));
    assert!(first.timings.connect.is_some());
    assert!(first.timings.connect <= Some(first.timings.ttfb));
    assert!(first.timings.ttfb <= first.timings.total);
    let second = own_get(&mut own, "/b", Duration::from_secs(5)).await.expect("second");
    assert_eq!(&second.body[..], b"hello /b");
    assert_eq!(second.timings.connect, None);
    assert_eq!(load(&conns), 1);
    assert!(own.is_open());
}

#[tokio::test]
async fn own_connection_reopens_after_the_server_closes_it() {
    // `connection: close` on every response: each request needs (and reports) a new connection.
    let (addr, _) = script_server(vec![full_response(200, "text/plain", "ok")]).await;
    let mut own = OwnConnection::new(&format!("http://{addr}/"), None).expect("plain http");
    for _ in 0..3 {
        let r = own_get(&mut own, "/", Duration::from_secs(5)).await.expect("answered");
        assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
        assert!(r.timings.connect.is_some());
    }
}

#[tokio::test]
async fn own_connection_classifies_refusal_and_timeout() {
    let addr = closed_port().await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let e = own_get(&mut own, "/v1", Duration::from_secs(5)).await.expect_err("refused");
    assert_eq!(e.class, ErrorClass::Connect);
    assert!(e.message.contains(&format!("GET http://{addr}/v1")), "{}", e.message);
    assert!(e.message.to_lowercase().contains("refused"), "{}", e.message);

    let (addr, _) = script_server(vec![Step::Sleep(Duration::from_secs(3))]).await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let t = Instant::now();
    let e = own_get(&mut own, "/", Duration::from_millis(100)).await.expect_err("stall");
    assert_eq!(e.class, ErrorClass::Timeout, "{}", e.message);
    assert!(t.elapsed() >= Duration::from_millis(100) && t.elapsed() < Duration::from_secs(2));
    assert!(!own.is_open(), "a timed-out exchange must not hold the connection");
}

#[tokio::test]
async fn own_connection_sends_a_get_again_when_the_server_closed_the_idle_connection() {
    // Keep-alive by the response's word, but the script server hangs up after each answer: the
    // next GET goes out on a new connection instead of failing.
    let (addr, mut requests) =
        script_server(vec![Step::Write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec())]).await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    for i in 0..3 {
        let r = own_get(&mut own, "/", Duration::from_secs(5)).await.expect("answered");
        assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]), "request {i}");
        assert!(r.timings.connect.is_some(), "request {i} opened a connection");
        // Give the server's close time to arrive, so the next request meets a dead connection.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut seen = 0;
    while requests.try_recv().is_ok() {
        seen += 1;
    }
    assert_eq!(seen, 3, "each request reached the server once");
}

#[tokio::test]
async fn own_connection_replaces_a_connection_closed_while_idle_before_writing() {
    // A POST may not be sent twice, so it must not be written on a connection the server has
    // already closed: a connection idle for a while is checked before a request goes out on it.
    let (addr, mut bodies) =
        script_server(vec![Step::Write(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n".to_vec())]).await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    for i in 0..3 {
        let body = Bytes::from(format!("n={i}"));
        let path = PathAndQuery::from_static("/items");
        let r = own.send("POST".into(), path, &[], body, Duration::from_secs(5), false).await;
        let r = r.unwrap_or_else(|e| panic!("POST {i}: {e}"));
        assert_eq!(r.status, 201);
        assert!(r.timings.connect.is_some(), "POST {i} opened a connection");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut seen = Vec::new();
    while let Ok(body) = bodies.try_recv() {
        seen.push(String::from_utf8(body).expect("utf-8"));
    }
    assert_eq!(seen, ["n=0", "n=1", "n=2"], "each POST reached the server exactly once");
}

#[tokio::test]
async fn own_connection_closes_when_the_caller_asks() {
    let (addr, conns) = hyper_server().await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let close = [("Connection".to_string(), "close".to_string())];
    for _ in 0..2 {
        let path = PathAndQuery::from_static("/c");
        let r = own.send("GET".into(), path, &close, Bytes::new(), Duration::from_secs(5), false).await;
        assert_eq!(r.expect("answered").status, 200);
        assert!(!own.is_open());
    }
    assert_eq!(load(&conns), 2);
}

#[tokio::test]
async fn own_connection_reads_chunked_and_close_delimited_bodies() {
    let script = vec![sse_head(), chunk("hel"), Step::Sleep(Duration::from_millis(30)), chunk("lo"), end()];
    let (addr, _) = script_server(script).await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let r = own_get(&mut own, "/", Duration::from_secs(5)).await.expect("chunked");
    assert_eq!(&r.body[..], b"hello");
    assert!(r.timings.total >= r.timings.ttfb + Duration::from_millis(25), "{:?}", r.timings);
    assert!(!own.is_open(), "the response said connection: close");

    let (addr, _) = script_server(vec![Step::Write(b"HTTP/1.1 200 OK\r\n\r\nuntil close".to_vec())]).await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let r = own_get(&mut own, "/", Duration::from_secs(5)).await.expect("close-delimited");
    assert_eq!(&r.body[..], b"until close");
}

#[tokio::test]
async fn own_connection_gives_headers_only_when_asked() {
    let (addr, _) = hyper_server().await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let path = PathAndQuery::from_static("/h");
    let bare = own.send("GET".into(), path.clone(), &[], Bytes::new(), Duration::from_secs(5), false).await;
    assert!(bare.expect("answered").headers.is_empty());
    let full = own.send("GET".into(), path, &[], Bytes::new(), Duration::from_secs(5), true).await;
    let full = full.expect("answered");
    assert_eq!(full.headers.get("content-length").map(|v| v.as_bytes()), Some(&b"8"[..]));
}

#[tokio::test]
async fn own_connection_classifies_resets_and_malformed_answers() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc".to_vec();
    let (addr, _) = script_server(vec![Step::Write(head), Step::Reset]).await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let e = own_get(&mut own, "/", Duration::from_secs(5)).await.expect_err("reset mid-body");
    assert_eq!(e.class, ErrorClass::Reset, "{}", e.message);
    assert!(!own.is_open());

    let (addr, _) = script_server(vec![Step::Write(b"not http at all\r\n\r\n".to_vec())]).await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let e = own_get(&mut own, "/x", Duration::from_secs(5)).await.expect_err("malformed");
    assert_eq!(e.class, ErrorClass::Other, "{}", e.message);
    assert!(
        e.message.starts_with(&format!("GET http://{addr}/x: invalid HTTP response head")),
        "{}",
        e.message
    );

    // A stall after the head: the deadline says the response, not its head, was late.
    let head = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc".to_vec();
    let (addr, _) = script_server(vec![Step::Write(head), Step::Sleep(Duration::from_secs(3))]).await;
    let mut own = OwnConnection::new(&format!("http://{addr}"), None).expect("plain http");
    let e = own_get(&mut own, "/", Duration::from_millis(100)).await.expect_err("stall mid-body");
    assert_eq!(e.class, ErrorClass::Timeout);
    assert!(e.message.contains("no complete response within"), "{}", e.message);
}

#[tokio::test]
async fn an_own_connection_over_tls_is_http1_and_kept_across_idle_pauses() {
    let pki = tls::pki();
    let (addr, mut versions) = tls::server(Some(pki.server.clone()), Duration::ZERO).await;
    let client = tls_client(trusting(&pki));
    let base = format!("https://localhost:{}", addr.port());
    let mut own = OwnConnection::new(&base, Some(client.own_tls())).expect("https with TLS settings");
    for (i, path) in ["/a", "/b", "/c"].into_iter().enumerate() {
        // Idle long enough for the check before reuse: the TLS 1.3 session tickets the server
        // sent after the handshake must not be taken for a closed connection.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let r = own_get(&mut own, path, Duration::from_secs(5)).await.expect(path);
        assert_eq!((r.status, &r.body[..]), (200, format!("hello {path}").as_bytes()), "{path}");
        assert_eq!(versions.recv().await, Some(hyper::Version::HTTP_11), "{path}");
        assert_eq!(r.timings.connect.is_some(), i == 0, "{path}: one handshake, then the same connection");
    }
    let mut stream = own
        .start("GET".into(), PathAndQuery::from_static("/stream"), &[], b"", Duration::from_secs(5), false)
        .await
        .expect("a streamed answer");
    let mut pieces = Vec::new();
    while let Some((bytes, at)) = stream.next_chunk().await.expect("a piece") {
        pieces.push((bytes, at));
    }
    let text: Vec<u8> = pieces.iter().flat_map(|(b, _)| b.to_vec()).collect();
    assert_eq!(text, b"data: a\n\ndata: b\n\ndata: [DONE]\n\n");
    let span = pieces.last().map(|p| p.1).zip(pieces.first().map(|p| p.1)).map(|(l, f)| l - f);
    assert!(
        span.is_some_and(|d| d >= tls::STREAM_GAP * 2 - Duration::from_millis(10)),
        "arrived as sent: {span:?}"
    );

    // Untrusted: the handshake fails as `tls`, naming the certificate and the fix.
    let untrusting = tls_client(ClientConfig::default());
    let mut own = OwnConnection::new(&base, Some(untrusting.own_tls())).expect("https with TLS settings");
    let e = own_get(&mut own, "/a", Duration::from_secs(5)).await.expect_err("untrusted");
    assert_eq!(e.class, ErrorClass::Tls, "{}", e.message);
    assert!(e.message.contains("--ca-cert") && !e.message.contains("tcp connect"), "{}", e.message);
    assert!(e.message.to_lowercase().contains("certificate"), "{}", e.message);
}

#[test]
fn own_connection_is_only_for_plain_http_origins() {
    assert!(OwnConnection::new("https://127.0.0.1:1", None).is_none(), "https needs TLS settings");
    assert!(OwnConnection::new("not a url", None).is_none());
    let mut own = OwnConnection::new("http://h:8/base/", None).expect("plain http");
    assert_eq!(own.host(), "h");
    assert_eq!(own.join("/x?y=1").expect("valid").as_str(), "/base/x?y=1");
    // The last target is reused only for the same path.
    assert_eq!(own.join("/x?y=1").expect("valid").as_str(), "/base/x?y=1");
    assert_eq!(own.join("/x?y=2").expect("valid").as_str(), "/base/x?y=2");
    assert_eq!(own.join("/x").expect("valid").as_str(), "/base/x");
    assert!(own.join("/a b").is_err(), "an invalid path is not hidden by the cache");
    assert_eq!(own.join("/x").expect("valid").as_str(), "/base/x");
    assert!(own.serves(&"http://h:8/z".parse().expect("uri")));
    assert!(!own.serves(&"http://h:9/z".parse().expect("uri")));
    assert!(!own.serves(&"https://h:8/z".parse().expect("uri")));
}
