"""Benchmark: AON and system-optimal assignment on synthetic corridor-like networks.

    python benchmarks/bench_assignment.py [--sizes 1000 10000 100000] [--od 100] [--repeat 3]

Networks: a jittered lon/lat grid with neighbour edges both ways (an edge = one directed arc),
lengths from the coordinates, random capacities; demand between random OD pairs, scaled so
that some capacities bind. Prints the median time of each method and the peak memory.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from corridor.analyses.assign import solve
from corridor.model.network import COMMODITIES, Arcs
from corridor.model.problem import Problem


def synthetic(n_arcs: int, n_od: int, *, seed: int = 1, load: float = 1.0) -> Problem:
    """A grid network with about ``n_arcs`` directed arcs and ``n_od`` freight OD pairs."""
    rng = np.random.default_rng(seed)
    side = max(3, round((n_arcs / 4) ** 0.5))
    xs, ys = np.meshgrid(np.arange(side), np.arange(side))
    lon = 50 + xs.ravel() * 0.1 + rng.normal(0, 0.02, side * side)
    lat = 40 + ys.ravel() * 0.1 + rng.normal(0, 0.02, side * side)
    idx = np.arange(side * side).reshape(side, side)
    pairs = np.concatenate(
        [np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()], np.c_[idx[:-1, :].ravel(), idx[1:, :].ravel()]]
    )
    tail = np.concatenate([pairs[:, 0], pairs[:, 1]])
    head = np.concatenate([pairs[:, 1], pairs[:, 0]])
    length = np.hypot((lon[tail] - lon[head]) * 85, (lat[tail] - lat[head]) * 111)
    m = len(tail)
    allows = np.zeros((len(COMMODITIES), m), dtype=bool)
    allows[COMMODITIES.index("freight")] = True
    arcs = Arcs(
        nodes=[str(i) for i in range(side * side)],
        node_index={str(i): i for i in range(side * side)},
        tail=tail,
        head=head,
        keys=[str(i) for i in range(m)],
        element=[str(i) for i in range(m)],
        direction=np.ones(m, dtype=np.int8),
        capacity=rng.uniform(5, 50, m).round(1),
        time_h=length / 30,
        tariff=length * 0.04,
        length_km=length,
        dwell=np.zeros(m, dtype=bool),
        allows=allows,
        counts=allows.copy(),
    )
    origin = rng.integers(0, side * side, n_od)
    destination = rng.integers(0, side * side, n_od)
    keep = origin != destination
    origin, destination = origin[keep], destination[keep]
    return Problem(
        arcs=arcs,
        origin=origin,
        destination=destination,
        commodity=np.full(len(origin), COMMODITIES.index("freight")),
        demand=rng.uniform(1, 10, len(origin)).round(1) * load,
        cost=arcs.cost({"freight": 0.5}),
        penalty=np.full(len(origin), 1e4),
    )


def measure(problem: Problem, method: str, repeat: int) -> tuple[float, float, object]:
    times = []
    sol = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        sol = solve(problem, method=method)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    solve(problem, method=method)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, sol


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--od", type=int, nargs="+", default=[100])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--load", type=float, nargs="+", default=[1.0, 2.5], help="demand multipliers (2.5: heavily congested)"
    )
    ap.add_argument("--methods", nargs="+", default=["aon", "system-optimal"])
    args = ap.parse_args()
    print(f"{'arcs':>8} {'OD':>6} {'load':>5} {'method':<15} {'median s':>9} {'peak MiB':>9}  notes")
    for size in args.sizes:
        for n_od, load in [(o, x) for o in args.od for x in args.load]:
            problem = synthetic(size, n_od, load=load)
            for method in args.methods:
                seconds, peak, sol = measure(problem, method, args.repeat)
                notes = f"objective {sol.objective:,.1f}, unserved {(problem.demand - sol.served).sum():.1f}"
                if sol.log:
                    notes += f", {len(sol.log)} CG iterations, {len(sol.columns)} columns"
                print(
                    f"{problem.arcs.n_arcs:>8} {len(problem.demand):>6} {load:>5} {method:<15} "
                    f"{seconds:>9.3f} {peak:>9.1f}  {notes}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
