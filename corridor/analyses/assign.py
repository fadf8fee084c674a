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

import copy
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from corridor._errors import ArgumentError, ScenarioError, SolverError
from corridor.io.geodata import Geodata
from corridor.io.scenario import Scenario
from corridor.model.network import (
    COMMODITIES,
    Arcs,
    arcs_from_graph,
    build_network,
    check_demand_nodes,
    in_node,
    out_node,
)

__all__ = ["METHODS", "Assignment", "assign", "solve"]

METHODS = ("aon", "system-optimal", "equilibrium")
_log = logging.getLogger(__name__)
_EPS = 1e-9


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
        """The corridor's demand, served and unserved per commodity, and the background traffic served."""
        t = self.od.groupby("commodity")[["demand", "served", "unserved"]].sum()
        if self.background_od is not None and len(self.background_od):
            t = t.join(self.background_od.groupby("commodity")["served"].sum().rename("background"), how="outer")
            t = t.fillna(0.0)
        return t.reindex([c for c in COMMODITIES if c in t.index])


@dataclass(frozen=True)
class Problem:
    """A solver-ready problem: arcs, one row per (origin, destination, commodity) demand, and prices."""

    arcs: Arcs
    origin: np.ndarray  # node index per demand
    destination: np.ndarray
    commodity: np.ndarray  # commodity index per demand
    demand: np.ndarray
    cost: np.ndarray  # (n_commodities, n_arcs) generalised cost
    penalty: np.ndarray  # unserved cost per demand row: its alternative's generalised cost, or the penalty
    background: np.ndarray | None = None  # per demand row: other traffic, not the corridor's (None: none is)


# --------------------------------------------------------------------------- shortest paths


class _Router:
    """Shortest paths for one commodity on a CSR graph (parallel arcs reduced to the cheapest)."""

    def __init__(self, arcs: Arcs, allowed: np.ndarray, weight: np.ndarray) -> None:
        sel = np.flatnonzero(allowed)
        w = weight[sel] + _EPS
        bad = ~(np.isfinite(w) & (w >= 0))
        if bad.any():  # a negative cost would make Dijkstra walk a cycle: refuse it by name
            a = int(sel[np.flatnonzero(bad)[0]])
            raise ArgumentError(
                f"route cost {float(weight[a]):g} of '{arcs.element[a]}' is not a finite number >= 0 "
                "(check the scenario's value_of_time and the asset's length_km, time_h and tariff_usd)"
            )
        order = np.lexsort((w, arcs.head[sel], arcs.tail[sel]))
        sel, w = sel[order], w[order]
        t, h = arcs.tail[sel], arcs.head[sel]
        first = np.ones(len(sel), dtype=bool)
        first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
        self.arc = sel[first]
        self.n = arcs.n_nodes
        tails = t[first]
        self.indices = h[first].astype(np.int32)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(tails, minlength=self.n))]).astype(np.int32)
        self.matrix = sp.csr_matrix((w[first], self.indices, self.indptr), shape=(self.n, self.n))
        self.weight = self.matrix.data  # the weight of each CSR position
        self.row_of = tails  # the tail node of each CSR position
        self.simple = bool(first.all())  # no parallel arcs: the CSR layout does not depend on the weights

    def reweighted(self, weight: np.ndarray, blocked: np.ndarray | None = None) -> _Router | None:
        """This router's graph on other weights, ``blocked`` arcs left out (None: the layout depends on them).

        Only for a router without parallel arcs (:attr:`simple`). A blocked arc gets an infinite weight, which
        no search ever relaxes: the paths are those of a router built without it, and cost no sort to find.
        """
        w = weight[self.arc] + _EPS
        if not self.simple or not (np.isfinite(w) & (w >= 0)).all():
            return None  # the constructor sorts, or names the bad weight
        out = copy.copy(self)
        out.weight = w if blocked is None else np.where(blocked[self.arc], np.inf, w)
        out.matrix = None
        return out

    def paths(self, origins: np.ndarray, destinations: np.ndarray, *, chunk: int = 256) -> list[list[int] | None]:
        """Arc-index paths for each (origin, destination) pair; None where unreachable.

        Origins are taken ``chunk`` at a time; each origin's Dijkstra (compiled, one thread per
        origin) stops once all its destinations are settled (see :mod:`corridor.solve.kernels`).
        """
        from corridor.solve.kernels import tree_paths

        out: list[list[int] | None] = [None] * len(origins)
        uniq, inverse = np.unique(origins, return_inverse=True)
        for start in range(0, len(uniq), chunk):
            block = uniq[start : start + chunk]
            ks = np.flatnonzero((inverse >= start) & (inverse < start + len(block)))
            ks = ks[np.argsort(inverse[ks], kind="stable")]
            counts = np.bincount(inverse[ks] - start, minlength=len(block))
            tptr = np.concatenate([[0], np.cumsum(counts)])
            lengths, offsets, flat = tree_paths(
                self.indptr, self.indices, self.weight, self.row_of, block, tptr, destinations[ks]
            )
            arcs = self.arc[flat].tolist()
            for p, k in enumerate(ks.tolist()):
                if lengths[p] >= 0:
                    out[k] = arcs[offsets[p] : offsets[p + 1]]
        return out


