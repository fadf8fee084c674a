"""How sure is the bottleneck? Monte Carlo over the ranges of the estimates (stage 4, repeated).

Every figure that is an estimate with a range becomes an uncertain parameter (:func:`list_parameters`):

* ``capacity`` of a node or edge with ``capacity_low``/``capacity_high`` in the geodata (both directions of an
  edge scale together; an asset whose capacity the scenario sets is not sampled);
* ``tariff_usd`` of an edge and ``dwell_h`` of a node with ``*_low``/``*_high`` (they change the arcs' costs);
* ``amount`` of a scenario's ``[[demand]]`` and ``[[background]]`` entries with ``amount_low``/``amount_high``;
  an entry without them whose ``note`` says ESTIMATE gets ±20 % (:data:`ESTIMATE_SPREAD`).

Each parameter follows a triangular distribution (low, central, high) by default, or a uniform one on
[low, high]. The design (:func:`design`) is drawn once, in the calling process, from the seed, and the
workers receive its rows: the result never depends on the backend or the number of workers.

* ``sobol`` (scrambled :class:`scipy.stats.qmc.Sobol`, seeded) and ``random`` (one numpy stream, filled row
  by row): row ``i`` depends only on the seed and ``i``, so N samples are the first N of any longer run with
  the same seed (a run can be extended);
* ``lhs`` (:class:`scipy.stats.qmc.LatinHypercube`, the default): each parameter is stratified over all N
  samples, so the rows depend on N as well. The same seed and N give the same result everywhere, but the
  first 1,000 of 2,000 samples are not the 1,000-sample design.

Samples run in fixed batches of :data:`BATCH` consecutive samples. A worker builds the warm master LP once
(:class:`corridor.solve.master.MasterLP`), and for each batch goes back to its checkpoint after the central
solve (:meth:`~corridor.solve.master.MasterLP.restore`), then re-solves it per sample by changing bounds,
right-hand sides and costs only. A sample's result therefore depends only on its figures, its index and the
batch size: one worker, several local processes or a Dask cluster give the same JSON.

With ``workers=W`` on local processes, this process evaluates batches too, beside ``W - 1`` spawned ones
(each building its master while this one already samples); a Dask ``LocalCluster`` starts in a background
thread while the problem and the design are prepared.

Per asset (every node and edge with a finite capacity): ``p_binding`` (share of samples where the asset is
binding by the rule of :func:`corridor.analyses.bottlenecks.classify`), ``p_bottleneck`` (near-capacity, binding or
over-capacity), ``utilization_p05``/``_p50``/``_p95``, ``shadow_price_p50``/``_p95`` (in the units of
:data:`corridor.analyses.bottlenecks.PRICE_UNITS`) and ``relief_musd_per_year_p50``; per commodity, the corridor's
demand ``served`` and ``diverted`` (not carried: to its alternative where the scenario names one, else
unserved) at p05/p50/p95.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import signal
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from corridor._errors import ArgumentError
from corridor._progress import progress
from corridor.analyses.bottlenecks import PRICE_UNITS, UNCERTAINTY_FIELDS
from corridor.io.geodata import RANGED_FIELDS, Geodata
from corridor.io.scenario import Scenario
from corridor.model.network import COMMODITIES
from corridor.model.problem import Problem
from corridor.model.problem import prepare as prepare_problem
from corridor.solve.sampling import WORKER_ENV, Context, _environ, _init_worker, _ready, _worker_batch, run_batch

__all__ = [
    "BATCH",
    "DISTRIBUTIONS",
    "ESTIMATE_SPREAD",
    "SAMPLERS",
    "Cluster",
    "Context",
    "design",
    "for_problem",
    "list_parameters",
    "prepare",
    "run",
    "uncertainty",
]

SAMPLERS = ("lhs", "sobol", "random")
DISTRIBUTIONS = ("triangular", "uniform")
#: Relative range given to a scenario amount whose note says ESTIMATE but gives no amount_low/amount_high.
ESTIMATE_SPREAD = 0.2
#: Samples per task: fixed, so that the batches (and the results) do not depend on the number of workers.
BATCH = 25
PARAMETER_COLUMNS = ["id", "field", "central", "low", "high", "distribution", "unit", "source_url", "note"]


# --------------------------------------------------------------------------- parameters as data


def _finite(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def list_parameters(geodata: Geodata, scenario: Scenario, *, distribution: str = "triangular") -> pd.DataFrame:
    """The uncertain parameters of a scenario, one row each.

    Parameters
    ----------
    geodata, scenario
        The data and the scenario (see :func:`corridor.load_geodata`, :func:`corridor.load_scenario`).
    distribution
        ``"triangular"`` (low, central, high) or ``"uniform"`` (low, high) for every parameter.

    Returns
    -------
    DataFrame
        Columns ``id`` (asset id, or ``demand #i`` / ``background #i``), ``field`` (``capacity``,
        ``tariff_usd``, ``dwell_h`` or ``amount``), ``central``, ``low``, ``high``, ``distribution``, ``unit``,
        ``source_url`` and ``note``. Parameters with ``low == high`` are kept (they stay at the central value).

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> params = list_parameters(g, corridor.load_scenario("target-2030", g))
    >>> sorted(set(params["field"]))
    ['amount', 'capacity', 'dwell_h', 'tariff_usd']
    >>> bool(((params["low"] <= params["central"]) & (params["central"] <= params["high"])).all())
    True
    """
    if distribution not in DISTRIBUTIONS:
        raise ArgumentError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, not {distribution!r}")
    rows = []
    for layer, frame in (("nodes", geodata.nodes), ("edges", geodata.edges)):
        for base in RANGED_FIELDS:
            lo_f, hi_f = f"{base}_low", f"{base}_high"
            if base not in frame.columns or not ({lo_f, hi_f} & set(frame.columns)):
                continue
            for fid, rec in frame.iterrows():
                central = _finite(rec[base])
                lo, hi = _finite(rec.get(lo_f)), _finite(rec.get(hi_f))
                if central is None or (lo is None and hi is None):
                    continue
                if base == "capacity" and fid in scenario.capacity:
                    continue  # the scenario sets this capacity: its own figure, not the geodata's estimate
                unit = rec.get("capacity_unit") if base == "capacity" else ("h" if base == "dwell_h" else "USD/unit")
                rows.append(
                    {
                        "id": str(fid),
                        "field": base,
                        "central": central,
                        "low": central if lo is None else lo,
                        "high": central if hi is None else hi,
                        "distribution": distribution,
                        "unit": str(unit or ""),
                        "source_url": str(rec.get("source_url") or ""),
                        "note": str(rec.get("note") or ""),
                        "layer": layer,
                    }
                )
    from corridor.io import schema

    units = schema.commodity_units()
    for label, entries in (("demand", scenario.demand), ("background", scenario.background)):
        for i, d in enumerate(entries):
            lo = getattr(d, "amount_low", None)
            hi = getattr(d, "amount_high", None)
            if lo is None and hi is None:
                if "ESTIMATE" not in d.note.upper():
                    continue
                lo, hi = d.amount * (1 - ESTIMATE_SPREAD), d.amount * (1 + ESTIMATE_SPREAD)
            rows.append(
                {
                    "id": f"{label} #{i + 1}",
                    "field": "amount",
                    "central": d.amount,
                    "low": d.amount if lo is None else lo,
                    "high": d.amount if hi is None else hi,
                    "distribution": distribution,
                    "unit": str(units.get(d.commodity, "")) if d.commodity else "",
                    "source_url": d.source_url,
                    "note": d.note,
                    "layer": label,
                }
            )
    frame = pd.DataFrame(rows, columns=[*PARAMETER_COLUMNS, "layer"])
    return frame


def collapse(parameters: pd.DataFrame) -> pd.DataFrame:
    """The same parameters with every range collapsed onto its central value (a check: the result is ``analyze``)."""
    out = parameters.copy()
    out["low"] = out["central"]
    out["high"] = out["central"]
    return out


# --------------------------------------------------------------------------- the design


def _unit_design(n: int, d: int, *, sampler: str, seed: int) -> np.ndarray:
    """``n`` points in the unit cube [0, 1)^d, row ``i`` fixed by the seed (and, for ``lhs``, by ``n``)."""
    from scipy.stats import qmc

    if sampler not in SAMPLERS:
        raise ArgumentError(f"sampler must be one of {', '.join(SAMPLERS)}, not {sampler!r}")
    if d == 0:
        return np.zeros((n, 0))
    if sampler == "random":
        return np.random.default_rng(seed).random((n, d))
    cls = qmc.LatinHypercube if sampler == "lhs" else qmc.Sobol
    try:
        engine = cls(d=d, rng=np.random.default_rng(seed))
    except TypeError:  # SciPy < 1.15 names it seed
        engine = cls(d=d, seed=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Sobol: "n is not a power of 2" (balance, not correctness)
        return engine.random(n)


def to_values(unit: np.ndarray, parameters: pd.DataFrame) -> np.ndarray:
    """Map unit-cube points to parameter values by each parameter's distribution (inverse CDF)."""
    from scipy.stats import triang

    values = np.empty_like(unit, dtype=float)
    for j, p in enumerate(parameters.itertuples(index=False)):
        lo, hi, central = float(p.low), float(p.high), float(p.central)
        if hi <= lo:
            values[:, j] = central
        elif p.distribution == "uniform":
            values[:, j] = lo + unit[:, j] * (hi - lo)
        else:
            values[:, j] = triang.ppf(unit[:, j], (central - lo) / (hi - lo), loc=lo, scale=hi - lo)
    return values


