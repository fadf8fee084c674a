"""Benchmark: N-1 criticality and the expansion plan, on synthetic networks and on the bundled corridor.

    python benchmarks/bench_questions.py [--sizes 1000 10000] [--od 100] [--jobs 2]

N-1 re-solves only the assets that carry flow, warm, on ``--jobs`` processes; a sample of
assets is re-solved cold from scratch to show that the results are identical.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_assignment import synthetic

import corridor
from corridor.analyses.criticality import n_minus_1
from corridor.solve.master import Expansion, MasterLP


def bench_n_minus_1(problem, jobs: int, sample: int = 5) -> str:
    t0 = time.perf_counter()
    table = n_minus_1(problem, jobs=jobs)
    seconds = time.perf_counter() - t0
    resolved = table[table["resolved"]]
    rng = np.random.default_rng(0)
    picks = rng.choice(resolved.index.to_numpy(), size=min(sample, len(resolved)), replace=False)
    base = MasterLP(problem).solve().objective
    worst = 0.0
    for eid in picks:
        blocked = np.array([e == eid for e in problem.arcs.element])
        cold = MasterLP(problem).solve(blocked=blocked).objective - base
        worst = max(worst, abs(cold - table.loc[eid, "objective_change"]) / max(1.0, abs(cold)))
    return (
        f"N-1 {seconds:8.2f} s  ({len(resolved)} of {len(table)} assets re-solved, jobs={jobs}; "
        f"max relative difference to cold re-solves of {len(picks)} assets: {worst:.1e})"
    )


def bench_plan(problem) -> str:
    arcs = problem.arcs
    group = np.arange(arcs.n_arcs)
    cost = 40.0 + arcs.length_km  # MUSD per unit: a fixed part plus one per km (synthetic)
    t0 = time.perf_counter()
    sol = MasterLP(problem, expansion=Expansion(group=group, cost=cost)).solve()
    seconds = time.perf_counter() - t0
    bought = int((sol.expansion > 1e-7).sum())
    return f"plan {seconds:7.2f} s  ({bought} arcs expanded, unserved {(problem.demand - sol.served).sum():.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--od", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--load", type=float, default=1.0, help="demand multiplier (2.5: heavily congested)")
    args = ap.parse_args()
    geodata = corridor.load_geodata()
    for name in ("baseline-2024", "target-2030"):
        sc = corridor.load_scenario(name, geodata)
        t0 = time.perf_counter()
        table = corridor.criticality(geodata, sc, jobs=1)
        t1 = time.perf_counter()
        corridor.plan_expansion(geodata, sc, target=10.0)
        t2 = time.perf_counter()
        print(
            f"corridor {name}: N-1 {t1 - t0:.2f} s ({int(table['resolved'].sum())} of {len(table)} re-solved), "
            f"plan --target 10 {t2 - t1:.2f} s",
            flush=True,
        )
    for size in args.sizes:
        problem = synthetic(size, args.od, load=args.load)
        head = f"{problem.arcs.n_arcs:>6} arcs, {len(problem.demand)} OD"
        print(f"{head}: {bench_n_minus_1(problem, args.jobs)}", flush=True)
        print(f"{head}: {bench_plan(problem)}", flush=True)


if __name__ == "__main__":
    main()
