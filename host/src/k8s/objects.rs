//! The Kubernetes objects of a distributed run, as JSON values (written as YAML by the caller).
//! Every pod runs as a non-root user on a read-only root file system: what `runner` writes goes
//! to the results claim or to an emptyDir (the compile cache, `RUNNER_CACHE_DIR`, and `/tmp`).

use base64::Engine as _;
use serde_json::{Value, json};

use super::{
    CACHE_DIR, INDEX_VAR, K8sSpec, RESULTS_DIR, SCENARIO_DIR, ScenarioSource, literal, merged_dir, rfc3339,
    scenario_path, worker_dir,
};

/// The user and group of the runner image (Containerfile); also the claim's group, so the pods
/// can write to volumes that are root-owned when created.
pub const UID: u32 = 10001;

fn labels(spec: &K8sSpec, component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": "runner",
        "app.kubernetes.io/instance": spec.name,
        "app.kubernetes.io/component": component,
    })
}

fn meta(spec: &K8sSpec, name: &str, component: &str) -> Value {
    json!({ "name": name, "labels": labels(spec, component) })
}

pub fn claim_name(spec: &K8sSpec) -> String {
    spec.results_pvc.clone().unwrap_or_else(|| format!("{}-results", spec.name))
}

fn configmap_name(spec: &K8sSpec) -> String {
    format!("{}-scenario", spec.name)
}

pub fn merge_name(spec: &K8sSpec) -> String {
    format!("{}-merge", spec.name)
}

pub fn fetch_name(spec: &K8sSpec) -> String {
    format!("{}-fetch", spec.name)
}

pub fn pvc(spec: &K8sSpec) -> Value {
    let mut value = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta(spec, &claim_name(spec), "results"),
        "spec": {
            // Every worker pod writes its own folder at once, from whichever node it runs on.
            "accessModes": ["ReadWriteMany"],
            "resources": { "requests": { "storage": spec.results_size } },
        },
    });
    if let Some(class) = &spec.storage_class {
        value["spec"]["storageClassName"] = json!(class);
    }
    value
}

/// The ConfigMap with the scenario's bytes; only for [`ScenarioSource::File`].
pub fn configmap(spec: &K8sSpec) -> Value {
    let ScenarioSource::File { file_name, bytes } = &spec.scenario else { return Value::Null };
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(spec, &configmap_name(spec), "scenario"),
        "binaryData": { file_name.as_str(): base64::engine::general_purpose::STANDARD.encode(bytes) },
    })
}

/// The workers: worker i plays `--segment i/N` into `/results/NAME/worker-i`.
pub fn job(spec: &K8sSpec) -> Value {
    let mut args: Vec<String> = vec![
        "play".into(),
        scenario_path(spec),
        "--target".into(),
        literal(&spec.target),
        "--segment".into(),
        format!("$({INDEX_VAR})/{}", spec.workers),
        // One argument: a bare RFC 3339 instant is a timestamp, not a string, to YAML 1.1
        // readers (the schema validator's), which the YAML writer does not quote.
        format!("--start-at={}", rfc3339(spec.start.at())),
        "--out".into(),
        worker_dir(spec, &format!("$({INDEX_VAR})")),
    ];
    let mut env = vec![
        json!({
            "name": INDEX_VAR,
            "valueFrom": { "fieldRef": {
                "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']",
            } },
        }),
        json!({ "name": "RUNNER_CACHE_DIR", "value": CACHE_DIR }),
    ];
    if let Some(secret) = &spec.api_key {
        args.extend(["--api-key-env".into(), spec.api_key_env.clone()]);
        env.push(json!({
            "name": spec.api_key_env,
            "valueFrom": { "secretKeyRef": { "name": secret.name, "key": secret.key } },
        }));
    }
    args.extend(spec.play_args.iter().map(|a| literal(a)));
    let mut volumes = vec![
        json!({ "name": "results", "persistentVolumeClaim": { "claimName": claim_name(spec) } }),
        json!({ "name": "cache", "emptyDir": {} }),
        json!({ "name": "tmp", "emptyDir": {} }),
    ];
    let mut mounts = vec![
        json!({ "name": "results", "mountPath": RESULTS_DIR }),
        json!({ "name": "cache", "mountPath": CACHE_DIR }),
        json!({ "name": "tmp", "mountPath": "/tmp" }),
    ];
    if let ScenarioSource::File { .. } = spec.scenario {
        volumes.push(json!({ "name": "scenario", "configMap": { "name": configmap_name(spec) } }));
        mounts.push(json!({ "name": "scenario", "mountPath": SCENARIO_DIR, "readOnly": true }));
    }
    let worker_labels = labels(spec, "worker");
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(spec, &spec.name, "worker"),
        "spec": {
            "completionMode": "Indexed",
            "completions": spec.workers,
            "parallelism": spec.workers,
            // A worker that failed is not run again: its share would start late and alone.
            "backoffLimit": 0,
            "activeDeadlineSeconds": spec.timeout.as_secs().max(1),
            "template": {
                "metadata": { "labels": worker_labels },
                "spec": pod_spec("Never", container(spec, args, env, mounts), volumes, Some(&worker_labels)),
            },
        },
    })
}

