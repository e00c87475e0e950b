//! `runner new` writes a scenario project that builds with one command and plays against the
//! simulated server as it is.

mod common;

use common::{play, repo_root, runner};

#[test]
fn a_new_rust_scenario_builds_and_plays() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let project = dir.path().join("hello-world");
    let out =
        runner().args(["new", "hello-world", "--out"]).arg(&project).output().expect("running runner new");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cargo build --release --target wasm32-wasip2"));

    // The one command the README gives; the repo's target dir keeps the SDK's build shared.
    let target = repo_root().join("target");
    let build = std::process::Command::new(env!("CARGO"))
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("running cargo");
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));

    let wasm = target.join("wasm32-wasip2").join("release").join("hello_world.wasm");
    let run = play(
        &wasm,
        &["-p", "vus=2", "-p", "duration=1s", "-p", "max_tokens=4", "--mock", "ttft=5ms,itl=1ms"],
    );
    run.assert_success();
    let p = run.phase("chat");
    assert!(p.requests > 10 && p.errors == 0, "{} requests, {} errors", p.requests, p.errors);
    assert!(run.summary().thresholds.iter().all(|t| t.passed), "the template declares errors:rate==0");
}

#[test]
fn a_new_js_scenario_builds_and_plays() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let project = dir.path().join("hello-js");
    let out = runner()
        .args(["new", "hello-js", "--lang", "js", "--out"])
        .arg(&project)
        .output()
        .expect("running runner new");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("npm run build"));

    // The one command the README gives (the SDK's build tools come from `npm install` in guests/js).
    let build = std::process::Command::new("npm")
        .args(["run", "build"])
        .current_dir(&project)
        .output()
        .expect("running npm (Node.js and npm must be installed)");
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));

    let run = play(
        &project.join("hello-js.wasm"),
        &["-p", "vus=2", "-p", "duration=1s", "-p", "max_tokens=4", "--mock", "ttft=5ms,itl=1ms"],
    );
    run.assert_success();
    let p = run.phase("chat");
    assert!(p.requests > 10 && p.errors == 0, "{} requests, {} errors", p.requests, p.errors);
    assert_eq!(p.checks["got every token"].passes, p.requests);
    assert!(run.summary().thresholds.iter().all(|t| t.passed), "the template declares errors:rate==0");
    assert!(!run.summary().thresholds.is_empty());
}

#[test]
fn bad_names_languages_and_existing_folders_are_one_line_errors() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (args, needle) in [
        (vec!["new", "2fast"], "not a valid scenario name"),
        (vec!["new", "ok", "--lang", "cobol"], "--lang cobol is not supported: rust, js or python"),
    ] {
        let out =
            runner().args(&args).arg("--out").arg(dir.path().join("x")).output().expect("running runner new");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.trim().lines().count() == 1 && stderr.contains(needle), "{stderr}");
    }
    let out = runner().args(["new", "taken", "--out"]).arg(dir.path()).output().expect("running runner new");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}
