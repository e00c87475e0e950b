//! The manifest generator on its own: names, the ConfigMap limit, secrets, and what the workers
//! are told to run (read back from the YAML as Kubernetes would read it).

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::*;

fn spec() -> K8sSpec {
    K8sSpec {
        name: "rate-test".into(),
        scenario: ScenarioSource::File { file_name: "rate.wasm".into(), bytes: b"\0asm-bytes".to_vec() },
        workers: 3,
        target: "http://vllm.default.svc:8000".into(),
        image: "runner:test".into(),
        start: Start::At(SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_666_400)),
        results_pvc: None,
        results_size: "1Gi".into(),
        storage_class: None,
        api_key: None,
        api_key_env: "OPENAI_API_KEY".into(),
        cpu: "1".into(),
        memory: "1Gi".into(),
        timeout: Duration::from_secs(3600),
        play_args: vec![],
    }
}

fn files(spec: &K8sSpec) -> Vec<File> {
    generate(spec).unwrap_or_else(|e| panic!("generate: {e}"))
}

/// A file read back as the YAML Kubernetes gets.
fn read(spec: &K8sSpec, name: &str) -> Value {
    let all = files(spec);
    let file = all.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name}"));
    serde_yaml_ng::from_str(&file.text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}\n{}", file.text))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("an array").iter().map(|s| s.as_str().expect("a string").to_string()).collect()
}

#[test]
fn names_must_be_dns_labels_short_enough_for_every_suffix() {
    for good in ["a", "rate", "rate-2", "0x", "a".repeat(MAX_NAME).as_str()] {
        assert!(check_name(good).is_ok(), "{good:?}");
    }
    for bad in ["", "Rate", "rate_2", "-rate", "rate-", "ra.te", "ratë", "a".repeat(MAX_NAME + 1).as_str()] {
        let e = check_name(bad).expect_err(bad).to_string();
        assert!(e.contains("DNS-1123") && !e.contains('\n'), "{e}");
        let mut s = spec();
        s.name = bad.to_string();
        assert!(matches!(generate(&s), Err(K8sError::BadName(_))), "{bad:?}");
    }
    // The longest name still makes valid names with every suffix.
    let mut s = spec();
    s.name = "a".repeat(MAX_NAME);
    assert!(is_label(&format!("{}-scenario", s.name)));
    files(&s);
}

#[test]
fn default_names_come_from_the_file_name() {
    assert_eq!(default_name(Path::new("scenarios/trace_replay.wasm")).unwrap(), "trace-replay");
    assert_eq!(default_name(Path::new("x/Rate.v2.wasm")).unwrap(), "rate-v2");
    let e = default_name(Path::new("x/ü.wasm")).unwrap_err().to_string();
    assert!(e.contains("--name"), "{e}");
}

#[test]
fn a_scenario_over_the_configmap_limit_is_refused_with_the_way_out() {
    let mut s = spec();
    s.scenario = ScenarioSource::File { file_name: "big.wasm".into(), bytes: vec![0; CONFIGMAP_LIMIT] };
    let cm = read(&s, "configmap.yaml");
    assert_eq!(cm["binaryData"]["big.wasm"].as_str().map(str::len), Some(CONFIGMAP_LIMIT.div_ceil(3) * 4));

    s.scenario = ScenarioSource::File { file_name: "big.wasm".into(), bytes: vec![0; CONFIGMAP_LIMIT + 1] };
    let e = generate(&s).unwrap_err().to_string();
    assert!(e.contains("1 MiB") && e.contains("--scenario-in-image") && !e.contains('\n'), "{e}");

    // In the image instead: no ConfigMap, and the workers play the image's file.
    s.scenario = ScenarioSource::InImage("/scenario/big.wasm".into());
    assert!(!files(&s).iter().any(|f| f.name == "configmap.yaml"));
    let job = read(&s, "job.yaml");
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(strings(&pod["containers"][0]["args"])[1], "/scenario/big.wasm");
    assert!(!pod["volumes"].as_array().unwrap().iter().any(|v| v["name"] == "scenario"));

    // Shipped in the image's runner: no ConfigMap, no volume, played by name.
    s.scenario = ScenarioSource::Shipped("stress-sweep".into());
    generate(&s).expect("a shipped scenario needs no file");
    assert!(!files(&s).iter().any(|f| f.name == "configmap.yaml"));
    let job = read(&s, "job.yaml");
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(strings(&pod["containers"][0]["args"])[1], "stress-sweep");
    assert!(!pod["volumes"].as_array().unwrap().iter().any(|v| v["name"] == "scenario"));
}

