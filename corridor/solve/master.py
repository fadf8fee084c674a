"""The column-generation master LP (HiGHS): path columns, capacity rows added when needed, warm re-solves.

The duals of the capacity rows are the shadow prices: the cost saved per unit of extra capacity."""

from __future__ import annotations

import copy
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
from corridor.solve.paths import _price, _price_arrays, _Router


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
    """All-or-nothing: every demand on its cheapest path; unreachable demand is unserved.

    Parameters
    ----------
    problem : Problem
        The problem to assign (capacities are ignored).

    Returns
    -------
    Solution
        One path column per reachable demand row, carrying all of it; zero capacity duals and NaN
        demand duals (there is no LP).

    Examples
    --------
    On three nodes, 12 units from ``a`` to ``c`` all take the cheapest route ``a -> b -> c`` even
    though its arcs hold only 10:

    >>> import numpy as np
    >>> from corridor.model.network import COMMODITIES, Arcs
    >>> from corridor.model.problem import Problem
    >>> F = COMMODITIES.index("freight")
    >>> allows = np.zeros((len(COMMODITIES), 3), dtype=bool)
    >>> allows[F] = True
    >>> arcs = Arcs(  # a -> b -> c (capacity 10, tariff 1 each) or a -> c directly (capacity 5, tariff 3)
    ...     nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
    ...     head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
    ...     direction=np.ones(3, dtype=np.int8), capacity=np.array([10.0, 10.0, 5.0]), time_h=np.zeros(3),
    ...     tariff=np.array([1.0, 1.0, 3.0]), length_km=np.zeros(3), dwell=np.zeros(3, dtype=bool),
    ...     allows=allows, counts=allows)
    >>> problem = Problem(arcs, origin=np.array([0]), destination=np.array([2]), commodity=np.array([F]),
    ...                   demand=np.array([12.0]), cost=arcs.cost({}), penalty=np.array([100.0]))
    >>> sol = solve_aon(problem)
    >>> sol.arc_flow[F].tolist(), sol.objective
    ([12.0, 12.0, 0.0], 24.0)
    """
    paths = _price(problem, problem.cost)
    columns = [(k, p, float(problem.demand[k])) for k, p in enumerate(paths) if p is not None]
    served = np.array([problem.demand[k] if p is not None else 0.0 for k, p in enumerate(paths)])
    cost = sum(x * problem.cost[problem.commodity[k], p].sum() for k, p, x in columns)
    objective = float(cost + ((problem.demand - served) * problem.penalty).sum())
    dual = np.full(len(problem.demand), np.nan)
    flows = _loads(problem, columns)
    return Solution("Optimal", objective, flows, np.zeros(problem.arcs.n_arcs), served, dual, columns, [], paths)


