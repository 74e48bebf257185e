"""numpy-vectorised peer of lighed's scoring kernel for bench/kernel/run.sh.

Implements the two benchmark models (svi_style.toml, iod_style.toml) with the same steps and the
same sampling model as lighed (binomial draws of every proportion), vectorised over draws x areas
with numpy (and scipy.special.ndtri for the normal quantile). Also generates the synthetic
national instance.

  python peer.py generate OUT.csv [--areas 2100] [--seed 2026]
  python peer.py score {svi,iod} IN.csv --draws 1000 --seed 1 --procs 1 [--point-out P.csv]
"""

import argparse
import csv
import json
import math
import resource
import sys
import time
from multiprocessing import Pool

import numpy as np
from scipy.special import ndtri

IDS = [f"i{k:02d}" for k in range(1, 17)]
EPS = np.finfo(float).eps


def generate(path, areas, seed):
    """2,100 parish-like areas x 16 proportions with a shared deprivation gradient."""
    rng = np.random.default_rng(seed)
    pop = np.clip(np.round(rng.lognormal(math.log(2000), 0.9, areas)), 60, 60000)
    u = rng.normal(size=areas)
    base = np.linspace(0.03, 0.40, 16)
    frac = np.linspace(0.25, 1.0, 16)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["area_code"] + [f"{i}_{s}" for i in IDS for s in ("numerator", "denominator")])
        cols = []
        for k in range(16):
            den = np.maximum(np.round(pop * frac[k]), 20)
            logit = math.log(base[k] / (1 - base[k])) + 0.5 * u + 0.3 * rng.normal(size=areas)
            p = 1 / (1 + np.exp(-logit))
            num = rng.binomial(den.astype(np.int64), p)
            cols.append((num, den))
        for a in range(areas):
            row = [f"A{a:05d}"]
            for num, den in cols:
                row += [int(num[a]), int(den[a])]
            w.writerow(row)


def read(path):
    with open(path) as f:
        r = csv.reader(f)
        h = next(r)
        rows = list(r)
    num = np.array([[float(x[h.index(f"{i}_numerator")]) for x in rows] for i in IDS])
    den = np.array([[float(x[h.index(f"{i}_denominator")]) for x in rows] for i in IDS])
    return [x[h.index("area_code")] for x in rows], num, den


def round_away(x, d):
    """Half away from zero at d decimals, treating values within 8 ulps of a half as the half
    (the same rule as lighed's transform::round_half_away)."""
    p = 10.0 ** d
    m = np.abs(x) * p
    f = np.floor(m)
    frac = m - f
    half = np.abs(frac - 0.5) <= 8 * EPS * np.maximum(m, 1.0)
    r = np.where(half | (frac > 0.5), f + 1, f)
    return np.copysign(r / p, x)


def min_ranks(x):
    """Min ranks (1 = smallest, ties share the smallest) along axis 1."""
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, 1)
    n = x.shape[1]
    new = np.ones_like(xs, dtype=bool)
    new[:, 1:] = xs[:, 1:] != xs[:, :-1]
    first = np.where(new, np.arange(n)[None, :], 0)
    first = np.maximum.accumulate(first, axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, first + 1, 1)
    return ranks


