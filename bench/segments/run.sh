#!/usr/bin/env bash
# Issue 6 performance point: aggregate N (default 10,000,000) SYNTHETIC microdata rows (2,100 areas
# x 19 age bands x 2 sexes x 3 education x 3 origin, 6 flags, random order) to counts per area x
# age band x sex x segment (bench-defs.toml: 5 segments) with lighed (release build,
# aggregate_file) and with two peers on the same file in the same run: pandas (read_csv + groupby)
# and numpy (read_csv + bincount on a fused key). Each reads the rows from the file; parse and
# aggregation are reported separately; all three results are cross-checked (per-segment totals
# and a weighted checksum over every cell). Then the same with the rows as Parquet (lighed's
# Parquet input vs pandas/numpy read_parquet). Prints times, extra peak memory and the ratios,
# with the machine, date and load average. Creates bench/segments/.venv (numpy, pandas, pyarrow from PyPI) on first
# use. Not a test: nothing here runs in CI. Usage: bench/segments/run.sh [ROWS] [THREADS]
set -euo pipefail
ROWS=${1:-10000000}
THREADS=${2:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== machine: $(uname -srm); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); load average $(cut -d" " -f1-3 /proc/loadavg)"

if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet numpy pandas pyarrow
fi
py="$here/.venv/bin/python"

(cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --quiet --release -p lighed-segments --example segments_bench)
bin="$TARGET/release/examples/segments_bench"
data="$WORK/people.csv"
"$bin" gen "$data" "$ROWS" 20261124
echo "== rows:    $ROWS in $(du -m "$data" | cut -f1) MB of CSV; lighed threads: $THREADS"
# Warm the page cache once so that every contestant reads from memory.
cat "$data" > /dev/null

LIGHED=$("$bin" run "$data" "$here/bench-defs.toml" "$THREADS")
# One thread too: under load with autogroup scheduling (sched_autogroup_enabled = 1) this
# session's threads share one group's CPU, so lighed's 2 threads halve each other's share while
# a single-threaded peer phase gets all of it; 1 thread vs 1 thread is the fair comparison then.
LIGHED1=$("$bin" run "$data" "$here/bench-defs.toml" 1)
PANDAS=$("$py" "$here/peer.py" pandas "$data")
NUMPY=$("$py" "$here/peer.py" numpy "$data")

# The same rows as Parquet (lighed's csv_to_parquet: area_code string, other columns nullable
# INT32, Snappy, 1 M rows per row group); pandas/numpy read it with read_parquet (pyarrow).
pq="$WORK/people.parquet"
"$bin" to-parquet "$data" "$pq" 1000000
echo "== parquet: $(du -m "$pq" | cut -f1) MB"
cat "$pq" > /dev/null
LIGHED_PQ=$("$bin" run "$pq" "$here/bench-defs.toml" "$THREADS")
PANDAS_PQ=$("$py" "$here/peer.py" pandas "$pq")
NUMPY_PQ=$("$py" "$here/peer.py" numpy "$pq")
echo "== load average after the runs: $(cut -d" " -f1-3 /proc/loadavg)"

echo "== scheduler autogroup: $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo n/a)"
"$py" - "$ROWS" "$LIGHED" "$PANDAS" "$NUMPY" "$LIGHED_PQ" "$PANDAS_PQ" "$NUMPY_PQ" "$LIGHED1" <<'PY'
import json, sys
rows = int(sys.argv[1])
l1 = json.loads(sys.argv[8])
# Raw column bytes: the 11 columns in the narrowest dtypes (area int16, 10 x int8/bool).
raw_mb = rows * (2 + 10) / 2**20
ok = True
for label, args in (("CSV", sys.argv[2:5]), ("Parquet", sys.argv[5:8])):
    l, p, n = (json.loads(a) for a in args)
    agree = l["totals"] == p["totals"] == n["totals"]
    ok = ok and agree
    print(f"\n-- {label} input --")
    print(f"results agree (per-segment totals and cell checksums): {agree}")
    print(f"{'':<26}{'parse (s)':>11}{'aggregate (s)':>15}{'total (s)':>11}{'extra peak MB':>15}")
    lt = l["wall_s"]
    th = l["threads"]
    print(f"{'lighed (' + str(th) + ' threads)':<26}{l['parse_cpu_s'] / th:>11.3f}{l['count_cpu_s'] / th:>15.3f}{lt:>11.3f}{l['extra_peak_mb']:>15.1f}")
    for x in (p, n):
        print(f"{x['peer'] + ' (' + x['engine'] + ')':<26}{x['parse_s']:>11.3f}{x['aggregate_s']:>15.3f}{x['total_s']:>11.3f}{x['extra_peak_mb']:>15.1f}")
    print("(lighed parse/aggregate = time per thread of the fused streaming pass, summed over threads / threads;")
    print(f" merge of the per-thread counts {l['merge_s']:.3f} s; raw column bytes {raw_mb:.0f} MB)")
    for x in (p, n):
        print(f"{x['peer']}/lighed: total time {x['total_s'] / lt:.1f}x, aggregation alone {x['aggregate_s'] / (l['count_cpu_s'] / th):.1f}x, "
              f"extra peak memory {x['extra_peak_mb'] / max(l['extra_peak_mb'], 0.1):.1f}x")
    print(f"lighed extra peak memory = {100 * l['extra_peak_mb'] / raw_mb:.1f} % of the raw column bytes (target <= 10 %)")
    if label == "CSV":
        agree1 = l1["totals"] == l["totals"]
        ok = ok and agree1
        print(f"lighed (1 thread, same file): parse {l1['parse_cpu_s']:.3f} s, aggregate {l1['count_cpu_s']:.3f} s, "
              f"total {l1['wall_s']:.3f} s, extra peak {l1['extra_peak_mb']:.1f} MB; results agree: {agree1}")
        for x in (p, n):
            print(f"  {x['peer']}/lighed(1 thread): total time {x['total_s'] / l1['wall_s']:.1f}x, "
                  f"aggregation alone {x['aggregate_s'] / l1['count_cpu_s']:.1f}x")
    if not agree:
        print("MISMATCH:", l["totals"], p["totals"], n["totals"])
print(f"versions: pandas {p['versions']['pandas']}, numpy {p['versions']['numpy']}")
sys.exit(0 if ok else 1)
PY