def new_highs() -> Any:
    """A silent HiGHS instance (HiGHS prints a banner on stdout when the first one is made).

    Returns
    -------
    highspy.Highs
        A new instance with ``output_flag`` off.

    Examples
    --------
    >>> h = new_highs()
    >>> h.getOptionValue("output_flag")[1], h.getNumCol()
    (False, 0)
    """
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
        self._path_arcs = np.zeros(0, dtype=np.int64)  # every arc of every column's path, concatenated (blocking)
        self._path_ptr = np.zeros(1, dtype=np.int64)  # column i's path is _path_arcs[_path_ptr[i]:_path_ptr[i + 1]]
        self._flat_arcs = np.zeros(0, dtype=np.int64)  # counted arcs of all columns, concatenated (vectorised loads)
        self._col_ptr = np.zeros(1, dtype=np.int64)  # column i's arcs are _flat_arcs[_col_ptr[i]:_col_ptr[i + 1]]
        self.seen: set[tuple[int, tuple[int, ...]]] = set()
        self._cheapest = _price(problem, problem.cost)
        self._floor = self._floor_of(self._cheapest)
        self._floor_cost = problem.cost  # the costs the cheapest paths and the floor hold for
        self._routers: dict[int, _Router] = {}  # each commodity's graph, re-weighted by every pricing
        self._base_weights: np.ndarray | None = None  # the pricing weights at the last unblocked optimum
        self.threads = True  # pricing may search one origin per thread (False when solves run side by side)
        self._extended: tuple[Any, ...] | None = None  # the last start_from's mark and basis (see there)
        self._add_columns([(k, p) for k, p in enumerate(self._cheapest) if p])

    @property
    def cheapest(self) -> list[list[int] | None]:
        """Each demand row's cheapest path on the current costs, capacities ignored (None: unreachable).

        Found again (with the pricing floor) after :meth:`set_cost` gave the arcs new costs.
        """
        if self._costs_moved():
            self._cheapest = _price(self.problem, self.problem.cost)
            self._floor = self._floor_of(self._cheapest)
        self._floor_cost = self.problem.cost
        return self._cheapest

    def _costs_moved(self) -> bool:
        """True when :meth:`set_cost` gave costs other than those the cheapest paths and the floor were found on."""
        cost = self.problem.cost
        return self._floor_cost is not cost and not np.array_equal(self._floor_cost, cost)

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
        if self._costs_moved():
            return None  # new costs (set_cost): the floor no longer holds until `cheapest` finds it again
        slack = float(np.clip(arc_dual, 0.0, None).sum())  # a simple path uses each arc at most once
        return np.flatnonzero(y - (self._floor - slack) > 0.5 * tolerance)

    def _add_columns(self, new: list[tuple[int, list[int]]]) -> int:
        problem, arcs = self.problem, self.arcs
        starts, index, value, cost = [], [], [], []
        flat_arcs, sizes, path_arcs = [self._flat_arcs], [], [self._path_arcs]
        for k, path in new:
            sig = (k, tuple(path))
            if sig in self.seen:
                continue
            self.seen.add(sig)
            c = problem.commodity[k]
            p = np.asarray(path, dtype=np.int64)
            counted = p[arcs.counts[c, p] & self.finite[p]]
            path_arcs.append(p)
            flat_arcs.append(counted)
            sizes.append(len(counted))
            rows = self.row_of_arc[counted]
            rows = rows[rows >= 0]
            starts.append(len(index))
            index.extend([k, *rows.tolist()])
            value.extend([1.0] * (1 + len(rows)))
            cost.append(problem.cost[c, p].sum())
            self.columns.append((k, counted))
            self.paths.append(path)
        if cost:
            self._flat_arcs = np.concatenate(flat_arcs)
            self._col_ptr = np.concatenate([self._col_ptr, self._col_ptr[-1] + np.cumsum(sizes)])
            self._path_arcs = np.concatenate(path_arcs)
            lengths = np.cumsum([len(q) for q in path_arcs[1:]])
            self._path_ptr = np.concatenate([self._path_ptr, self._path_ptr[-1] + lengths])
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

    def _users(self, a: int) -> list[int]:
        """The columns whose path uses up arc ``a``'s capacity, in column order."""
        at = np.flatnonzero(self._flat_arcs == a)
        return (np.searchsorted(self._col_ptr, at, side="right") - 1 + self.n_fixed_cols).tolist()

    def _add_rows(self, new_arcs: np.ndarray) -> None:
        starts, index, value = [], [], []
        for a in new_arcs:
            self.row_of_arc[a] = self.n_dem + len(self.capped_rows)
            self.capped_rows.append(int(a))
            starts.append(len(index))
            cols = self._users(int(a))
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

        Parameters
        ----------
        capacity : numpy.ndarray
            One capacity per arc, finite exactly where ``problem.arcs.capacity`` is.

        Raises
        ------
        ArgumentError
            The shape is wrong, or an arc would become capacitated or uncapacitated.

        Examples
        --------
        >>> import corridor
        >>> from corridor.model.problem import prepare
        >>> g = corridor.load_geodata()
        >>> problem = prepare(g, corridor.load_scenario("baseline-2024", g)).problem
        >>> master = MasterLP(problem)
        >>> base = master.solve()
        >>> master.set_capacity(problem.arcs.capacity / 2)  # every asset at half its capacity
        >>> halved = master.solve()
        >>> bool(halved.objective > base.objective), bool(halved.served.sum() < base.served.sum())
        (True, True)
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
        """Give every demand row a new amount for the next solves (the fixed right-hand side of its row).

        Parameters
        ----------
        demand : numpy.ndarray
            One finite, non-negative amount per demand row (in the order of ``problem.demand``).

        Raises
        ------
        ArgumentError
            The shape is wrong, or an amount is negative or not finite.

        Examples
        --------
        >>> import corridor
        >>> from corridor.model.problem import prepare
        >>> g = corridor.load_geodata()
        >>> problem = prepare(g, corridor.load_scenario("baseline-2024", g)).problem
        >>> master = MasterLP(problem)
        >>> master.set_demand(problem.demand * 0)  # no demand at all: nothing to carry, nothing to pay
        >>> sol = master.solve()
        >>> float(sol.objective), float(sol.served.sum())
        (0.0, 0.0)
        """
        demand = np.asarray(demand, dtype=float)
        if demand.shape != (self.n_dem,) or not (np.isfinite(demand) & (demand >= 0)).all():
            raise ArgumentError("set_demand needs one finite, non-negative amount per demand row")
        self.problem = replace(self.problem, demand=demand)
        self.h.changeRowsBounds(self.n_dem, np.arange(self.n_dem, dtype=np.int32), demand, demand)
        self.h.setOptionValue("simplex_strategy", 1)

    def set_cost(self, cost: np.ndarray) -> None:
        """Give the arcs new generalised costs ``cost[c, a]`` for the next solves (the path columns' costs).

        Parameters
        ----------
        cost : numpy.ndarray
            Finite costs, the shape of ``problem.cost``: ``(len(COMMODITIES), n_arcs)``.

        Raises
        ------
        ArgumentError
            The shape is wrong, or a cost is not finite.

        Examples
        --------
        >>> import corridor
        >>> from corridor.model.problem import prepare
        >>> g = corridor.load_geodata()
        >>> problem = prepare(g, corridor.load_scenario("baseline-2024", g)).problem
        >>> master = MasterLP(problem)
        >>> base = master.solve()
        >>> master.set_cost(problem.cost * 2)  # every tariff and time doubled
        >>> dearer = master.solve()
        >>> bool(dearer.objective > base.objective)
        True
        """
        cost = np.asarray(cost, dtype=float)
        if cost.shape != self.problem.cost.shape or not np.isfinite(cost).all():
            raise ArgumentError("set_cost needs a finite cost per commodity and arc")
        self.problem = replace(self.problem, cost=cost)
        self._base_weights = None  # priced on the old costs: no detour seeds until the next unblocked optimum
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
        """The current basis with the model's size, for :meth:`start_from` (cheaper than a :meth:`checkpoint`).

        Returns
        -------
        tuple
            The HiGHS basis, the number of columns and the number of rows: a mark for :meth:`start_from`.

        Examples
        --------
        >>> import corridor
        >>> from corridor.model.problem import prepare
        >>> g = corridor.load_geodata()
        >>> problem = prepare(g, corridor.load_scenario("baseline-2024", g)).problem
        >>> master = MasterLP(problem)
        >>> base = master.solve()
        >>> basis, n_cols, n_rows = master.basis()
        >>> n_rows >= len(problem.demand), n_cols >= len(problem.demand)  # a row and a slack per demand row
        (True, True)
        """
        return self.h.getBasis(), self.h.getNumCol(), self.h.getNumRow()

    def clone(self) -> MasterLP:
        """An independent copy of this master (model, basis, columns, rows, figures), to re-solve side by side.

        HiGHS and the compiled pricing kernels release Python's GIL, so copies solving in threads of one
        process run on separate cores (N-1 runs one per worker thread). A copy shares only what no solve
        changes (the problem, the costs' floor and the routers' base graphs).

        Returns
        -------
        MasterLP
            A master whose next solve gives what this one's would, and whose solves leave this one alone.

        Examples
        --------
        >>> import corridor
        >>> from corridor.model.problem import prepare
        >>> g = corridor.load_geodata()
        >>> problem = prepare(g, corridor.load_scenario("baseline-2024", g)).problem
        >>> master = MasterLP(problem)
        >>> base = master.solve()
        >>> twin = master.clone()
        >>> twin.set_capacity(problem.arcs.capacity / 2)
        >>> halved = twin.solve()
        >>> bool(halved.objective > base.objective), master.solve().objective == base.objective
        (True, True)
        """
        twin = copy.copy(self)
        twin.h = new_highs()
        twin.h.setOptionValue("presolve", "off")
        twin.h.passModel(self.h.getLp())
        twin.h.setBasis(self.h.getBasis())
        twin.row_of_arc = self.row_of_arc.copy()
        twin.capped_rows, twin.columns, twin.paths = list(self.capped_rows), list(self.columns), list(self.paths)
        twin.seen, twin._routers, twin._extended = set(self.seen), dict(self._routers), None
        return twin

    def start_from(self, mark: tuple[Any, int, int]) -> None:
        """Make the next solve start from a :meth:`basis`, extended to the columns and rows added since.

        The columns added since are non-basic at zero and the rows added since basic (their slacks), so
        a basis optimal when taken is optimal again once the blocks of the solves in between are lifted:
        every outage of N-1 starts from the base optimum, whatever was solved before it (it keeps the columns
        the other outages added: dropping them was slower, as they serve again).

        Parameters
        ----------
        mark : tuple
            A :meth:`basis` taken since the last :meth:`restore`.

        Raises
        ------
        ArgumentError
            The model has fewer columns or rows than when ``mark`` was taken (a :meth:`restore` in between).

        Examples
        --------
        N-1 in short: each outage starts from the base optimum's basis.

        >>> import corridor
        >>> from corridor.model.problem import prepare
        >>> g = corridor.load_geodata()
        >>> problem = prepare(g, corridor.load_scenario("baseline-2024", g)).problem
        >>> master = MasterLP(problem)
        >>> base = master.solve()
        >>> mark = master.basis()
        >>> changes = []
        >>> for element in ["pipe-btc-aze", "pipe-scp-geo"]:
        ...     blocked = np.array([e == element for e in problem.arcs.element])
        ...     master.start_from(mark)
        ...     changes.append(master.solve(blocked=blocked, detail=False).objective - base.objective)
        >>> [bool(c > 0) for c in changes]  # either pipeline out costs more
        [True, True]
        """
        import highspy

        basis, n_cols, n_rows = mark
        now_cols, now_rows = self.h.getNumCol(), self.h.getNumRow()
        if now_cols < n_cols or now_rows < n_rows:
            raise ArgumentError("start_from needs a basis taken since the last restore (the model has shrunk)")
        if self._extended is None or self._extended[0] is not mark:  # the mark's statuses, as lists, once
            self._extended = (mark, list(basis.col_status), list(basis.row_status), -1, -1, None)
        _, cols, rows, last_cols, last_rows, extended = self._extended
        if (last_cols, last_rows) != (now_cols, now_rows):  # columns or rows added since: extend again
            extended = highspy.HighsBasis()
            extended.col_status = cols + [highspy.HighsBasisStatus.kLower] * (now_cols - n_cols)
            extended.row_status = rows + [highspy.HighsBasisStatus.kBasic] * (now_rows - n_rows)
            extended.valid = True
            self._extended = (mark, cols, rows, now_cols, now_rows, extended)
        self.h.setBasis(extended)
        self.h.setOptionValue("simplex_strategy", 1)  # dual feasible: dual simplex

    def checkpoint(self) -> tuple[Any, ...]:
        """A mark of the model as it is now (columns, rows, basis, figures), to :meth:`restore` later.

        Returns
        -------
        tuple
            The number of path columns and capacity rows, the HiGHS model and basis, and the problem
            (capacities, demand and costs): what :meth:`restore` needs.

        Examples
        --------
        See :meth:`restore`. Restoring a checkpoint taken after a solve gives that solve again:

        >>> import corridor
        >>> from corridor.model.problem import prepare
        >>> g = corridor.load_geodata()
        >>> problem = prepare(g, corridor.load_scenario("baseline-2024", g)).problem
        >>> master = MasterLP(problem)
        >>> base = master.solve()
        >>> mark = master.checkpoint()
        >>> master.set_demand(problem.demand * 3)
        >>> _ = master.solve()
        >>> master.restore(mark)
        >>> bool(abs(master.solve().objective - base.objective) < 1e-6 * abs(base.objective))
        True
        """
        return (len(self.columns), len(self.capped_rows), self.h.getLp(), self.h.getBasis(), self.problem)

    def _forget_columns(self, n_cols: int) -> None:
        """Drop the path columns from the ``n_cols``-th on from the bookkeeping (not from HiGHS)."""
        if len(self.columns) > n_cols:
            for (k, _), path in zip(self.columns[n_cols:], self.paths[n_cols:], strict=True):
                self.seen.discard((k, tuple(path)))
            self._path_ptr = self._path_ptr[: n_cols + 1]
            self._path_arcs = self._path_arcs[: self._path_ptr[-1]]
            del self.columns[n_cols:], self.paths[n_cols:]
            self._col_ptr = self._col_ptr[: n_cols + 1]
            self._flat_arcs = self._flat_arcs[: self._col_ptr[-1]]

    def restore(self, mark: tuple[Any, ...]) -> None:
        """Go back to a :meth:`checkpoint`: drop the columns and rows added since, restore its basis and figures.

        A solve after a restore depends only on the checkpoint and what was set since, not on the solves in
        between (uncertainty runs use it so that a sample's result is the same in every worker).

        Parameters
        ----------
        mark : tuple
            A :meth:`checkpoint` of this master.

        Examples
        --------
        The warm re-solve of a Monte Carlo sample on three nodes: 12 units from ``a`` to ``c``, 10 by
        ``a -> b -> c`` (tariff 2), 2 on the dearer direct arc (tariff 3):

        >>> import numpy as np
        >>> from corridor.model.network import COMMODITIES, Arcs
        >>> from corridor.model.problem import Problem
        >>> F = COMMODITIES.index("freight")
        >>> allows = np.zeros((len(COMMODITIES), 3), dtype=bool)
        >>> allows[F] = True
        >>> arcs = Arcs(  # a -> b -> c (capacity 10, tariff 1 each) or a -> c directly (capacity 5, tariff 3)
        ...     nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
        ...     head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
        ...     direction=np.ones(3, dtype=np.int8), capacity=np.array([10.0, 10.0, 5.0]), time_h=np.zeros(3),
        ...     tariff=np.array([1.0, 1.0, 3.0]), length_km=np.zeros(3), dwell=np.zeros(3, dtype=bool),
        ...     allows=allows, counts=allows)
        >>> problem = Problem(arcs, origin=np.array([0]), destination=np.array([2]), commodity=np.array([F]),
        ...                   demand=np.array([12.0]), cost=arcs.cost({}), penalty=np.array([100.0]))
        >>> master = MasterLP(problem)
        >>> base = master.solve()
        >>> base.objective, base.arc_flow[F].tolist()
        (26.0, [10.0, 10.0, 2.0])
        >>> mark = master.checkpoint()
        >>> master.set_capacity(np.array([10.0, 4.0, 5.0]))  # b -> c down to 4
        >>> low = master.solve()  # 4 + 5 carried, 3 unserved at 100 each
        >>> low.objective, low.served.tolist(), low.arc_flow[F].tolist()
        (323.0, [9.0], [4.0, 4.0, 5.0])
        >>> master.restore(mark)  # back to the checkpoint: capacities, columns, rows and basis
        >>> again = master.solve()
        >>> again.objective, again.arc_flow[F].tolist()
        (26.0, [10.0, 10.0, 2.0])
        """
        n_cols, n_rows, lp, basis, problem = mark
        self._forget_columns(n_cols)
        self.row_of_arc[self.capped_rows[n_rows:]] = -1
        del self.capped_rows[n_rows:]
        # a new HiGHS instance holding the checkpoint's model and basis: no state of the solves in between
        # (scaling, edge weights, factorisation) survives, so the next solves are the same in every process
        self._extended = None
        self.h = new_highs()
        self.h.setOptionValue("presolve", "off")
        self.h.passModel(lp)
        self.set_capacity(problem.arcs.capacity)
        self.set_demand(problem.demand)
        self.set_cost(problem.cost)
        self.problem, self.arcs = problem, problem.arcs
        self.h.setBasis(basis)

    def _load(self, x: np.ndarray) -> np.ndarray:
        """The load of every arc under column values ``x``, from the columns that carry something (the same sums)."""
        xp = x[self.n_fixed_cols :]
        nz = np.flatnonzero(xp)
        starts = self._col_ptr[nz]
        lengths = self._col_ptr[nz + 1] - starts
        at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return np.bincount(self._flat_arcs[at], weights=np.repeat(xp[nz], lengths), minlength=self.arcs.n_arcs)

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

        Parameters
        ----------
        blocked : numpy.ndarray, optional
            Boolean mask over the arcs: these carry nothing in this solve (they are free again after it).
        tolerance : float
            Reduced cost, relative to the largest demand dual, below which pricing adds a column.
        max_iterations : int
            Rounds of row and column generation before giving up (status ``"Iteration limit"``).
        detail : bool
            Fill in the arc flows, every column and the cheapest paths (False: only what N-1 needs).

        Returns
        -------
        Solution
            Status, objective (transport cost plus the penalty of unserved demand), flows, capacity duals
            (<= 0: the shadow prices negated), served amounts, demand duals, the columns and the iteration log.

        Raises
        ------
        SolverError
            HiGHS ended other than optimal (numbers out of range).

        Examples
        --------
        >>> import numpy as np
        >>> from corridor.model.network import COMMODITIES, Arcs
        >>> from corridor.model.problem import Problem
        >>> F = COMMODITIES.index("freight")
        >>> allows = np.zeros((len(COMMODITIES), 3), dtype=bool)
        >>> allows[F] = True
        >>> arcs = Arcs(  # a -> b -> c (capacity 10, tariff 1 each) or a -> c directly (capacity 5, tariff 3)
        ...     nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
        ...     head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
        ...     direction=np.ones(3, dtype=np.int8), capacity=np.array([10.0, 10.0, 5.0]), time_h=np.zeros(3),
        ...     tariff=np.array([1.0, 1.0, 3.0]), length_km=np.zeros(3), dwell=np.zeros(3, dtype=bool),
        ...     allows=allows, counts=allows)
        >>> problem = Problem(arcs, origin=np.array([0]), destination=np.array([2]), commodity=np.array([F]),
        ...                   demand=np.array([12.0]), cost=arcs.cost({}), penalty=np.array([100.0]))
        >>> master = MasterLP(problem)
        >>> sol = master.solve()
        >>> sol.status, sol.objective, sol.served.tolist()
        ('Optimal', 26.0, [12.0])
        >>> float(-sol.dual.sum()), sol.demand_dual.tolist()  # 1 saved per unit of a -> b -> c; 3 per unit more
        (1.0, [3.0])
        >>> out = master.solve(blocked=np.array([False, True, False]))  # b -> c out: 5 direct, 7 unserved
        >>> out.objective, out.served.tolist(), out.arc_flow[F].tolist()
        (715.0, [5.0], [0.0, 0.0, 5.0])
        """
        h, problem, arcs, n_dem = self.h, self.problem, self.arcs, self.n_dem
        fixed = np.array([], dtype=np.int32)
        if blocked is not None and blocked.any():
            hit = np.flatnonzero(blocked[self._path_arcs])  # the columns whose path uses a blocked arc
            fixed = (np.unique(np.searchsorted(self._path_ptr, hit, side="right") - 1) + self.n_fixed_cols).astype(
                np.int32
            )
            if len(fixed):
                h.changeColsBounds(len(fixed), fixed, np.zeros(len(fixed)), np.zeros(len(fixed)))
                if self._base_weights is not None:  # the blocked demands' detours at the unblocked prices
                    rows = np.unique([self.columns[c - self.n_fixed_cols][0] for c in fixed.tolist()])
                    detours = _price(
                        problem,
                        self._base_weights,
                        blocked=blocked,
                        rows=rows,
                        routers=self._routers,
                        threads=self.threads,
                    )
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
            new = []
            if rows is None or len(rows):  # the reduced cost of each priced path; lists only for the new columns
                priced = _price_arrays(
                    problem, weights, blocked=blocked, rows=rows, routers=self._routers, threads=self.threads
                )
                picked = np.flatnonzero(priced.cost - y[priced.rows] < -tolerance * scale)
                new = [(int(priced.rows[i]), priced.path(i)) for i in picked]
            entry["new_columns"] = self._add_columns(new) if new else 0
            h.setOptionValue("simplex_strategy", 4)  # new columns keep the basis primal feasible: primal simplex
            entry["seconds"] = time.perf_counter() - t0
            log.append(entry)
            if entry["new_columns"] == 0:
                status = "Optimal"
                if blocked is None:
                    self._base_weights = weights
                break
        if status != "Optimal":  # the model may have grown since the last run: read what HiGHS holds
            sol = h.getSolution()
            x = np.asarray(sol.col_value)
            y = np.asarray(sol.row_dual)
            arc_dual = np.zeros(arcs.n_arcs)
            arc_dual[self.capped_rows] = y[n_dem:]
        xp = x[self.n_fixed_cols :]
        used = range(len(self.columns)) if detail else np.flatnonzero(xp).tolist()  # without detail: flows > 0 only
        flows = [(self.columns[i][0], self.paths[i], float(xp[i])) for i in used]
        served = problem.demand - x[:n_dem]
        objective = float(entry["objective"] if status == "Optimal" else h.getInfo().objective_function_value)
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
    """Least-cost flow within capacities by column and row generation on a HiGHS master LP (see :class:`MasterLP`).

    Parameters
    ----------
    problem : Problem
        The problem to solve.
    tolerance, max_iterations
        As for :meth:`MasterLP.solve`.

    Returns
    -------
    Solution
        The system optimum: demand that the capacities cannot carry is unserved at its ``penalty``.

    Examples
    --------
    On three nodes, the 12 units from ``a`` to ``c`` fill ``a -> b -> c`` (capacity 10) and send the
    rest direct:

    >>> import numpy as np
    >>> from corridor.model.network import COMMODITIES, Arcs
    >>> from corridor.model.problem import Problem
    >>> F = COMMODITIES.index("freight")
    >>> allows = np.zeros((len(COMMODITIES), 3), dtype=bool)
    >>> allows[F] = True
    >>> arcs = Arcs(  # a -> b -> c (capacity 10, tariff 1 each) or a -> c directly (capacity 5, tariff 3)
    ...     nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
    ...     head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
    ...     direction=np.ones(3, dtype=np.int8), capacity=np.array([10.0, 10.0, 5.0]), time_h=np.zeros(3),
    ...     tariff=np.array([1.0, 1.0, 3.0]), length_km=np.zeros(3), dwell=np.zeros(3, dtype=bool),
    ...     allows=allows, counts=allows)
    >>> problem = Problem(arcs, origin=np.array([0]), destination=np.array([2]), commodity=np.array([F]),
    ...                   demand=np.array([12.0]), cost=arcs.cost({}), penalty=np.array([100.0]))
    >>> sol = solve_system_optimal(problem)
    >>> sol.status, sol.objective, sol.arc_flow[F].tolist()
    ('Optimal', 26.0, [10.0, 10.0, 2.0])
    >>> sorted((path, flow) for _, path, flow in sol.columns)  # arc indices of each path column
    [([0, 1], 10.0), ([2], 2.0)]
    """
    return MasterLP(problem).solve(tolerance=tolerance, max_iterations=max_iterations)
