//! Scenarios shared through a real OCI registry: Debian's `docker-registry` (the CNCF distribution
//! registry) started on 127.0.0.1 for each test, plain HTTP and TLS with basic auth. `runner push`,
//! then `runner play oci://…` and `runner inspect oci://…` as a user runs them; the artifact read
//! back as raw HTTP in the CNCF Wasm layout; the cache by digest (offline plays, tampered blobs);
//! and a registry that serves a manifest of two layers.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{runner, scenario};
use serde_json::Value;

const PASSWORD: &str = "pw-Zq7-never-shown";

/// The registry binary, or a panic that says how to install it.
fn registry_bin() -> &'static str {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join("docker-registry").is_file()))
        .unwrap_or(false);
    assert!(found, "`docker-registry` is not installed: apt-get install -y docker-registry (.ci/run does)");
    "docker-registry"
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A registry process, killed and reaped when dropped.
struct Registry {
    child: Option<Child>,
    port: u16,
}

impl Registry {
    /// Starts the registry storing under `dir`; with `tls`, on https with that certificate and
    /// key; with `htpasswd`, requiring basic auth.
    fn start(dir: &Path, tls: Option<(&Path, &Path)>, htpasswd: Option<&Path>) -> Registry {
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("storage").display()
        );
        if let Some((cert, key)) = tls {
            config += &format!("  tls:\n    certificate: {}\n    key: {}\n", cert.display(), key.display());
        }
        if let Some(file) = htpasswd {
            config += &format!("auth:\n  htpasswd:\n    realm: runner-test\n    path: {}\n", file.display());
        }
        let file = dir.join(format!("config-{port}.yml"));
        std::fs::write(&file, config).expect("registry config");
        let child = Command::new(registry_bin())
            .arg("serve")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting docker-registry");
        let registry = Registry { child: Some(child), port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the registry did not listen on 127.0.0.1:{port} within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What one runner command printed.
struct Ran {
    output: Output,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn ok(&self) -> &Self {
        assert!(
            self.output.status.success(),
            "failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            self.output.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// `runner ARGS…` with its own OCI cache (`RUNNER_CACHE_DIR`), no registry credentials from
/// whoever runs the tests, and `env`.
fn run(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let output = runner()
        .env("RUNNER_CACHE_DIR", cache)
        .env_remove("RUNNER_REGISTRY_USERNAME")
        .env_remove("RUNNER_REGISTRY_PASSWORD")
        .env("DOCKER_CONFIG", cache.join("no-docker-config"))
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("running the runner binary");
    Ran {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        output,
    }
}

fn push(cache: &Path, wasm: &Path, reference: &str, extra: &[&str], env: &[(&str, &str)]) -> Ran {
    let wasm = wasm.to_string_lossy().into_owned();
    let mut args = vec!["push", wasm.as_str(), reference];
    args.extend_from_slice(extra);
    run(cache, &args, env)
}

/// A short `play` of ttft-probe (2 requests against a fast simulated server) into `out`.
fn play(cache: &Path, reference: &str, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> Ran {
    let out = out.to_string_lossy().into_owned();
    let mut args = vec![
        "play",
        reference,
        "-q",
        "-p",
        "requests=2",
        "-p",
        "max_tokens=4",
        "--mock",
        "ttft=5ms,itl=1ms",
        "--out",
        &out,
    ];
    args.extend_from_slice(extra);
    run(cache, &args, env)
}

/// run.json's scenario object.
fn scenario_info(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("run.json")).expect("run.json");
    serde_json::from_str::<Value>(&text).expect("run.json parses")["scenario"].clone()
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).expect("read");
    format!("sha256:{:x}", sha2::Sha256::digest(&bytes))
}

/// A plain-HTTP GET on 127.0.0.1: status and body.
fn get(port: u16, path: &str, accept: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head") + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    assert!(!head.to_ascii_lowercase().contains("chunked"), "the registry answers with a length: {head}");
    (status, raw[split..].to_vec())
}

#[test]
fn plain_http_push_play_inspect_pin_and_retag() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("cache");
    let mut registry = Registry::start(tmp.path(), None, None);
    let host = registry.host();
    let tag = format!("oci://{host}/x/ttft-probe:v1");
    let probe = scenario("ttft-probe");

    // Without --plain-http the runner speaks TLS, and a plain registry cannot answer it.
    let refused = push(&cache, &probe, &tag, &[], &[]);
    assert!(!refused.output.status.success(), "{}", refused.stdout);
    assert!(
        refused.stderr.contains("--plain-http") && refused.stderr.lines().count() == 1,
        "{}",
        refused.stderr
    );

    let pushed = push(&cache, &probe, &tag, &["--plain-http"], &[]);
    pushed.ok();
    let pinned = pushed.stdout.trim().to_string();
    assert!(
        pinned.starts_with(&format!("{host}/x/ttft-probe@sha256:")) && pinned.len() == host.len() + 21 + 64,
        "{pinned}"
    );
    let manifest_digest = pinned.rsplit('@').next().expect("digest").to_string();

    // (d) The artifact in the CNCF Wasm layout, as any registry client reads it.
    let (status, body) =
        get(registry.port, "/v2/x/ttft-probe/manifests/v1", "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let manifest: Value = serde_json::from_slice(&body).expect("manifest JSON");
    assert_eq!(format!("sha256:{:x}", <sha2::Sha256 as sha2::Digest>::digest(&body)), manifest_digest);
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(manifest["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.wasm.config.v0+json");
    let layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], "application/wasm");
    let layer_digest = layers[0]["digest"].as_str().expect("digest").to_string();
    assert_eq!(layer_digest, sha256(&probe), "the layer is the component, byte for byte");
    assert_eq!(layers[0]["size"].as_u64(), Some(std::fs::metadata(&probe).expect("size").len()));
    assert_eq!(manifest["annotations"]["org.opencontainers.image.title"], "ttft-probe");
    assert!(
        manifest["annotations"]["org.opencontainers.image.version"].as_str().is_some_and(|v| !v.is_empty())
    );
    let config_digest = manifest["config"]["digest"].as_str().expect("config digest");
    let (status, config) = get(registry.port, &format!("/v2/x/ttft-probe/blobs/{config_digest}"), "*/*");
    assert_eq!(status, 200);
    let config: Value = serde_json::from_slice(&config).expect("config JSON");
    assert_eq!((config["architecture"].as_str(), config["os"].as_str()), (Some("wasm"), Some("wasip2")));
    assert_eq!(config["layerDigests"], serde_json::json!([layer_digest]));
    assert!(config["created"].as_str().is_some_and(|c| c.ends_with('Z')), "{config}");
    let exports = config["component"]["exports"].as_array().expect("exports");
    assert!(
        exports.iter().any(|e| e.as_str().is_some_and(|e| e.starts_with("runner:scenario/guest@"))),
        "{exports:?}"
    );
    let imports = config["component"]["imports"].as_array().expect("imports");
    assert!(
        imports.iter().any(|e| e.as_str().is_some_and(|e| e.starts_with("runner:scenario/llm@"))),
        "{imports:?}"
    );

    // (a) Play by tag: run.json records the pinned reference and the component's digest.
    let out = tmp.path().join("run-tag");
    play(&cache, &tag, &out, &["--plain-http"], &[]).ok();
    let info = scenario_info(&out);
    assert_eq!(info["path"], format!("oci://{pinned}"));
    assert_eq!(info["digest"], layer_digest.as_str());
    assert_eq!(info["name"], "ttft-probe");

    // inspect: the layout, then the description `inspect x.wasm` prints.
    let inspected = run(&cache, &["inspect", &tag, "--plain-http"], &[]);
    inspected.ok();
    for line in [
        format!("oci: oci://{pinned}"),
        format!("manifest: {manifest_digest} (application/vnd.oci.image.manifest.v1+json)"),
        format!("layer: {layer_digest} application/wasm"),
        "config: ".to_string() + config_digest + " application/vnd.wasm.config.v0+json",
        "  architecture: wasm, os: wasip2".into(),
        "  org.opencontainers.image.title: ttft-probe".into(),
        "parameters (--param NAME=VALUE):".into(),
    ] {
        assert!(inspected.stdout.contains(&line), "no {line:?} in:\n{}", inspected.stdout);
    }
    let local = run(&cache, &["inspect", probe.to_str().expect("utf-8")], &[]);
    let tail =
        local.ok().stdout.lines().skip(2).filter(|l| !l.starts_with("from:")).collect::<Vec<_>>().join("\n");
    assert!(inspected.stdout.contains(&tail), "the same description as the file's:\n{}", inspected.stdout);

    // A tag moved to another component pulls the new digest.
    let other = scenario("http-get");
    let repushed = push(&cache, &other, &tag, &["--plain-http"], &[]);
    let moved = repushed.ok().stdout.trim().to_string();
    assert_ne!(moved, pinned);
    let inspected = run(&cache, &["inspect", &tag, "--plain-http"], &[]);
    assert!(
        inspected.ok().stdout.contains(&format!("layer: {} application/wasm", sha256(&other))),
        "{}",
        inspected.stdout
    );

    // The registry gone: the pinned reference plays from the cache, with no network at all.
    registry.stop();
    let out = tmp.path().join("run-pinned");
    let pinned_ref = format!("oci://{pinned}");
    play(&cache, &pinned_ref, &out, &["--plain-http"], &[]).ok();
    assert_eq!(scenario_info(&out)["digest"], layer_digest.as_str());
    // … while a tag must ask the registry.
    let by_tag = play(&cache, &tag, &tmp.path().join("run-down"), &["--plain-http"], &[]);
    assert!(!by_tag.output.status.success());
    assert!(by_tag.stderr.contains(&format!("cannot pull {tag}")), "{}", by_tag.stderr);

    // (c) A tampered component in the cache is never played.
    let blob = cache.join("oci/blobs/sha256").join(layer_digest.trim_start_matches("sha256:"));
    let mut bytes = std::fs::read(&blob).expect("the cached component");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&blob, &bytes).expect("tamper");
    let out = tmp.path().join("run-tampered");
    let tampered = play(&cache, &pinned_ref, &out, &["--plain-http"], &[]);
    assert!(!tampered.output.status.success(), "a tampered blob played:\n{}", tampered.stdout);
    assert!(tampered.stderr.contains("does not match its digest"), "{}", tampered.stderr);
    assert!(!out.join("run.json").exists(), "nothing ran");
}

/// A self-signed certificate for 127.0.0.1: (cert PEM, key PEM).
fn certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("params");
    params.subject_alt_names = vec![rcgen::SanType::IpAddress([127, 0, 0, 1].into())];
    let cert = params.self_signed(&key).expect("self-signed");
    (cert.pem(), key.serialize_pem())
}

#[test]
fn tls_and_basic_auth_with_credentials_from_the_environment_or_docker_config() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("cache");
    let (cert, key) = certificate();
    let (cert_file, key_file) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    std::fs::write(&cert_file, &cert).expect("cert");
    std::fs::write(&key_file, &key).expect("key");
    let htpasswd = tmp.path().join("htpasswd");
    std::fs::write(&htpasswd, format!("alice:{}\n", bcrypt::hash(PASSWORD, 5).expect("bcrypt")))
        .expect("htpasswd");
    let registry = Registry::start(tmp.path(), Some((&cert_file, &key_file)), Some(&htpasswd));
    let tag = format!("oci://{}/team/ttft-probe:v1", registry.host());
    let ca = ["--registry-ca-cert", cert_file.to_str().expect("utf-8")];
    let creds = [("RUNNER_REGISTRY_USERNAME", "alice"), ("RUNNER_REGISTRY_PASSWORD", PASSWORD)];

