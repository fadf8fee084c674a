"""What a sampling worker runs: one sample's figures set on a warm master LP, re-solved and summarised.

Kept apart from :mod:`corridor.analyses.uncertainty` and light to import (no geopandas, pandas or networkx), so
that a worker process or a Dask worker starts in a fraction of a second."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor.model.network import COMMODITIES
from corridor.model.problem import Problem
from corridor.settings import BINDING_TOLERANCE, BUSY_UTILISATION, RELIEF_SHARE
from corridor.solve.master import MasterLP

_AT = BINDING_TOLERANCE  # the tolerance of bottlenecks.classify


@dataclass(frozen=True)
class Context:
    """Everything a worker needs to evaluate samples (picklable; sent once to each worker)."""

    token: str
    problem: Problem
    nominal: np.ndarray  # capacity of each arc before the background loads
    cap_col: np.ndarray  # per arc: the parameter column of its capacity, -1 if fixed
    preload_mask: np.ndarray  # (n_preload_entries, n_arcs): 1 on the arcs each background load entry loads
    preload_amount: np.ndarray  # central amount of each background load entry
    preload_param: np.ndarray  # parameter column of each load entry, -1 if fixed
    cost_params: tuple[tuple[int, np.ndarray, np.ndarray], ...]  # (column, arcs, cost per unit change per commodity)
    demand_row: np.ndarray  # problem row of each flow entry (corridor demand, then background flows)
    demand_amount: np.ndarray
    demand_param: np.ndarray  # parameter column of each flow entry, -1 if fixed
    central: np.ndarray  # central value per parameter column
    asset_arcs: np.ndarray  # (n_assets, width): arcs of each asset, -1 padded
    price_factor: np.ndarray  # per asset: dual -> shadow price unit
    relief_scale: np.ndarray  # per asset: dual × capacity -> MUSD/yr
    threshold: float
    corridor_rows: np.ndarray  # bool per problem row: the corridor's own demand (not background)


def _figures(ctx: Context, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Nominal capacity, background load, demand per problem row and costs (None: central) of one sample.

    Capacities scale with their parameter (``value / central``: the scenario's derates stay applied; the
    geodata's capacities are > 0); amounts and costs move by ``value - central``, so a range around a central
    value of 0 is sampled too. At the central values every figure is the one ``corridor analyze`` uses.
    """
    nominal = ctx.nominal.copy()
    col = ctx.cap_col
    on = col >= 0
    if on.any():
        central = ctx.central[col[on]]
        value = values[col[on]]
        nominal[on] = nominal[on] * (value / central)
    preload = np.zeros(len(nominal))
    for mask, amount, j in zip(ctx.preload_mask, ctx.preload_amount, ctx.preload_param, strict=True):
        preload += mask * (amount if j < 0 else values[j])  # in build_network's order: the same sums
    j = ctx.demand_param
    delta = np.where(j >= 0, values[np.maximum(j, 0)] - ctx.demand_amount, 0.0) if len(j) else np.zeros(0)
    n = len(ctx.problem.demand)
    demand = np.maximum(ctx.problem.demand + np.bincount(ctx.demand_row, weights=delta, minlength=n), 0.0)
    cost = None
    if ctx.cost_params:
        cost = ctx.problem.cost.copy()
        for j, on_arcs, per_c in ctx.cost_params:
            cost[:, on_arcs] += per_c[:, None] * (values[j] - ctx.central[j])
    return nominal, preload, demand, cost


