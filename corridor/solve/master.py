"""The column-generation master LP (HiGHS): path columns, capacity rows added when needed, warm re-solves.

The duals of the capacity rows are the shadow prices: the cost saved per unit of extra capacity."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from corridor._errors import ArgumentError, SolverError
from corridor.model.network import (
    COMMODITIES,
)
from corridor.model.problem import Problem
from corridor.solve.paths import _price, _Router


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