def design(parameters: pd.DataFrame, n: int, *, sampler: str = "lhs", seed: int = 0) -> np.ndarray:
    """Parameter values of ``n`` samples, one row per sample and one column per parameter.

    Parameters
    ----------
    parameters
        From :func:`list_parameters` (or :func:`for_problem`).
    n
        Number of samples.
    sampler
        ``"lhs"``, ``"sobol"`` or ``"random"``.
    seed
        Seed of the design.

    Returns
    -------
    ndarray
        Shape ``(n, len(parameters))``. Row ``i`` depends only on the seed and ``i`` for ``sobol`` and
        ``random``; a Latin hypercube stratifies over all ``n`` samples, so with ``lhs`` it depends on ``n``
        too. Never on who evaluates it.

    Examples
    --------
    >>> import pandas as pd
    >>> params = pd.DataFrame({"central": [10.0, 0.0], "low": [8.0, -1.0], "high": [12.0, 1.0],
    ...                        "distribution": ["uniform", "triangular"]})
    >>> values = design(params, 4, sampler="sobol", seed=1)
    >>> values.shape, bool((values[:, 0] >= 8).all() and (values[:, 0] <= 12).all())
    ((4, 2), True)
    >>> bool((design(params, 8, sampler="sobol", seed=1)[:4] == values).all())  # sobol: row i is row i
    True
    """
    return to_values(_unit_design(n, len(parameters), sampler=sampler, seed=seed), parameters)


