#!/usr/bin/env bash
# JS guests beside the Rust one (docs/bench-results/guest-js.md): for each engine, the component's
# size, its build time, wasmtime's compile time (first, then from runner's on-disk cache), and the
# resident memory of `runner play` holding N VUs that each ran guest code and wait in an LLM call.
# Bounded (each play lasts about 6 s), traffic to 127.0.0.1 only.
#
#   scripts/bench-js.sh                # VUS=1,100,500,1000 ENGINES="rust quickjs starlingmonkey"
#
# The memory rows: a separate `runner mock` (TTFT 4 s) holds every request open, the scenario is
# stress-sweep (Rust) or stress-sweep-js built with each engine, one phase of N VUs for 1 s; the
# peak VmRSS of the runner process, sampled every 100 ms, minus the 1-VU row, over N − 1.
set -euo pipefail
cd "$(dirname "$0")/.."

VUS=${VUS:-1,100,500,1000}
ENGINES=${ENGINES:-rust quickjs starlingmonkey}
PORT=${PORT:-18282}
RUNNER=target/release/runner
[[ -x $RUNNER && -e scenarios/stress-sweep.wasm ]] || { echo "run \`just build scenarios\` first" >&2; exit 1; }

source scripts/mock.sh
start_mock "$PORT" "$RUNNER" mock --addr "127.0.0.1:${PORT}" --ttft-ms 4000 --itl-ms 1

# component ENGINE: the stress-sweep component for that engine (built here for the JS engines).
declare -A wasm build_s
for e in $ENGINES; do
    case $e in
    rust) wasm[$e]=scenarios/stress-sweep.wasm build_s[$e]="-" ;;
    *)
        wasm[$e]="$work/stress-sweep-$e.wasm"
        began=$(date +%s.%N)
        node guests/js/build.mjs scenarios/stress-sweep-js/scenario.js -o "${wasm[$e]}" --engine "$e" 2>/dev/null
        build_s[$e]=$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        ;;
    esac
done

# load_ms FILE CACHE: how long `runner inspect` took to load FILE, from its own log line.
load_ms() {
    RUNNER_CACHE_DIR=$2 RUNNER_LOG=info "$RUNNER" inspect "$1" 2>&1 >/dev/null |
        sed 's/\x1b\[[0-9;]*m//g' | grep -o 'in [0-9.]*m\?s ' | head -1 |
        awk '{ v = $2; if (v ~ /ms$/) { sub(/ms$/, "", v); print v } else { sub(/s$/, "", v); print v * 1000 } }'
}

# peak_rss_kib ENGINE N: peak VmRSS of `runner play` with N VUs waiting in an LLM call.
peak_rss_kib() {
    local cache=$work/cache-$1
    "$RUNNER" play "${wasm[$1]}" --target "http://127.0.0.1:${PORT}" --quiet --out "$work/run-$1-$2" \
        --max-vus "$2" -p "levels=$2" -p lengths=2 -p duration=1s >/dev/null 2>"$work/play.err" &
    local pid=$! peak=0 rss
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        ((rss > peak)) && peak=$rss
        sleep 0.1
    done
    wait "$pid" || { echo "play $1 × $2 failed: $(tail -1 "$work/play.err")" >&2; echo 0; return; }
    echo "$peak"
}

echo "| engine | component (MB) | build (s) | compile, first (ms) | compile, cached (ms) | $(tr ',' '\n' <<<"$VUS" | sed 's/.*/RSS at & VUs (MiB)/' | paste -sd'|' | sed 's/|/ | /g') | RSS per VU (MiB) |"
echo "|---|---:|---:|---:|---:|$(tr ',' '\n' <<<"$VUS" | sed 's/.*/---:/' | paste -sd'|')|---:|"
for e in $ENGINES; do
    size=$(stat -c %s "${wasm[$e]}" | awk '{ printf "%.2f", $1 / 1e6 }')
    cache=$work/cache-$e
    first=$(load_ms "${wasm[$e]}" "$cache")
    cached=$(load_ms "${wasm[$e]}" "$cache")
    row="| $e | $size | ${build_s[$e]} | $first | $cached |"
    base= last= lastn=
    for n in ${VUS//,/ }; do
        kib=$(RUNNER_CACHE_DIR=$cache peak_rss_kib "$e" "$n")
        row+=" $(awk -v k="$kib" 'BEGIN { printf "%.0f", k / 1024 }') |"
        [[ -z $base ]] && base=$kib
        last=$kib lastn=$n
    done
    row+=" $(awk -v a="$base" -v b="$last" -v n="$lastn" 'BEGIN { printf "%.2f", (b - a) / 1024 / (n - 1) }') |"
    echo "$row"
done
