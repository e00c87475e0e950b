//! An `https://` target end to end: a TLS terminator (rustls, a CA made at test time) in front of
//! the simulated server, as an ingress stands in front of an inference server. LLM calls and plain
//! requests go over each VU's own TLS connection: one handshake per VU, however many requests.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{MockProcess, play, scenario};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// A CA (PEM, for `--ca-cert`) and a server config for `localhost` signed by it.
fn pki() -> (String, Arc<rustls::ServerConfig>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "runner test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key")).expect("CA");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
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
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca.pem(), Arc::new(server))
}

/// Terminates TLS on a free port of 127.0.0.1 and forwards the bytes to `backend`; counts the
/// handshakes. Runs on its own thread until the test process ends.
fn tls_terminator(backend: String, server: Arc<rustls::ServerConfig>) -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("non-blocking");
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counter = handshakes.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            let acceptor = TlsAcceptor::from(server);
            while let Ok((sock, _)) = listener.accept().await {
                let (acceptor, backend, counter) = (acceptor.clone(), backend.clone(), counter.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(sock).await else { return };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(&backend).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                });
            }
        });
    });
    (port, handshakes)
}

#[test]
fn an_https_target_gets_one_tls_connection_per_vu_for_all_its_requests() {
    let mock = MockProcess::start(&["--ttft-ms", "2", "--itl-ms", "1"]);
    let (ca_pem, server) = pki();
    let (port, handshakes) = tls_terminator(mock.url.trim_start_matches("http://").to_string(), server);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).expect("the CA file");
    let target = format!("https://localhost:{port}");
    let ca = ca.display().to_string();
    let args = [
        "--quiet",
        "--target",
        &target,
        "--ca-cert",
        &ca,
        "-p",
        "vus=2",
        "-p",
        "requests=5",
        "-p",
        "max_tokens=4",
    ];
    let run = play(&scenario("ttft-probe"), &args);
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors, p.output_tokens), (10, 0, 40), "{:?}", p.errors_by_class);
    // One connection per VU for its five calls, plus the server probe's (pooled client): its
    // requests go one after another, but hyper's pool takes a connection back asynchronously, so
    // a request right after another may open a second one. Ten calls without reuse would be ten.
    let probe = runner::run::server_info::REQUESTS;
    let seen = handshakes.load(Ordering::SeqCst);
    assert!((2 + 1..=2 + probe).contains(&seen), "one TLS handshake per VU: {seen} in all");

    // Without the CA the handshake fails: every call is `tls`, none reaches the server.
    let args = ["--quiet", "--target", &target, "--model", "m", "-p", "requests=2", "-p", "max_tokens=4"];
    let run = play(&scenario("ttft-probe"), &args);
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!(p.errors_by_class.get("tls"), Some(&2), "{:?}", p.errors_by_class);
}

/// A server config whose certificate is what `openssl req -x509` makes by default: self-signed,
/// `CA:TRUE`, for `localhost`; and that certificate as PEM.
fn self_signed_ca_as_server() -> (String, Arc<rustls::ServerConfig>) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = params.self_signed(&key).expect("self-signed");
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der)
        .expect("server cert");
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    (cert.pem(), Arc::new(server))
}

#[test]
fn a_self_signed_ca_certificate_given_with_ca_cert_is_pinned_and_works() {
    // Before: every request failed "invalid peer certificate: CaUsedAsEndEntity" as `connect`.
    let mock = MockProcess::start(&["--ttft-ms", "2", "--itl-ms", "1"]);
    let (pem, server) = self_signed_ca_as_server();
    let (port, _) = tls_terminator(mock.url.trim_start_matches("http://").to_string(), server);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ca = dir.path().join("server.pem");
    std::fs::write(&ca, pem).expect("the certificate file");
    let target = format!("https://localhost:{port}");
    let ca = ca.display().to_string();
    let args = ["--quiet", "--target", &target, "--ca-cert", &ca, "-p", "requests=4", "-p", "max_tokens=4"];
    let run = play(&scenario("ttft-probe"), &args);
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors), (4, 0), "{:?} {:?}", p.errors_by_class, run.summary().notes);
    assert!(run.summary().headline.is_none(), "{:?}", run.summary().headline);
    // http-get goes over plain `http` (own connection) the same way.
    let args = ["--quiet", "--target", &target, "--ca-cert", &ca, "-p", "vus=1", "-p", "duration=300ms"];
    let run = play(&scenario("http-get"), &args);
    run.assert_success();
    let p = run.phase("http-get");
    assert!(p.requests > 0 && p.errors == 0, "{} requests, {:?}", p.requests, p.errors_by_class);
}

#[test]
fn a_refused_certificate_is_tls_with_a_hint_backs_off_and_the_summary_says_nothing_reached_the_server() {
    let mock = MockProcess::start(&["--ttft-ms", "2", "--itl-ms", "1"]);
    let (_, server) = self_signed_ca_as_server();
    let (port, handshakes) = tls_terminator(mock.url.trim_start_matches("http://").to_string(), server);
    let target = format!("https://localhost:{port}");
    // 4 VUs for 3 s against a certificate nobody gave: before, tens of thousands of attempts.
    let args = [
        "--target",
        &target,
        "--model",
        "m",
        "-p",
        "vus=4",
        "-p",
        "requests=1000000",
        "-p",
        "max_duration=3s",
    ];
    let run = play(&scenario("concurrency-test"), &args);
    let p = run.phase("concurrency-test");
    assert_eq!(p.errors_by_class.keys().collect::<Vec<_>>(), ["tls"], "{:?}", p.errors_by_class);
    // 10 ms doubling to 1 s: about 9 attempts per VU in 3 s.
    assert!(
        p.requests <= 80,
        "backed off: {} attempts, {} handshakes",
        p.requests,
        handshakes.load(Ordering::SeqCst)
    );
    let notes = &run.summary().notes;
    assert!(
        notes.iter().any(|n| n.contains("class tls") && n.contains("--ca-cert") && n.contains("--insecure")),
        "a note with what is wrong and the fix: {notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("backed off")), "the back-off is said: {notes:?}");
    let said = notes.iter().filter(|n| n.contains("CaUsedAsEndEntity")).count();
    assert_eq!(said, 1, "the certificate's failure is said once, in the class note: {notes:?}");
    assert!(!notes.iter().any(|n| n.contains("recovered from")), "no server outage: {notes:?}");
    let headline = run.summary().headline.as_deref().unwrap_or_default();
    assert!(headline.starts_with("nothing reached the server"), "{headline:?}");
    let top = run.stdout.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(top.contains("nothing reached the server"), "at the top of the console summary:\n{}", run.stdout);
    let md = run.report_md.as_deref().unwrap_or_default();
    let md_top: String = md.lines().take(4).collect::<Vec<_>>().join("\n");
    assert!(md_top.contains("nothing reached the server"), "at the top of report.md:\n{md_top}");
}
