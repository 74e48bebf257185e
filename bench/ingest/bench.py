"""Ingest benchmark driver (see run.sh). Every contender reads the same file in the same run."""
import argparse
import datetime
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time


def generate(path, rows):
    """A long-format file of `rows` observations: 2,000 parishes x indicators x periods x segments."""
    indicators = ["daily_smoking", "loneliness", "low_health_literacy", "low_self_rated_health", "copd_prevalence"]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("area_code;indicator;period;numerator;denominator;age_band;sex;segment\n")
        n = 0
        seg = 0
        while n < rows:
            for area in range(7000, 9000):
                for ind in indicators:
                    den = 100 + (n * 7919) % 900
                    num = (n * 104729) % den
                    f.write(f"{area};{ind};2025;{num};{den};;;s{seg}\n")
                    n += 1
                    if n >= rows:
                        return
            seg += 1


def run(cmd, env=None):
    """Runs cmd, returns (seconds, peak RSS of the child in MB)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {p.stderr[-2000:]}")
    peak_kb = int(p.stderr.strip().splitlines()[-1])
    return dt, peak_kb / 1024


def psql(url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--lighed", required=True)
    ap.add_argument("--postgres", required=True)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lighed-bench-ingest-")
    data = os.path.join(work, "big.csv")
    t0 = time.perf_counter()
    generate(data, a.rows)
    size_mb = os.path.getsize(data) / 1e6
    print(f"file: {a.rows:,} rows, {size_mb:.0f} MB (generated in {time.perf_counter() - t0:.1f} s)")
    results = {}

    # lighed on SQLite: seed a fresh data directory first (not timed), then import.
    ddir = os.path.join(work, "sqlite")
    subprocess.run([a.lighed, "--data-dir", ddir, "datasets", "list"], check=True, capture_output=True)
    results["lighed → SQLite"] = run([a.lighed, "--data-dir", ddir, "import", data, "--output", "csv"])

    # lighed on PostgreSQL: a fresh database.
    base = a.postgres.rsplit("/", 1)[0]
    db = f"lighed_bench_{os.getpid()}"
    psql(a.postgres, f"CREATE DATABASE {db}")
    try:
        url = f"{base}/{db}"
        subprocess.run([a.lighed, "--database-url", url, "datasets", "list"], check=True, capture_output=True)
        results["lighed → PostgreSQL"] = run([a.lighed, "--database-url", url, "import", data, "--output", "csv"])
        # PostgreSQL COPY into an equivalent table: the physical reference.
        psql(url, "CREATE TABLE copy_ref (area_code text, indicator text, period text, numerator double precision, "
                  "denominator double precision, age_band text, sex text, segment text)")
        results["psql \\copy (reference)"] = run(
            ["psql", "-q", url, "-c", f"\\copy copy_ref FROM '{data}' WITH (FORMAT csv, DELIMITER ';', HEADER true)"])
    finally:
        psql(a.postgres, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")

    # pandas peer: read_csv(sep=';', decimal=',') + to_sql into SQLite.
    peer = os.path.join(work, "peer.py")
    with open(peer, "w") as f:
        f.write(
            "import sqlite3, sys, pandas as pd\n"
            "df = pd.read_csv(sys.argv[1], sep=';', decimal=',', dtype={'area_code': str, 'period': str,"
            " 'age_band': str, 'sex': str, 'segment': str})\n"
            "con = sqlite3.connect(sys.argv[2])\n"
            "df.to_sql('observations', con, index=False, chunksize=100000)\n"
            "con.commit()\n")
    results["pandas → SQLite"] = run([sys.executable, peer, data, os.path.join(work, "peer.db")])

    print(f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores; {datetime.date.today()}")
    print(f"{'contender':28} {'seconds':>9} {'rows/s':>12} {'peak MB':>9}")
    for k, (dt, mb) in results.items():
        print(f"{k:28} {dt:9.2f} {a.rows / dt:12,.0f} {mb:9.0f}")
    ls, lp = results["lighed → SQLite"][0], results["lighed → PostgreSQL"][0]
    pd_, cp = results["pandas → SQLite"][0], results["psql \\copy (reference)"][0]
    print(f"\nratio pandas/lighed (SQLite):      {pd_ / ls:.2f}x  (>1 = lighed faster)")
    print(f"ratio lighed(PostgreSQL)/COPY:      {lp / cp:.2f}x  (time relative to the physical floor)")
    print(f"peak memory lighed SQLite / file:   {results['lighed → SQLite'][1] / size_mb:.3f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
