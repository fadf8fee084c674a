"""Benchmark: warm re-solves (N-1, system optimum) on the shared corridor-like networks (issue #16).

    python ../shared/bench/corridor_like.py /tmp/bench-data        # once: the seeded networks
    python benchmarks/bench_warm.py --data /tmp/bench-data [--only pricing parallel bounds so n1 aon] [--repeat 3]

Everything is measured side by side in one run, so read the ratios more than the seconds:

``pricing``
    One pricing call (shortest paths from ~100 origins to their destinations) by the project's
    kernel choice (:func:`corridor.solve.kernels.tree_paths`), by the compiled kernel, and by SciPy's
    ``csgraph.dijkstra`` with a path walk: the crossover that ``corridor.solve.kernels.PARALLEL_WORK`` encodes.
``so``
    System optimum: the project's :class:`~corridor.solve.master.MasterLP` against a plain path-based
    column generation (SciPy Dijkstra for pricing, HiGHS master re-solved warm), objectives compared.
``n1``
    N-1 over the loaded arcs of the 1k network, one process, on one and on two worker threads: the project's
    :func:`n_minus_1` against the plain column generation re-solved warm for every outage (one thread); the
    worst difference of the objective changes is printed (both are exact re-solves).
``bounds``
    The system optimum with the A* bounds of the kept routers and with plain Dijkstra pricing: what
    ``corridor.solve.paths.BOUNDS_WORK`` encodes.
``parallel``
    The system optimum with all pricing calls serial, then all parallel: the crossover of
    ``corridor.solve.kernels.PARALLEL_WORK`` in context (pricing calls between HiGHS runs, not back to back).
``aon``
    All-or-nothing on 100k edges × 1,000 OD (AequilibraE, when installed, beside it).

Unserved demand costs 1,000 per kt, as in ``../shared/bench/README.md``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from shared_networks import load, median_time

from corridor.model.network import COMMODITIES
from corridor.model.problem import Problem
from corridor.solve.master import MasterLP, new_highs, solve_aon

FREIGHT = COMMODITIES.index("freight")


# --------------------------------------------------------------------------- the plain reference


class PlainCG:
    """A plain path-based column generation: SciPy Dijkstra (whole trees) prices, a HiGHS master re-solves warm.

    Rows: one per demand, one per capacitated arc; columns: an unserved slack per demand and the paths.
    """

    def __init__(self, problem: Problem) -> None:
        import highspy

        self.p = problem
        arcs = problem.arcs
        self.inf = highspy.kHighsInf
        self.h = h = new_highs()
        h.setOptionValue("presolve", "off")
        k = len(problem.demand)
        self.k = k
        self.cost = problem.cost[FREIGHT]
        h.addRows(k, problem.demand, problem.demand, 0, np.zeros(k, np.int32), np.array([], np.int32), np.array([]))
        m = arcs.n_arcs
        h.addRows(m, np.full(m, -self.inf), arcs.capacity, 0, np.zeros(m, np.int32), np.array([], np.int32), [])
        ones = np.arange(k, dtype=np.int32)
        h.addCols(k, problem.penalty, np.zeros(k), np.full(k, self.inf), k, ones, ones, np.ones(k))
        self.n = arcs.n_nodes
        key = arcs.tail * self.n + arcs.head  # (tail, head) -> arc, by binary search (no parallel arcs here)
        self.order = np.argsort(key, kind="stable")
        self.keys = key[self.order]
        self.on_arc: list[list[int]] = [[] for _ in range(m)]
        self.seen: set[tuple[int, tuple[int, ...]]] = set()
        self.n_cols = k

    def _paths(self, weight: np.ndarray, blocked: np.ndarray | None) -> list[np.ndarray | None]:
        arcs = self.p.arcs
        keep = np.ones(arcs.n_arcs, bool) if blocked is None else ~blocked
        g = sp.csr_matrix((weight[keep] + 1e-9, (arcs.tail[keep], arcs.head[keep])), shape=(self.n, self.n))
        uniq, inv = np.unique(self.p.origin, return_inverse=True)
        _, pred = dijkstra(g, indices=uniq, return_predecessors=True)
        out: list[np.ndarray | None] = []
        for k in range(self.k):
            row, t, o = pred[inv[k]], int(self.p.destination[k]), int(self.p.origin[k])
            if row[t] < 0:
                out.append(None)
                continue
            nodes = [t]
            while t != o:
                t = int(row[t])
                nodes.append(t)
            nodes = np.array(nodes[::-1])
            out.append(self.order[np.searchsorted(self.keys, nodes[:-1] * self.n + nodes[1:])])
        return out

    def solve(self, *, blocked: np.ndarray | None = None) -> float:
        h = self.h
        fixed = np.array([], np.int32)
        if blocked is not None:
            fixed = np.array(sorted({c for a in np.flatnonzero(blocked) for c in self.on_arc[a]}), np.int32)
            if len(fixed):
                h.changeColsBounds(len(fixed), fixed, np.zeros(len(fixed)), np.zeros(len(fixed)))
        while True:
            h.run()
            y = np.asarray(h.getSolution().row_dual)
            weight = np.maximum(self.cost - y[self.k :], 0.0)
            starts, index, costs = [], [], []
            for k, path in enumerate(self._paths(weight, blocked)):
                if path is None or weight[path].sum() - y[k] >= -1e-9 * max(1.0, np.abs(y[: self.k]).max()):
                    continue
                sig = (k, tuple(path.tolist()))
                if sig in self.seen:
                    continue
                self.seen.add(sig)
                for a in path.tolist():
                    self.on_arc[a].append(self.n_cols)
                self.n_cols += 1
                starts.append(len(index))
                index.extend([k, *(self.k + path).tolist()])
                costs.append(self.cost[path].sum())
            if not costs:
                break
            n = len(costs)
            h.addCols(
                n,
                np.array(costs),
                np.zeros(n),
                np.full(n, self.inf),
                len(index),
                np.array(starts, np.int32),
                np.array(index, np.int32),
                np.ones(len(index)),
            )
        objective = h.getInfo().objective_function_value
        if len(fixed):
            h.changeColsBounds(len(fixed), fixed, np.zeros(len(fixed)), np.full(len(fixed), self.inf))
        return objective


# --------------------------------------------------------------------------- measurements


def scipy_paths(problem: Problem) -> list[np.ndarray | None]:
    """Pricing as a plain implementation does it: SciPy's whole trees from the unique origins, then a path walk."""
    plain = PlainCG.__new__(PlainCG)
    plain.p, plain.k, plain.n = problem, len(problem.demand), problem.arcs.n_nodes
    key = problem.arcs.tail * plain.n + problem.arcs.head
    plain.order = np.argsort(key, kind="stable")
    plain.keys = key[plain.order]
    return plain._paths(problem.cost[FREIGHT], None)