# --------------------------------------------------------------------------- what one sample changes


def prepare(
    geodata: Geodata, scenario: Scenario, parameters: pd.DataFrame, *, threshold: float | None = None
) -> tuple[Context, pd.DataFrame]:
    """Build the scenario's problem once at the central values and map each parameter onto it.

    Parameters
    ----------
    geodata, scenario
        The data and the scenario.
    parameters
        The uncertain parameters (:func:`list_parameters`).
    threshold
        Utilisation that counts as near capacity (default: the scenario's ``bottleneck_threshold``).

    Returns
    -------
    context, assets
        The :class:`Context` (picklable: what a worker needs) and the asset table (``id``, ``name``, ``layer``,
        ``capacity_unit``, ``shadow_price_unit``) in the order of the result arrays.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> sc = corridor.load_scenario("target-2030", g)
    >>> ctx, assets = prepare(g, sc, list_parameters(g, sc))
    >>> len(assets) == len(ctx.asset_arcs), "sea-aktau-alat" in set(assets["id"])
    (True, True)
    """
    ready = prepare_problem(geodata, scenario)
    arcs, problem, rows = ready.arcs, ready.problem, ready.rows
    element = np.array(arcs.element, dtype=object)
    is_node = arcs.direction == 0
    col = {(p.id, p.field): j for j, p in enumerate(parameters.itertuples(index=False))}
    central = parameters["central"].to_numpy(float)
    vot = scenario.parameter("value_of_time")
    vot_c = np.array([float(vot.get(c, 0.0)) for c in COMMODITIES])
    cost_params = []
    cap_col = np.full(arcs.n_arcs, -1, dtype=np.int64)
    for (pid, fld), j in col.items():
        layer = parameters["layer"].iloc[j]
        on = np.flatnonzero((element == pid) & (is_node if layer == "nodes" else ~is_node))
        if not len(on):
            continue  # not in service in the scenario's year
        if fld == "capacity":
            cap_col[on] = j
        elif fld == "tariff_usd":
            cost_params.append((j, on, np.ones(len(COMMODITIES))))
        elif fld == "dwell_h":
            cost_params.append((j, on, vot_c.copy()))
    # background loads, in the order build_network adds them
    keys = {(e, int(d)): a for a, (e, d) in enumerate(zip(arcs.element, arcs.direction, strict=True))}
    sides = {"both": (1, -1, 0), "forward": (1, 0), "reverse": (-1,)}
    masks, load_amount, load_param = [], [], []
    for i, b in enumerate(scenario.background):
        if not b.is_preload:
            continue
        mask = np.zeros(arcs.n_arcs)
        for direction in sides[b.direction]:
            a = keys.get((b.id, direction))
            if a is not None:
                mask[a] = 1.0
        masks.append(mask)
        load_amount.append(b.amount)
        load_param.append(col.get((f"background #{i + 1}", "amount"), -1))
    # flow entries (corridor demand and background flows) onto the aggregated problem rows
    index = {
        (bool(r.background), r.origin, r.destination, r.commodity): k
        for k, r in enumerate(rows.itertuples(index=False))
    }
    d_row, d_amount, d_param = [], [], []
    for i, d in enumerate(scenario.demand):
        d_row.append(index[(False, d.origin, d.destination, d.commodity)])
        d_amount.append(d.amount)
        d_param.append(col.get((f"demand #{i + 1}", "amount"), -1))
    for i, b in enumerate(scenario.background):
        if b.is_preload:
            continue
        d_row.append(index[(True, b.origin, b.destination, b.commodity)])
        d_amount.append(b.amount)
        d_param.append(col.get((f"background #{i + 1}", "amount"), -1))
    # the assets: every node and edge with a finite capacity on one of its arcs
    finite = np.isfinite(arcs.capacity_total)
    groups: dict[tuple[bool, str], list[int]] = {}
    for a, (e, node) in enumerate(zip(arcs.element, is_node, strict=True)):
        groups.setdefault((bool(node), e), []).append(a)
    groups = {k: v for k, v in groups.items() if finite[v].any()}
    width = max((len(v) for v in groups.values()), default=1)
    asset_arcs = np.full((len(groups), width), -1, dtype=np.int64)
    table = []
    for i, ((node, eid), on) in enumerate(groups.items()):
        asset_arcs[i, : len(on)] = on
        rec, layer, _ = geodata.asset(eid, node=node)
        unit = rec.get("capacity_unit")
        name_unit, factor, scale = PRICE_UNITS.get(str(unit), ("USD per unit", 1.0, 1.0))
        table.append(
            {
                "id": eid,
                "name": str(rec["name"]),
                "layer": layer,
                "capacity_unit": unit if isinstance(unit, str) else None,
                "shadow_price_unit": name_unit if isinstance(unit, str) else None,
                "_factor": factor,
                "_scale": scale,
            }
        )
    assets = pd.DataFrame(
        table, columns=["id", "name", "layer", "capacity_unit", "shadow_price_unit", "_factor", "_scale"]
    )
    limit = float(threshold if threshold is not None else scenario.parameter("bottleneck_threshold"))
    ctx = Context(
        token=uuid.uuid4().hex,
        problem=problem,
        nominal=arcs.capacity_total.copy(),
        cap_col=cap_col,
        preload_mask=np.array(masks).reshape(len(masks), arcs.n_arcs),
        preload_amount=np.array(load_amount, dtype=float),
        preload_param=np.array(load_param, dtype=np.int64),
        cost_params=tuple(cost_params),
        demand_row=np.array(d_row, dtype=np.int64),
        demand_amount=np.array(d_amount, dtype=float),
        demand_param=np.array(d_param, dtype=np.int64),
        central=central,
        asset_arcs=asset_arcs,
        price_factor=assets["_factor"].to_numpy(float),
        relief_scale=assets["_scale"].to_numpy(float),
        threshold=limit,
        corridor_rows=~rows["background"].to_numpy(bool),
    )
    return ctx, assets.drop(columns=["_factor", "_scale"])


