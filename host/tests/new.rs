//! `runner new` writes a scenario project that builds with one command and plays against the
//! simulated server as it is. The SDKs are not published from here, so the projects that are
//! built depend on this checkout's SDK with `--sdk`; the default (the published SDK by version)
//! is checked file by file.

mod common;

use common::{play, repo_root, runner};

#[test]
fn a_new_rust_scenario_builds_and_plays() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let project = dir.path().join("hello-world");
    let sdk = repo_root().join("guests").join("rust");
    let out = runner()
        .args(["new", "hello-world", "--out"])
        .arg(&project)
        .arg("--sdk")
        .arg(&sdk)
        .output()
        .expect("running runner new");
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
        .arg("--sdk")
        .arg(repo_root().join("guests").join("js"))
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

/// The version every SDK package of this checkout has (the workspace's, which the runner is).
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs `runner new NAME --lang LANG` without `--sdk` in `dir` and returns its stdout.
fn new_without_sdk(dir: &std::path::Path, name: &str, lang: &str) -> String {
    let out =
        runner().args(["new", name, "--lang", lang]).current_dir(dir).output().expect("running runner new");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file `runner new` wrote under `project`, as text: no absolute path may be in one (an
/// installed runner has no checkout to point at).
fn assert_no_path_in(project: &std::path::Path) {
    let root = repo_root().canonicalize().expect("the checkout");
    for entry in std::fs::read_dir(project)
        .expect("the project")
        .chain(std::fs::read_dir(project.join("src")).into_iter().flatten())
    {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a text file");
        assert!(
            !text.contains(&*root.to_string_lossy()) && !text.contains("guests/"),
            "{}: {text}",
            path.display()
        );
        assert!(!text.contains("path ="), "{}: {text}", path.display());
    }
}

#[test]
fn by_default_a_rust_project_depends_on_the_published_sdk() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let stdout = new_without_sdk(dir.path(), "probe", "rust");
    assert!(stdout.contains("cargo build --release --target wasm32-wasip2"), "{stdout}");
    let toml = std::fs::read_to_string(dir.path().join("probe/Cargo.toml")).expect("Cargo.toml");
    assert!(toml.contains(&format!("\nrunner-sdk = \"{VERSION}\"\n")), "{toml}");
    assert_no_path_in(&dir.path().join("probe"));
}

#[test]
fn by_default_a_js_project_depends_on_the_published_package() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let stdout = new_without_sdk(dir.path(), "probe", "js");
    assert!(stdout.contains("npm install\n  npm run build\n"), "{stdout}");
    let text = std::fs::read_to_string(dir.path().join("probe/package.json")).expect("package.json");
    let pkg: serde_json::Value = serde_json::from_str(&text).expect("package.json is JSON");
    assert_eq!(pkg["dependencies"]["runner-sdk"], format!("^{VERSION}"), "{text}");
    assert_eq!(pkg["scripts"]["build"], "runner-sdk-build scenario.js -o probe.wasm");
    assert_no_path_in(&dir.path().join("probe"));
}

#[test]
fn by_default_a_python_project_pins_the_published_package() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let stdout = new_without_sdk(dir.path(), "probe", "python");
    assert!(stdout.contains("./build.sh"), "{stdout}");
    let project = dir.path().join("probe");
    let requirements = std::fs::read_to_string(project.join("requirements.txt")).expect("requirements.txt");
    assert_eq!(requirements.trim(), format!("runner-sdk=={VERSION}"));
    let build = std::fs::read_to_string(project.join("build.sh")).expect("build.sh");
    assert!(
        build.contains("-r requirements.txt") && build.contains(".venv/bin/runner-sdk-build . probe.wasm")
    );
    assert_no_path_in(&project);
}

#[test]
fn an_sdk_path_that_holds_no_sdk_is_a_one_line_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A folder whose siblings hold no SDK either (`--sdk X/rust` also looks at X/js, X/python).
    let empty = dir.path().join("nothing").join("rust");
    std::fs::create_dir_all(&empty).expect("a folder");
    for lang in ["js", "python"] {
        let out = runner()
            .args(["new", "probe", "--lang", lang, "--sdk"])
            .arg(&empty)
            .current_dir(dir.path())
            .output()
            .expect("running runner new");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.trim().lines().count() == 1 && stderr.contains("--sdk"), "{stderr}");
        assert!(!dir.path().join("probe").exists(), "nothing written");
    }
}