    // No CA: a TLS error that says which flag fixes it.
    let no_ca = push(&cache, &scenario("ttft-probe"), &tag, &[], &creds);
    assert!(!no_ca.output.status.success());
    assert!(
        no_ca.stderr.contains("certificate") && no_ca.stderr.contains("--registry-ca-cert"),
        "{}",
        no_ca.stderr
    );

    // A wrong password: one line, a failure, and no password anywhere.
    let wrong = [("RUNNER_REGISTRY_USERNAME", "alice"), ("RUNNER_REGISTRY_PASSWORD", "wrong-Pw-9x")];
    let denied = push(&cache, &scenario("ttft-probe"), &tag, &ca, &wrong);
    assert_eq!(denied.output.status.code(), Some(1), "{}", denied.stderr);
    assert_eq!(denied.stderr.trim().lines().count(), 1, "{}", denied.stderr);
    assert!(denied.stderr.contains("refused") && denied.stderr.contains("alice"), "{}", denied.stderr);
    assert!(
        !denied.stderr.contains("wrong-Pw-9x") && !denied.stdout.contains("wrong-Pw-9x"),
        "{}",
        denied.stderr
    );
    // No credentials at all: said so, with where they come from.
    let anonymous = push(&cache, &scenario("ttft-probe"), &tag, &ca, &[]);
    assert!(!anonymous.output.status.success());
    assert!(anonymous.stderr.contains("RUNNER_REGISTRY_USERNAME"), "{}", anonymous.stderr);