def for_problem(
    problem: Problem, *, spread: float = 0.2, distribution: str = "uniform", threshold: float = 0.9
) -> tuple[Context, pd.DataFrame, pd.DataFrame]:
    """A :class:`Context` for a problem built without geodata (a synthetic or imported network).

    Every finite arc capacity and every demand row becomes an uncertain parameter on
    ``[central (1 - spread), central (1 + spread)]``; each capacitated arc is an asset of its own.

    Parameters
    ----------
    problem
        The problem (e.g. arrays of a benchmark network put into :class:`corridor.model.problem.Problem`).
    spread
        Relative half-width of every range.
    distribution
        ``"uniform"`` or ``"triangular"``.
    threshold
        Utilisation that counts as near capacity.

    Returns
    -------
    context, assets, parameters
        For :func:`run` and :func:`summarize`, the asset table (``id``, ``name``, ``layer``, ``capacity_unit``,
        ``shadow_price_unit``; prices stay in the problem's units) and the parameter table (for :func:`design`).

    Examples
    --------
    >>> import corridor
    >>> from corridor.model.problem import prepare as prepare_problem
    >>> g = corridor.load_geodata()
    >>> problem = prepare_problem(g, corridor.load_scenario("baseline-2024", g)).problem
    >>> ctx, assets, params = for_problem(problem, spread=0.1)
    >>> set(params["field"]) == {"capacity", "amount"}, bool((params["high"] > params["low"]).all())
    (True, True)
    """
    if distribution not in DISTRIBUTIONS:
        raise ArgumentError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, not {distribution!r}")
    arcs = problem.arcs
    nominal = np.asarray(arcs.capacity_total, dtype=float)
    capped = np.flatnonzero(np.isfinite(nominal))
    n_dem = len(problem.demand)
    central = np.concatenate([nominal[capped], problem.demand])
    params = pd.DataFrame(
        {
            "id": [str(arcs.element[a]) for a in capped] + [f"demand #{k + 1}" for k in range(n_dem)],
            "field": ["capacity"] * len(capped) + ["amount"] * n_dem,
            "central": central,
            "low": central * (1 - spread),
            "high": central * (1 + spread),
            "distribution": distribution,
            "unit": "",
            "source_url": "",
            "note": f"±{spread:.0%} around the problem's figure",
            "layer": ["arcs"] * len(capped) + ["demand"] * n_dem,
        },
        columns=[*PARAMETER_COLUMNS, "layer"],
    )
    cap_col = np.full(arcs.n_arcs, -1, dtype=np.int64)
    cap_col[capped] = np.arange(len(capped))
    background = problem.background if problem.background is not None else np.zeros(n_dem, dtype=bool)
    ctx = Context(
        token=uuid.uuid4().hex,
        problem=problem,
        nominal=nominal.copy(),
        cap_col=cap_col,
        preload_mask=np.zeros((0, arcs.n_arcs)),
        preload_amount=np.zeros(0),
        preload_param=np.zeros(0, dtype=np.int64),
        cost_params=(),
        demand_row=np.arange(n_dem, dtype=np.int64),
        demand_amount=np.asarray(problem.demand, dtype=float),
        demand_param=len(capped) + np.arange(n_dem, dtype=np.int64),
        central=central,
        asset_arcs=capped[:, None].astype(np.int64),
        price_factor=np.ones(len(capped)),
        relief_scale=np.ones(len(capped)),
        threshold=float(threshold),
        corridor_rows=~np.asarray(background, dtype=bool),
    )
    names = [str(arcs.element[a]) for a in capped]
    assets = pd.DataFrame(
        {"id": names, "name": names, "layer": "edge", "capacity_unit": None, "shadow_price_unit": None},
        columns=["id", "name", "layer", "capacity_unit", "shadow_price_unit"],
    )
    return ctx, assets, params


