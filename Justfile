# The verbs a person uses. `just` alone lists them.
set shell := ["bash", "-euo", "pipefail", "-c"]

# The shipped scenarios: every Rust crate in scenarios/ (what host/build.rs embeds in the binary),
# each also built to scenarios/<name>.wasm for the tests.
scenarios := `for m in scenarios/*/Cargo.toml; do d=${m%/Cargo.toml}; printf '%s ' "${d#scenarios/}"; done`
# Python scenarios (scenarios/<name>/app.py), built by guests/python/build.sh to scenarios/<name>.wasm.
py_scenarios := "ttft-probe-py stress-sweep-py"
# JavaScript scenarios (scenarios/<name>/scenario.js, guests/js SDK), built to scenarios/<name>.wasm.
js_scenarios := "ttft-probe-js stress-sweep-js agent-js"
# Guests that only the tests use (host/tests/guests/), built to target/test-guests/<name>.wasm.
test_guests := "misbehaving wrong-version older-version gpu-bound stream-shapes request-features hostile hostile-describe sleepy"

default:
    @just --list

# Build the runner binary (release: the tests, the demo and the benchmarks share this one build).
build:
    cargo build --release -p runner

# Build every scenario and test guest to a Wasm component.
scenarios:
    rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
    # The target folder host/build.rs builds the shipped ones in, so neither builds them twice.
    cargo build --target wasm32-wasip2 --profile scenario --target-dir target/scenarios {{ prepend("-p ", scenarios) }} {{ prepend("-p ", test_guests) }}
    mkdir -p target/test-guests
    for s in {{ scenarios }}; do cp "target/scenarios/wasm32-wasip2/scenario/${s//-/_}.wasm" "scenarios/$s.wasm"; done
    for s in {{ test_guests }}; do cp "target/scenarios/wasm32-wasip2/scenario/${s//-/_}.wasm" "target/test-guests/$s.wasm"; done
    for s in {{ py_scenarios }}; do guests/python/build.sh "scenarios/$s" "scenarios/$s.wasm"; done
    # The locked versions. Not `npm ci`: the registry serves only this platform's native binaries,
    # so the lock lacks the other platforms' optional ones and `npm ci` refuses it as out of sync;
    # `npm install --no-save` installs the locked versions and leaves the lock as it is.
    [[ -d guests/js/node_modules ]] || (cd guests/js && npm install --no-save --no-audit --no-fund)
    for s in {{ js_scenarios }}; do \
        if [[ -z $(find "scenarios/$s.wasm" -newer "scenarios/$s/scenario.js" 2>/dev/null) ]] || \
            [[ -n $(find guests/js/src guests/js/build.mjs guests/js/package-lock.json wit -newer "scenarios/$s.wasm" 2>/dev/null | head -1) ]]; then \
            node guests/js/build.mjs "scenarios/$s/scenario.js" -o "scenarios/$s.wasm"; \
        fi; \
    done

# Build runner (with its shipped scenarios inside) and play the TTFT probe against the built-in
# simulated server: only what the demo plays is built (the README's first command, without just).
demo: build
    ./target/release/runner play ttft-probe

# What `just test` needs beyond rustup (Node, Python's venv, chromium, prometheus, the
# pushgateway, docker-registry): installed as root with apt-get, else named in one message.
prereqs:
    scripts/prereqs.sh

# Every test: the host (with real components against the simulated server), reports, the
# contract and the three SDKs (each checked against contract/cases.json).
test: prereqs scenarios
    cargo test --release -p runner -p runner-reports -p runner-contract -p runner-sdk
    guests/python/test.sh
    cd guests/js && npm test

# The shipped scenarios against a real llama.cpp server with a real model (host/tests/real_server.rs),
# one at a time. scripts/llama-server.sh builds the server and fetches the model once per machine
# (about 10 minutes on 2 cores the first time; cached in ~/.cache/runner, keyed by version). The
# packages are `test`'s, so the features cargo unifies, and the build, are the same.
test-real: scenarios
    paths=$(scripts/llama-server.sh) && \
        RUNNER_LLAMA_SERVER=$(sed -n 1p <<<"$paths") RUNNER_LLAMA_MODEL=$(sed -n 2p <<<"$paths") \
        cargo test --release -p runner -p runner-reports -p runner-contract -p runner-sdk --test real_server \
        -- --ignored --test-threads=1 --nocapture

# Distributed runs under Slurm (host/tests/slurm.rs): four `srun` workers, each `--segment I/4` of
# one plan, against the simulated server, then `runner merge`. scripts/slurm.sh installs Debian's
# slurm-wlm and munge when missing (root) and runs a one-node cluster in /tmp/runner-slurm; the
# trap stops it whatever the test does. The packages are `test`'s, so the build is the same.
test-slurm: scenarios
    scripts/slurm.sh install
    trap 'scripts/slurm.sh stop' EXIT; \
        scripts/slurm.sh start; \
        eval "$(scripts/slurm.sh env)"; \
        RUNNER_SLURM=1 cargo test --release -p runner -p runner-reports -p runner-contract -p runner-sdk --test slurm \
        -- --ignored --test-threads=1 --nocapture

# The Kubernetes manifests `runner k8s` writes, validated against the API's schemas
# (scripts/k8s-validate.sh: kubernetes-validate from PyPI, strict, cached in ~/.cache/runner); the
# packages are `test`'s, so the build is the same. The rest of host/tests/k8s.rs runs in `test`.
test-k8s: scenarios
    RUNNER_K8S_VALIDATE=scripts/k8s-validate.sh \
        cargo test --release -p runner -p runner-reports -p runner-contract -p runner-sdk --test k8s the_manifests_pass_the_kubernetes_schemas

# Formatting and lints, as CI would want them.
lint:
    cargo fmt --all --check
    cargo clippy --release -p runner -p runner-reports -p runner-contract --all-targets -- -D warnings

# Bounded (about 15 s per HTTP run), 127.0.0.1 only; writes docs/bench-results/<date>.md.
# Benchmarks (docs/BENCHMARKS.md): HTTP GETs beside oha and wrk, idle-VU memory and start-up.
bench: build scenarios
    scripts/bench.sh

# `runner merge` at scale: WORKERS synthetic worker folders × SECS of per-second data (wall time
# and peak RSS of the merge; no traffic).
bench-merge WORKERS="64" SECS="3600": build
    scripts/merge-bench.sh {{WORKERS}} {{SECS}}

# What the live outputs cost the generator: requests per CPU-second with and without --records
# and --prometheus (scraped every second), against `runner mock` in its own process. Bounded.
bench-outputs: build scenarios
    scripts/outputs-bench.sh

# Memory soak (docs/RELIABILITY.md): `runner play` for SECS s at RATE req/s against the built-in
# server, RSS sampled every second; fails if it grows 5 % or more after a 30 s warm-up. Bounded.
soak-self SECS="600" RATE="1000": build scenarios
    RUNNER_SOAK_S={{ SECS }} RUNNER_SOAK_RATE={{ RATE }} cargo test --release -p runner --test soak -- --nocapture
