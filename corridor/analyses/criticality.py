"""N-1 criticality: what the corridor loses when one asset is out.

Each edge (both directions) and each capacitated node is taken out alone; the change in
served demand, in total cost (the LP objective: transport cost plus the penalty of unserved
demand, MUSD per year) and in the maximum freight throughput is reported and ranked, with the
alternative route of the demand that used the asset most (RA2CE's ``alt_*``/``diff_*``).

Fast by construction: an asset that carries no flow in the optimum provably changes neither
served demand nor cost (the optimum stays feasible without it), and one that carries no flow
in the maximum flow cannot lower the throughput, so neither is re-solved; the others re-solve
the same master LP warm (block the asset's path columns, solve, unblock) instead of rebuilding
it, each from the base optimum's basis (not from the last outage's) with the blocked demands'
detours added first, and pricing only the demands whose duals exceed their cheapest path cost.
The shortest paths of large re-solves run on all cores (compiled, one thread per origin);
``jobs > 1`` solves that many outages at once instead, on copies of the warm master in worker threads of
this process (HiGHS and the compiled kernels release the GIL: no process to start, no model to rebuild).
Dask (``scheduler``) takes the re-solves to other processes or machines.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from corridor._progress import progress
from corridor.analyses.throughput import arc_max_flow
from corridor.io.geodata import Geodata
from corridor.io.scenario import Scenario
from corridor.model.network import COMMODITIES, Arcs
from corridor.model.problem import Problem, prepare
from corridor.solve.master import MasterLP
from corridor.solve.paths import _Router

__all__ = ["criticality", "n_minus_1"]

FREIGHT = COMMODITIES.index("freight")


def _candidates(arcs: Arcs) -> dict[str, np.ndarray]:
    """Element id -> its arcs, for every edge and every node with a finite capacity."""
    out: dict[str, list[int]] = {}
    for a, (eid, direction) in enumerate(zip(arcs.element, arcs.direction, strict=True)):
        if direction != 0 or math.isfinite(arcs.capacity[a]):
            out.setdefault(eid, []).append(a)
    return {k: np.array(v) for k, v in sorted(out.items())}


@contextlib.contextmanager
def _bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """``report(done, total)`` for :func:`n_minus_1`, drawn as the package's progress bar (None when disabled)."""
    if not enabled:
        yield None
        return
    with contextlib.ExitStack() as stack:
        state: dict[str, object] = {"done": 0}

        def report(done: int, total: int) -> None:
            if "advance" not in state:
                state["advance"] = stack.enter_context(progress(total, unit="asset", desc="N-1"))
            state["advance"](done - int(state["done"]))  # type: ignore[operator]
            state["done"] = done

        yield report


def _solve_chunk(problem: Problem, masks: list[tuple[str, np.ndarray]]) -> list[tuple[str, float, np.ndarray]]:
    """Re-solve the master with each asset blocked in turn (one warm model per chunk, in a worker process)."""
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # the workers already share the cores between them
    try:
        master = MasterLP(problem)
        master.solve()
        base = master.basis()
        out = []
        for eid, arcs_of in masks:
            blocked = np.zeros(problem.arcs.n_arcs, dtype=bool)
            blocked[arcs_of] = True
            master.start_from(base)  # every outage starts from the base optimum
            sol = master.solve(blocked=blocked, detail=False)
            out.append((eid, sol.objective, sol.served))
        return out
    finally:
        numba.set_num_threads(threads)


def _in_threads(
    master: MasterLP,
    todo: list[tuple[str, np.ndarray]],
    results: dict[str, tuple[float, np.ndarray]],
    *,
    threads: int,
    progress: Callable[[int, int], None] | None,
) -> None:
    """The re-solves of ``todo`` on ``threads`` copies of the solved ``master``, one per worker thread.

    HiGHS and the compiled pricing kernels release the GIL, so the copies solve on separate cores. Each thread
    takes every ``threads``-th asset (a fixed share: the same assets meet the same copy in every run, so the
    results do not depend on timing) and starts each outage from the base optimum's basis. The calling thread
    collects the results; on an error or Ctrl-C the workers stop after their current outage (milliseconds).
    """
    mark = master.basis()
    copies = [master, *(master.clone() for _ in range(threads - 1))]
    was = master.threads
    stop = threading.Event()
    finished: queue.Queue = queue.Queue()

    def work(copy: MasterLP, share: list[tuple[str, np.ndarray]]) -> None:
        copy.threads = False  # the worker threads already share the cores: one search at a time each
        try:
            for eid, a in share:
                if stop.is_set():
                    return
                blocked = np.zeros(copy.arcs.n_arcs, dtype=bool)
                blocked[a] = True
                copy.start_from(mark)
                sol = copy.solve(blocked=blocked, detail=False)
                finished.put((eid, sol.objective, sol.served))
        except BaseException as e:  # handed to the calling thread, which raises it
            finished.put(e)

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="corridor-n-1")
    try:
        for i, copy in enumerate(copies):
            pool.submit(work, copy, todo[i::threads])
        for done in range(1, len(todo) + 1):
            item = finished.get()
            if isinstance(item, BaseException):
                raise item
            eid, objective, served = item
            results[eid] = (objective, served)
            if progress:
                progress(done, len(todo))
    finally:
        stop.set()
        pool.shutdown(wait=True)
        master.threads = was