# --------------------------------------------------------------------------- problem set-up


def build_problem(arcs: Arcs, graph: nx.MultiDiGraph, scenario: Scenario) -> tuple[Problem, pd.DataFrame]:
    """Aggregate the demand by (origin, destination, commodity) and price the arcs and the alternatives.

    The rows are the corridor's demand, then the scenario's background flows (``background`` true).
    Corridor demand that is not carried goes to its alternative (``alternative``; unserved costs the
    alternative's generalised cost), or, without one, costs the ``unserved_penalty``. Background flows
    cost the penalty too, which lies above every alternative: they keep the capacity they use today.
    """
    columns = ["background", "origin", "destination", "commodity", "amount"]
    entries = [(False, d.origin, d.destination, d.commodity, d.amount) for d in scenario.demand]
    entries += [(True, b.origin, b.destination, b.commodity, b.amount) for b in scenario.background if not b.is_preload]
    rows = (
        pd.DataFrame(entries, columns=columns)
        .groupby(columns[:-1], sort=True, as_index=False)["amount"]
        .sum()
        .rename(columns={"amount": "demand"})
    )
    cindex = {c: i for i, c in enumerate(COMMODITIES)}
    penalty = scenario.parameter("unserved_penalty")
    value_of_time = scenario.parameter("value_of_time")
    alternatives = [
        None if bg else scenario.alternative(o, d, c)
        for bg, o, d, c in zip(rows["background"], rows["origin"], rows["destination"], rows["commodity"], strict=True)
    ]
    rows["alternative"] = [a.route if a else "" for a in alternatives]
    rows["penalty"] = [
        a.generalised_cost(float(value_of_time.get(c, 0.0))) if a else float(penalty[c])
        for a, c in zip(alternatives, rows["commodity"], strict=True)
    ]
    background = rows["background"].to_numpy(bool)
    problem = Problem(
        arcs=arcs,
        origin=np.array([arcs.node_index[in_node(graph, o)] for o in rows["origin"]], dtype=np.int64),
        destination=np.array([arcs.node_index[out_node(graph, d)] for d in rows["destination"]], dtype=np.int64),
        commodity=np.array([cindex[c] for c in rows["commodity"]], dtype=np.int64),
        demand=rows["demand"].to_numpy(float),
        cost=arcs.cost(value_of_time),
        penalty=rows["penalty"].to_numpy(float),
        background=background if background.any() else None,
    )
    return problem, rows


def _price(
    problem: Problem,
    weights: np.ndarray,
    *,
    blocked: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    routers: dict[int, _Router] | None = None,
) -> list[list[int] | None]:
    """Shortest path per demand row on per-commodity arc weights ``weights[c, a]``, avoiding ``blocked`` arcs.

    Only the demand rows ``rows`` (indices; all when None) are priced; the others get None. ``routers``
    keeps each commodity's graph between calls (see :meth:`_Router.reweighted`).
    """
    paths: list[list[int] | None] = [None] * len(problem.demand)
    asked = np.arange(len(problem.demand)) if rows is None else np.asarray(rows, dtype=np.int64)
    for c in np.unique(problem.commodity[asked]):
        rows = asked[problem.commodity[asked] == c]
        router = None
        if routers is not None:
            if c not in routers:
                routers[c] = _Router(problem.arcs, problem.arcs.allows[c], problem.cost[c])
            router = routers[c].reweighted(weights[c], blocked)
        if router is None:
            allowed = problem.arcs.allows[c] if blocked is None else problem.arcs.allows[c] & ~blocked
            router = _Router(problem.arcs, allowed, weights[c])
        for k, p in zip(rows, router.paths(problem.origin[rows], problem.destination[rows]), strict=True):
            paths[k] = p
    return paths


# --------------------------------------------------------------------------- solvers


@dataclass
class Solution:
    """Raw solver output over a :class:`Problem`."""

    status: str
    objective: float
    arc_flow: np.ndarray
    dual: np.ndarray  # capacity duals per arc (<= 0), 0 where uncapacitated
    served: np.ndarray
    demand_dual: np.ndarray  # duals of the demand rows: the marginal cost of one more unit of each demand
    columns: list[tuple[int, list[int], float]]  # (demand row, arc path, flow)
    log: list[dict[str, float]]
    cheapest: list[list[int] | None]  # each demand's cheapest path with capacities ignored (None: unreachable)
    expansion: np.ndarray | None = None  # capacity bought per expansion group (MasterLP with an Expansion)
    arc_time: np.ndarray | None = None  # congested travel time per arc (equilibrium); None: free-flow times