    push(&cache, &scenario("ttft-probe"), &tag, &ca, &creds).ok();

    // Play with credentials from a docker config (`docker login`'s file); nothing in the run
    // folder holds the password.
    let docker = tmp.path().join("docker");
    std::fs::create_dir_all(&docker).expect("mkdir");
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"))
    };
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths": {{"https://{}": {{"auth": "{auth}"}}}}}}"#, registry.host()),
    )
    .expect("docker config");
    let out = tmp.path().join("run");
    let docker_env = [("DOCKER_CONFIG", docker.to_str().expect("utf-8"))];
    let played = play(&cache, &tag, &out, &ca, &docker_env);
    played.ok();
    assert!(scenario_info(&out)["path"].as_str().is_some_and(|p| p.contains("@sha256:")));
    for entry in std::fs::read_dir(&out).expect("run folder") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(PASSWORD) && !text.contains(&auth), "{} holds the password", path.display());
    }
    assert!(!played.stderr.contains(PASSWORD) && !played.stdout.contains(PASSWORD));

    // A wrong password when pulling: the same one line.
    let denied = play(&cache, &tag, &tmp.path().join("run-denied"), &ca, &wrong);
    assert_ne!(denied.output.status.code(), Some(0));
    assert!(denied.stderr.contains("refused") && !denied.stderr.contains("wrong-Pw-9x"), "{}", denied.stderr);
}

