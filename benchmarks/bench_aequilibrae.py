"""Benchmark: all-or-nothing assignment by the project and by AequilibraE, side by side, on the shared networks.

    python ../shared/bench/corridor_like.py /tmp/bench-data        # once: the seeded networks
    python3 -m venv /tmp/aeqvenv && /tmp/aeqvenv/bin/pip install aequilibrae==1.7.2 && /tmp/aeqvenv/bin/pip install -e .
    /tmp/aeqvenv/bin/python benchmarks/bench_aequilibrae.py --data /tmp/bench-data \\
        [--cases 10k:100 100k:100 100k:1000] [--threads default 1 all] [--repeat 3]

AequilibraE is not a dependency of the project: run this from an environment that has both (above, a venv of its
own with the project installed editable). Everything is measured in one run, so read the ratios more than the
seconds.

What runs
    The project: :func:`corridor.solve.master.solve_aon` on the problem of ``benchmarks/shared_networks.py``
    (freight, cost ``problem.cost[FREIGHT]``). Its time includes building its CSR graph, which it does on
    every call; that build is also timed alone and printed in the set-up table.

    AequilibraE: a :class:`~aequilibrae.paths.Graph` built from the same arrays (link id = arc + 1, direction 1,
    the same cost per arc), the OD nodes as centroids and renumbered to the lowest ids 1..z (AequilibraE wants
    positive node ids and keeps centroids first), paths allowed through centroids (the OD nodes are ordinary
    network nodes here), an in-memory :class:`~aequilibrae.matrix.AequilibraeMatrix` of the demand, and the
    documented route: a :class:`~aequilibrae.paths.TrafficClass` in a :class:`~aequilibrae.paths.TrafficAssignment`
    with algorithm ``"all-or-nothing"`` (BPR with alpha 0, so the congested cost is the cost). Only
    ``TrafficAssignment.execute()`` is timed; building the graph, the matrix and the assignment object is
    printed apart. Its lower-level :class:`~aequilibrae.paths.allOrNothing` (what ``execute`` runs once for
    AoN) is timed alone too. Progress bars are off (``AEQ_SHOW_PROGRESS=FALSE``).

Threads (``--threads``)
    ``default``: each as shipped: the project picks serial or one origin per thread from the work and the
    load average (``corridor.solve.kernels.PARALLEL_WORK``), AequilibraE uses ``parameters.yml``'s
    ``system.cpus`` (0: every core) threads, one origin per task. ``1``: both on one thread (the project's
    serial kernel, AequilibraE ``set_cores(1)``). ``all``: both on every core (the project's parallel kernel
    whatever the work and the load). The thread count each actually used is printed: the project's default
    looks at the 1-minute load average, which this run's own threads raise.

Agreement: the largest absolute difference of the per-arc freight flows; where flows differ (equal-cost paths
broken another way: the project adds 1e-9 to each arc's cost, AequilibraE sums the costs of contracted links),
the total cost sum(flow × cost) of both is compared instead, and the table says so.
"""

from __future__ import annotations

import argparse
import os
import time
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from shared_networks import load, median_time

from corridor.model.network import COMMODITIES
from corridor.model.problem import Problem
from corridor.solve import kernels
from corridor.solve.master import solve_aon
from corridor.solve.paths import _Router

FREIGHT = COMMODITIES.index("freight")

# read by aequilibrae when it is imported (lazily, below): no tqdm bars redrawn inside the timed calls
os.environ.setdefault("AEQ_SHOW_PROGRESS", "FALSE")


# --------------------------------------------------------------------------- the project


def corridor_aon(problem: Problem, *, threads: str, repeat: int) -> tuple[float, np.ndarray, str]:
    """Median time of :func:`solve_aon`, its freight flow per arc and the threads its kernel calls used.

    ``threads="1"`` forces the serial kernel, ``"all"`` the parallel one whatever the work and the load (as
    ``bench_warm.py --only parallel`` does); ``"default"`` leaves the project's own choice. A spy on the kernel
    choice records, per call, whether the parallel copy ran.
    """
    saved = kernels.PARALLEL_WORK, kernels._idle_core, kernels._kernel
    used: list[bool] = []

    def spy(name: str, work: int, threads: bool):
        fn = saved[2](name, work, threads)
        qualname = getattr(getattr(fn, "py_func", None), "__qualname__", "_serial")  # interpreted: serial
        used.append(not qualname.endswith("_serial"))
        return fn

    if threads == "1":
        kernels.PARALLEL_WORK = 2**62
    elif threads == "all":
        kernels.PARALLEL_WORK, kernels._idle_core = 0, lambda: True
    kernels._kernel = spy
    try:
        solve_aon(problem)  # loads (or compiles) the kernel copy this setting picks, untimed
        used.clear()
        t, sol = median_time(lambda: solve_aon(problem), repeat)
    finally:
        kernels.PARALLEL_WORK, kernels._idle_core, kernels._kernel = saved
    import numba

    if not any(used):
        label = "1 thread"
    elif all(used):
        label = f"{numba.get_num_threads()} threads"
    else:
        label = f"1–{numba.get_num_threads()} threads (serial and parallel calls)"
    return t, sol.arc_flow[FREIGHT], label