def bench_pricing(data: Path, repeat: int) -> list[str]:
    """One pricing call per network: the project's choice, the serial and parallel compiled kernels, SciPy."""
    from corridor.solve import kernels as _sssp
    from corridor.solve.paths import _Router

    lines = [
        "| network | work (origins × arcs) | project's choice | compiled, serial | compiled, parallel | SciPy + walk |"
    ]
    lines.append("|---|---|---|---|---|---|")
    serial, parallel = _sssp._compiled(parallel=False).paths, _sssp._compiled(parallel=True).paths
    for size, n_od in (("1k", 100), ("10k", 100), ("100k", 100), ("100k", 1000)):
        problem = load(data, size, n_od)
        r = _Router(problem.arcs, problem.arcs.allows[FREIGHT], problem.cost[FREIGHT])
        uniq, inv = np.unique(problem.origin, return_inverse=True)
        ks = np.argsort(inv, kind="stable")
        tptr = np.concatenate([[0], np.cumsum(np.bincount(inv))]).astype(np.int64)
        args = (r.indptr.astype(np.int64), r.indices.astype(np.int64), r.weight, r.row_of.astype(np.int64))
        args += (uniq.astype(np.int64), tptr, problem.destination[ks].astype(np.int64))
        kernel_args = (*args, np.zeros((1, r.n)), np.zeros(len(uniq), dtype=np.int64))  # no A* bounds
        serial(*kernel_args), parallel(*kernel_args)  # compiled or loaded from numba's cache before timing
        reps = repeat if size != "100k" else max(1, repeat // 3)
        t_choice, _ = median_time(lambda args=args: _sssp.tree_paths(*args), reps * 5)
        t_serial, _ = median_time(lambda args=kernel_args: serial(*args), reps * 5)
        t_parallel, _ = median_time(lambda args=kernel_args: parallel(*args), reps * 5)
        t_scipy, _ = median_time(lambda problem=problem: scipy_paths(problem), reps * 2)
        work = len(uniq) * len(r.indices)
        lines.append(
            f"| {size} × {n_od} OD | {work:,} | {t_choice * 1e3:.2f} ms | {t_serial * 1e3:.2f} ms | "
            f"{t_parallel * 1e3:.2f} ms | {t_scipy * 1e3:.2f} ms |"
        )
    return lines


def bench_so(data: Path, repeat: int) -> list[str]:
    """System optimum: the project's master against the plain column generation, side by side."""
    lines = ["| network | project | plain column generation | ratio | objectives |", "|---|---|---|---|---|"]
    for size in ("1k", "10k", "100k"):
        problem = load(data, size)
        reps = repeat if size != "100k" else max(1, repeat // 3)
        MasterLP(problem).solve()  # loads what the first solve loads
        t_project, sol = median_time(lambda problem=problem: MasterLP(problem).solve(), reps)
        t_plain, plain = median_time(lambda problem=problem: PlainCG(problem).solve(), reps)
        agree = abs(sol.objective - plain) / max(1.0, abs(plain))
        lines.append(
            f"| {size} × 100 OD | {t_project:.2f} s | {t_plain:.2f} s | {t_plain / t_project:.1f}× | "
            f"{sol.objective:,.1f} (relative difference {agree:.0e}) |"
        )
    return lines


def bench_parallel(data: Path, repeat: int) -> list[str]:
    """The system optimum with every pricing call serial, then with every one parallel: where threads pay."""
    from corridor.solve import kernels as _sssp

    lines = ["| network | work per pricing call | all serial | all parallel | parallel / serial |"]
    lines.append("|---|---|---|---|---|")
    saved = _sssp.PARALLEL_WORK, _sssp._idle_core
    _sssp._idle_core = lambda: True  # the threshold alone decides here, whatever the load
    try:
        for size in ("1k", "10k", "100k"):
            problem = load(data, size)
            reps = repeat if size != "100k" else 1
            times = {}
            for name, threshold in (("serial", 2**62), ("parallel", 0)):
                _sssp.PARALLEL_WORK = threshold
                MasterLP(problem).solve()
                times[name], _ = median_time(lambda problem=problem: MasterLP(problem).solve(), reps)
            work = len(np.unique(problem.origin)) * problem.arcs.n_arcs
            lines.append(
                f"| {size} × 100 OD | {work:,} | {times['serial']:.2f} s | {times['parallel']:.2f} s | "
                f"{times['parallel'] / times['serial']:.2f} |"
            )
    finally:
        _sssp.PARALLEL_WORK, _sssp._idle_core = saved
    return lines


def bench_n1(data: Path) -> list[str]:
    """N-1 over the loaded arcs of the 1k network in one process, on one and on two worker threads, against the
    plain column generation (one thread)."""
    from corridor.analyses.criticality import n_minus_1

    problem = load(data, "1k")
    MasterLP(problem).solve()
    t_project, tables = {}, {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        tables[jobs] = n_minus_1(problem, jobs=jobs)
        t_project[jobs] = time.perf_counter() - t0
    resolved = tables[1][tables[1]["resolved"]]
    t0 = time.perf_counter()
    plain = PlainCG(problem)
    base = plain.solve()
    changes = {}
    for eid in resolved.index:
        blocked = np.zeros(problem.arcs.n_arcs, dtype=bool)
        blocked[int(eid)] = True
        changes[eid] = plain.solve(blocked=blocked) - base
    t_plain = time.perf_counter() - t0
    worst = max(
        abs(changes[e] - table.loc[e, "objective_change"]) / max(1.0, abs(changes[e]))
        for table in tables.values()
        for e in changes
    )
    return [
        "| work | project | plain column generation, warm (one thread) | ratio | agreement |",
        "|---|---|---|---|---|",
        *(
            f"| N-1, 1k network ({len(resolved)} loaded arcs), one process, {jobs} worker thread{'s' * (jobs > 1)} | "
            f"{t_project[jobs]:.2f} s | {t_plain:.1f} s | {t_plain / t_project[jobs]:.1f}× | "
            f"objective changes within {worst:.0e} (relative) |"
            for jobs in (1, 2)
        ),
    ]


def bench_bounds(data: Path, repeat: int) -> list[str]:
    """The system optimum with the kept routers' A* bounds (``corridor.solve.paths.BOUNDS_WORK``) and without."""
    from corridor.solve import paths

    lines = ["| network | origins × arcs | Dijkstra pricing | A* pricing (bounds) | A* / Dijkstra | objectives |"]
    lines.append("|---|---|---|---|---|---|")
    saved = paths.BOUNDS_WORK
    try:
        for size in ("1k", "10k", "100k"):
            problem = load(data, size)
            reps = repeat if size != "100k" else max(1, repeat // 3)
            times, objective = {}, {}
            for name, threshold in (("dijkstra", 2**62), ("a_star", 0)):
                paths.BOUNDS_WORK = threshold
                MasterLP(problem).solve()
                times[name], sol = median_time(lambda problem=problem: MasterLP(problem).solve(), reps)
                objective[name] = sol.objective
            work = len(np.unique(problem.origin)) * problem.arcs.n_arcs
            agree = abs(objective["a_star"] - objective["dijkstra"]) / max(1.0, abs(objective["dijkstra"]))
            lines.append(
                f"| {size} × 100 OD | {work:,} | {times['dijkstra']:.2f} s | {times['a_star']:.2f} s | "
                f"{times['a_star'] / times['dijkstra']:.2f} | relative difference {agree:.0e} |"
            )
    finally:
        paths.BOUNDS_WORK = saved
    return lines


def bench_aon(data: Path, repeat: int) -> list[str]:
    """All-or-nothing on 100k × 1,000 OD: the project against SciPy's trees (and AequilibraE where installed)."""
    problem = load(data, "100k", 1000)
    solve_aon(problem)
    t_project, _ = median_time(lambda: solve_aon(problem), repeat)
    t_scipy, _ = median_time(lambda: scipy_paths(problem), max(1, repeat // 2))
    try:
        import aequilibrae  # noqa: F401

        other = "AequilibraE installed: run ../shared/bench's comparison beside this"
    except ImportError:
        other = "AequilibraE not installed here (no internet): not measured in this run"
    return [
        "| work | project | SciPy csgraph (paths only) | ratio | note |",
        "|---|---|---|---|---|",
        f"| AoN, 100k × 1,000 OD | {t_project:.2f} s | {t_scipy:.2f} s | {t_scipy / t_project:.1f}× | {other} |",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("CORRIDOR_BENCH_DATA", "bench-data")))
    ap.add_argument("--only", nargs="+", default=["pricing", "parallel", "bounds", "so", "n1", "aon"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})", flush=True)
    benches = {
        "pricing": lambda: bench_pricing(args.data, args.repeat),
        "so": lambda: bench_so(args.data, args.repeat),
        "n1": lambda: bench_n1(args.data),
        "parallel": lambda: bench_parallel(args.data, args.repeat),
        "bounds": lambda: bench_bounds(args.data, args.repeat),
        "aon": lambda: bench_aon(args.data, args.repeat),
    }
    for name in args.only:
        print("\n".join(benches[name]()), flush=True)
        print(f"(load average after {name}: {os.getloadavg()[0]:.2f})\n", flush=True)


if __name__ == "__main__":
    main()
