#!/usr/bin/env bash
# `just bench`: the two benchmarks of docs/BENCHMARKS.md, bounded in time, traffic to 127.0.0.1 only.
#
#  1. Plain HTTP GETs: `runner play scenarios/http-get.wasm` beside oha and wrk (each when installed)
#     against `runner mock` in its own process; requests/s, the generator's CPU-seconds (user+sys,
#     from GNU time) and requests per generator CPU-second.
#  2. Idle VUs: `cargo bench --bench vus` (RSS and instantiation time per VU, per allocator).
#
# Writes docs/bench-results/<UTC date>T<time>.md and prints it.
# Knobs (environment): DURATION (10s), CONNS (32), ROUNDS (1), PORT (18181), VUS (1000,10000),
# PIN (1: on ≥ 2 CPUs, target on CPU 0 and generator on CPU 1; 0: no pinning), OHA, WRK (paths).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
ROUNDS=${ROUNDS:-1}
PORT=${PORT:-18181}
VUS=${VUS:-1000,10000}
PIN=${PIN:-1}
OHA=${OHA:-$(command -v oha || true)}
WRK=${WRK:-$(command -v wrk || true)}
RUNNER=target/release/runner
URL="http://127.0.0.1:${PORT}/"

for f in "$RUNNER" scenarios/http-get.wasm scenarios/stress-sweep.wasm; do
    [[ -e $f ]] || { echo "missing $f: run \`just build scenarios\` first" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "GNU time (/usr/bin/time) is needed to count CPU-seconds" >&2; exit 1; }
secs=${DURATION%s}
[[ $secs =~ ^[0-9]+$ && $secs -le 15 ]] || { echo "DURATION must be whole seconds ≤ 15s, e.g. 10s" >&2; exit 1; }

target_pin=() gen_pin=() gen_threads=2
if [[ $PIN == 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
    # One core each: the generator's figures do not depend on how the target shares a core with it.
    target_pin=(taskset -c 0) gen_pin=(taskset -c 1) gen_threads=1
fi

source scripts/mock.sh
start_mock "$PORT" "${target_pin[@]}" "$RUNNER" mock --addr "127.0.0.1:${PORT}"

hz=$(getconf CLK_TCK)
# CPU-seconds (user+sys) a process has used so far.
cpu_of() { awk -v hz="$hz" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

# The compiled component goes to the on-disk cache before any timed run.
"$RUNNER" inspect scenarios/http-get.wasm >/dev/null

rows="$work/rows"
: >"$rows"
# measure NAME CMD...: runs a generator, then appends "name requests wall_s user_s sys_s target_cpu_s".
measure() {
    local name=$1
    shift
    local before after
    before=$(cpu_of "$mock_pid")
    /usr/bin/time -f "%e %U %S" -o "$work/time" "${gen_pin[@]}" "$@" >"$work/out" 2>&1 ||
        { echo "$name failed:" >&2; tail -5 "$work/out" >&2; return 0; }
    after=$(cpu_of "$mock_pid")
    local requests wall
    case $name in
    runner)
        requests=$(grep -o '"requests": *[0-9]*' "$work/run/summary.json" | head -1 | grep -o '[0-9]*$')
        wall=$(grep -o '"duration_s": *[0-9.]*' "$work/run/summary.json" | sed -n 2p | grep -o '[0-9.]*$')
        ;;
    wrk)
        requests=$(awk '/requests in/ { print $1 }' "$work/out")
        wall=$(awk '/requests in/ { sub(/s,?$/, "", $4); print $4 }' "$work/out")
        ;;
    oha)
        # oha's JSON summary: total seconds and requests/s; successes are what we count elsewhere.
        wall=$(grep -o '"total": *[0-9.]*' "$work/out" | head -1 | grep -o '[0-9.]*$')
        requests=$(grep -o '"requestsPerSec": *[0-9.]*' "$work/out" | head -1 | grep -o '[0-9.]*$' |
            awk -v w="$wall" '{ printf "%.0f", $1 * w }')
        ;;
    esac
    read -r _ user sys <"$work/time"
    echo "$name ${requests:-0} ${wall:-0} $user $sys $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')" >>"$rows"
}