def _loads(problem: Problem, columns: list[tuple[int, list[int], float]]) -> np.ndarray:
    flow = np.zeros((len(COMMODITIES), problem.arcs.n_arcs))
    for k, path, x in columns:
        if x > 0:
            np.add.at(flow[problem.commodity[k]], path, x)
    return flow


def solve_aon(problem: Problem) -> Solution:
    """All-or-nothing: every demand on its cheapest path; unreachable demand is unserved."""
    paths = _price(problem, problem.cost)
    columns = [(k, p, float(problem.demand[k])) for k, p in enumerate(paths) if p is not None]
    served = np.array([problem.demand[k] if p is not None else 0.0 for k, p in enumerate(paths)])
    cost = sum(x * problem.cost[problem.commodity[k], p].sum() for k, p, x in columns)
    objective = float(cost + ((problem.demand - served) * problem.penalty).sum())
    dual = np.full(len(problem.demand), np.nan)
    flows = _loads(problem, columns)
    return Solution("Optimal", objective, flows, np.zeros(problem.arcs.n_arcs), served, dual, columns, [], paths)


def new_highs() -> Any:
    """A silent HiGHS instance (HiGHS prints a banner on stdout when the first one is made)."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


@dataclass(frozen=True)
class Expansion:
    """Capacity that may be bought: arc ``a`` belongs to group ``group[a]`` (-1: fixed), and one unit of
    extra capacity for a group costs ``cost[g]`` (it adds to every arc of the group, e.g. both directions)."""

    group: np.ndarray
    cost: np.ndarray


class MasterLP:
    """The path-based master LP of the capacity-constrained assignment, kept between solves.

    Rows: one per demand (served + unserved = demand) and, added lazily, one per arc whose capacity
    the current solution would exceed (an arc without a row provably has a zero dual). Columns: one
    unserved slack per demand, path columns added by pricing, and optional capacity expansions.
    :meth:`solve` re-solves from the last basis, so repeated solves (N-1: block an arc, solve,
    unblock) reuse the model instead of rebuilding it.
    """

    def __init__(self, problem: Problem, *, expansion: Expansion | None = None) -> None:
        import highspy

        self.problem = problem
        self.arcs = arcs = problem.arcs
        self.n_dem = n_dem = len(problem.demand)
        self.expansion = expansion
        self._inf = inf = highspy.kHighsInf
        self.h = h = new_highs()
        h.setOptionValue("presolve", "off")  # keep the basis between re-solves
        zero_i, empty_i, empty_v = np.zeros(n_dem, dtype=np.int32), np.array([], dtype=np.int32), np.array([])
        h.addRows(n_dem, problem.demand, problem.demand, 0, zero_i, empty_i, empty_v)
        ones = np.arange(n_dem, dtype=np.int32)
        h.addCols(n_dem, problem.penalty, np.zeros(n_dem), np.full(n_dem, inf), n_dem, ones, ones, np.ones(n_dem))
        self.n_fixed_cols = n_dem
        if expansion is not None:
            n = len(expansion.cost)
            h.addCols(n, expansion.cost, np.zeros(n), np.full(n, inf), 0, np.zeros(n, dtype=np.int32), empty_i, empty_v)
            self.n_fixed_cols += n
        self.finite = np.isfinite(arcs.capacity)
        self.row_of_arc = np.full(arcs.n_arcs, -1, dtype=np.int64)
        self.capped_rows: list[int] = []  # arc of each capacity row, in row order
        self.columns: list[tuple[int, np.ndarray]] = []  # (demand row, arcs of the path that use up capacity)
        self.paths: list[list[int]] = []
        self.users: dict[int, list[int]] = {}  # arc -> columns whose path uses up its capacity
        self.on_arc: dict[int, list[int]] = {}  # arc -> columns whose path uses it at all (for blocking)
        self._flat_arcs = np.zeros(0, dtype=np.int64)  # counted arcs of all columns, concatenated (vectorised loads)
        self._flat_cols = np.zeros(0, dtype=np.int64)  # the column of each
        self.seen: set[tuple[int, tuple[int, ...]]] = set()
        self.cheapest = _price(problem, problem.cost)
        self._floor = self._floor_of(self.cheapest)
        self._floor_cost = problem.cost  # the costs the floor holds for
        self._routers: dict[int, _Router] = {}  # each commodity's graph, re-weighted by every pricing
        self._base_weights: np.ndarray | None = None  # the pricing weights at the last unblocked optimum
        self._add_columns([(k, p) for k, p in enumerate(self.cheapest) if p])

    def _floor_of(self, cheapest: list[list[int] | None]) -> np.ndarray:
        """Each demand row's cheapest path cost (inf: unreachable): no path of the row costs less on weights >= cost."""
        cost, commodity = self.problem.cost, self.problem.commodity
        return np.array([cost[commodity[k], p].sum() if p else np.inf for k, p in enumerate(cheapest)])

    def _to_price(self, y: np.ndarray, arc_dual: np.ndarray, tolerance: float) -> np.ndarray | None:
        """The demand rows whose pricing may find a column: all but those whose floor proves it cannot (None: all).

        Pricing weights are ``cost - dual`` on capacity rows, and those duals are <= 0, so a row's paths cost at
        least its floor (less the few positive duals HiGHS may report within its tolerances). A row whose demand
        dual ``y`` does not exceed that bound has no path of negative reduced cost: pricing it would add nothing.
        (Exact up to the routers' 1e-9 per arc that breaks ties, the same margin pricing itself works to.)
        """
        if self._floor_cost is not self.problem.cost and not np.array_equal(self._floor_cost, self.problem.cost):
            return None  # new costs (set_cost): the floor no longer holds until it is recomputed
        slack = float(np.clip(arc_dual, 0.0, None).sum())  # a simple path uses each arc at most once
        return np.flatnonzero(y - (self._floor - slack) > 0.5 * tolerance)

    def _add_columns(self, new: list[tuple[int, list[int]]]) -> int:
        problem, arcs = self.problem, self.arcs
        starts, index, value, cost = [], [], [], []
        flat_arcs, flat_cols = [self._flat_arcs], [self._flat_cols]
        for k, path in new:
            sig = (k, tuple(path))
            if sig in self.seen:
                continue
            self.seen.add(sig)
            c = problem.commodity[k]
            p = np.asarray(path, dtype=np.int64)
            counted = p[arcs.counts[c, p] & self.finite[p]]
            col = self.n_fixed_cols + len(self.columns)
            for a in counted.tolist():
                self.users.setdefault(a, []).append(col)
            for a in path:
                self.on_arc.setdefault(int(a), []).append(col)
            flat_arcs.append(counted)
            flat_cols.append(np.full(len(counted), len(self.columns), dtype=np.int64))
            rows = self.row_of_arc[counted]
            rows = rows[rows >= 0]
            starts.append(len(index))
            index.extend([k, *rows.tolist()])
            value.extend([1.0] * (1 + len(rows)))
            cost.append(problem.cost[c, p].sum())
            self.columns.append((k, counted))
            self.paths.append(path)
        if cost:
            self._flat_arcs, self._flat_cols = np.concatenate(flat_arcs), np.concatenate(flat_cols)
            n = len(cost)
            self.h.addCols(
                n,
                np.array(cost),
                np.zeros(n),
                np.full(n, self._inf),
                len(index),
                np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32),
                np.array(value),
            )
        return len(cost)

    def _add_rows(self, new_arcs: np.ndarray) -> None:
        starts, index, value = [], [], []
        for a in new_arcs:
            self.row_of_arc[a] = self.n_dem + len(self.capped_rows)
            self.capped_rows.append(int(a))
            starts.append(len(index))
            cols = self.users.get(int(a), [])
            index.extend(cols)
            value.extend([1.0] * len(cols))
            if self.expansion is not None and self.expansion.group[a] >= 0:
                index.append(self.n_dem + int(self.expansion.group[a]))
                value.append(-1.0)
        n = len(new_arcs)
        self.h.addRows(
            n,
            np.full(n, -self._inf),
            self.arcs.capacity[new_arcs],
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(value),
        )

    # ------------------------------------------------------------- re-solving with other figures (uncertainty)

    def set_capacity(self, capacity: np.ndarray) -> None:
        """Give every arc a new capacity (what the assignment may use) for the next solves: bounds only.

        The capacity rows already in the model get their new right-hand side; rows added later read it.
        Which arcs are capacitated (finite) may not change.
        """
        capacity = np.asarray(capacity, dtype=float)
        if capacity.shape != (self.arcs.n_arcs,) or (np.isfinite(capacity) != self.finite).any():
            raise ArgumentError("set_capacity needs one capacity per arc, finite exactly where it was finite")
        self.arcs = replace(self.arcs, capacity=capacity)
        self.problem = replace(self.problem, arcs=self.arcs)
        if self.capped_rows:
            n = len(self.capped_rows)
            rows = np.arange(self.n_dem, self.n_dem + n, dtype=np.int32)
            self.h.changeRowsBounds(n, rows, np.full(n, -self._inf), capacity[self.capped_rows])
        self.h.setOptionValue("simplex_strategy", 1)  # new right-hand sides keep the basis dual feasible

    def set_demand(self, demand: np.ndarray) -> None:
        """Give every demand row a new amount for the next solves (the fixed right-hand side of its row)."""
        demand = np.asarray(demand, dtype=float)
        if demand.shape != (self.n_dem,) or not (np.isfinite(demand) & (demand >= 0)).all():
            raise ArgumentError("set_demand needs one finite, non-negative amount per demand row")
        self.problem = replace(self.problem, demand=demand)
        self.h.changeRowsBounds(self.n_dem, np.arange(self.n_dem, dtype=np.int32), demand, demand)
        self.h.setOptionValue("simplex_strategy", 1)

    def set_cost(self, cost: np.ndarray) -> None:
        """Give the arcs new generalised costs ``cost[c, a]`` for the next solves (the path columns' costs)."""
        cost = np.asarray(cost, dtype=float)
        if cost.shape != self.problem.cost.shape or not np.isfinite(cost).all():
            raise ArgumentError("set_cost needs a finite cost per commodity and arc")
        self.problem = replace(self.problem, cost=cost)
        if self.columns:
            n = len(self.columns)
            k = self.problem.commodity
            new = np.array(
                [
                    cost[k[r], np.asarray(p, dtype=np.int64)].sum()
                    for (r, _), p in zip(self.columns, self.paths, strict=True)
                ]
            )
            self.h.changeColsCost(n, np.arange(self.n_fixed_cols, self.n_fixed_cols + n, dtype=np.int32), new)

    def basis(self) -> tuple[Any, int, int]:
        """The current basis with the model's size, for :meth:`start_from` (cheaper than a :meth:`checkpoint`)."""
        return self.h.getBasis(), self.h.getNumCol(), self.h.getNumRow()

    def start_from(self, mark: tuple[Any, int, int]) -> None:
        """Make the next solve start from a :meth:`basis`, extended to the columns and rows added since.

        The columns added since are non-basic at zero and the rows added since basic (their slacks), so
        a basis optimal when taken is optimal again once the blocks of the solves in between are lifted:
        every outage of N-1 starts from the base optimum, whatever was solved before it (it keeps the columns
        the other outages added: dropping them was slower, as they serve again).
        """
        import highspy

        basis, n_cols, n_rows = mark
        if self.h.getNumCol() < n_cols or self.h.getNumRow() < n_rows:
            raise ArgumentError("start_from needs a basis taken since the last restore (the model has shrunk)")
        extended = highspy.HighsBasis()
        extended.col_status = list(basis.col_status) + [highspy.HighsBasisStatus.kLower] * (self.h.getNumCol() - n_cols)
        extended.row_status = list(basis.row_status) + [highspy.HighsBasisStatus.kBasic] * (self.h.getNumRow() - n_rows)
        extended.valid = True
        self.h.setBasis(extended)
        self.h.setOptionValue("simplex_strategy", 1)  # dual feasible: dual simplex

    def checkpoint(self) -> tuple[Any, ...]:
        """A mark of the model as it is now (columns, rows, basis, figures), to :meth:`restore` later."""
        return (len(self.columns), len(self.capped_rows), self.h.getLp(), self.h.getBasis(), self.problem)

    def _forget_columns(self, n_cols: int) -> None:
        """Drop the path columns from the ``n_cols``-th on from the bookkeeping (not from HiGHS)."""
        first = self.n_fixed_cols + n_cols
        if len(self.columns) > n_cols:
            for (k, _), path in zip(self.columns[n_cols:], self.paths[n_cols:], strict=True):
                self.seen.discard((k, tuple(path)))
            for table in (self.users, self.on_arc):
                for a in list(table):
                    cols = [c for c in table[a] if c < first]
                    if cols:
                        table[a] = cols
                    else:
                        del table[a]
            del self.columns[n_cols:], self.paths[n_cols:]
            keep = self._flat_cols < n_cols
            self._flat_arcs, self._flat_cols = self._flat_arcs[keep], self._flat_cols[keep]

    def restore(self, mark: tuple[Any, ...]) -> None:
        """Go back to a :meth:`checkpoint`: drop the columns and rows added since, restore its basis and figures.

        A solve after a restore depends only on the checkpoint and what was set since, not on the solves in
        between (uncertainty runs use it so that a sample's result is the same in every worker).
        """
        n_cols, n_rows, lp, basis, problem = mark
        self._forget_columns(n_cols)
        self.row_of_arc[self.capped_rows[n_rows:]] = -1
        del self.capped_rows[n_rows:]
        # a new HiGHS instance holding the checkpoint's model and basis: no state of the solves in between
        # (scaling, edge weights, factorisation) survives, so the next solves are the same in every process
        self.h = new_highs()
        self.h.setOptionValue("presolve", "off")
        self.h.passModel(lp)
        self.set_capacity(problem.arcs.capacity)
        self.set_demand(problem.demand)
        self.set_cost(problem.cost)
        self.problem, self.arcs = problem, problem.arcs
        self.h.setBasis(basis)

    def _load(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self._flat_arcs, weights=x[self.n_fixed_cols :][self._flat_cols], minlength=self.arcs.n_arcs)

    def _capacity(self, x: np.ndarray) -> np.ndarray:
        cap = self.arcs.capacity.copy()
        if self.expansion is not None:
            g = self.expansion.group
            extra = x[self.n_dem : self.n_fixed_cols]
            cap[g >= 0] += extra[g[g >= 0]]
        return cap

    def solve(
        self,
        *,
        blocked: np.ndarray | None = None,
        tolerance: float = 1e-9,
        max_iterations: int = 1000,
        detail: bool = True,
    ) -> Solution:
        """Optimise by row and column generation; ``blocked`` arcs (bool mask) carry no flow in this solve.

        With ``detail=False`` only the objective, the served amounts and the duals are filled in (the
        arc flows and the cheapest paths are left empty): what N-1 needs, at less cost.
        """
        h, problem, arcs, n_dem = self.h, self.problem, self.arcs, self.n_dem
        fixed = np.array([], dtype=np.int32)
        if blocked is not None and blocked.any():
            fixed = np.array(
                sorted({c for a in np.flatnonzero(blocked).tolist() for c in self.on_arc.get(a, [])}), dtype=np.int32
            )
            if len(fixed):
                h.changeColsBounds(len(fixed), fixed, np.zeros(len(fixed)), np.zeros(len(fixed)))
                if self._base_weights is not None:  # the blocked demands' detours at the unblocked prices
                    rows = np.unique([self.columns[c - self.n_fixed_cols][0] for c in fixed.tolist()])
                    detours = _price(problem, self._base_weights, blocked=blocked, rows=rows, routers=self._routers)
                    self._add_columns([(k, p) for k, p in enumerate(detours) if p])
            h.setOptionValue("simplex_strategy", 1)
        log: list[dict[str, float]] = []
        status = "Iteration limit"
        t0 = time.perf_counter()
        for iteration in range(1, max_iterations + 1):
            h.run()
            model_status = h.modelStatusToString(h.getModelStatus())
            if model_status != "Optimal":  # the master is always feasible and bounded: numbers out of range
                raise SolverError(
                    f"the LP solver ended '{model_status}', not optimal: no flows to report (fix: look for extreme "
                    "values in the demand amounts, capacities, tariffs and times)",
                    status=model_status,
                )
            sol = h.getSolution()
            x = np.asarray(sol.col_value)
            load = self._load(x)
            over = load > self._capacity(x) * (1 + 1e-9) + 1e-9
            violated = np.flatnonzero(self.finite & (self.row_of_arc < 0) & over)
            entry = {
                "iteration": iteration,
                "objective": h.getInfo().objective_function_value,
                "columns": len(self.columns),
                "rows": n_dem + len(self.capped_rows),
                "new_rows": len(violated),
                "new_columns": 0,
            }
            if len(violated):
                self._add_rows(violated)
                h.setOptionValue("simplex_strategy", 1)  # new rows keep the basis dual feasible: dual simplex
                entry["seconds"] = time.perf_counter() - t0
                log.append(entry)
                continue
            y = np.asarray(sol.row_dual)
            arc_dual = np.zeros(arcs.n_arcs)
            arc_dual[self.capped_rows] = y[n_dem:]
            weights = np.maximum(problem.cost - arc_dual[None, :] * arcs.counts, 0.0)  # duals of <= rows are <= 0
            scale = max(1.0, float(np.abs(y[:n_dem]).max(initial=0.0)))
            rows = self._to_price(y[:n_dem], arc_dual, tolerance * scale)
            priced = (
                _price(problem, weights, blocked=blocked, rows=rows, routers=self._routers)
                if rows is None or len(rows)
                else []
            )
            ks = [k for k, p in enumerate(priced) if p]
            new = []
            if ks:  # reduced cost of each priced path, summed over the concatenated paths at once
                lengths = np.array([len(priced[k]) for k in ks])
                flat = np.concatenate([priced[k] for k in ks])
                comm = np.repeat(problem.commodity[ks], lengths)
                starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
                reduced = np.add.reduceat(weights[comm, flat], starts) - y[ks]
                new = [(k, priced[k]) for k, r in zip(ks, reduced, strict=True) if r < -tolerance * scale]
            entry["new_columns"] = self._add_columns(new) if new else 0
            h.setOptionValue("simplex_strategy", 4)  # new columns keep the basis primal feasible: primal simplex
            entry["seconds"] = time.perf_counter() - t0
            log.append(entry)
            if entry["new_columns"] == 0:
                status = "Optimal"
                if blocked is None:
                    self._base_weights = weights
                break
        sol = h.getSolution()
        x = np.asarray(sol.col_value)
        y = np.asarray(sol.row_dual)
        arc_dual = np.zeros(arcs.n_arcs)
        arc_dual[self.capped_rows] = y[n_dem:]
        xp = x[self.n_fixed_cols :]
        used = range(len(self.columns)) if detail else np.flatnonzero(xp).tolist()  # without detail: flows > 0 only
        flows = [(self.columns[i][0], self.paths[i], float(xp[i])) for i in used]
        served = problem.demand - x[:n_dem]
        objective = float(h.getInfo().objective_function_value)
        if len(fixed):  # unblock for the next solve
            h.changeColsBounds(len(fixed), fixed, np.zeros(len(fixed)), np.full(len(fixed), self._inf))
            h.setOptionValue("simplex_strategy", 4)
        if detail:
            cheapest = self.cheapest if blocked is None else _price(problem, problem.cost, blocked=blocked)
            arc_flow = _loads(problem, flows)
        else:
            cheapest, arc_flow = [], np.zeros((len(COMMODITIES), arcs.n_arcs))
        solution = Solution(status, objective, arc_flow, arc_dual, served, y[:n_dem].copy(), flows, log, cheapest)
        solution.expansion = x[n_dem : self.n_fixed_cols].copy() if self.expansion is not None else None
        return solution


