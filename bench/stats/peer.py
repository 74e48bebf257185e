"""numpy/scipy peer for bench/stats/run.sh: the same Wilson limits and DSRs (Dobson, ESP2013)
on the same inputs written by lighed's `stats_bench`, timed the same way (best of REPEAT, single
thread, file I/O excluded), and checked against lighed's results."""
import json
import sys
import time

import numpy as np
from scipy.stats import norm

ESP2013 = np.array([5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000,
                    6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000], dtype=np.float64)


def wilson(x, n, conf=0.95):
    z = norm.ppf(conf + (1 - conf) / 2)
    z2 = z * z
    centre = 2 * x + z2
    half = z * np.sqrt(z2 + 4 * x * (1 - x / n))
    denom = 2 * (n + z2)
    return (centre - half) / denom, (centre + half) / denom


def dsr(counts, pops, w=ESP2013, conf=0.95, m=1e5):
    z = norm.ppf(conf + (1 - conf) / 2)
    r = w / pops
    wsum = w.sum()
    d = (counts * r).sum(axis=1) / wsum
    var = (counts * r * r).sum(axis=1) / (wsum * wsum)
    o = counts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ol = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
        o1 = o + 1
        ou = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
        se = np.sqrt(var / o)
        value = d * m
        lower = (d + se * (ol - o)) * m
        upper = (d + se * (ou - o)) * m
    small = o < 10
    value[small] = np.nan
    lower[small | (ol < 0)] = np.nan
    upper[small] = np.nan
    return value, lower, upper


def best(f, repeat):
    t_best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def max_rel(a, b):
    both = ~(np.isnan(a) & np.isnan(b))
    if np.any(np.isnan(a[both]) | np.isnan(b[both])):
        return float("inf")
    a, b = a[both], b[both]
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if a.size else 0.0


def main():
    d, areas, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    load = lambda name: np.fromfile(f"{d}/{name}", dtype="<f8")
    x, n = load("x.f64"), load("n.f64")
    counts, pops = load("counts.f64").reshape(areas, 19), load("pops.f64").reshape(areas, 19)
    tw, (wl, wu) = best(lambda: wilson(x, n), repeat)
    td, (dv, dl, du) = best(lambda: dsr(counts, pops), repeat)
    check = {
        "wilson_lower": max_rel(wl, load("rust_wilson_lower.f64")),
        "wilson_upper": max_rel(wu, load("rust_wilson_upper.f64")),
        "dsr": max_rel(dv, load("rust_dsr.f64")),
        "dsr_lower": max_rel(dl, load("rust_dsr_lower.f64")),
        "dsr_upper": max_rel(du, load("rust_dsr_upper.f64")),
    }
    print(json.dumps({"wilson_s": tw, "dsr_s": td, "max_rel_diff": check,
                      "numpy": np.__version__}))


if __name__ == "__main__":
    main()
