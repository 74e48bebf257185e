"""Peers of lighed's segment aggregation (bench/segments/run.sh): pandas groupby and numpy bincount.

Usage: peer.py {pandas|numpy} FILE (CSV, or Parquet when FILE ends in .parquet). Prints one JSON line with parse and aggregation times, the
extra peak memory of the process (ru_maxrss after minus RSS before) and per-segment totals and
checksums computed exactly as services/segments/examples/segments_bench.rs computes them, so the
run script can check that all three agree.

Both peers parse the CSV with pandas.read_csv (pyarrow engine when available: multi-threaded,
the fastest reader pandas has) into compact dtypes, then compute the same output as lighed: per
area x age band (19) x sex cell and per segment of bench-defs.toml, the persons in the base and
in the segment. The segment conditions are written out below (the same as bench-defs.toml).
"""

import json
import resource
import sys
import time

import numpy as np
import pandas as pd

CELLS = 38


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def masks(age, edu, origin, f):
    """(base, member) boolean arrays per segment, in bench-defs.toml order."""
    alone, sh, neet, copd, diab, pre = (f[k] for k in ("alone", "social_housing", "neet", "copd", "diabetes", "prehospital"))
    out = []
    b = (age >= 16) & (age <= 24)
    out.append(("neet_16_24", b, b & neet))
    b = age >= 65
    out.append(("alone_65_chronic", b, b & alone & (copd | diab)))
    b = age >= 18
    out.append(("prehospital_18", b, b & pre))
    b = (age >= 25) & (age <= 64)
    out.append(("basic_nonwestern_25_64", b, b & (edu == 1) & (origin == 3)))
    b = (age >= 18) & (age <= 64) & sh
    out.append(("vulnerable_social_housing", b, b & neet & ((edu == 1) | (edu == 0))))
    return out


def read(path):
    if path.endswith(".parquet"):
        # pandas.read_parquet (pyarrow engine, multi-threaded): area_code is a string column,
        # the others nullable INT32 (as lighed's csv_to_parquet writes them).
        df = pd.read_parquet(path, engine="pyarrow")
        df["area_code"] = df["area_code"].astype("int32")
        df["age"] = df["age"].astype("int16")
        df["sex"] = df["sex"].astype("int8")
        for k in ("alone", "social_housing", "neet", "copd", "diabetes", "prehospital"):
            df[k] = df[k].astype("bool")
        df["education"] = df["education"].fillna(0).astype("int8")
        df["origin"] = df["origin"].fillna(0).astype("int8")
        return df, "pyarrow parquet"
    dtypes = {"area_code": "int32", "age": "int16", "sex": "int8", "education": "float32", "origin": "float32"}
    for k in ("alone", "social_housing", "neet", "copd", "diabetes", "prehospital"):
        dtypes[k] = "bool"
    try:
        import pyarrow  # noqa: F401
        engine = "pyarrow"
    except ImportError:
        engine = "c"
    df = pd.read_csv(path, dtype=dtypes, engine=engine)
    # empty education/origin = unknown (code 0 here)
    df["education"] = df["education"].fillna(0).astype("int8")
    df["origin"] = df["origin"].fillna(0).astype("int8")
    return df, engine


def checksum(area_idx_sorted_counts):
    """totals and checksum from arrays m, b of shape (areas, CELLS) with areas sorted by code."""
    m, b = area_idx_sorted_counts
    w = np.arange(1, m.size + 1, dtype=np.uint64).reshape(m.shape)
    check = int(np.sum(w * (m.astype(np.uint64) * 3 + b.astype(np.uint64) * 7), dtype=np.uint64))
    return [int(m.sum()), int(b.sum()), check]


def main():
    which, path = sys.argv[1], sys.argv[2]
    before = rss_mb()
    t0 = time.perf_counter()
    df, engine = read(path)
    t1 = time.perf_counter()
    age = df["age"].to_numpy()
    cell = (np.minimum(age // 5, 18) * 2 + (df["sex"].to_numpy() - 1)).astype(np.int16)
    flags = {k: df[k].to_numpy() for k in ("alone", "social_housing", "neet", "copd", "diabetes", "prehospital")}
    totals = {}
    if which == "pandas":
        seg = masks(age, df["education"].to_numpy(), df["origin"].to_numpy(), flags)
        cols = {}
        for sid, b, m in seg:
            cols[sid + "/b"] = b
            cols[sid + "/m"] = m
        work = pd.DataFrame({"area_code": df["area_code"].to_numpy(), "cell": cell, **cols})
        g = work.groupby(["area_code", "cell"], sort=True).sum()
        t2 = time.perf_counter()
        areas = np.sort(df["area_code"].unique())
        full = g.reindex(pd.MultiIndex.from_product([areas, np.arange(CELLS)]), fill_value=0)
        for sid, _, _ in seg:
            m = full[sid + "/m"].to_numpy().reshape(len(areas), CELLS)
            b = full[sid + "/b"].to_numpy().reshape(len(areas), CELLS)
            totals[sid] = checksum((m, b))
    else:
        codes, uniques = pd.factorize(df["area_code"].to_numpy(), sort=True)
        key = codes.astype(np.int64) * CELLS + cell
        n = len(uniques) * CELLS
        seg = masks(age, df["education"].to_numpy(), df["origin"].to_numpy(), flags)
        res = {}
        for sid, b, m in seg:
            res[sid] = (np.bincount(key[m], minlength=n), np.bincount(key[b], minlength=n))
        t2 = time.perf_counter()
        for sid, (m, b) in res.items():
            totals[sid] = checksum((m.reshape(-1, CELLS), b.reshape(-1, CELLS)))
    print(json.dumps({
        "peer": which,
        "engine": engine,
        "parse_s": round(t1 - t0, 4),
        "aggregate_s": round(t2 - t1, 4),
        "total_s": round(t2 - t0, 4),
        "extra_peak_mb": round(peak_mb() - before, 1),
        "rows": int(len(df)),
        "versions": {"pandas": pd.__version__, "numpy": np.__version__},
        "totals": totals,
    }))


if __name__ == "__main__":
    main()