def _evaluate(ctx: Context, master: MasterLP, values: np.ndarray) -> np.ndarray:
    """One sample: set its figures on the warm master, re-solve, and summarise per asset and commodity.

    Returns one flat vector: utilization, dual (>= 0), severity code and relief per asset, then served and
    diverted per commodity, then the corridor's served freight.
    """
    nominal, preload, demand, cost = _figures(ctx, values)
    master.set_capacity(np.maximum(nominal - preload, 0.0))
    master.set_demand(demand)
    if cost is not None:
        master.set_cost(cost)
    sol = master.solve(detail=False)
    if sol.status != "Optimal":
        raise RuntimeError(f"the master LP ended with status {sol.status} on a sample")
    problem = ctx.problem
    n_arcs = len(nominal)
    lengths = [len(p) for _, p, _ in sol.columns]
    flat = np.concatenate([np.asarray(p, dtype=np.int64) for _, p, _ in sol.columns]) if lengths else np.zeros(0, int)
    flow = np.bincount(flat, weights=np.repeat([x for *_, x in sol.columns], lengths), minlength=n_arcs)
    with np.errstate(divide="ignore", invalid="ignore"):
        util_arc = np.where(np.isfinite(nominal), (flow + preload) / nominal, np.nan)
    dual_arc = np.clip(-sol.dual, 0.0, None)
    idx = ctx.asset_arcs
    pad = idx < 0
    u = np.where(pad, np.nan, util_arc[np.where(pad, 0, idx)])
    busiest = idx[np.arange(len(idx)), np.argmax(np.nan_to_num(u, nan=-1.0), axis=1)]
    util = util_arc[busiest]
    dual = np.where(pad, 0.0, dual_arc[np.where(pad, 0, idx)]).max(axis=1, initial=0.0)
    severity = np.select(
        [util > 1 + _AT, dual > _AT, np.isnan(util), util >= 1 - _AT, util >= ctx.threshold, util >= BUSY_UTILISATION],
        [4, 3, 0, 3, 2, 1],
        default=0,
    )
    relief = dual * RELIEF_SHARE * np.nan_to_num(nominal[busiest]) * ctx.relief_scale
    served = np.clip(sol.served, 0.0, None)
    own = ctx.corridor_rows
    per_c = np.zeros((2, len(COMMODITIES)))
    np.add.at(per_c[0], problem.commodity[own], served[own])
    np.add.at(per_c[1], problem.commodity[own], np.clip(demand[own] - served[own], 0.0, None))
    freight = per_c[0, COMMODITIES.index("freight")]
    return np.concatenate([util, dual, severity, relief, per_c.ravel(), [freight]])


_MASTERS: dict[str, tuple[MasterLP, tuple[Any, ...]]] = {}


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Compiled kernels on one thread while this process evaluates samples: the workers share the cores.

    Nothing to do where numba is not loaded (small problems run the interpreted kernels and never load it)."""
    import sys

    numba = sys.modules.get("numba")
    if numba is None:
        yield
        return

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(threads)


def _master(ctx: Context) -> tuple[MasterLP, tuple[Any, ...]]:
    """This process's warm master for ``ctx`` and its checkpoint after the central solve (built once)."""
    if ctx.token not in _MASTERS:
        _MASTERS.clear()
        master = MasterLP(ctx.problem)
        master.solve(detail=False)
        _MASTERS[ctx.token] = (master, master.checkpoint())
    return _MASTERS[ctx.token]


def run_batch(ctx: Context, start: int, values: np.ndarray) -> tuple[int, np.ndarray]:
    """Evaluate a batch of samples (rows of ``values``) from the checkpoint of this process's warm master.

    The master is built and solved at the central values once per process and context; every batch starts
    from that checkpoint, so its results do not depend on the batches this process ran before.

    Parameters
    ----------
    ctx : Context
        What the samples change (:func:`corridor.analyses.uncertainty.prepare`).
    start : int
        Index of the batch's first sample (returned as it is, to put the rows in place).
    values : ndarray
        One row of parameter values per sample.

    Returns
    -------
    start, rows
        ``start`` and one result row per sample (utilisation, dual, severity code and relief per asset, then
        served and diverted per commodity, then the corridor's served freight).

    Examples
    --------
    >>> import corridor
    >>> from corridor.analyses.uncertainty import collapse, design, list_parameters, prepare
    >>> g = corridor.load_geodata()
    >>> sc = corridor.load_scenario("target-2030", g)
    >>> params = collapse(list_parameters(g, sc))  # every range at its central value
    >>> ctx, assets = prepare(g, sc, params)
    >>> start, rows = run_batch(ctx, 0, design(params, 3, seed=1))
    >>> start, rows.shape[0], bool((rows[0] == rows[2]).all())  # central values: the same answer each time
    (0, 3, True)
    """
    with _one_thread():
        master, mark = _master(ctx)
        master.restore(mark)
        return start, np.array([_evaluate(ctx, master, v) for v in values])


_WORKER_CTX: list[Context] = []


#: Environment of every worker process: one thread each for the compiled kernels and the numeric libraries
#: (the processes share the cores; each evaluates its samples on one thread).
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` updated with ``values`` for the block (spawned processes inherit it)."""
    import os

    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _init_worker(ctx: Context) -> None:
    """Start of a local worker process: keep the context and build the warm master now, while the parent
    already evaluates its first batches."""
    _WORKER_CTX[:] = [ctx]
    with _one_thread():
        _master(ctx)


def _worker_batch(start: int, values: np.ndarray) -> tuple[int, np.ndarray]:
    return run_batch(_WORKER_CTX[0], start, values)


def _ready() -> None:
    """Run on every Dask worker as the cluster starts: unpickling it imports this (light) module there."""