def n_minus_1(
    problem: Problem,
    *,
    sources: np.ndarray | None = None,
    sinks: np.ndarray | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    skip_unloaded: bool = True,
    master: MasterLP | None = None,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """N-1 on a solver-ready problem: one row per asset with the change it causes when out.

    ``scheduler`` runs the re-solves on Dask instead (an address ``tcp://host:8786``, or ``"local"`` for a
    ``LocalCluster`` of ``jobs`` processes; see ``uncertainty.dask_client``), in chunks of 50 assets.

    Columns: ``id``, ``flow`` (base, all commodities), ``objective_change``, ``served_change`` (per
    demand row, summed in each row's own unit: a vector per asset), ``throughput_change`` (freight
    from ``sources`` to ``sinks``; NaN when not asked), ``resolved`` (False where the change is
    provably zero and nothing was re-solved).

    Parameters
    ----------
    problem : Problem
        The solver-ready problem (:func:`corridor.model.problem.prepare`).
    sources, sinks : numpy.ndarray, optional
        Node indices between which to measure the freight throughput (both, or no throughput).
    jobs : int
        Outages solved at once, each on its own copy of the warm master in a worker thread (used from 50
        re-solves per thread on; at most one per core).
    progress : callable, optional
        Called as ``progress(done, total)`` as the re-solves finish.
    skip_unloaded : bool
        Do not re-solve the assets that carry no flow (their change is zero).
    master : MasterLP, optional
        A master LP of ``problem`` to re-solve warm (made here when None; solved again here).
    scheduler : str, optional
        A Dask scheduler address, or ``"local"``.

    Returns
    -------
    DataFrame
        Indexed by asset id, in id order, with the columns above.

    Examples
    --------
    On three nodes, 12 units from ``a`` to ``c``: 10 by ``a -> b -> c`` (tariff 2), 2 direct (tariff 3),
    100 per unit left unserved:

    >>> from corridor.model.problem import Problem
    >>> allows = np.zeros((len(COMMODITIES), 3), dtype=bool)
    >>> allows[FREIGHT] = True
    >>> arcs = Arcs(  # a -> b, b -> c (capacity 10, tariff 1 each) and a -> c (capacity 5, tariff 3)
    ...     nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
    ...     head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
    ...     direction=np.ones(3, dtype=np.int8), capacity=np.array([10.0, 10.0, 5.0]), time_h=np.zeros(3),
    ...     tariff=np.array([1.0, 1.0, 3.0]), length_km=np.zeros(3), dwell=np.zeros(3, dtype=bool),
    ...     allows=allows, counts=allows)
    >>> problem = Problem(arcs, origin=np.array([0]), destination=np.array([2]), commodity=np.array([FREIGHT]),
    ...                   demand=np.array([12.0]), cost=arcs.cost({}), penalty=np.array([100.0]))
    >>> table = n_minus_1(problem, sources=np.array([0]), sinks=np.array([2]))
    >>> table["objective_change"].to_dict()  # a -> b out: 5 direct (15), 7 unserved (700), against 26
    {'ab': 689.0, 'ac': 194.0, 'bc': 689.0}
    >>> table.loc["ac", "served_change"].tolist(), table["throughput_change"].to_dict()
    ([-2.0], {'ab': -10.0, 'ac': -5.0, 'bc': -10.0})
    """
    arcs = problem.arcs
    master = master if master is not None else MasterLP(problem)
    base = master.solve()
    flow = base.arc_flow.sum(axis=0)
    cands = _candidates(arcs)
    todo = [(eid, a) for eid, a in cands.items() if not skip_unloaded or flow[a].sum() > 1e-9]
    results: dict[str, tuple[float, np.ndarray]] = {}
    asked = jobs
    jobs = max(1, min(jobs, os.cpu_count() or 1, len(todo) // 50 or 1))
    done = 0
    if scheduler and todo:
        _on_dask(problem, todo, results, scheduler=scheduler, jobs=asked, progress=progress)
    elif jobs == 1:
        mark = master.basis()
        for eid, a in todo:
            blocked = np.zeros(arcs.n_arcs, dtype=bool)
            blocked[a] = True
            master.start_from(mark)  # every outage starts from the base optimum, not from the last outage's
            sol = master.solve(blocked=blocked, detail=False)
            results[eid] = (sol.objective, sol.served)
            done += 1
            if progress:
                progress(done, len(todo))
    else:
        _in_threads(master, todo, results, threads=jobs, progress=progress)
    base_tp = math.nan
    tp_flow = None
    if sources is not None and sinks is not None:
        base_tp, tp_flow, _ = arc_max_flow(arcs, FREIGHT, sources, sinks)
    rows = []
    for eid, a in cands.items():
        objective, served = results.get(eid, (base.objective, base.served))
        tp_change = math.nan
        if tp_flow is not None:
            tp_change = 0.0
            if tp_flow[a].sum() > 1e-9:
                blocked = np.zeros(arcs.n_arcs, dtype=bool)
                blocked[a] = True
                tp_change = arc_max_flow(arcs, FREIGHT, sources, sinks, blocked=blocked)[0] - base_tp
        rows.append(
            {
                "id": eid,
                "flow": float(flow[a].max()),
                "objective_change": objective - base.objective,
                "served_change": served - base.served,
                "throughput_change": tp_change,
                "resolved": eid in results,
            }
        )
    return pd.DataFrame(rows).set_index("id")


def _on_dask(
    problem: Problem,
    todo: list[tuple[str, np.ndarray]],
    results: dict[str, tuple[float, np.ndarray]],
    *,
    scheduler: str,
    jobs: int,
    progress: Callable[[int, int], None] | None,
) -> None:
    """The N-1 re-solves as Dask tasks of 50 assets each (one warm master per task)."""
    from distributed import as_completed

    from corridor.analyses.uncertainty import dask_client

    n_chunks = max(1, math.ceil(len(todo) / 50))
    chunks = [todo[i::n_chunks] for i in range(n_chunks)]
    with dask_client(scheduler, workers=jobs) as (client, _):
        remote = client.scatter(problem, broadcast=True)
        futures = [client.submit(_solve_chunk, remote, chunk, pure=False) for chunk in chunks if chunk]
        try:
            for f in as_completed(futures):
                for eid, objective, served in f.result():
                    results[eid] = (objective, served)
                if progress:
                    progress(len(results), len(todo))
        except BaseException:
            client.cancel(futures)
            raise


def criticality(
    geodata: Geodata,
    scenario: Scenario,
    *,
    jobs: int = 1,
    progress: bool = False,
    skip_unloaded: bool = True,
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Rank the scenario's assets by what their loss costs (N-1), worst first.

    Parameters
    ----------
    geodata, scenario
        The data and the scenario whose network loses one asset at a time.
    jobs : int
        Worker threads for large networks (from about 100 re-solves on; see :func:`n_minus_1`).
    progress : bool
        Draw a progress bar on a terminal's stderr.
    skip_unloaded : bool
        Skip assets whose loss provably changes nothing (no flow in the optimum nor in the max flow).
    scheduler : str, optional
        Run the re-solves on Dask: a scheduler address, or ``"local"`` (see :func:`n_minus_1`).

    Returns
    -------
    DataFrame
        One row per edge and capacitated node: ``rank``, ``id``, ``name``, ``layer``, ``type``,
        ``flow``, ``capacity``, ``capacity_unit``, ``served_loss`` (the corridor's demand no longer carried,
        in the asset's unit: it diverts to its alternative where the scenario gives one),
        ``background_loss`` (other traffic no longer carried), ``cost_change_musd`` (MUSD/yr: diversion
        costs, and the unserved penalty where no alternative is given), ``throughput_change`` (freight, Mt/yr, from
        the scenario's freight origins to its destinations), and for the demand that used the asset
        most: ``alt_od``, ``alt_route`` (cheapest route without the asset, capacities ignored;
        empty if none), ``base_time_days``, ``alt_time_days``, ``diff_time_days``, ``base_cost``,
        ``alt_cost``, ``diff_cost`` (USD per unit), ``detour`` (an alternative exists), ``diverted_to`` (the
        route outside the network that demand diverts to, if the scenario gives one). ``resolved`` is
        False where the asset carried nothing and was not re-solved (its changes are zero).

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> table = criticality(g, corridor.load_scenario("baseline-2024", g))
    >>> list(table.columns[:6])
    ['rank', 'id', 'name', 'layer', 'type', 'flow']
    >>> top = table.iloc[0]
    >>> top["id"], top["layer"], round(float(top["served_loss"]), 1)  # all the corridor's oil passes it (Mt/yr)
    ('sangachal-terminal', 'node', 24.4)
    >>> bool(table["cost_change_musd"].is_monotonic_decreasing)  # worst first
    True
    """
    from corridor.io import _validate

    _validate.instance(geodata, Geodata, "geodata", "a Geodata (from load_geodata)")
    _validate.instance(scenario, Scenario, "scenario", "a Scenario (from load_scenario)")
    jobs = _validate.integer(jobs, "jobs", minimum=1)
    ready = prepare(geodata, scenario)
    arcs, problem, rows = ready.arcs, ready.problem, ready.rows
    freight = problem.commodity == FREIGHT
    sources = np.unique(problem.origin[freight]) if freight.any() else None
    sinks = np.unique(problem.destination[freight]) if freight.any() else None
    master = MasterLP(problem)
    base = master.solve()
    with _bar(progress) as report:
        table = n_minus_1(
            problem,
            master=master,
            sources=sources,
            sinks=sinks,
            jobs=jobs,
            progress=report,
            skip_unloaded=skip_unloaded,
            scheduler=scheduler,
        )
    cands = _candidates(arcs)
    out = []
    for eid, row in table.iterrows():
        a = cands[eid]
        rec, layer, kind = geodata.asset(eid, node=bool(arcs.direction[a[0]] == 0))
        carried = [i for i, c in enumerate(COMMODITIES) if arcs.counts[i, a].any()]
        affected = np.isin(problem.commodity, carried)
        other = problem.background if problem.background is not None else np.zeros(len(affected), dtype=bool)
        served_loss = max(0.0, float(-row["served_change"][affected & ~other].sum()))
        background_loss = max(0.0, float(-row["served_change"][affected & other].sum()))
        item = {
            "id": eid,
            "name": rec["name"],
            "layer": layer,
            "type": kind,
            "flow": row["flow"],
            "capacity": float(np.nanmin(np.where(np.isfinite(arcs.capacity[a]), arcs.capacity[a], np.nan)))
            if np.isfinite(arcs.capacity[a]).any()
            else math.nan,
            "capacity_unit": rec["capacity_unit"],
            "served_loss": served_loss,
            "background_loss": background_loss,
            "cost_change_musd": float(row["objective_change"]),
            "throughput_change": float(row["throughput_change"]),
            "resolved": bool(row["resolved"]),
        }
        item.update(_alternative(problem, rows, base, a, arcs))
        out.append(item)
    result = pd.DataFrame(out)
    result = result.sort_values(
        ["cost_change_musd", "served_loss", "throughput_change", "id"], ascending=[False, False, True, True]
    ).reset_index(drop=True)
    result.insert(0, "rank", np.arange(1, len(result) + 1))
    result.attrs.update(scenario=scenario.name, year=scenario.year)
    return result


def _alternative(problem: Problem, rows: pd.DataFrame, base, arcs_of: np.ndarray, arcs: Arcs) -> dict:
    """The demand that used the asset most, its route now and its cheapest route without the asset."""
    empty = {
        "alt_od": "",
        "alt_route": "",
        "base_time_days": math.nan,
        "alt_time_days": math.nan,
        "diff_time_days": math.nan,
        "base_cost": math.nan,
        "alt_cost": math.nan,
        "diff_cost": math.nan,
        "detour": False,
        "diverted_to": "",
    }
    best_k, best_x, best_path = -1, 0.0, None
    for k, path, x in base.columns:
        if x > best_x + 1e-12 and np.isin(arcs_of, path).any():
            best_k, best_x, best_path = k, x, path
    if best_path is None:
        return empty
    c = problem.commodity[best_k]
    blocked = np.zeros(arcs.n_arcs, dtype=bool)
    blocked[arcs_of] = True
    router = _Router(arcs, arcs.allows[c] & ~blocked, problem.cost[c])
    (alt,) = router.paths(problem.origin[[best_k]], problem.destination[[best_k]])
    od = f"{rows.loc[best_k, 'origin']} → {rows.loc[best_k, 'destination']} ({rows.loc[best_k, 'commodity']})"
    empty["diverted_to"] = str(rows.loc[best_k, "alternative"])
    base_t = arcs.time_h[best_path].sum() / 24
    base_c = problem.cost[c, best_path].sum()
    if alt is None:
        return {**empty, "alt_od": od, "base_time_days": base_t, "base_cost": base_c}
    route = [arcs.nodes[arcs.tail[alt[0]]], *(arcs.nodes[arcs.head[a]] for a in alt)]
    alt_t = arcs.time_h[alt].sum() / 24
    alt_c = problem.cost[c, alt].sum()
    return {
        "alt_od": od,
        "alt_route": " → ".join(n for n in route if not n.endswith(":out")),
        "base_time_days": base_t,
        "alt_time_days": alt_t,
        "diff_time_days": alt_t - base_t,
        "base_cost": base_c,
        "alt_cost": alt_c,
        "diff_cost": alt_c - base_c,
        "detour": True,
        "diverted_to": empty["diverted_to"],
    }