# --------------------------------------------------------------------------- execution


@contextlib.contextmanager
def _bar(total: int, enabled: bool) -> Iterator[Callable[[int], object]]:
    """The package's progress bar (tqdm, on a terminal) over ``total`` samples, or a no-op when disabled."""
    if not enabled:
        yield lambda n: None
        return
    with progress(total, unit="sample", desc="samples") as advance:
        yield advance


class Cluster:
    """A Dask client being connected in a background thread (for ``"local"``, its ``LocalCluster`` started and
    this module imported on every worker), so that the workers start while this process prepares the samples.

    Parameters
    ----------
    scheduler
        ``tcp://host:8786``, or ``"local"`` for a ``LocalCluster`` of ``workers`` single-threaded processes.
    workers
        Processes of the ``LocalCluster``.

    Use it as a context manager (it closes the client and the cluster), and pass it to :func:`run` as
    ``scheduler``.
    """

    def __init__(self, scheduler: str, *, workers: int = 1) -> None:
        import threading

        self.scheduler = scheduler
        self._stack = contextlib.ExitStack()
        self._client: tuple[Any, str] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, args=(workers,), name="corridor-dask-start", daemon=True)
        self._thread.start()

    def _start(self, workers: int) -> None:
        try:
            client, backend = _connect(self.scheduler, workers, self._stack)
            client.run(_ready)
            self._client = (client, backend)
        except BaseException as e:  # handed to the caller by get()
            self._error = e

    def ready(self) -> bool:
        """Whether the start has ended (connected, or failed: :meth:`get` says which).

        Returns
        -------
        bool
            False while the client is still connecting.

        Examples
        --------
        >>> with Cluster("local", workers=1) as cluster:  # starts in the background
        ...     _ = cluster.get()  # waits until it is up
        ...     cluster.ready()
        True
        """
        return not self._thread.is_alive()

    def get(self) -> tuple[Any, str]:
        """The connected client and the backend's name (waits for the start; raises what stopped it).

        Returns
        -------
        tuple
            ``(distributed.Client, backend name)``.

        Examples
        --------
        >>> with Cluster("local", workers=1) as cluster:
        ...     client, backend = cluster.get()
        ...     backend.startswith("dask")
        True
        """
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._client is not None
        return self._client

    def close(self) -> None:
        """Close the client and the ``LocalCluster`` started for it (after the start has ended).

        Examples
        --------
        >>> cluster = Cluster("local", workers=1)
        >>> cluster.close()  # waits for the start, then stops the workers
        >>> cluster.ready()
        True
        """
        self._thread.join()
        self._stack.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(
    ctx: Context,
    values: np.ndarray,
    *,
    workers: int = 1,
    scheduler: str | Cluster | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, str]:
    """Evaluate every sample, in batches of :data:`BATCH`.

    Parameters
    ----------
    ctx
        From :func:`prepare`.
    values
        One row per sample (:func:`design`).
    workers
        Processes that evaluate batches: this one and ``workers - 1`` local worker processes, each building
        its warm master once (the parent's is built while the workers start); or the ``LocalCluster``'s
        processes.
    scheduler
        Run on Dask instead: an address ``tcp://host:8786``, ``"local"`` for a ``distributed.LocalCluster`` of
        ``workers`` processes, or a :class:`Cluster` already starting. While the cluster starts, this process
        evaluates batches itself; it stops when the cluster is up, which takes the remaining batches.
    progress
        Show a progress bar on stderr when it is a terminal.

    Returns
    -------
    results, backend
        The result rows in sample order and the backend's name. Ctrl-C stops the workers and raises
        ``KeyboardInterrupt``: nothing partial is returned.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> sc = corridor.load_scenario("target-2030", g)
    >>> params = list_parameters(g, sc)
    >>> ctx, assets = prepare(g, sc, params)
    >>> rows, backend = run(ctx, design(params, 30, sampler="random", seed=2))
    >>> rows.shape[0], backend
    (30, 'local (1 process)')
    """
    n = len(values)
    batches = [(s, values[s : s + BATCH]) for s in range(0, n, BATCH)]
    parts = _Rows(n)
    with _bar(n, progress) as advance:
        if scheduler:
            with contextlib.ExitStack() as stack:
                cluster = (
                    scheduler
                    if isinstance(scheduler, Cluster)
                    else stack.enter_context(Cluster(scheduler, workers=workers))
                )
                backend = _run_dask(ctx, batches, parts, advance, cluster)
        elif workers <= 1 or len(batches) <= 1:
            backend = "local (1 process)"
            for start, vals in batches:
                parts[start] = run_batch(ctx, start, vals)[1]
                advance(len(vals))
        else:
            backend = f"local ({workers} processes)"
            _run_pool(ctx, batches, parts, advance, workers=workers)
    if not batches:
        return np.zeros((0, 0)), "none"
    assert parts.array is not None and parts.filled == n
    return parts.array, backend