# --------------------------------------------------------------------------- AequilibraE


def aequilibrae_inputs(problem: Problem) -> tuple[Any, Any, dict[str, float]]:
    """AequilibraE's graph and demand matrix for ``problem``, and the seconds each took to build.

    Nodes are renumbered so that the z OD nodes are 1..z (in node order) and the others z+1..n; link ``i + 1``
    is arc ``i``, so flows map back by ``link_id - 1``.
    """
    from aequilibrae.matrix import AequilibraeMatrix
    from aequilibrae.paths import Graph

    arcs = problem.arcs
    t0 = time.perf_counter()
    centroids = np.unique(np.concatenate([problem.origin, problem.destination]))
    z, n, m = len(centroids), arcs.n_nodes, arcs.n_arcs
    new_id = np.empty(n, dtype=np.int64)
    is_centroid = np.zeros(n, dtype=bool)
    is_centroid[centroids] = True
    new_id[centroids] = np.arange(1, z + 1)
    new_id[~is_centroid] = np.arange(z + 1, n + 1)
    network = pd.DataFrame(
        {
            "link_id": np.arange(1, m + 1, dtype=np.int64),
            "a_node": new_id[arcs.tail],
            "b_node": new_id[arcs.head],
            "direction": np.ones(m, dtype=np.int8),
            "cost": problem.cost[FREIGHT],
            "capacity": arcs.capacity,  # required by TrafficAssignment; BPR with alpha 0 never reads it
        }
    )
    graph = Graph()
    graph.network = network
    graph.prepare_graph(np.arange(1, z + 1, dtype=np.int64))
    graph.set_graph("cost")
    graph.set_blocked_centroid_flows(False)  # by default no path may pass through a centroid
    t_graph = time.perf_counter() - t0

    t0 = time.perf_counter()
    matrix = AequilibraeMatrix()
    matrix.create_empty(memory_only=True, zones=z, matrix_names=["freight"])
    matrix.index[:] = np.arange(1, z + 1)
    demand = np.zeros((z, z))
    np.add.at(demand, (new_id[problem.origin] - 1, new_id[problem.destination] - 1), problem.demand)
    matrix.matrix["freight"][:, :] = demand
    matrix.computational_view(["freight"])
    t_matrix = time.perf_counter() - t0
    return graph, matrix, {"graph": t_graph, "matrix": t_matrix}


def traffic_assignment(graph: Any, matrix: Any, *, threads: str) -> tuple[Any, Any, float]:
    """A TrafficAssignment of one class, algorithm ``all-or-nothing``, ready to execute; and its set-up time.

    Cores must be set before the algorithm (the algorithm object copies them when it is made).
    """
    from aequilibrae.paths import TrafficAssignment, TrafficClass

    t0 = time.perf_counter()
    tc = TrafficClass("freight", graph, matrix)
    ta = TrafficAssignment()
    ta.set_classes([tc])
    ta.set_vdf("BPR")
    ta.set_vdf_parameters({"alpha": 0.0, "beta": 1.0})  # congested cost = free-flow cost = our cost
    ta.set_capacity_field("capacity")
    ta.set_time_field("cost")
    if threads != "default":
        ta.set_cores(1 if threads == "1" else os.cpu_count() or 1)
    ta.set_algorithm("all-or-nothing")
    return ta, tc, time.perf_counter() - t0


def link_flow(results: Any, n_arcs: int) -> np.ndarray:
    """Freight flow per arc from AequilibraE's assignment results (link ``i + 1`` is arc ``i``)."""
    table = results.get_load_results()
    flow = np.zeros(n_arcs)
    flow[table.index.to_numpy() - 1] = table["freight_ab"].to_numpy()
    return flow


def aequilibrae_aon(
    graph: Any, matrix: Any, n_arcs: int, *, threads: str, repeat: int
) -> dict[str, float | int | np.ndarray]:
    """Median times of ``TrafficAssignment.execute()`` and of ``allOrNothing.execute()`` alone, flows, cores."""
    from aequilibrae.paths import AssignmentResults, allOrNothing

    ta, tc, t_setup = traffic_assignment(graph, matrix, threads=threads)
    ta.execute()  # first run (lazy imports, first touch of its arrays), untimed like the project's
    t_ta, _ = median_time(ta.execute, repeat)
    flow_ta = link_flow(tc.results, n_arcs)

    results = AssignmentResults()
    if threads != "default":
        results.set_cores(1 if threads == "1" else os.cpu_count() or 1)
    results.prepare(graph, matrix)

    def kernel() -> None:
        allOrNothing("freight", matrix, graph, results).execute()

    t_kernel, _ = median_time(kernel, repeat)
    return {
        "setup": t_setup,
        "ta": t_ta,
        "kernel": t_kernel,
        "flow": flow_ta,
        "flow_kernel": link_flow(results, n_arcs),
        "cores": ta.cores,
        "cores_kernel": results.cores,
    }


# --------------------------------------------------------------------------- comparison


