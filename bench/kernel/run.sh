#!/usr/bin/env bash
# Benchmark of lighed's scoring kernel against a numpy-vectorised peer, in the same run, on the
# same synthetic national instance (2,100 areas x 16 indicators, 1,000 Monte Carlo draws), for an
# SVI-style and an IoD-style model, with 1 and 2 threads/processes. Prints times and ratios.
#
#   bench/kernel/run.sh [--draws 1000] [--areas 2100]
#
# Creates bench/kernel/.venv (numpy, scipy from PyPI) on first use. Not a test: nothing here
# asserts a time. It does check that both implementations give the same point ranking.
# Columns: point = one deterministic scoring (median; lighed's scores, ranks and deciles), draws =
# the 1,000-draw Monte Carlo run (wall time), cpu = CPU seconds of that run over all threads or
# processes — on a shared machine the CPU ratio is the steadier measure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
draws=1000
areas=2100
while [ $# -gt 0 ]; do
  case "$1" in
    --draws) draws="$2"; shift 2 ;;
    --areas) areas="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
out="$here/out"
mkdir -p "$out"

if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet numpy scipy
fi
py="$here/.venv/bin/python"

echo "building lighed (release)…" >&2
(cd "$root" && cargo build --quiet --release -p lighed-core --example kernel_bench)
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/release/examples/kernel_bench"

input="$out/national_${areas}.csv"
"$py" "$here/peer.py" generate "$input" --areas "$areas"

echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $("$py" -c 'import numpy, scipy; print("numpy", numpy.__version__, "scipy", scipy.__version__)')"
echo "instance: $areas areas x 16 indicators, $draws draws"
printf '%-6s %-8s %12s %12s %12s %12s %9s %9s %14s %14s %9s\n' model threads lighed_point peer_point lighed_draws peer_draws pt_ratio dr_ratio lighed_cpu peer_cpu cpu_ratio
for model in svi iod; do
  toml="$here/${model}_style.toml"
  RAYON_NUM_THREADS=1 "$bin" --model "$toml" --input "$input" --draws "$draws" --seed 1 --point-out "$out/${model}_lighed_point.csv" >/dev/null
  "$py" "$here/peer.py" score "$model" "$input" --draws 10 --procs 1 --point-out "$out/${model}_peer_point.csv" >/dev/null
  # Same model, same data ⇒ the same point ranking (scores equal to 1e-9).
  "$py" - "$out/${model}_lighed_point.csv" "$out/${model}_peer_point.csv" <<'PY'
import csv, sys
a = list(csv.DictReader(open(sys.argv[1]))); b = list(csv.DictReader(open(sys.argv[2])))
bad = [x["area_code"] for x, y in zip(a, b) if x["rank"] != y["rank"] or abs(float(x["score"]) - float(y["score"])) > 1e-9]
if bad:
    sys.exit(f"point rankings differ for {len(bad)} areas, e.g. {bad[:5]}")
PY
  for t in 1 2; do
    l=$(RAYON_NUM_THREADS=$t "$bin" --model "$toml" --input "$input" --draws "$draws" --seed 1)
    p=$("$py" "$here/peer.py" score "$model" "$input" --draws "$draws" --procs $t)
    "$py" - "$model" "$t" "$l" "$p" <<'PY'
import json, sys
m, t, l, p = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(f"{m:<6} {t:<8} {l['point_median_s']*1e3:10.3f}ms {p['point_median_s']*1e3:10.3f}ms {l['draws_s']:11.3f}s {p['draws_s']:11.3f}s "
      f"{p['point_median_s']/l['point_median_s']:8.1f}x {p['draws_s']/l['draws_s']:8.1f}x "
      f"{l['draws_cpu_s']:13.2f}s {p['draws_cpu_s']:13.2f}s {p['draws_cpu_s']/l['draws_cpu_s']:8.1f}x")
PY
  done
done