for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS: runner, oha, wrk — ${DURATION} each, ${CONNS} connections, ${URL}" >&2
    rm -rf "$work/run"
    measure runner "$RUNNER" play scenarios/http-get.wasm --target "${URL%/}" --out "$work/run" \
        -p "vus=${CONNS}" -p "duration=${DURATION}"
    [[ -n $OHA ]] && measure oha "$OHA" -z "$DURATION" -c "$CONNS" --no-tui --http-version 1.1 \
        --output-format json "$URL"
    [[ -n $WRK ]] && measure wrk "$WRK" -t "$gen_threads" -c "$CONNS" -d "$DURATION" "$URL"
done

echo "idle VUs: cargo bench --bench vus -- --vus $VUS" >&2
# A failure here must not throw away the HTTP figures measured above: it goes into the file.
vus_table=$(cargo bench -q -p runner --bench vus -- --vus "$VUS" --markdown 2>"$work/vus.err") ||
    vus_table="The benchmark failed: $(tail -3 "$work/vus.err")"
grep -h 'failed' "$work/vus.err" >&2 || true

stamp=$(date -u +%Y-%m-%dT%H%M)
mkdir -p docs/bench-results
out="docs/bench-results/${stamp}.md"
{
    echo "# Benchmark results, ${stamp} UTC"
    echo
    echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr)."
    echo "Generator pinning: ${gen_pin[*]:-none}; target pinning: ${target_pin[*]:-none}."
    echo "Tools: $("$RUNNER" --version); $([[ -n $OHA ]] && "$OHA" --version || echo 'oha: not installed'); $([[ -n $WRK ]] && ("$WRK" -v 2>&1 || true) | head -1 | cut -d' ' -f1-2 || echo 'wrk: not installed')."
    echo
    echo "## Plain HTTP GET, ${CONNS} connections, ${DURATION}, HTTP/1.1 keep-alive, target \`runner mock\`"
    echo
    echo "| tool | requests | wall (s) | requests/s | generator CPU-s (user+sys) | requests per CPU-s | target CPU-s |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk '{ cpu = $4 + $5; rps = ($3 > 0) ? $2 / $3 : 0; per = (cpu > 0) ? $2 / cpu : 0;
           printf "| %s | %d | %.2f | %.0f | %.2f (%.2f + %.2f) | %.0f | %.2f |\n", $1, $2, $3, rps, cpu, $4, $5, per, $6 }' "$rows"
    echo
    # Runner over each other tool, requests per generator CPU-second: the ratio within each round
    # (neighbouring runs share the machine's mood) and their median, then the ratio of medians.
    awk '{ cpu = $4 + $5; per = (cpu > 0) ? $2 / cpu : 0; if ($1 == "runner") round++; got[$1, round] = per;
           v[$1] = v[$1] " " per; tools[$1] = 1 }
         function median(s,   a, n, i, j, t) { n = split(s, a, " ");
             for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
             return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
         END { if (!("runner" in tools)) exit;
               for (t in tools) { if (t == "runner") continue; list = ""; rs = "";
                   for (k = 1; k <= round; k++) if (got[t, k] > 0 && got["runner", k] > 0) {
                       x = got["runner", k] / got[t, k]; rs = rs " " x; list = list sprintf("%s%.2f×", (list == "" ? "" : ", "), x) }
                   printf "runner / %s, requests per generator CPU-second: per round %s; median of the rounds'"'"' ratios **%.2f×**; ratio of the medians %.2f×\n\n",
                       t, list, median(rs), median(v["runner"]) / median(v[t]) } }' "$rows"
    echo "## Idle VUs of scenarios/stress-sweep.wasm (one process per row)"
    echo
    echo "$vus_table"
} >"$out"
cat "$out"
echo "written to $out" >&2