def agreement(ours: np.ndarray, theirs: np.ndarray, cost: np.ndarray) -> str:
    """The largest per-arc flow difference; where flows differ, the total costs sum(flow × cost) compared."""
    diff = np.abs(ours - theirs)
    worst = float(diff.max())
    if worst <= 1e-9 * max(1.0, float(np.abs(theirs).max())):
        return f"max abs flow difference {worst:.1e} kt"
    total_ours, total_theirs = float(ours @ cost), float(theirs @ cost)
    rel = abs(total_ours - total_theirs) / max(1.0, abs(total_theirs))
    return (
        f"flows differ on {int((diff > 1e-6).sum())} arcs (max {worst:.3g} kt: equal-cost ties?); "
        f"total cost instead: {total_ours:,.1f} vs {total_theirs:,.1f} thousand USD (relative {rel:.0e})"
    )


def bench_case(data: Path, size: str, n_od: int, *, modes: list[str], repeat: int) -> tuple[list[str], str]:
    """The table rows of one network (one per thread setting) and its set-up row."""
    problem = load(data, size, n_od)
    cost = problem.cost[FREIGHT]
    graph, matrix, prep = aequilibrae_inputs(problem)
    # the project's own graph build, which solve_aon repeats on every call
    t_csr, _ = median_time(lambda: _Router(problem.arcs, problem.arcs.allows[FREIGHT], cost), max(3, repeat))
    rows, setup = [], 0.0
    work = f"AoN, {size} × {n_od:,} OD"
    for mode in modes:
        t_ours, flow_ours, ours_threads = corridor_aon(problem, threads=mode, repeat=repeat)
        aeq = aequilibrae_aon(graph, matrix, problem.arcs.n_arcs, threads=mode, repeat=repeat)
        setup = aeq["setup"]
        apart = float(np.abs(aeq["flow"] - aeq["flow_kernel"]).max())
        note = f" (allOrNothing alone: flows differ by {apart:.2g})" if apart > 1e-9 * aeq["flow"].max() else ""
        label = {"default": "as shipped", "1": "one thread each", "all": f"{os.cpu_count()} threads each"}[mode]
        cores = aeq["cores"]
        rows.append(
            f"| {work}, {label} | {t_ours:.3f} s ({ours_threads}) | {aeq['ta']:.3f} s ({cores} thread"
            f"{'s' * (cores > 1)}) | {aeq['kernel']:.3f} s ({aeq['cores_kernel']}) | {t_ours / aeq['ta']:.2f} | "
            f"{agreement(flow_ours, aeq['flow'], cost)}{note} |"
        )
    setup_row = (
        f"| {size} × {n_od:,} OD | {problem.arcs.n_nodes:,} / {problem.arcs.n_arcs:,} / {matrix.zones:,} | "
        f"{prep['graph']:.3f} s | {graph.compact_num_nodes:,} / {graph.compact_num_links:,} | "
        f"{prep['matrix'] + setup:.3f} s | {t_csr:.3f} s |"
    )
    return rows, setup_row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("CORRIDOR_BENCH_DATA", "bench-data")))
    ap.add_argument("--cases", nargs="+", default=["10k:100", "100k:100", "100k:1000"], help="SIZE:N_OD")
    ap.add_argument("--threads", nargs="+", choices=["default", "1", "all"], default=["default", "1"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    try:
        aeq_version = package_version("aequilibrae")
        from aequilibrae import Parameters
    except (PackageNotFoundError, ImportError):
        raise SystemExit("AequilibraE is not installed here: see the command lines at the top of this file") from None
    import numba

    cpus = Parameters().parameters["system"]["cpus"]
    print(f"load average at start: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})", flush=True)
    print(
        f"AequilibraE {aeq_version} (parameters.yml system.cpus = {cpus}: {'every core' if cpus == 0 else cpus}); "
        f"the project's parallel kernel: {numba.get_num_threads()} numba threads, from "
        f"{kernels.PARALLEL_WORK:,} origins × arcs when the load average leaves a core idle\n",
        flush=True,
    )
    rows, setup_rows = [], []
    for case in args.cases:
        size, n_od = case.split(":")
        case_rows, setup_row = bench_case(args.data, size, int(n_od), modes=args.threads, repeat=args.repeat)
        rows += case_rows
        setup_rows.append(setup_row)
        print(f"(load average after {case}: {os.getloadavg()[0]:.2f})", flush=True)
    print(
        "\n| work | corridor AoN | AequilibraE AoN, TrafficAssignment (threads used) | AequilibraE allOrNothing "
        "alone (threads) | ratio corridor/AequilibraE | agreement |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "| network | nodes / arcs / zones | AequilibraE graph (renumbering, Graph, prepare_graph, set_graph) | "
        "AequilibraE compressed graph (nodes / links) | AequilibraE matrix + TrafficAssignment set-up | "
        "corridor CSR build (inside its AoN time) |",
        "|---|---|---|---|---|---|",
        *setup_rows,
        sep="\n",
    )
    print(f"\nmedians of {args.repeat}; load average at end: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