def solve_system_optimal(problem: Problem, *, tolerance: float = 1e-9, max_iterations: int = 1000) -> Solution:
    """Least-cost flow within capacities by column and row generation on a HiGHS master LP (see :class:`MasterLP`)."""
    return MasterLP(problem).solve(tolerance=tolerance, max_iterations=max_iterations)


# --------------------------------------------------------------------------- user equilibrium

#: BPR volume-delay on links: t = t0 (1 + ALPHA (v/c)^BETA).
BPR_ALPHA, BPR_BETA = 0.15, 4.0
#: Queueing delay at capacitated nodes (ports, border crossings): t = t0 (1 + rho / (1 - rho)), rho = v/c,
#: continued linearly beyond RHO_MAX so that over-capacity flows get a finite, steep cost.
RHO_MAX = 0.95


def travel_time(arcs: Arcs, volume: np.ndarray) -> np.ndarray:
    """Congested time (h) of every arc at ``volume``: BPR on links, a queueing delay inside nodes."""
    t0 = arcs.time_h
    cap = arcs.capacity
    finite = np.isfinite(cap) & (cap > 0)
    x = np.zeros_like(t0)
    x[finite] = volume[finite] / cap[finite]
    t = t0.copy()
    link = finite & (arcs.direction != 0)
    t[link] = t0[link] * (1 + BPR_ALPHA * x[link] ** BPR_BETA)
    node = finite & (arcs.direction == 0)
    rho = x[node]
    q = np.where(rho < RHO_MAX, rho / (1 - rho), RHO_MAX / (1 - RHO_MAX) + (rho - RHO_MAX) / (1 - RHO_MAX) ** 2)
    t[node] = t0[node] * (1 + q)
    return t


