//! `runner k8s`: the manifests it writes, checked two ways.
//!
//! - Against the Kubernetes API's schemas, with the validator `RUNNER_K8S_VALIDATE` names
//!   (`scripts/k8s-validate.sh`; `just test-k8s` sets it, CI runs it). Without it that test says
//!   so and checks nothing.
//! - Always, without a cluster: job.yaml is read back and each worker's command, arguments and
//!   environment are taken exactly as written, with `$(VAR)` expanded the way the kubelet does
//!   and each volume's mount path mapped to a temporary folder (the ConfigMap's bytes written
//!   into the scenario's). The N workers run as local processes against `runner mock` on
//!   127.0.0.1, then merge-job.yaml's command the same way, and the merged run's counts must be
//!   the whole run's.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::{MockProcess, repo_root, runner, scenario};
use serde_json::Value;

const NAME: &str = "k8s-test";
const KEY: &str = "sk-k8s-test-key";
/// `rate` at 20/s for 2 s: 40 arrivals, striped over the workers.
const PLAY_ARGS: &[&str] =
    &["-p", "rate=20", "-p", "duration=2s", "-p", "max_tokens=4", "-p", "prompt_tokens=4", "--quiet"];

/// `runner k8s` into `out`; unless `extra` gives a `--start-delay`, the start a few seconds
/// ahead, so local workers (which compile the scenario first) start together.
fn generate(out: &Path, target: &str, workers: u32, extra: &[&str]) -> std::process::Output {
    let start = humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(5)).to_string();
    let start: &[&str] = if extra.contains(&"--start-delay") { &[] } else { &["--start-at", &start] };
    let output = runner()
        .arg("k8s")
        .arg(scenario("rate"))
        .args(["--workers", &workers.to_string(), "--target", target, "--name", NAME])
        .args(start)
        .arg("--out")
        .arg(out)
        .args(extra)
        .arg("--")
        .args(PLAY_ARGS)
        .output()
        .expect("running runner k8s");
    assert!(output.status.success(), "runner k8s failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// `$(VAR)` replaced by VAR's value when the container defines it, `$$` by `$`, anything else
/// left as written: Kubernetes' expansion of command, args and env values.
fn expand(s: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some((name, after)) = tail.strip_prefix("$(").and_then(|t| t.split_once(')'))
            && let Some(value) = env.get(name)
        {
            out.push_str(value);
            rest = after;
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// One pod of a Job's template, as a local process: its container's command and arguments,
/// its environment (the completion index and the Secrets resolved as the kubelet would), and
/// every mount path replaced by a folder under `root`.
fn pod_command(
    template: &Value,
    index: u32,
    secrets: &BTreeMap<(String, String), String>,
    root: &Path,
) -> Command {
    let pod = &template["spec"];
    let c = &pod["containers"][0];
    let mounts: Vec<(String, PathBuf)> = c["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .iter()
        .map(|m| {
            let name = m["name"].as_str().expect("a mount's name");
            (m["mountPath"].as_str().expect("mountPath").to_string(), root.join(name))
        })
        .collect();
    let local = |s: String| -> String {
        for (mount, dir) in &mounts {
            if let Some(rest) = s.strip_prefix(mount.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return format!("{}{rest}", dir.display());
            }
        }
        s
    };
    let mut env = BTreeMap::new();
    for e in c["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().expect("an env name").to_string();
        let value = if let Some(v) = e["value"].as_str() {
            expand(v, &env)
        } else if let Some(field) = e["valueFrom"]["fieldRef"]["fieldPath"].as_str() {
            assert_eq!(field, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
            index.to_string()
        } else if let Some(r) = e["valueFrom"]["secretKeyRef"].as_object() {
            let key = (r["name"].as_str().unwrap().to_string(), r["key"].as_str().unwrap().to_string());
            secrets.get(&key).unwrap_or_else(|| panic!("no Secret {key:?}")).clone()
        } else {
            panic!("an env entry this test does not know: {e}");
        };
        env.insert(name, value);
    }
    // The Job controller sets it too in an Indexed Job's pods; the manifest's own declaration
    // must agree (the merge Job is not indexed and has none).
    if let Some(declared) = env.get("JOB_COMPLETION_INDEX") {
        assert_eq!(declared, &index.to_string());
    }
    let command: Vec<String> =
        c["command"].as_array().expect("command").iter().map(|s| s.as_str().unwrap().to_string()).collect();
    assert_eq!(command, ["runner"], "the image's binary");
    let args: Vec<String> = c["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|s| local(expand(s.as_str().unwrap(), &env)))
        .collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runner"));
    // Only what the pod would have: its own environment (PATH for nothing but the OS).
    cmd.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in &env {
        cmd.env(name, local(value.clone()));
    }
    cmd.args(args).current_dir(root).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Runs the commands at once, each bounded to 60 s, and returns their outputs.
fn run_all(commands: Vec<Command>) -> Vec<std::process::Output> {
    let children: Vec<_> = commands.into_iter().map(|mut c| c.spawn().expect("starting a worker")).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    children
        .into_iter()
        .map(|mut child| {
            while child.try_wait().expect("waiting").is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            child.wait_with_output().expect("a worker's output")
        })
        .collect()
}

fn summary(dir: &Path) -> Value {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("summary.json is JSON")
}

fn phase_counts(summary: &Value) -> (u64, u64, u64) {
    let phase =
        summary["phases"].as_array().unwrap().iter().find(|p| p["name"] == "rate").expect("phase rate");
    let it = &phase["iterations"];
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let arrivals = n(&it["completed"]) + n(&it["failed"]) + n(&it["dropped"]) + n(&it["interrupted"]);
    (arrivals, n(&phase["requests"]), n(&phase["errors"]))
}

/// Waits on issue 15's other parts: `runner play --segment/--start-at` (the workers fail with
/// "unexpected argument '--segment'" until they land), `runner merge`, and the summary's `segment`
/// object. Everything before the workers start (the ConfigMap's bytes, the environment, the
/// kubelet's expansion) is checked today.
#[test]
fn workers_run_as_job_yaml_says_and_merge_into_the_whole_run() {
    let mock = MockProcess::start(&["--api-key", KEY, "--ttft-ms", "2", "--itl-ms", "1"]);
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let manifests = tmp.path().join("manifests");
    let workers = 3;
    generate(&manifests, &mock.url, workers, &["--api-key-secret", "llm/key"]);
    let secrets = BTreeMap::from([(("llm".to_string(), "key".to_string()), KEY.to_string())]);

    // The cluster's side: the ConfigMap's bytes where its volume is mounted, an empty claim.
    let root = tmp.path().join("cluster");
    let cm = read_yaml(&manifests.join("configmap.yaml"));
    let job = read_yaml(&manifests.join("job.yaml"));
    let pod = &job["spec"]["template"]["spec"];
    let cm_volume =
        pod["volumes"].as_array().unwrap().iter().find(|v| v["configMap"]["name"] == cm["metadata"]["name"]);
    let cm_volume = cm_volume.expect("the ConfigMap is a volume")["name"].as_str().unwrap();
    std::fs::create_dir_all(root.join(cm_volume)).unwrap();
    for (key, packed) in cm["binaryData"].as_object().expect("binaryData") {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD.decode(packed.as_str().unwrap()).unwrap();
        assert_eq!(bytes, std::fs::read(scenario("rate")).unwrap(), "the ConfigMap holds the scenario");
        std::fs::write(root.join(cm_volume).join(key), bytes).unwrap();
    }
    for volume in ["results", "cache", "tmp"] {
        std::fs::create_dir_all(root.join(volume)).unwrap();
    }
    assert_eq!(job["spec"]["completions"].as_u64(), Some(u64::from(workers)));
    let template = &job["spec"]["template"];
    let outputs = run_all((0..workers).map(|i| pod_command(template, i, &secrets, &root)).collect());
    for (i, out) in outputs.iter().enumerate() {
        assert!(
            out.status.success(),
            "worker {i} failed ({:?}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The merge, as merge-job.yaml says.
    let merge = read_yaml(&manifests.join("merge-job.yaml"));
    let out = run_all(vec![pod_command(&merge["spec"]["template"], 0, &secrets, &root)]).remove(0);
    assert!(out.status.success(), "merge failed: {}", String::from_utf8_lossy(&out.stderr));

    // The whole run, in one process, for the counts the shares must add up to.
    let whole = tmp.path().join("whole");
    let status = runner()
        .env("OPENAI_API_KEY", KEY)
        .arg("play")
        .arg(scenario("rate"))
        .args(["--target", &mock.url])
        .args(PLAY_ARGS)
        .arg("--out")
        .arg(&whole)
        .status()
        .expect("running the whole run");
    assert!(status.success());
    let (total, total_requests, total_errors) = phase_counts(&summary(&whole));
    assert_eq!((total, total_requests, total_errors), (40, 40, 0), "the whole run");

    let results = root.join("results").join(NAME);
    let mut sum = 0;
    for i in 0..workers {
        let s = summary(&results.join(format!("worker-{i}")));
        let (arrivals, requests, errors) = phase_counts(&s);
        // Arrival j goes to worker j mod N; the key reached every worker (no 401s).
        let share = (0..total).filter(|j| j % u64::from(workers) == u64::from(i)).count() as u64;
        assert_eq!((arrivals, requests, errors), (share, share, 0), "worker {i}");
        assert_eq!(s["segment"]["index"], i, "worker {i}'s segment");
        assert_eq!(s["segment"]["count"], workers);
        sum += arrivals;
    }
    assert_eq!(sum, total);
    let merged = summary(&results.join("merged"));
    assert_eq!(phase_counts(&merged), (total, total_requests, 0), "the merged run is the whole");
    // No worker wrote the key anywhere in the results.
    for entry in walk(&root.join("results")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(KEY), "{} holds the API key", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

#[test]
fn the_manifests_pass_the_kubernetes_schemas() {
    let Some(validator) = std::env::var_os("RUNNER_K8S_VALIDATE") else {
        eprintln!("RUNNER_K8S_VALIDATE is not set: the schema check is skipped (just test-k8s runs it)");
        return;
    };
    let validator = repo_root().join(validator);
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let validate =
        |files: &[PathBuf]| Command::new(&validator).args(files).output().expect("running the validator");
    let yaml_in = |dir: &Path| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> =
            walk(dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect();
        files.sort();
        files
    };
    // Every shape: the default claim with a Secret, and an existing claim with the scenario in the image.
    let a = tmp.path().join("a");
    generate(&a, "http://vllm.default.svc:8000", 4, &["--api-key-secret", "llm", "--storage-class", "nfs"]);
    let b = tmp.path().join("b");
    generate(
        &b,
        "https://llm.example/v1",
        2,
        &["--results-pvc", "shared", "--scenario-in-image", "/opt/s.wasm"],
    );
    for dir in [&a, &b] {
        let files = yaml_in(dir);
        assert!(files.len() >= 3, "{files:?}");
        let out = validate(&files);
        assert!(
            out.status.success(),
            "the validator refused {}:\n{}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The validator is strict: a misspelt field is refused, so the pass above means something.
    let bad = tmp.path().join("bad.yaml");
    let job = std::fs::read_to_string(a.join("job.yaml")).unwrap();
    std::fs::write(&bad, job.replace("completionMode:", "completionsMode:")).unwrap();
    assert!(!validate(&[bad]).status.success(), "a misspelt field passed the validator");
}

#[test]
fn bad_input_is_one_line_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let out = tmp.path().join("out");
    let cases: &[(&[&str], &str)] = &[
        (&["--name", "Bad_Name"], "DNS-1123"),
        (&["--name", "ok", "--", "-H", "Authorization: Bearer sk-secret"], "--api-key-secret"),
        (&["--name", "ok", "--", "--segment", "0/2"], "set by runner k8s"),
        (&["--name", "ok", "--start-at", "soon"], "RFC 3339"),
        (&["--name", "ok", "--workers", "0"], "at least 1"),
    ];
    for (args, expect) in cases {
        let output = runner()
            .arg("k8s")
            .arg(scenario("rate"))
            .args(["--target", "http://127.0.0.1:9", "--out"])
            .arg(&out)
            .args(if args.contains(&"--workers") { &[][..] } else { &["--workers", "2"][..] })
            .args(*args)
            .output()
            .expect("running runner k8s");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expect) && !stderr.contains("sk-secret"), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    // A scenario over the ConfigMap limit.
    let big = tmp.path().join("big.wasm");
    std::fs::write(&big, vec![0u8; (1 << 20) + 1]).unwrap();
    let output = runner()
        .args(["k8s", "--workers", "2", "--target", "http://127.0.0.1:9", "--out"])
        .arg(&out)
        .arg(&big)
        .output()
        .expect("running runner k8s");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("1 MiB") && stderr.contains("--scenario-in-image"), "{stderr}");
}

/// A stand-in for kubectl: each call's arguments go to `$KLOG`, the Job `run.sh` pipes in to
/// `$KDIR/applied-job.yaml`; no Job exists before; with `$FAIL` the workers' Job fails, else every
/// Job completes. A wait that would not end sleeps (as `exec`, so run.sh's kill ends it).
const FAKE_KUBECTL: &str = r#"#!/usr/bin/env bash
echo "$*" >> "$KLOG"
case "$*" in
    *"get job "*) exit 1 ;;
    *"apply -f -") cat > "$KDIR/applied-job.yaml" ;;
    *"--for=condition=failed job/k8s-test "*) [[ -n ${FAIL:-} ]] && exit 0; exec sleep 30 ;;
    *"--for=condition=complete job/k8s-test "*) [[ -z ${FAIL:-} ]] && exit 0; exec sleep 30 ;;
    *"--for=condition=failed "*) exec sleep 30 ;;
esac
exit 0
"#;

fn run_sh(manifests: &Path, fake: &Path, fail: bool) -> (std::process::Output, Vec<String>) {
    let log = fake.join("log");
    let _ = std::fs::remove_file(&log);
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new(manifests.join("run.sh"));
    cmd.env("PATH", path).env("KLOG", &log).env("KDIR", fake).env("NAMESPACE", "bench");
    if fail {
        cmd.env("FAIL", "1");
    }
    let output = cmd.output().expect("running run.sh");
    let calls = std::fs::read_to_string(&log).unwrap_or_default().lines().map(str::to_string).collect();
    (output, calls)
}

#[test]
fn run_sh_applies_waits_merges_and_copies_out_in_order() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let manifests = tmp.path().join("manifests");
    generate(&manifests, "http://127.0.0.1:9", 2, &["--start-delay", "90s"]);
    let fake = tmp.path().join("bin");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("kubectl"), FAKE_KUBECTL).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(fake.join("kubectl"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let applied_at = SystemTime::now();
    let (out, calls) = run_sh(&manifests, &fake, false);
    assert!(
        out.status.success(),
        "run.sh failed: {}\ncalls: {calls:#?}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(calls.iter().all(|c| c.starts_with("--namespace bench ")), "{calls:#?}");
    let expected = [
        "apply -f pvc.yaml",
        "apply -f configmap.yaml",
        "apply -f -",
        "wait --for=condition=complete job/k8s-test ",
        "apply -f merge-job.yaml",
        "wait --for=condition=complete job/k8s-test-merge ",
        "logs job/k8s-test-merge",
        "apply -f fetch-pod.yaml",
        "wait --for=condition=Ready pod/k8s-test-fetch",
        "cp k8s-test-fetch:/results/k8s-test/merged ./merged",
        "delete pod k8s-test-fetch",
    ];
    let mut at = 0;
    for step in expected {
        let found = calls[at..].iter().position(|c| c.contains(step));
        at += found.unwrap_or_else(|| panic!("no {step:?} after call {at}: {calls:#?}")) + 1;
    }
    // The Job applied is job.yaml with the start stamped when it was applied: 90 s from then.
    let written = std::fs::read_to_string(manifests.join("job.yaml")).unwrap();
    let applied = std::fs::read_to_string(fake.join("applied-job.yaml")).expect("the Job run.sh applied");
    let start_of = |text: &str| -> String {
        let job: Value = serde_yaml_ng::from_str(text).expect("YAML");
        let args = job["spec"]["template"]["spec"]["containers"][0]["args"].as_array().unwrap().clone();
        let arg = args
            .iter()
            .filter_map(|a| a.as_str())
            .find(|a| a.starts_with("--start-at="))
            .expect("--start-at");
        arg["--start-at=".len()..].to_string()
    };
    let stamped = humantime::parse_rfc3339(&start_of(&applied)).expect("an RFC 3339 start");
    let from_apply = stamped.duration_since(applied_at).unwrap_or_default().as_secs_f64();
    assert!((88.0..=92.0).contains(&from_apply), "the start is {from_apply} s after run.sh applied the Job");
    assert_eq!(
        written.replace(&start_of(&written), &start_of(&applied)),
        applied,
        "only the start time changes"
    );

    // Workers that failed: no merge, and the way to their logs.
    let (out, calls) = run_sh(&manifests, &fake, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("job/k8s-test failed") && stderr.contains("kubectl logs"), "{stderr}");
    assert!(!calls.iter().any(|c| c.contains("merge-job.yaml")), "{calls:#?}");
}
