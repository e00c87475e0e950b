//! Python scenarios (scenarios/*-py, built with guests/python) play like their Rust twins: the
//! same phases, tags and request counts, and the same TTFT within the host's tolerance, since the
//! host measures whatever language the guest is written in.

mod common;

use common::{play, repo_root, runner, scenario};
use runner_reports::{Summary, metric};

/// The host measures, so the language adds nothing: the same tolerance as the Rust probe's own test
/// (host/tests/measurements.rs, 50 ± 3 ms) and the JS twins' (js_guests.rs).
const TTFT_TOLERANCE_MS: f64 = 3.0;

/// The mock's configured TTFT in these tests, the floor of any measured TTFT.
const MOCK_TTFT_MS: f64 = 50.0;

/// Asserts the Python twin's TTFT p50 is the mock's within the tolerance, and close to the Rust twin's.
fn assert_same_ttft(what: &str, rust: f64, py: f64) {
    assert!(
        (py - MOCK_TTFT_MS).abs() <= TTFT_TOLERANCE_MS,
        "{what}: Python TTFT p50 {py} ms, expected {MOCK_TTFT_MS} ± {TTFT_TOLERANCE_MS}"
    );
    assert!((py - rust).abs() <= TTFT_TOLERANCE_MS, "{what}: TTFT p50 Python {py} ms, Rust {rust} ms");
}

/// Every test here holds this for its whole length: the Python build in
/// `a_new_python_scenario_builds_and_plays` takes a core for a minute, which would disturb the
/// timings of a twin running beside it.
static ONE_TEST_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_TEST_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// Plays the Rust scenario and its Python twin with the same arguments and returns both summaries.
fn play_twins(name: &str, args: &[&str]) -> (Summary, Summary) {
    let rust = play(&scenario(name), args);
    rust.assert_success();
    let py = play(&scenario(&format!("{name}-py")), args);
    py.assert_success();
    (rust.summary().clone(), py.summary().clone())
}

/// The parameters `runner inspect` lists, as "name kind", in order.
fn params_of(wasm: &std::path::Path) -> Vec<String> {
    let out = runner().arg("inspect").arg(wasm).output().expect("running runner inspect");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("built for: runner:scenario@"), "{stdout}");
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("parameters"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn python_twins_declare_the_same_parameters_and_kinds() {
    let _turn = one_at_a_time();
    for name in ["ttft-probe", "stress-sweep"] {
        let rust = params_of(&scenario(name));
        let py = params_of(&scenario(&format!("{name}-py")));
        assert!(rust.len() >= 5, "{name}: {rust:?}");
        assert_eq!(py, rust, "{name}");
    }
}

#[test]
fn ttft_probe_py_matches_its_rust_twin() {
    let _turn = one_at_a_time();
    let args = ["--mock", "ttft=50ms,itl=10ms", "-p", "requests=20", "-p", "max_tokens=8", "--seed", "1"];
    let (rust, py) = play_twins("ttft-probe", &args);
    let (r, p) = (&rust.phases[0], &py.phases[0]);
    assert_eq!((rust.phases.len(), py.phases.len()), (1, 1));
    assert_eq!((p.name.as_str(), r.name.as_str()), ("ttft-probe", "ttft-probe"));
    assert_eq!((p.requests, p.errors, p.output_tokens), (20, 0, 20 * 8));
    assert_eq!((p.requests, p.output_tokens, p.iterations.completed), (r.requests, r.output_tokens, 20));
    assert_eq!(p.checks["output_tokens == max_tokens"].passes, 20, "the Python check ran");
    assert_same_ttft("ttft-probe", r.metrics[metric::TTFT].p50, p.metrics[metric::TTFT].p50);
    assert_eq!(p.metrics[metric::ITL].count, r.metrics[metric::ITL].count);
}

#[test]
fn stress_sweep_py_matches_its_rust_twin() {
    let _turn = one_at_a_time();
    // Each iteration takes 50 + 7 × 10 = 120 ms, so a 900 ms closed-loop phase starts 8 per VU
    // (the 8th at ~840 ms, a 9th would start at ~960 ms): 60 ms of slack either side keeps the
    // count exact for both languages on a loaded machine.
    let args = [
        "--mock",
        "ttft=50ms,itl=10ms",
        "-p",
        "levels=2,4",
        "-p",
        "lengths=8",
        "-p",
        "duration=900ms",
        "--seed",
        "1",
    ];
    let (rust, py) = play_twins("stress-sweep", &args);
    let names = |s: &Summary| s.phases.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&py), ["len8-c2", "len8-c4"]);
    assert_eq!(names(&py), names(&rust));
    for (r, p) in rust.phases.iter().zip(&py.phases) {
        let vus = u64::from(p.concurrency.expect("a constant-vus phase has a concurrency"));
        assert_eq!(p.tags, r.tags, "{}", p.name);
        assert_eq!(p.tags.get("concurrency").map(String::as_str), Some(vus.to_string().as_str()));
        assert_eq!((p.requests, p.errors), (vus * 8, 0), "{}: 8 iterations per VU", p.name);
        assert_eq!((p.requests, p.output_tokens), (r.requests, r.output_tokens), "{}", p.name);
        assert_same_ttft(&p.name, r.metrics[metric::TTFT].p50, p.metrics[metric::TTFT].p50);
    }
}

#[test]
fn a_new_python_scenario_builds_and_plays() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let project = dir.path().join("hello-py");
    let out = runner()
        .args(["new", "hello-py", "--lang", "python", "--out"])
        .arg(&project)
        .arg("--sdk")
        .arg(repo_root().join("guests").join("python"))
        .output()
        .expect("running runner new");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("./build.sh") && stdout.contains("runner play hello-py.wasm"), "{stdout}");
    let build_sh = std::fs::read_to_string(project.join("build.sh")).expect("build.sh was written");
    let sdk = repo_root().join("guests").join("python");
    assert!(build_sh.contains(&sdk.display().to_string()), "calls the --sdk build.sh: {build_sh}");

    // The one command the README gives, run from elsewhere to show it finds its own folder.
    let build = std::process::Command::new(project.join("build.sh")).output().expect("running build.sh");
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));

    let wasm = project.join("hello-py.wasm");
    let run = play(
        &wasm,
        &["-p", "vus=2", "-p", "duration=1s", "-p", "max_tokens=4", "--mock", "ttft=5ms,itl=1ms"],
    );
    run.assert_success();
    let p = run.phase("chat");
    assert!(p.requests > 10 && p.errors == 0, "{} requests, {} errors", p.requests, p.errors);
    assert_eq!(p.checks["got every token"].passes, p.requests);
    assert!(run.summary().thresholds.iter().any(|t| t.passed), "the template declares errors:rate==0");
    assert!(run.summary().thresholds.iter().all(|t| t.passed));
}