def travel_time_slope(arcs: Arcs, volume: np.ndarray) -> np.ndarray:
    """Derivative of :func:`travel_time` with respect to the volume (h per unit of flow)."""
    cap = arcs.capacity
    finite = np.isfinite(cap) & (cap > 0)
    slope = np.zeros_like(arcs.time_h)
    x = np.zeros_like(slope)
    x[finite] = volume[finite] / cap[finite]
    link = finite & (arcs.direction != 0)
    slope[link] = arcs.time_h[link] * BPR_ALPHA * BPR_BETA * x[link] ** (BPR_BETA - 1) / cap[link]
    node = finite & (arcs.direction == 0)
    rho = np.minimum(x[node], RHO_MAX)
    slope[node] = arcs.time_h[node] / (1 - rho) ** 2 / cap[node]
    return slope


def _beckmann(arcs: Arcs, volume: np.ndarray, n_grid: int = 16) -> float:
    """Beckmann objective: sum over arcs of the integral of travel time up to the volume (Simpson's rule)."""
    s = np.linspace(0, 1, n_grid + 1)
    w = np.ones(n_grid + 1)
    w[1:-1:2], w[2:-1:2] = 4, 2
    total = 0.0
    for si, wi in zip(s, w, strict=True):
        total += wi * travel_time(arcs, si * volume) @ volume
    return total / (3 * n_grid)


