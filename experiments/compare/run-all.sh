#!/usr/bin/env bash
# Runs the method comparison (issue 3 §6): every method on the heterogeneous and the homogeneous
# cluster, two simulations at a time with one PyTorch thread each (compute is measured as each
# training thread's CPU time, so the two do not inflate each other's emulated times much), then
# prints the table and writes the plots. The published tables (BENCHMARKS.md §6) use target 0.5
# for the heterogeneous runs and 0.6 for the homogeneous ones: rerun `fedpipe report compare` per
# setting for those.
#   experiments/compare/run-all.sh [OUT_DIR]       (default: target/compare)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/compare}"
mkdir -p "$out"
"$root/fedpipe" info >/dev/null # builds the jar once, before the parallel runs
run_one() {
  local conf="$1" out="$2" root="$3"
  local name; name="$(basename "$conf" .conf)"
  FEDPIPE_THREADS=1 "$root/fedpipe" simulate "$conf" --threads 1 --json >"$out/$name.jsonl" 2>"$out/$name.log"
  echo "done $name"
}
export -f run_one
ls "$here"/hetero-*.conf "$here"/homo-*.conf | xargs -P 2 -I{} bash -c 'run_one "$@"' _ {} "$out" "$root"
"$root/fedpipe" report compare --target 0.6 --out "$root/docs/results" "$out"/*.jsonl
