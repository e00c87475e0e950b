#!/usr/bin/env bash
# `just bench-outputs`: what the live outputs cost the generator (docs/BENCHMARKS.md, section 5).
#
# `runner play scenarios/rate.wasm` at RATE streamed completions/s (MAX_TOKENS tokens each) for
# DURATION against `runner mock` in its own process with zero delays, four ways: no live output,
# --records, --prometheus (scraped every second, as Prometheus would), and both. Each variant's
# requests per generator CPU-second (user+sys, GNU time), and its ratio to the plain run of the
# same round (neighbouring runs share the machine's mood); medians over ROUNDS.
#
# Writes docs/bench-results/<UTC date>T<time>-outputs.md and prints it. Bounded, 127.0.0.1 only.
# Knobs (environment): RATE (1000), DURATION (10s), MAX_TOKENS (16), ROUNDS (3), PORT (18191),
# PIN (1: on ≥ 2 CPUs, target on CPU 0 and generator on CPU 1).
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-1000}
DURATION=${DURATION:-10s}
MAX_TOKENS=${MAX_TOKENS:-16}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18191}
PIN=${PIN:-1}
RUNNER=target/release/runner
METRICS_PORT=$((PORT + 1))

for f in "$RUNNER" scenarios/rate.wasm; do
    [[ -e $f ]] || { echo "missing $f: run \`just build scenarios\` first" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "GNU time (/usr/bin/time) is needed to count CPU-seconds" >&2; exit 1; }
secs=${DURATION%s}
[[ $secs =~ ^[0-9]+$ && $secs -le 15 ]] || { echo "DURATION must be whole seconds ≤ 15s, e.g. 10s" >&2; exit 1; }

target_pin=() gen_pin=()
if [[ $PIN == 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
    target_pin=(taskset -c 0) gen_pin=(taskset -c 1)
fi

source scripts/mock.sh
start_mock "$PORT" "${target_pin[@]}" "$RUNNER" mock --addr "127.0.0.1:${PORT}" --ttft-ms 0 --itl-ms 0
"$RUNNER" inspect scenarios/rate.wasm >/dev/null

# Scrapes /metrics once a second while it runs, as a Prometheus with a 1 s interval would.
scrape() {
    while sleep 1; do
        (exec 3<>"/dev/tcp/127.0.0.1/${METRICS_PORT}" &&
            printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3 && cat <&3 >/dev/null) 2>/dev/null || true
    done
}

rows="$work/rows"
: >"$rows"
# measure ROUND NAME ARGS...: one run; appends "round name requests user sys dropped".
measure() {
    local round=$1 name=$2
    shift 2
    rm -rf "$work/run"
    local scraper=
    if [[ " $* " == *" --prometheus "* ]]; then
        scrape &
        scraper=$!
    fi
    /usr/bin/time -f "%U %S" -o "$work/time" "${gen_pin[@]}" "$RUNNER" play scenarios/rate.wasm -q \
        --target "http://127.0.0.1:${PORT}" --out "$work/run" --max-vus 2000 \
        -p "rate=${RATE}" -p "duration=${DURATION}" -p "max_tokens=${MAX_TOKENS}" -p max_vus=2000 "$@" \
        >"$work/out" 2>&1 || { echo "$name failed:" >&2; tail -5 "$work/out" >&2; }
    [[ -n $scraper ]] && { kill "$scraper" 2>/dev/null || true; wait "$scraper" 2>/dev/null || true; }
    local requests dropped
    requests=$(grep -o '"requests": *[0-9]*' "$work/run/summary.json" | head -1 | grep -o '[0-9]*$')
    dropped=$(grep -o '"dropped": *[0-9]*' "$work/run/summary.json" | head -1 | grep -o '[0-9]*$')
    read -r user sys <"$work/time"
    echo "$round $name ${requests:-0} $user $sys ${dropped:-0}" >>"$rows"
}

for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS: ${RATE}/s × ${DURATION}, ${MAX_TOKENS} tokens each" >&2
    measure "$round" plain
    measure "$round" records --records
    measure "$round" prometheus --prometheus "127.0.0.1:${METRICS_PORT}"
    measure "$round" both --records --prometheus "127.0.0.1:${METRICS_PORT}"
done

stamp=$(date -u +%Y-%m-%dT%H%M)
mkdir -p docs/bench-results
out="docs/bench-results/${stamp}-outputs.md"
{
    echo "# Live outputs' cost, ${stamp} UTC"
    echo
    echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Generator pinning: ${gen_pin[*]:-none}; target pinning: ${target_pin[*]:-none}. $("$RUNNER" --version)."
    echo "\`runner play scenarios/rate.wasm\`, ${RATE} streamed completions/s × ${DURATION}, ${MAX_TOKENS} tokens each, against \`runner mock --ttft-ms 0 --itl-ms 0\`; ${ROUNDS} rounds."
    echo
    echo "| variant | requests (median) | dropped (max) | generator CPU-s (median) | requests per CPU-s (median) | vs plain, same round (median) |"
    echo "|---|---:|---:|---:|---:|---:|"
    awk '
        function median(s,   a, n, i, j, t) { n = split(s, a, " ");
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        { cpu = $4 + $5; per = (cpu > 0) ? $3 / cpu : 0; key = $1 SUBSEP $2; perf[key] = per;
          req[$2] = req[$2] " " $3; c[$2] = c[$2] " " cpu; p[$2] = p[$2] " " per;
          if ($6 > drop[$2]) drop[$2] = $6; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } rounds[$1] = 1 }
        END { for (i = 1; i <= n; i++) { v = order[i]; r = "";
                  for (k in rounds) if (perf[k, "plain"] > 0) r = r " " perf[k, v] / perf[k, "plain"];
                  printf "| %s | %d | %d | %.2f | %.0f | %.2f |\n", v, median(req[v]), drop[v], median(c[v]), median(p[v]), median(r) } }' "$rows"
} >"$out"
cat "$out"
echo "written: $out" >&2
