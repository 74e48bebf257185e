#!/usr/bin/env bash
# Wilson limits and DSRs for N areas (default 1,000,000) with lighed and with a numpy/scipy
# peer in the same run, on the same seeded inputs; prints both times, the ratio, the agreement
# of the results, and the machine and date. Usage: bench/stats/run.sh [AREAS] [REPEAT]
set -euo pipefail
AREAS=${1:-1000000}
REPEAT=${2:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d)
VENV=${BENCH_VENV:-$ROOT/bench/stats/.venv}
trap 'rm -rf "$WORK"' EXIT

echo "== machine: $(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "== areas:   $AREAS (19 age bands for DSR), best of $REPEAT, single thread, I/O excluded"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet numpy scipy
fi

(cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --quiet --release -p lighed-core --example stats_bench)
RUST=$("$TARGET/release/examples/stats_bench" "$WORK" "$AREAS" 2026 "$REPEAT")
PEER=$("$VENV/bin/python" "$ROOT/bench/stats/peer.py" "$WORK" "$AREAS" "$REPEAT")

"$VENV/bin/python" - "$RUST" "$PEER" <<'PY'
import json, sys
r, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'task':<8} {'lighed (s)':>12} {'numpy/scipy (s)':>16} {'peer/lighed':>12}")
for k, name in (("wilson_s", "wilson"), ("dsr_s", "dsr")):
    print(f"{name:<8} {r[k]:>12.4f} {p[k]:>16.4f} {p[k] / r[k]:>12.2f}")
print(f"numpy {p['numpy']}; max relative difference of results: "
      + ", ".join(f"{k} {v:.1e}" for k, v in p["max_rel_diff"].items()))
PY
