"""Assign demand to the network (stage 3): all-or-nothing and capacity-constrained system optimum.

Methods (select by name in :func:`assign`):

``aon``
    Each origin–destination demand takes its cheapest route (generalised cost: tariff plus
    value of time × time), capacities ignored: where demand *wants* to go.
``system-optimal`` (default)
    The least-cost multicommodity flow within capacities, as a linear program solved by HiGHS
    with path-based column generation: a restricted master LP over path columns is re-solved
    (warm) while shortest paths on the dual-adjusted costs price out new columns. Demand that
    cannot be carried is left unserved at a penalty, so the LP is always feasible. The duals of
    the capacity rows are the shadow prices: the cost saved per unit of extra capacity.

All shortest paths run on CSR arrays with a compiled Dijkstra (numba; one thread per origin on
large calls, serial on small ones; stopping once the origin's destinations are settled), from each
distinct origin once.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from corridor._errors import ArgumentError
from corridor.io.geodata import Geodata
from corridor.io.scenario import Scenario
from corridor.model.network import (
    COMMODITIES,
    Arcs,
    in_node,
    out_node,
)
from corridor.model.problem import Problem, prepare
from corridor.solve.equilibrium import solve_equilibrium
from corridor.solve.master import Solution, _loads, solve_aon, solve_system_optimal
from corridor.solve.paths import _Router

__all__ = ["METHODS", "Assignment", "assign", "solve"]

METHODS = ("aon", "system-optimal", "equilibrium")
_log = logging.getLogger(__name__)


@dataclass
class Assignment:
    """The result of an assignment, stamped with what produced it.

    ``arc_flow[c, a]`` is the corridor's flow of commodity ``COMMODITIES[c]`` on arc ``a`` of ``arcs``;
    ``background_flow[c, a]`` the flow of the scenario's background origin–destination traffic (the fixed
    background loads are ``arcs.background_load``); ``shadow_price[a]`` the cost saved per unit of extra
    capacity on arc ``a`` (0 where slack); ``od`` one row per corridor demand with ``served``, ``unserved``
    (diverted to ``alternative`` where the scenario names one), ``time_h``, ``cost`` and ``route``;
    ``background_od`` the same for the background flows.
    """

    scenario: str
    year: int
    method: str
    solver_status: str
    objective: float
    arcs: Arcs
    arc_flow: np.ndarray
    shadow_price: np.ndarray
    od: pd.DataFrame
    parameters: dict[str, Any]
    log: list[dict[str, float]] = field(default_factory=list)
    graph: nx.MultiDiGraph | None = None
    schedules: pd.DataFrame | None = None
    background_flow: np.ndarray | None = None
    background_od: pd.DataFrame | None = None

    @property
    def flow(self) -> np.ndarray:
        """The corridor's flow per arc (commodities summed: an arc's commodities share its unit)."""
        return self.arc_flow.sum(axis=0)

    @property
    def background(self) -> np.ndarray:
        """Other traffic per arc: the background loads plus the background flows."""
        flows = 0.0 if self.background_flow is None else self.background_flow.sum(axis=0)
        return self.arcs.background_load + flows

    def totals(self) -> pd.DataFrame:
        """The corridor's demand, served and unserved per commodity, and the background traffic served.

        Returns
        -------
        DataFrame
            Indexed by commodity (in the order of ``COMMODITIES``; only those with demand): ``demand``,
            ``served`` and ``unserved``, each in the commodity's unit, and ``background`` when the scenario
            has background flows.

        Examples
        --------
        >>> import corridor
        >>> g = corridor.load_geodata()
        >>> result = assign(g, corridor.load_scenario("baseline-2024", g))
        >>> totals = result.totals()
        >>> list(totals.index), list(totals.columns)
        (['freight', 'oil', 'gas'], ['demand', 'served', 'unserved', 'background'])
        >>> totals.loc["oil"].round(2).tolist()  # Mt/yr; 4.1 of other traffic (Turkmen oil) shares the BTC
        [24.4, 24.4, 0.0, 4.1]
        """
        t = self.od.groupby("commodity")[["demand", "served", "unserved"]].sum()
        if self.background_od is not None and len(self.background_od):
            t = t.join(self.background_od.groupby("commodity")["served"].sum().rename("background"), how="outer")
            t = t.fillna(0.0)
        return t.reindex([c for c in COMMODITIES if c in t.index])


# --------------------------------------------------------------------------- shortest paths


# --------------------------------------------------------------------------- problem set-up


# --------------------------------------------------------------------------- solvers


# --------------------------------------------------------------------------- user equilibrium


# --------------------------------------------------------------------------- the API


def schedule_check(arcs: Arcs, graph: nx.MultiDiGraph, scenario: Scenario) -> pd.DataFrame:
    """Model the door-to-door time of each reported schedule (cheapest route, capacities ignored).

    Returns one row per schedule with the reported range, the modelled days (split into moving
    and dwell time: dwell is the time spent inside nodes and on transfers) and the route.
    """
    cost = arcs.cost(scenario.parameter("value_of_time"))
    cindex = {c: i for i, c in enumerate(COMMODITIES)}
    routers: dict[int, _Router] = {}
    rows = []
    for s in scenario.schedules:
        c = cindex[s.commodity]
        o, d = s.origin, s.destination
        path = None
        if o in graph and d in graph:
            if c not in routers:
                routers[c] = _Router(arcs, arcs.allows[c], cost[c])
            router = routers[c]
            (path,) = router.paths(
                np.array([arcs.node_index[in_node(graph, o)]]), np.array([arcs.node_index[out_node(graph, d)]])
            )
        if path is None:
            moving = dwell = math.nan
            route: list[str] = []
        else:
            is_dwell = arcs.dwell[path]
            moving = float(arcs.time_h[path][~is_dwell].sum()) / 24
            dwell = float(arcs.time_h[path][is_dwell].sum()) / 24
            route = [arcs.nodes[arcs.tail[path[0]]], *(arcs.nodes[arcs.head[a]] for a in path)]
            route = [n for n in route if not n.endswith(":out")]
        total = moving + dwell
        lo, hi = s.days
        verdict = (
            "unreachable"
            if math.isnan(total)
            else "within"
            if lo <= total <= hi
            else "slower"
            if total > hi
            else "faster"
        )
        rows.append(
            {
                "origin": o,
                "destination": d,
                "commodity": s.commodity,
                "reported_min": lo,
                "reported_max": hi,
                "modelled_days": total,
                "moving_days": moving,
                "dwell_days": dwell,
                "verdict": verdict,
                "route": route,
                "source_url": s.source_url,
            }
        )
    columns = [
        "origin",
        "destination",
        "commodity",
        "reported_min",
        "reported_max",
        "modelled_days",
        "moving_days",
        "dwell_days",
        "verdict",
        "route",
        "source_url",
    ]
    return pd.DataFrame(rows, columns=columns)


def _od_table(problem: Problem, rows: pd.DataFrame, sol: Solution, arcs: Arcs) -> pd.DataFrame:
    od = rows.copy()
    od["served"] = np.clip(sol.served, 0.0, None)
    od["unserved"] = np.clip(od["demand"] - od["served"], 0.0, None)
    time_h = np.full(len(od), math.nan)
    cost = np.full(len(od), math.nan)
    route: list[list[str]] = [[] for _ in range(len(od))]
    best: dict[int, float] = {}
    acc_t, acc_c, acc_x = np.zeros(len(od)), np.zeros(len(od)), np.zeros(len(od))
    arc_time = sol.arc_time if sol.arc_time is not None else arcs.time_h
    for k, path, x in sol.columns:
        if x <= 1e-12:
            continue
        c = problem.commodity[k]
        acc_t[k] += x * arc_time[path].sum()
        acc_c[k] += x * problem.cost[c, path].sum()
        acc_x[k] += x
        if x > best.get(k, 0.0):
            best[k] = x
            route[k] = [arcs.nodes[arcs.tail[path[0]]], *(arcs.nodes[arcs.head[a]] for a in path)]
    used = acc_x > 0
    time_h[used] = acc_t[used] / acc_x[used]
    cost[used] = acc_c[used] / acc_x[used]
    for k in np.flatnonzero(~used):  # nothing served: report the cheapest route, if there is one
        path = sol.cheapest[k]
        if path:
            time_h[k] = arc_time[path].sum()
            cost[k] = problem.cost[problem.commodity[k], path].sum()
            route[k] = [arcs.nodes[arcs.tail[path[0]]], *(arcs.nodes[arcs.head[a]] for a in path)]
    od["reachable"] = [bool(p) for p in sol.cheapest]
    od["time_h"] = time_h
    od["time_days"] = time_h / 24.0
    od["cost_usd_per_unit"] = cost
    od["route"] = [[n for n in r if not n.endswith(":out")] for r in route]
    return od


def solve(
    problem: Problem, *, method: str = "system-optimal", value_of_time: dict[str, float] | None = None
) -> Solution:
    """Solve a :class:`Problem` with ``method`` (one of :data:`METHODS`).

    Parameters
    ----------
    problem : Problem
        The solver-ready problem (:func:`corridor.model.problem.prepare`).
    method : str
        ``"aon"`` (:func:`~corridor.solve.master.solve_aon`), ``"system-optimal"``
        (:func:`~corridor.solve.master.solve_system_optimal`) or ``"equilibrium"``
        (:func:`~corridor.solve.equilibrium.solve_equilibrium`).
    value_of_time : dict[str, float], optional
        USD per unit per hour by commodity, for ``"equilibrium"`` only (None: 0.5 for freight and 0.05 for oil).

    Returns
    -------
    Solution
        The solver's raw output: flows per commodity and arc, duals, served amounts, path columns.

    Raises
    ------
    ArgumentError
        ``method`` is not one of :data:`METHODS`.

    Examples
    --------
    >>> import corridor
    >>> from corridor.model.problem import prepare
    >>> g = corridor.load_geodata()
    >>> problem = prepare(g, corridor.load_scenario("baseline-2024", g)).problem
    >>> solutions = {m: solve(problem, method=m) for m in METHODS}
    >>> {m: sol.status for m, sol in solutions.items()}
    {'aon': 'Optimal', 'system-optimal': 'Optimal', 'equilibrium': 'Optimal'}
    >>> [bool(abs(sol.served.sum() - problem.demand.sum()) < 1e-6) for sol in solutions.values()]  # all served
    [True, True, True]
    >>> solve(problem, method="fastest")
    Traceback (most recent call last):
    ...
    corridor._errors.ArgumentError: unknown assignment method 'fastest' (fix: use one of aon, ...)
    """
    if method == "aon":
        return solve_aon(problem)
    if method == "system-optimal":
        return solve_system_optimal(problem)
    if method == "equilibrium":
        vot = value_of_time if value_of_time is not None else {"freight": 0.5, "oil": 0.05}
        return solve_equilibrium(problem, value_of_time=vot)
    raise ArgumentError(f"unknown assignment method {method!r} (fix: use one of {', '.join(METHODS)})")


def assign(geodata: Geodata, scenario: Scenario, *, method: str = "system-optimal") -> Assignment:
    """Assign the scenario's demand to its network.

    Parameters
    ----------
    geodata
        Validated geodata (:func:`corridor.load_geodata`).
    scenario
        The scenario (:func:`corridor.load_scenario`).
    method
        ``"aon"``, ``"system-optimal"`` or ``"equilibrium"``.

    Returns
    -------
    Assignment
        Flows per arc and commodity (the corridor's and the background's apart), shadow prices, the
        origin-destination table and the reported-schedule check, stamped with what produced them.

    Raises
    ------
    ArgumentError
        ``method`` is not one of :data:`METHODS`.
    ScenarioError
        A demand names a node not in service in the scenario's year.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> result = assign(g, corridor.load_scenario("baseline-2024", g))
    >>> result.method, result.solver_status, result.arc_flow.shape == (len(COMMODITIES), result.arcs.n_arcs)
    ('system-optimal', 'Optimal', True)
    >>> list(result.od.columns[:8])
    ['origin', 'destination', 'commodity', 'demand', 'alternative', 'penalty', 'served', 'unserved']
    >>> row = result.od.iloc[1]
    >>> row["origin"], row["destination"], row["commodity"], round(float(row["served"]), 2)  # Mt/yr
    ('alashankou', 'alat-port', 'freight', 0.15)
    >>> row["route"][:3]  # the route, node by node
    ['alashankou', 'dostyk', 'aktogay']
    >>> aon = assign(g, corridor.load_scenario("baseline-2024", g), method="aon")
    >>> bool((aon.shadow_price == 0).all())  # capacities ignored: no shadow prices
    True
    """
    from corridor.io import _validate

    _validate.instance(geodata, Geodata, "geodata", "a Geodata (from load_geodata)")
    _validate.instance(scenario, Scenario, "scenario", "a Scenario (from load_scenario)")
    if method not in METHODS:
        raise ArgumentError(f"unknown assignment method {method!r} (fix: use one of {', '.join(METHODS)})")
    ready = prepare(geodata, scenario)
    graph, arcs, problem, rows = ready.graph, ready.arcs, ready.problem, ready.rows
    started = time.perf_counter()
    sol = solve(problem, method=method, value_of_time=scenario.parameter("value_of_time"))
    _log.info(
        "%s (%d): %s on %d arcs and %d demand rows: %s after %d iterations, %.2f s",
        scenario.name,
        scenario.year,
        method,
        arcs.n_arcs,
        len(problem.demand),
        sol.status,
        len(sol.log),
        time.perf_counter() - started,
    )
    od = _od_table(problem, rows, sol, arcs)
    background_flow = None
    arc_flow = sol.arc_flow
    if problem.background is not None:  # the corridor's flows and the other traffic, apart
        bg = problem.background
        arc_flow = _loads(problem, [c for c in sol.columns if not bg[c[0]]])
        background_flow = _loads(problem, [c for c in sol.columns if bg[c[0]]])
    return Assignment(
        scenario=scenario.name,
        year=scenario.year,
        method=method,
        solver_status=sol.status,
        objective=sol.objective,
        arcs=arcs,
        arc_flow=arc_flow,
        background_flow=background_flow,
        background_od=od[od["background"]].drop(columns="background").reset_index(drop=True),
        shadow_price=np.clip(-sol.dual, 0.0, None),
        od=od[~od["background"]].drop(columns="background").reset_index(drop=True),
        parameters={
            "value_of_time": scenario.parameter("value_of_time"),
            "unserved_penalty": scenario.parameter("unserved_penalty"),
        },
        log=sol.log,
        graph=graph,
        schedules=schedule_check(arcs, graph, scenario),
    )
