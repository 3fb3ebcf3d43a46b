#!/usr/bin/env bash
# Runs the E2E comparison (issue 10 §3): every method on the heterogeneous 4-node cluster, then the
# three seeds of FedPipe and LoRA-FedAvg at half the time budget (seeds/); two simulations at a time with one PyTorch
# thread each (compute is measured as each training thread's CPU time, so the two do not inflate
# each other's emulated times much). Then prints the table and writes the plots.
#   experiments/e2e/run-all.sh [OUT_DIR]       (default: target/e2e-compare)
# FEDPIPE=path/to/launcher overrides ./fedpipe (e.g. a frozen copy of the jar while you keep editing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/e2e-compare}"
fedpipe="${FEDPIPE:-$root/fedpipe}"
mkdir -p "$out"
"$fedpipe" info >/dev/null # builds the jar once, before the parallel runs
run_one() {
  local conf="$1" out="$2" fedpipe="$3"
  local name; name="$(basename "$conf" .conf)"
  if [ -s "$out/$name.jsonl" ] && [ -s "$out/$name.table" ]; then echo "kept $name"; return; fi
  FEDPIPE_THREADS=1 "$fedpipe" simulate "$conf" --threads 1 --json >"$out/$name.jsonl" 2>"$out/$name.log"
  echo "done $name $(date +%T)"
}
export -f run_one
ls "$here"/hetero-*.conf "$here"/seeds/*.conf | xargs -P 2 -I{} bash -c 'run_one "$@"' _ {} "$out" "$fedpipe"
"$fedpipe" report compare --target 0.2 --out "$root/docs/results" "$out"/*.jsonl
