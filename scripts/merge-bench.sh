#!/usr/bin/env bash
# `runner merge` at scale: WORKERS synthetic worker folders (default 64), each one segment of a
# SECONDS-long (default 3600) open-loop phase with a worker's histograms in summary.json and one
# sample per second in timeseries.jsonl; then the merge's wall time and peak RSS.
# Usage: scripts/merge-bench.sh [WORKERS] [SECONDS]   (needs `cargo build --release -p runner`)
set -euo pipefail
workers=${1:-64}
seconds=${2:-3600}
target=${CARGO_TARGET_DIR:-target}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo run -q --release -p runner-reports --example synth_workers -- "$dir/in" "$workers" "$seconds"
echo "input: $(du -sh "$dir/in" | cut -f1) in $workers folders"
/usr/bin/time -v "$target/release/runner" merge "$dir/out" "$dir"/in/w* >/dev/null 2>"$dir/time.txt" || {
  cat "$dir/time.txt"; exit 1; }
grep -E "Elapsed \(wall|Maximum resident|User time|System time" "$dir/time.txt"
echo "output: $(du -sh "$dir/out" | cut -f1); timeseries.jsonl $(wc -l <"$dir/out/timeseries.jsonl") lines"