#[test]
fn the_configmap_holds_the_scenario_bytes() {
    use base64::Engine as _;
    let cm = read(&spec(), "configmap.yaml");
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "rate-test-scenario");
    let packed = cm["binaryData"]["rate.wasm"].as_str().expect("binaryData.rate.wasm");
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(packed).unwrap(), b"\0asm-bytes");
}

#[test]
fn the_job_is_indexed_and_each_worker_plays_its_segment() {
    let mut s = spec();
    s.play_args = vec!["-p".into(), "rate=50".into(), "-p".into(), "prompt=costs $(HOME) $5".into()];
    let job = read(&s, "job.yaml");
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    assert_eq!(job["spec"]["completions"], 3);
    assert_eq!(job["spec"]["parallelism"], 3);
    assert_eq!(job["spec"]["backoffLimit"], 0);
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let c = &pod["containers"][0];
    assert_eq!(strings(&c["command"]), ["runner"]);
    assert_eq!(
        strings(&c["args"]),
        [
            "play",
            "/scenario/rate.wasm",
            "--target",
            "http://vllm.default.svc:8000",
            "--segment",
            "$(JOB_COMPLETION_INDEX)/3",
            "--start-at=2026-12-07T18:00:00Z",
            "--out",
            "/results/rate-test/worker-$(JOB_COMPLETION_INDEX)",
            "-p",
            "rate=50",
            "-p",
            // Escaped so the kubelet passes it through as written.
            "prompt=costs $$(HOME) $$5",
        ]
    );
    let index = c["env"].as_array().unwrap().iter().find(|e| e["name"] == INDEX_VAR).expect("the index env");
    assert_eq!(
        index["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    // Non-root on a read-only root; the compile cache and /tmp on emptyDirs.
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    let cache = c["env"].as_array().unwrap().iter().find(|e| e["name"] == "RUNNER_CACHE_DIR").unwrap();
    let mounts = c["volumeMounts"].as_array().unwrap();
    for path in [cache["value"].as_str().unwrap(), "/tmp"] {
        let mount = mounts.iter().find(|m| m["mountPath"] == path).unwrap_or_else(|| panic!("{path}"));
        let volume = pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == mount["name"]).unwrap();
        assert!(volume["emptyDir"].is_object(), "{volume}");
    }
    assert!(c["resources"]["requests"]["cpu"].is_string());
}

#[test]
fn the_merge_job_names_every_worker_folder() {
    let merge = read(&spec(), "merge-job.yaml");
    let c = &merge["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        strings(&c["args"]),
        [
            "merge",
            "/results/rate-test/merged",
            "/results/rate-test/worker-0",
            "/results/rate-test/worker-1",
            "/results/rate-test/worker-2"
        ]
    );
    assert_eq!(merge["metadata"]["name"], "rate-test-merge");
}

#[test]
fn results_go_to_a_read_write_many_claim_or_the_one_named() {
    let pvc = read(&spec(), "pvc.yaml");
    assert_eq!(pvc["metadata"]["name"], "rate-test-results");
    assert_eq!(strings(&pvc["spec"]["accessModes"]), ["ReadWriteMany"]);
    let mut s = spec();
    s.results_pvc = Some("shared-results".into());
    assert!(!files(&s).iter().any(|f| f.name == "pvc.yaml"));
    let job = read(&s, "job.yaml");
    let volumes = job["spec"]["template"]["spec"]["volumes"].as_array().unwrap().clone();
    assert!(volumes.iter().any(|v| v["persistentVolumeClaim"]["claimName"] == "shared-results"));
    s.results_pvc = Some("Bad_Claim".into());
    assert!(matches!(generate(&s), Err(K8sError::BadClaim(_))));
}

#[test]
fn the_api_key_comes_from_a_secret_and_never_inline() {
    let mut s = spec();
    s.api_key = Some(parse_secret("llm-key").unwrap());
    s.api_key_env = "VLLM_KEY".into();
    let job = read(&s, "job.yaml");
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    let env = c["env"].as_array().unwrap().iter().find(|e| e["name"] == "VLLM_KEY").expect("the key's env");
    assert_eq!(env["valueFrom"]["secretKeyRef"]["name"], "llm-key");
    assert_eq!(env["valueFrom"]["secretKeyRef"]["key"], DEFAULT_SECRET_KEY);
    assert!(env.get("value").is_none(), "{env}");
    let args = strings(&c["args"]);
    assert!(args.windows(2).any(|w| w == ["--api-key-env", "VLLM_KEY"]), "{args:?}");
    assert_eq!(parse_secret("k/token").unwrap(), SecretKey { name: "k".into(), key: "token".into() });
    assert!(parse_secret("Bad/key").is_err() && parse_secret("ok/bad key").is_err());

    // A credential among the play arguments would be written into job.yaml: refused, unquoted.
    for args in [
        &["-H", "Authorization: Bearer sk-123"][..],
        &["--header", "X-Api-Key: sk-123"],
        &["--header=authorization: Bearer sk-123"],
        &["-HCookie: session=sk-123"],
    ] {
        s.play_args = args.iter().map(|a| a.to_string()).collect();
        let e = generate(&s).unwrap_err().to_string();
        assert!(e.contains("--api-key-secret") && !e.contains("sk-123"), "{e}");
    }
    s.play_args = vec!["-H".into(), "X-Session: abc".into()];
    files(&s);
    // Nor in the target's URL.
    s.target = "http://user:sk-123@vllm:8000".into();
    let e = generate(&s).unwrap_err().to_string();
    assert!(!e.contains("sk-123"), "{e}");
}

#[test]
fn flags_runner_k8s_sets_are_refused_among_the_play_arguments() {
    for flag in ["--target", "--segment=0/2", "--out", "--start-at", "--force", "--api-key-env=X"] {
        let mut s = spec();
        s.play_args = vec![flag.into(), "x".into()];
        let e = generate(&s).unwrap_err().to_string();
        assert!(e.contains(flag.split('=').next().unwrap()) && e.contains("set by runner k8s"), "{e}");
    }
    let mut s = spec();
    s.play_args = vec!["--timeout".into(), "30s".into(), "--target-rate".into()];
    // `--target-rate` is not `--target`.
    files(&s);
}

#[test]
fn quantities_workers_and_env_names_are_checked() {
    let mut s = spec();
    s.cpu = "500m".into();
    s.memory = "1.5Gi".into();
    files(&s);
    for (cpu, memory) in [("lots", "1Gi"), ("1", "1 GB"), ("0", "1Gi"), ("1", ".5Gi")] {
        s.cpu = cpu.into();
        s.memory = memory.into();
        assert!(matches!(generate(&s), Err(K8sError::BadQuantity { .. })), "{cpu} {memory}");
    }
    let mut s = spec();
    s.workers = 0;
    assert!(matches!(generate(&s), Err(K8sError::NoWorkers)));
    s.workers = MAX_WORKERS + 1;
    assert!(matches!(generate(&s), Err(K8sError::TooManyWorkers(_))));
    let mut s = spec();
    s.api_key_env = "1KEY".into();
    assert!(matches!(generate(&s), Err(K8sError::BadEnvName(_))));
}

#[test]
fn run_sh_applies_in_order_and_restamps_a_delayed_start() {
    let mut s = spec();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_666_400);
    s.start = Start::Delay { delay: Duration::from_secs(90), at };
    let all = files(&s);
    let sh = &all.iter().find(|f| f.name == "run.sh").unwrap();
    assert!(sh.executable);
    let t = &sh.text;
    let order = [
        "k apply -f pvc.yaml",
        "k apply -f configmap.yaml",
        "job.yaml | k apply -f -",
        "wait_job \"$NAME\"",
        "k apply -f merge-job.yaml",
        "k cp",
    ];
    let places: Vec<usize> =
        order.iter().map(|o| t.find(o).unwrap_or_else(|| panic!("{o} in\n{t}"))).collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{places:?}");
    assert!(t.contains("START_DELAY_S=90") && t.contains("PLANNED=2026-12-07T18:00:00Z"), "{t}");
    // The planned start is in job.yaml exactly once, so run.sh's sed replaces that one.
    let job = &all.iter().find(|f| f.name == "job.yaml").unwrap().text;
    assert_eq!(job.matches("2026-12-07T18:00:00Z").count(), 1);
    s.start = Start::At(at);
    let fixed = run_sh_text(&s);
    assert!(fixed.contains("START_DELAY_S=\n"), "{fixed}");
}

fn run_sh_text(s: &K8sSpec) -> String {
    files(s).into_iter().find(|f| f.name == "run.sh").unwrap().text
}

#[test]
fn the_start_time_is_written_as_rfc3339_in_utc_to_its_fraction() {
    // `--start-at` itself is parsed by the one parser `play` uses (cli/values.rs, tested there).
    let at = humantime::parse_rfc3339("2026-12-07T18:00:00Z").unwrap();
    assert_eq!(rfc3339(at), "2026-12-07T18:00:00Z");
    let at = humantime::parse_rfc3339("2026-12-07T18:00:00.250Z").unwrap();
    assert_eq!(rfc3339(at), "2026-12-07T18:00:00.250000000Z");
}