def avg_ranks(x):
    """Average ranks along axis 1."""
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, 1)
    n = x.shape[1]
    new = np.ones_like(xs, dtype=bool)
    new[:, 1:] = xs[:, 1:] != xs[:, :-1]
    pos = np.arange(n)[None, :]
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    last_rev = np.where(np.concatenate([new[:, 1:], np.ones((x.shape[0], 1), bool)], axis=1), pos, n)
    last = np.minimum.accumulate(last_rev[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, 1)
    return ranks


def percent_rank(x, in_dec, out_dec):
    if in_dec is not None:
        x = round_away(x, in_dec)
    n = x.shape[1]
    return round_away((min_ranks(x) - 1) / (n - 1), out_dec)


def svi_model(props):
    """props: 16 arrays (draws x areas) in percent -> score (draws x areas)."""
    epl = [percent_rank(p, 1, 4) for p in props]
    themes = [epl[0:5], epl[5:10], epl[10:11], epl[11:16]]
    rpl = []
    for th in themes:
        s = 0.0
        for e in th:
            s = s + e
        rpl.append(percent_rank(round_away(s, 4), None, 4))
    s = 0.0
    for r in rpl:
        s = s + r
    return percent_rank(round_away(s, 4), None, 4)


def exp_transform(d):
    n = d.shape[1]
    r = min_ranks(d) / n
    return -23.0 * np.log(1 - r * (1 - math.exp(-100 / 23)))


def iod_model(props):
    n = props[0].shape[1]
    z = [ndtri((avg_ranks(p) - 0.5) / n) for p in props]
    w = [0.4, 0.3, 0.2, 0.1]
    xs = []
    for d in range(4):
        s = 0.0
        for j in range(4):
            s = s + w[j] * z[4 * d + j]
        xs.append(exp_transform(s))
    out = 0.0
    for wd, x in zip([0.3, 0.3, 0.2, 0.2], xs):
        out = out + wd * x
    return out


MODELS = {"svi": svi_model, "iod": iod_model}


def rank_desc(score):
    """1 = highest score; ties by area order (areas are in area-code order)."""
    order = np.argsort(-score, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, score.shape[1] + 1)[None, :], 1)
    return ranks


def draw_ranks(args):
    model, num, den, draws, seed = args
    rng = np.random.default_rng(seed)
    props = []
    for k in range(len(IDS)):
        p = num[k] / den[k]
        x = rng.binomial(den[k].astype(np.int64)[None, :], p[None, :], size=(draws, den.shape[1]))
        props.append(100.0 * x / den[k][None, :])
    return rank_desc(MODELS[model](props))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("out")
    g.add_argument("--areas", type=int, default=2100)
    g.add_argument("--seed", type=int, default=2026)
    s = sub.add_parser("score")
    s.add_argument("model", choices=sorted(MODELS))
    s.add_argument("input")
    s.add_argument("--draws", type=int, default=1000)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--procs", type=int, default=1)
    s.add_argument("--point-out")
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.out, a.areas, a.seed)
        return
    codes, num, den = read(a.input)
    # Deterministic scoring (one "draw" = the observed values), median of 20 runs.
    point_times = []
    for _ in range(20):
        t = time.perf_counter()
        score = MODELS[a.model]([(100.0 * num[k] / den[k])[None, :] for k in range(len(IDS))])
        point_times.append(time.perf_counter() - t)
    point_times.sort()
    if a.point_out:
        ranks = rank_desc(score)[0]
        with open(a.point_out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["area_code", "score", "rank"])
            for c, v, r in zip(codes, score[0], ranks):
                w.writerow([c, repr(float(v)), int(r)])
    def cpu():
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    t, c0 = time.perf_counter(), cpu()
    parts = [a.draws // a.procs + (1 if i < a.draws % a.procs else 0) for i in range(a.procs)]
    jobs = [(a.model, num, den, d, a.seed * 1000 + i) for i, d in enumerate(parts)]
    if a.procs == 1:
        ranks = draw_ranks(jobs[0])
    else:
        with Pool(a.procs) as pool:
            ranks = np.concatenate(pool.map(draw_ranks, jobs), axis=0)
    # The same per-area summaries lighed reports.
    srt = np.sort(ranks, axis=0)
    d = ranks.shape[0]
    q = lambda p: srt[max(math.ceil(p * d), 1) - 1]
    med, lo, hi = q(0.5), q(0.05), q(0.95)
    top = (ranks <= ranks.shape[1] // 10).mean(axis=0)
    draws_s = time.perf_counter() - t
    draws_cpu_s = cpu() - c0
    json.dump(
        {
            "peer": "numpy " + np.__version__,
            "model": a.model,
            "areas": len(codes),
            "draws": a.draws,
            "procs": a.procs,
            "point_median_s": point_times[len(point_times) // 2],
            "draws_s": round(draws_s, 4),
            "draws_cpu_s": round(draws_cpu_s, 2),
            "checksum": int(med.sum() + lo.sum() + hi.sum()) + float(top.sum()),
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