class _Rows:
    """The result rows of all samples, each batch written in place as it arrives (no second copy at the end:
    on a 10k-edge network 1,000 samples hold 300 MB of rows)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.array: np.ndarray | None = None
        self.filled = 0

    def __setitem__(self, start: int, rows: np.ndarray) -> None:
        if self.array is None:
            self.array = np.empty((self.n, rows.shape[1]))
        self.array[start : start + len(rows)] = rows
        self.filled += len(rows)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while worker processes start: they inherit the ignored disposition across exec (Python
    keeps an ignored SIGINT ignored), so a Ctrl-C sent to the whole process group reaches only the parent,
    which stops them, and no worker prints a ``KeyboardInterrupt`` traceback. (A blocked signal would not do:
    the child's signal mask is reset on spawn.) The window is the few milliseconds of starting the processes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes at once (they hold no files: nothing is lost), then its manager thread.

    Reaches into the executor's internals (CPython 3.11-3.13): ``shutdown`` alone would wait for the running
    chunks, and the interpreter's exit hook would then write to the closed wake-up pipe of the stopped manager
    thread (a spurious "Exception ignored" traceback, fixed in CPython 3.12), so its entry is dropped here.
    """
    from concurrent.futures import process as futures_process

    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    for worker in processes:
        with contextlib.suppress(Exception):
            worker.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in processes:
        with contextlib.suppress(Exception):
            worker.join(timeout=1.0)
    if manager is not None:
        manager.join(timeout=5.0)
        with contextlib.suppress(Exception):
            futures_process._threads_wakeups.pop(manager, None)


def _run_pool(ctx: Context, batches: list, parts: _Rows, advance: Callable[[int], None], *, workers: int) -> None:
    """This process and ``workers - 1`` spawned ones share the batches: the workers take them from the front
    (two each in flight), this process from the back, between looking for finished ones."""
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    helpers = workers - 1
    todo = deque(batches)
    pending: set[Future] = set()
    pool = None

    def collect(done: set[Future]) -> None:
        for f in done:
            start, out = f.result()
            parts[start] = out
            advance(len(out))

    def feed() -> None:
        while todo and len(pending) < 2 * helpers:
            pending.add(pool.submit(_worker_batch, *todo.popleft()))

    try:
        with _sigint_ignored(), _environ(WORKER_ENV):  # Ctrl-C is the parent's (see _sigint_ignored)
            # spawn, not fork: the compiled shortest-path kernels run OpenMP threads, which fork() breaks; the
            # processes start with the submits (one per submit while none is idle), so within this block
            pool = ProcessPoolExecutor(
                max_workers=helpers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(ctx,),
            )
            feed()
        while todo or pending:
            done = {f for f in pending if f.done()}
            pending -= done
            collect(done)
            feed()
            if todo:
                start, vals = todo.pop()
                parts[start] = run_batch(ctx, start, vals)[1]
                advance(len(vals))
            elif pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(done)
    except BaseException:
        if pool is not None:
            # the queue's feeder thread may be blocked writing a batch to a worker that is about to end: do
            # not let the interpreter's exit wait for it
            with contextlib.suppress(Exception):
                pool._call_queue.cancel_join_thread()
            _stop(pool)
        raise
    pool.shutdown()


