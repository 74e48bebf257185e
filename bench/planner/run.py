#!/usr/bin/env python3
"""lighed plan vs PySAL spopt (PuLP + CBC) on the same synthetic MCLP instance, in one run.

Issue 5's performance point: 2,100 demand points x 300 candidate sites, uniform in a
150 x 150 km square, coverage radius 20 km, p = 10, 20, 40. Both tools get the same numbers:
the script draws the instance with a seeded numpy generator, writes it in the `lighed plan`
file contract (D.csv, S.csv, and M.csv with every site-demand pair within the radius; a pair
missing from M.csv means "not covered", which is all that coverage needs) and hands spopt the
full 2,100 x 300 Euclidean cost matrix as a numpy array (`MCLP.from_cost_matrix`).

Timed:
  * lighed: the whole `lighed plan` process (reading the CSV files included), release build,
    `--solver heuristic` and `--solver exact --time-limit`, each run --repeat times (default 5;
    once if a run takes over 5 s) and the median wall time reported (min printed too); the
    plan is the same on every run (deterministic solver);
  * spopt: model build (`MCLP.from_cost_matrix`) and solve (`PULP_CBC_CMD`) separately.

Printed per p: times, objectives, the time ratio (spopt build+solve / lighed), the objective
ratio (lighed / CBC), lighed's upper bound and its gap to CBC's optimum, and whether each side
proved optimality. The machine, date and versions are printed first.

Usage (from the repository root):
    python3 bench/planner/run.py [--ps 10,20,40] [--cbc-time-limit 900] [--exact-time-limit 60]
                                 [--seed 20261124] [--lighed PATH]

The script creates a throwaway venv in bench/planner/.venv with spopt 0.7.0 and PuLP 3.3.2
(CBC ships inside the PuLP wheel) unless it exists, and builds `lighed` in release mode unless
--lighed (or $LIGHED_BIN) names a binary. It does not touch anything else.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
PINS = ["spopt==0.7.0", "pulp==3.3.2"]
N_DEMAND, N_SITES, SIDE_KM, RADIUS_KM = 2100, 300, 150.0, 20.0


def ensure_venv():
    """Re-runs this script inside bench/planner/.venv (created on first use)."""
    py = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not py.exists():
        print(f"creating {VENV} with {' '.join(PINS)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PINS], check=True)
    os.execv(str(py), [str(py), __file__, *sys.argv[1:]])


def lighed_binary(arg):
    if arg:
        return Path(arg)
    if os.environ.get("LIGHED_BIN"):
        return Path(os.environ["LIGHED_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    print("building lighed (release) ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "lighed"], cwd=ROOT, check=True)
    return target / "release" / "lighed"


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()} | {cpu} | {os.cpu_count()} cores | load {os.getloadavg()[0]:.2f}"


def write_instance(out, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    demand = rng.uniform(0.0, SIDE_KM, (N_DEMAND, 2))
    sites = rng.uniform(0.0, SIDE_KM, (N_SITES, 2))
    weight = rng.integers(1, 101, N_DEMAND)
    cost = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1))
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "D.csv", "w") as f:
        f.write("demand_id,weight\n")
        for i in range(N_DEMAND):
            f.write(f"d{i},{int(weight[i])}\n")
    with open(out / "S.csv", "w") as f:
        f.write("site_id\n")
        for j in range(N_SITES):
            f.write(f"s{j}\n")
    pairs = 0
    with open(out / "M.csv", "w") as f:
        f.write("site_id,demand_id,distance\n")
        ii, jj = np.nonzero(cost <= RADIUS_KM)
        for i, j in zip(ii, jj):
            f.write(f"s{j},d{i},{float(cost[i, j])!r}\n")
            pairs += 1
    return cost, weight, pairs


def run_lighed(binary, out, p, solver, time_limit=None, repeat=1):
    """Runs `lighed plan` `repeat` times (once if a run takes over 5 s); returns the median wall
    time, the min, and the plan."""
    args = [
        str(binary), "--data-dir", str(out / "lighed-data"), "plan",
        "--demand", str(out / "D.csv"), "--sites", str(out / "S.csv"),
        "--distances", str(out / "M.csv"), "--radius", str(RADIUS_KM),
        "--open", str(p), "--objective", "coverage", "--solver", solver, "--format", "json",
    ]
    if time_limit is not None:
        args += ["--time-limit", str(time_limit)]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run(args, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"lighed failed: {r.stderr}")
        if times[-1] > 5.0:
            break  # long runs (an exact search to its time limit) are not repeated
    times.sort()
    return times[len(times) // 2], times[0], json.loads(r.stdout)


def run_spopt(cost, weight, p, time_limit):
    import pulp
    from spopt.locate import MCLP

    t = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weight, RADIUS_KM, p)
    build = time.perf_counter() - t
    t = time.perf_counter()
    model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    solve = time.perf_counter() - t
    objective = pulp.value(model.problem.objective)
    # sol_status 1 = optimal; 2 = feasible (stopped by the time limit).
    proven = model.problem.sol_status == pulp.LpSolutionOptimal
    return build, solve, objective, proven


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ps", default="10,20,40")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--cbc-time-limit", type=int, default=900)
    ap.add_argument("--exact-time-limit", type=float, default=60.0)
    ap.add_argument("--lighed")
    ap.add_argument("--repeat", type=int, default=5,
                    help="runs of each lighed command; the median wall time is reported "
                         "(the plan is the same every run: the solver is deterministic)")
    ap.add_argument("--out", default=str(HERE / "out"))
    a = ap.parse_args()
    ensure_venv()
    import numpy
    import pulp
    import spopt

    binary = lighed_binary(a.lighed)
    out = Path(a.out)
    print(f"date     {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine  {machine()}")
    print(f"versions lighed {binary} | spopt {spopt.__version__} | pulp {pulp.__version__} "
          f"(CBC bundled) | numpy {numpy.__version__} | python {platform.python_version()}")
    cost, weight, pairs = write_instance(out, a.seed)
    print(f"instance {N_DEMAND} demand x {N_SITES} sites, {SIDE_KM:g} x {SIDE_KM:g} km, "
          f"radius {RADIUS_KM:g} km, seed {a.seed}, {pairs} covering pairs, "
          f"total weight {int(weight.sum())}")
    print()
    rows = []
    for p in [int(x) for x in a.ps.split(",")]:
        h_time, h_min, h = run_lighed(binary, out, p, "heuristic", repeat=a.repeat)
        e_time, e_min, e = run_lighed(binary, out, p, "exact", a.exact_time_limit,
                                      repeat=a.repeat)
        build, solve, cbc_obj, cbc_proven = run_spopt(cost, weight, p, a.cbc_time_limit)
        spopt_total = build + solve
        row = {
            "p": p,
            "lighed_heuristic_s": h_time, "lighed_heuristic_min_s": h_min,
            "lighed_heuristic_obj": h["objective_value"],
            "lighed_upper_bound": h["upper_bound"], "lighed_heuristic_proven": h["proven_optimal"],
            "lighed_solver": h["solver"],
            "lighed_exact_s": e_time, "lighed_exact_min_s": e_min,
            "lighed_exact_obj": e["objective_value"],
            "lighed_exact_proven": e["proven_optimal"], "lighed_exact_upper_bound": e["upper_bound"],
            "spopt_build_s": build, "spopt_solve_s": solve, "cbc_obj": cbc_obj,
            "cbc_proven": cbc_proven,
        }
        rows.append(row)
        print(f"p = {p}")
        print(f"  spopt+CBC     build {build:8.2f} s  solve {solve:8.2f} s  objective {cbc_obj:.0f}"
              f"  {'optimal' if cbc_proven else 'NOT proven (time limit)'}")
        print(f"  lighed heur.  {h_time:8.3f} s (median, min {h_min:.3f} s)  objective {h['objective_value']:.0f} ({h['solver']})"
              f"  upper bound {h['upper_bound']:.0f}  gap {h['gap']:.3e}"
              f"  {'optimal' if h['proven_optimal'] else ''}")
        print(f"  lighed exact  {e_time:8.3f} s (min {e_min:.3f} s)  objective {e['objective_value']:.0f}"
              f"  upper bound {e['upper_bound']:.0f}"
              f"  {'optimal' if e['proven_optimal'] else 'not proven within ' + str(a.exact_time_limit) + ' s'}")
        print(f"  time ratio    spopt build+solve / lighed heuristic = {spopt_total / h_time:8.1f}x"
              f"   CBC solve only / lighed heuristic = {solve / h_time:6.1f}x")
        print(f"                spopt build+solve / lighed exact     = {spopt_total / e_time:8.1f}x"
              f"   CBC solve only / lighed exact     = {solve / e_time:6.1f}x")
        print(f"  objective     lighed heuristic / CBC = {h['objective_value'] / cbc_obj:.5f}"
              f"   lighed exact / CBC = {e['objective_value'] / cbc_obj:.5f}")
        best = max(cbc_obj, e["objective_value"], h["objective_value"])
        what = "CBC's optimum" if cbc_proven else "the best known value"
        print(f"  upper bound   lighed (heuristic run) is {100 * (h['upper_bound'] / best - 1):.3f} % "
              f"above {what} ({best:.0f})", flush=True)
    (out / "results.json").write_text(json.dumps(rows, indent=2))
    print(f"\nresults written to {out / 'results.json'}")


if __name__ == "__main__":
    main()