def solve_equilibrium(
    problem: Problem, *, value_of_time: dict[str, float], gap: float = 1e-4, max_iterations: int = 500
) -> Solution:
    """User equilibrium by conjugate Frank–Wolfe with an exact line search, to a relative gap of ``gap``.

    Costs are in hours: congested time plus each commodity's tariff divided by its value of time, so
    that the classes share one symmetric cost map and the Beckmann objective exists. Commodities with
    no value of time (electricity, data) do not react to congestion: they take their cheapest path.
    Demand is never left unserved; over-capacity shows as utilisation above 1.
    """
    arcs = problem.arcs
    vot = np.array([value_of_time.get(c, 0.0) for c in COMMODITIES])
    timed = vot[problem.commodity] > 0
    counted = arcs.counts.any(axis=0)

    def aon(weights: np.ndarray) -> tuple[np.ndarray, list[list[int] | None]]:
        paths = _price(problem, weights)
        flow = np.zeros((len(COMMODITIES), arcs.n_arcs))
        for k, p in enumerate(paths):
            if p:
                np.add.at(flow[problem.commodity[k]], p, problem.demand[k])
        return flow, paths

    def weights(t: np.ndarray) -> np.ndarray:
        w = problem.cost.copy()
        for c in np.flatnonzero(vot > 0):
            w[c] = t + arcs.tariff / vot[c] + 1e-6 * arcs.length_km
        return w

    def volume(flow: np.ndarray) -> np.ndarray:
        return (flow * arcs.counts).sum(axis=0) * counted

    flow, paths = aon(weights(arcs.time_h))
    log: list[dict[str, float]] = []
    status = "Iteration limit"
    t_start = time.perf_counter()
    fixed = np.array([arcs.tariff / vot[c] if vot[c] > 0 else np.zeros(arcs.n_arcs) for c in range(len(COMMODITIES))])
    previous = None  # the last search vertex (conjugate Frank–Wolfe)
    for iteration in range(1, max_iterations + 1):
        v = volume(flow)
        t = travel_time(arcs, v)
        w = weights(t)
        target, _ = aon(w)
        current = sum((w[c] * flow[c]).sum() for c in range(len(COMMODITIES)) if vot[c] > 0)
        best = sum((w[c] * target[c]).sum() for c in range(len(COMMODITIES)) if vot[c] > 0)
        rel_gap = (current - best) / current if current > 0 else 0.0
        log.append({"iteration": iteration, "relative_gap": float(rel_gap), "seconds": time.perf_counter() - t_start})
        if rel_gap <= gap:
            status = "Optimal"
            break
        if previous is not None:  # make the direction conjugate to the last one (Mitradjieva & Lindberg 2013)
            h = travel_time_slope(arcs, v)
            dp = volume(previous - flow)
            num = dp @ (h * volume(target - flow))
            den = dp @ (h * volume(target - previous))
            alpha = min(max(num / den, 0.0), 0.99) if den != 0 else 0.0
            target = alpha * previous + (1 - alpha) * target
        d = target - flow
        dv = volume(d)
        fixed_slope = sum((fixed[c] * d[c]).sum() for c in range(len(COMMODITIES)) if vot[c] > 0)
        lo, hi = 0.0, 1.0
        for _ in range(40):  # bisection on the derivative of the Beckmann objective along d
            mid = (lo + hi) / 2
            slope = travel_time(arcs, v + mid * dv) @ dv + fixed_slope
            lo, hi = (mid, hi) if slope < 0 else (lo, mid)
        step = (lo + hi) / 2
        flow = flow + step * d
        previous = target
    # untimed commodities keep their cheapest paths; report path-free columns for the timed ones
    columns = [(k, p, float(problem.demand[k])) for k, p in enumerate(paths) if p and not timed[k]]
    final_t = travel_time(arcs, volume(flow))
    final_w = weights(final_t)
    eq_paths = _price(problem, final_w)
    columns += [(k, p, float(problem.demand[k])) for k, p in enumerate(eq_paths) if p and timed[k]]
    served = np.array(
        [problem.demand[k] if (eq_paths[k] if timed[k] else paths[k]) else 0.0 for k in range(len(problem.demand))]
    )
    sol = Solution(
        status,
        float(_beckmann(arcs, volume(flow))),
        flow,
        np.zeros(arcs.n_arcs),
        served,
        np.full(len(problem.demand), np.nan),
        columns,
        log,
        paths,
        arc_time=final_t,
    )
    return sol


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
    """Solve a :class:`Problem` with ``method`` (one of :data:`METHODS`)."""
    if method == "aon":
        return solve_aon(problem)
    if method == "system-optimal":
        return solve_system_optimal(problem)
    if method == "equilibrium":
        return solve_equilibrium(problem, value_of_time=value_of_time or {"freight": 0.5, "oil": 0.05})
    raise ScenarioError(f"unknown assignment method '{method}'", field="method", fix=f"use one of {', '.join(METHODS)}")


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
    """
    from corridor.io import _validate

    _validate.instance(geodata, Geodata, "geodata", "a Geodata (from load_geodata)")
    _validate.instance(scenario, Scenario, "scenario", "a Scenario (from load_scenario)")
    if method not in METHODS:
        raise ScenarioError(
            f"unknown assignment method '{method}'", field="method", fix=f"use one of {', '.join(METHODS)}"
        )
    graph = build_network(geodata, scenario)
    check_demand_nodes(graph, geodata, scenario)
    arcs = arcs_from_graph(graph)
    problem, rows = build_problem(arcs, graph, scenario)
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