def _connect(scheduler: str, workers: int, stack: contextlib.ExitStack) -> tuple[Any, str]:
    """A ``distributed.Client`` and the backend's name; ``stack`` closes them (not ``with Client``: the client
    may be made in one thread and closed in another)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise ArgumentError("--scheduler needs Dask's distributed scheduler (fix: pip install 'corridor[dask]')") from e
    if scheduler == "local":
        n = max(1, workers)
        # the scheduler's HTTP server on a free port: on 8787 (its default, also with None) a second cluster on
        # the machine would warn and move
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0", env=dict(WORKER_ENV)
        )
        stack.callback(cluster.close)
        client = Client(cluster)
        stack.callback(client.close)
        return client, f"dask LocalCluster ({n} processes)"
    client = Client(scheduler)
    stack.callback(client.close)
    return client, f"dask {scheduler}"


@contextlib.contextmanager
def dask_client(scheduler: str, *, workers: int = 1) -> Iterator[tuple[Any, str]]:
    """A ``distributed.Client`` and the backend's name: connected to ``scheduler`` (``tcp://host:8786``), or to a
    ``LocalCluster`` of ``workers`` single-threaded processes started here for ``"local"``; closed on exit."""
    with contextlib.ExitStack() as stack:
        yield _connect(scheduler, workers, stack)


def _run_dask(ctx: Context, batches: list, parts: _Rows, advance: Callable[[int], None], cluster: Cluster) -> str:
    """The batches on a Dask cluster; while it is still starting, this process evaluates batches from the back
    (it would wait otherwise), and stops as soon as the cluster is up."""
    from collections import deque

    from distributed import as_completed

    todo = deque(batches)
    while todo and not cluster.ready():
        start, vals = todo.pop()
        parts[start] = run_batch(ctx, start, vals)[1]
        advance(len(vals))
    client, backend = cluster.get()
    if not todo:
        return backend
    remote = client.scatter(ctx, broadcast=True)
    futures = [client.submit(run_batch, remote, s, v, pure=False) for s, v in todo]
    try:
        for f in as_completed(futures):
            start, out = f.result()
            parts[start] = out
            advance(len(out))
    except BaseException:
        client.cancel(futures)
        raise
    return backend


# --------------------------------------------------------------------------- summary


def summarize(
    results: np.ndarray, assets: pd.DataFrame, ctx: Context
) -> tuple[list[dict[str, Any]], dict[str, dict[str, float]]]:
    """Per-asset statistics (ranked by ``p_binding``) and per-commodity totals from the result rows."""
    a = len(assets)
    util, dual, sev, relief = (results[:, i * a : (i + 1) * a] for i in range(4))
    rest = results[:, 4 * a :]
    nc = len(COMMODITIES)
    served, diverted = rest[:, :nc], rest[:, nc : 2 * nc]

    def q(x: np.ndarray, p: float | list[float]) -> np.ndarray:
        return np.percentile(x, p, axis=0)  # column by column: each asset's own percentiles

    price = dual * ctx.price_factor
    binding, bottleneck = (sev == 3).mean(axis=0), (sev >= 2).mean(axis=0)
    u05, u50, u95 = q(util, [5, 50, 95])
    p50, p95 = q(price, [50, 95])
    r50 = q(relief, 50)
    rows = []
    for i, rec in enumerate(assets.itertuples(index=False)):
        rows.append(
            {
                "id": rec.id,
                "name": rec.name,
                "layer": rec.layer,
                "capacity_unit": rec.capacity_unit,
                "p_binding": float(binding[i]),
                "p_bottleneck": float(bottleneck[i]),
                "utilization_p05": float(u05[i]),
                "utilization_p50": float(u50[i]),
                "utilization_p95": float(u95[i]),
                "shadow_price_p50": float(p50[i]),
                "shadow_price_p95": float(p95[i]),
                "shadow_price_unit": rec.shadow_price_unit,
                "relief_musd_per_year_p50": float(r50[i]),
            }
        )
    rows.sort(key=lambda r: (-r["p_binding"], -r["p_bottleneck"], -r["utilization_p50"], r["id"]))
    own = ctx.corridor_rows
    present = sorted(set(ctx.problem.commodity[own].tolist()))
    totals = {}
    for c in present:
        name = COMMODITIES[c]
        totals[name] = {
            **{f"served_p{p:02d}": float(q(served[:, c], p)) for p in (5, 50, 95)},
            **{f"diverted_p{p:02d}": float(q(diverted[:, c], p)) for p in (5, 50, 95)},
        }
    return rows, totals


def uncertainty(
    geodata: Geodata,
    scenario: Scenario,
    *,
    samples: int = 256,
    seed: int = 0,
    sampler: str = "lhs",
    distribution: str = "triangular",
    parameters: pd.DataFrame | None = None,
    workers: int = 1,
    scheduler: str | Cluster | None = None,
    sensitivity: bool = False,
    progress: bool = False,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Monte Carlo over the scenario's uncertain parameters: how sure is each bottleneck?

    Parameters
    ----------
    geodata, scenario
        The data and the scenario.
    samples
        Number of samples (with ``sensitivity``, the base number N of a Saltelli design of N·(2D+2) samples).
    seed
        Seed of the design: the same seed gives the same document whatever runs it.
    sampler
        ``"lhs"`` (Latin hypercube), ``"sobol"`` (scrambled Sobol) or ``"random"``.
    distribution
        ``"triangular"`` or ``"uniform"`` (when ``parameters`` is not given).
    parameters
        The uncertain parameters (default: :func:`list_parameters`).
    workers, scheduler
        Where the samples run (see :func:`run`; ``scheduler`` may be a :class:`Cluster` already started, which
        stays open).
    sensitivity
        Also compute Sobol indices (SALib) of the corridor's served freight to each parameter.
    progress
        Show a progress bar on stderr when it is a terminal.
    threshold
        Utilisation that counts as near capacity (default: the scenario's ``bottleneck_threshold``).

    Returns
    -------
    dict
        The JSON document: ``scenario``, ``year``, ``samples``, ``seed``, ``sampler``, ``backend``,
        ``batch_size``, ``parameters`` (their number), ``assets`` (ranked by ``p_binding``), ``totals`` and,
        with ``sensitivity``, ``sensitivity`` (one row per parameter: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``).

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> doc = uncertainty(g, corridor.load_scenario("target-2030", g), samples=40, seed=1)
    >>> doc["samples"], doc["seed"], doc["backend"]
    (40, 1, 'local (1 process)')
    >>> worst = doc["assets"][0]  # ranked by the probability of being binding
    >>> 0.0 <= worst["p_binding"] <= 1.0, sorted(doc["totals"])[:2]
    (True, ['data', 'freight'])
    """
    from corridor.io import _validate

    _validate.instance(geodata, Geodata, "geodata", "a Geodata (from load_geodata)")
    _validate.instance(scenario, Scenario, "scenario", "a Scenario (from load_scenario)")
    samples = _validate.integer(samples, "samples", minimum=1)
    workers = _validate.integer(workers, "workers", minimum=1)
    if sampler not in SAMPLERS:
        raise ArgumentError(f"sampler must be one of {', '.join(SAMPLERS)}, not {sampler!r}")
    params = parameters if parameters is not None else list_parameters(geodata, scenario, distribution=distribution)
    d = len(params)
    if sensitivity and d == 0:
        raise ArgumentError("a sensitivity analysis needs at least one uncertain parameter; the scenario has none")
    # a Dask cluster starts in the background while the problem and the design are prepared here
    with contextlib.ExitStack() as stack:
        cluster = scheduler
        if isinstance(scheduler, str) and scheduler:
            cluster = stack.enter_context(Cluster(scheduler, workers=workers))
        ctx, assets = prepare(geodata, scenario, params, threshold=threshold)
        if sensitivity:
            from SALib.sample import sobol as saltelli

            names = [f"{p.id}:{p.field}" for p in params.itertuples()]
            spec = {"num_vars": d, "names": names, "bounds": [[0, 1]] * d}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SALib warns when N is not a power of 2
                unit = saltelli.sample(spec, samples, calc_second_order=True, seed=seed)
            sampler_name = "saltelli"
        else:
            unit = _unit_design(samples, d, sampler=sampler, seed=seed)
            sampler_name = sampler
        values = to_values(unit, params)
        results, backend = run(ctx, values, workers=workers, scheduler=cluster, progress=progress)
    rows, totals = summarize(results, assets, ctx)
    doc: dict[str, Any] = {
        "scenario": scenario.name,
        "year": scenario.year,
        "samples": len(values),
        "seed": seed,
        "sampler": sampler_name,
        "distribution": distribution if parameters is None else "per parameter",
        "backend": backend,
        "batch_size": BATCH,
        "parameters": d,
        "assets": rows,
        "totals": totals,
    }
    if sensitivity:
        from SALib.analyze import sobol as sobol_analyze

        y = results[:, -1]
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            si = sobol_analyze.analyze(spec, y, calc_second_order=True, seed=seed)
        doc["sensitivity"] = sorted(
            (
                {
                    "parameter": name,
                    "S1": _num(si["S1"][j]),
                    "S1_conf": _num(si["S1_conf"][j]),
                    "ST": _num(si["ST"][j]),
                    "ST_conf": _num(si["ST_conf"][j]),
                }
                for j, name in enumerate(spec["names"])
            ),
            key=lambda r: (-r["ST"], r["parameter"]),
        )
    return doc


