#!/usr/bin/env bash
# The figures of docs/bench-results/guest-python.md for a Python scenario beside its Rust twin:
# component size, first and cached compile (`runner inspect` with an empty, then a warm cache),
# idle VUs (`cargo bench --bench vus`, the pooling allocator `runner play` uses) and the RSS of a
# process running N busy VUs against the built-in simulated server (bounded: 3 s per run).
# Knobs (environment): VUS (100,500). Needs `just build scenarios` first.
set -euo pipefail
cd "$(dirname "$0")/.."
VUS=${VUS:-100,500}
RUNNER=target/release/runner
for f in "$RUNNER" scenarios/stress-sweep.wasm scenarios/stress-sweep-py.wasm; do
    [[ -e $f ]] || { echo "missing $f: run \`just build scenarios\` first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | component | first load (compiled) | cached load |"
echo "|---|---:|---:|---:|"
for s in stress-sweep stress-sweep-py; do
    size=$(du -k "scenarios/$s.wasm" | cut -f1)
    loads=()
    for _ in 1 2; do
        loads+=("$(RUNNER_LOG=info RUNNER_CACHE_DIR="$work/cache-$s" "$RUNNER" inspect "scenarios/$s.wasm" 2>&1 >/dev/null |
            grep -o 'loaded .* in [0-9.]*[µm]*s' | awk '{ print $NF }')")
    done
    echo "| $s | ${size} KiB | ${loads[0]} | ${loads[1]} |"
done
echo
echo "Busy VUs: \`runner play … -p levels=N -p lengths=4 -p duration=3s --mock ttft=50ms,itl=10ms\`"
echo
echo "| scenario | VUs | max RSS (MiB) | requests |"
echo "|---|---:|---:|---:|"
for s in stress-sweep stress-sweep-py; do
    for n in ${VUS//,/ }; do
        RUNNER_CACHE_DIR="$work/cache-$s" /usr/bin/time -f "%M" -o "$work/rss" "$RUNNER" play "scenarios/$s.wasm" \
            --quiet -p "levels=$n" -p lengths=4 -p duration=3s --max-vus "$n" --mock ttft=50ms,itl=10ms \
            --out "$work/run" >/dev/null 2>&1 || true
        req=$(grep -o '"requests": *[0-9]*' "$work/run/summary.json" 2>/dev/null | head -1 | grep -o '[0-9]*$')
        echo "| $s | $n | $(($(cat "$work/rss") / 1024)) | ${req:-failed} |"
        rm -rf "$work/run"
    done
done
echo
echo "Idle VUs: \`cargo bench -p runner --bench vus -- --scenario scenarios/stress-sweep-py.wasm --vus $VUS\`"
echo
cargo bench -q -p runner --bench vus -- --scenario "$PWD/scenarios/stress-sweep-py.wasm" --vus "$VUS" \
    --allocators runner --markdown 2>&1