/// A registry that answers `/v2/` and serves `manifest` for every manifest request: the fault
/// injection a real registry will not do.
fn fake_registry(manifest: Vec<u8>) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut stream = stream;
            loop {
                let mut request = String::new();
                if reader.read_line(&mut request).unwrap_or(0) == 0 {
                    break;
                }
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    line.clear();
                }
                let body: &[u8] = if request.contains("/manifests/") { &manifest } else { b"{}" };
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                if stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body)).is_err() {
                    break;
                }
            }
        }
    });
    (port, handle)
}

#[test]
fn a_manifest_with_two_wasm_layers_is_refused_naming_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    let layer = serde_json::json!({"mediaType": "application/wasm", "digest": format!("sha256:{}", "1".repeat(64)), "size": 8});
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json", "digest": format!("sha256:{}", "2".repeat(64)), "size": 2},
        "layers": [layer.clone(), layer],
    });
    let (port, server) = fake_registry(serde_json::to_vec(&manifest).expect("json"));
    let reference = format!("oci://127.0.0.1:{port}/x/two:v1");
    let out = tmp.path().join("run");
    let refused = play(&tmp.path().join("cache"), &reference, &out, &["--plain-http"], &[]);
    assert!(!refused.output.status.success());
    assert!(
        refused.stderr.contains("2 layer(s) (application/wasm, application/wasm)")
            && refused.stderr.trim().lines().count() == 1,
        "{}",
        refused.stderr
    );
    assert!(!out.join("run.json").exists());
    drop(server);
}