def _num(x: float) -> float:
    """A finite float for JSON (a constant output gives NaN indices: 0, nothing to explain)."""
    x = float(x)
    return x if math.isfinite(x) else 0.0


def with_uncertainty(analysis: Any, doc: dict[str, Any]) -> Any:
    """``analysis`` with each asset's statistics from an :func:`uncertainty` document as columns.

    Parameters
    ----------
    analysis : corridor.results.Analysis
        The scenario's analysis (its central values).
    doc : dict
        The document :func:`uncertainty` returned for the same scenario.

    Returns
    -------
    corridor.results.Analysis
        A copy whose ``nodes`` and ``edges`` have the :data:`~corridor.analyses.bottlenecks.UNCERTAINTY_FIELDS` (NaN
        for assets the sampling did not report); GeoJSON, GeoPackage, CSV and Markdown exports then carry them.
    """
    import dataclasses

    stats = {(a["layer"], a["id"]): a for a in doc["assets"]}
    frames = {}
    for layer, name in (("node", "nodes"), ("edge", "edges")):
        gdf = getattr(analysis, name).copy()
        for field in UNCERTAINTY_FIELDS:
            gdf[field] = [
                float(stats[(layer, fid)][field])
                if (layer, fid) in stats and stats[(layer, fid)].get(field) is not None
                else math.nan
                for fid in gdf.index
            ]
        gdf.attrs.update(getattr(analysis, name).attrs)
        gdf.attrs.update(uncertainty_samples=doc["samples"], uncertainty_seed=doc["seed"])
        frames[name] = gdf
    return dataclasses.replace(analysis, **frames)