/// The merge: one pod, after every worker is done.
pub fn merge_job(spec: &K8sSpec) -> Value {
    let mut args = vec!["merge".to_string(), merged_dir(spec)];
    args.extend((0..spec.workers).map(|i| worker_dir(spec, &i.to_string())));
    let (volumes, mounts) = results_only(spec, false);
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(spec, &merge_name(spec), "merge"),
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": 3600,
            "template": {
                "metadata": { "labels": labels(spec, "merge") },
                "spec": pod_spec("Never", container(spec, args, vec![], mounts), volumes, None),
            },
        },
    })
}

/// A pod that mounts the results read-only and waits, so `kubectl cp` can copy them out (the
/// runner image has `sleep` and `tar`, which `kubectl cp` runs).
pub fn fetch_pod(spec: &K8sSpec) -> Value {
    let (volumes, mounts) = results_only(spec, true);
    let mut c = container(spec, vec!["3600".into()], vec![], mounts);
    c["command"] = json!(["sleep"]);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(spec, &fetch_name(spec), "fetch"),
        "spec": pod_spec("Never", c, volumes, None),
    })
}

fn results_only(spec: &K8sSpec, read_only: bool) -> (Vec<Value>, Vec<Value>) {
    let volumes = vec![
        json!({ "name": "results", "persistentVolumeClaim": { "claimName": claim_name(spec), "readOnly": read_only } }),
        json!({ "name": "tmp", "emptyDir": {} }),
    ];
    let mounts = vec![
        json!({ "name": "results", "mountPath": RESULTS_DIR, "readOnly": read_only }),
        json!({ "name": "tmp", "mountPath": "/tmp" }),
    ];
    (volumes, mounts)
}

fn container(spec: &K8sSpec, args: Vec<String>, env: Vec<Value>, mounts: Vec<Value>) -> Value {
    json!({
        "name": "runner",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        // Named, not left to the image's ENTRYPOINT, so the manifest says what runs.
        "command": ["runner"],
        "args": args,
        "env": env,
        "resources": {
            "requests": { "cpu": spec.cpu, "memory": spec.memory },
            // No CPU limit: throttling would show up as the server's latency.
            "limits": { "memory": spec.memory },
        },
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true,
            "capabilities": { "drop": ["ALL"] },
        },
        "volumeMounts": mounts,
    })
}

fn pod_spec(restart: &str, container: Value, volumes: Vec<Value>, spread: Option<&Value>) -> Value {
    let mut pod = json!({
        "restartPolicy": restart,
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": { "type": "RuntimeDefault" },
        },
        "containers": [container],
        "volumes": volumes,
    });
    if let Some(labels) = spread {
        // Workers on different nodes where the cluster has them: two on one node share its CPU
        // and network, which is what a distributed run is there to avoid.
        pod["topologySpreadConstraints"] = json!([{
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": { "matchLabels": labels },
        }]);
    }
    pod
}
