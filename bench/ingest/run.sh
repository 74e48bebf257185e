#!/usr/bin/env bash
# Ingest benchmark: the same long-format file imported by lighed (SQLite and PostgreSQL), by a
# pandas peer (read_csv + to_sql into SQLite) and by PostgreSQL's own COPY (the physical
# reference), in one run. Prints times, rows/s, peak memory and the ratios.
#
#   bench/ingest/run.sh [ROWS]        (default 10000000; PG tests need LIGHED_BENCH_POSTGRES_URL or
#                                      the machine's postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
cd "$(dirname "$0")"
ROWS=${1:-10000000}
PG=${LIGHED_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet 'pandas==2.2.3' 'numpy<2.3'
fi
( cd ../.. && cargo build --release -p lighed --quiet )
exec .venv/bin/python bench.py --rows "$ROWS" --lighed ../../target/release/lighed --postgres "$PG"
