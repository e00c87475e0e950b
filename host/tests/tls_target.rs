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
    // The model discovery (pooled client) and one connection per VU for its five calls.
    assert_eq!(handshakes.load(Ordering::SeqCst), 1 + 2, "one TLS handshake per VU");

    // Without the CA the handshake fails: every call is `connect`, none reaches the server.
    let args = ["--quiet", "--target", &target, "--model", "m", "-p", "requests=2", "-p", "max_tokens=4"];
    let run = play(&scenario("ttft-probe"), &args);
    run.assert_success();
    let p = run.phase("ttft-probe");
    assert_eq!(p.errors_by_class.get("connect"), Some(&2), "{:?}", p.errors_by_class);
}
