//! `run.sh`: applies the manifests in order, waits for the workers and the merge, and copies the
//! merged run out. With `--start-delay` it stamps the start time when it applies the Job, so a
//! folder written earlier still gives the workers the whole delay to be scheduled and pull the image.

use std::fmt::Write as _;

use super::objects::{claim_name, fetch_name, merge_name};
use super::{K8sSpec, ScenarioSource, Start, merged_dir, rfc3339};

/// Bash single-quoted.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn run_sh(spec: &K8sSpec) -> String {
    let (delay, when) = match spec.start {
        Start::Delay { delay, .. } => {
            (delay.as_secs().to_string(), format!("{} s after the Job is applied", delay.as_secs()))
        }
        Start::At(at) => (String::new(), format!("at {}", rfc3339(at))),
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"#!/usr/bin/env bash
# Written by `runner k8s` (runner {version}): runs {name:?} on the cluster kubectl points at
# ({workers} workers, starting together {when}), merges their run folders and copies the merged run
# to ./merged. NAMESPACE=... picks the namespace; TIMEOUT=... how long to wait for the workers.
set -euo pipefail
cd "$(dirname "$0")"

NAME={qname}
MERGE={qmerge}
FETCH={qfetch}
TIMEOUT=${{TIMEOUT:-{timeout}s}}
# Seconds from applying the Job to the workers' start; empty: the start time in job.yaml stands.
START_DELAY_S={delay}
PLANNED={planned}

k() {{ kubectl ${{NAMESPACE:+--namespace "$NAMESPACE"}} "$@"; }}

# A Job cannot be applied twice, and a worker refuses a run folder that holds an earlier run.
if k get job "$NAME" >/dev/null 2>&1; then
    echo "error: job/$NAME exists: delete it (k delete job $NAME $MERGE) and its results, or write the manifests with another --name" >&2
    exit 1
fi

# Waits for job $1 to complete; fails as soon as it fails.
wait_job() {{
    k wait --for=condition=complete "job/$1" --timeout="$2" >/dev/null & local ok=$!
    k wait --for=condition=failed "job/$1" --timeout="$2" >/dev/null 2>&1 & local bad=$!
    while kill -0 "$ok" 2>/dev/null && kill -0 "$bad" 2>/dev/null; do sleep 2; done
    if ! kill -0 "$bad" 2>/dev/null && wait "$bad"; then
        kill "$ok" 2>/dev/null || true
        echo "error: job/$1 failed; its pods' logs: kubectl logs -l job-name=$1 --prefix" >&2
        return 1
    fi
    kill "$bad" 2>/dev/null || true
    wait "$ok" || {{ echo "error: job/$1 did not complete within $2" >&2; return 1; }}
}}

"#,
        version = env!("CARGO_PKG_VERSION"),
        name = spec.name,
        workers = spec.workers,
        qname = quote(&spec.name),
        qmerge = quote(&merge_name(spec)),
        qfetch = quote(&fetch_name(spec)),
        timeout = spec.timeout.as_secs().max(1),
        planned = rfc3339(spec.start.at()),
    );
    if spec.results_pvc.is_none() {
        s.push_str("k apply -f pvc.yaml\n");
    } else {
        let _ = writeln!(s, "# The results go to the existing claim {}.", quote(&claim_name(spec)));
    }
    if let ScenarioSource::File { .. } = spec.scenario {
        s.push_str("k apply -f configmap.yaml\n");
    }
    s.push_str(
        r#"if [[ -n $START_DELAY_S ]]; then
    now=$(date -u +%s)
    at=$((now + START_DELAY_S))
    START_AT=$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$at" +%Y-%m-%dT%H:%M:%SZ)
    sed "s/$PLANNED/$START_AT/" job.yaml | k apply -f -
else
    START_AT=$PLANNED
    k apply -f job.yaml
fi
echo "job/$NAME applied; the workers start at $START_AT"
wait_job "$NAME" "$TIMEOUT"
k apply -f merge-job.yaml
wait_job "$MERGE" 10m
k logs "job/$MERGE"

# Copy the merged run out through a pod that mounts the claim.
k apply -f fetch-pod.yaml
trap 'k delete pod "$FETCH" --wait=false >/dev/null 2>&1 || true' EXIT
k wait --for=condition=Ready "pod/$FETCH" --timeout=5m
"#,
    );
    let _ = writeln!(s, "k cp \"$FETCH:{}\" ./merged", merged_dir(spec));
    s.push_str("echo \"the merged run is in ./merged (runner report merged rewrites its reports)\"\n");
    s
}
