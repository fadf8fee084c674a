"""User equilibrium with BPR link delays and queueing at capacitated nodes, by conjugate Frank-Wolfe."""

from __future__ import annotations

import time

import numpy as np

from corridor.model.network import (
    COMMODITIES,
    Arcs,
)
from corridor.model.problem import Problem
from corridor.solve.master import Solution
from corridor.solve.paths import _price

#: BPR volume-delay on links: t = t0 (1 + ALPHA (v/c)^BETA).
BPR_ALPHA, BPR_BETA = 0.15, 4.0


#: Queueing delay at capacitated nodes (ports, border crossings): t = t0 (1 + rho / (1 - rho)), rho = v/c,
#: continued linearly beyond RHO_MAX so that over-capacity flows get a finite, steep cost.
RHO_MAX = 0.95


def travel_time(arcs: Arcs, volume: np.ndarray) -> np.ndarray:
    """Congested time (h) of every arc at ``volume``: BPR on links, a queueing delay inside nodes.

    Arcs without a finite, positive capacity keep their free-flow time.

    Parameters
    ----------
    arcs : Arcs
        The network (free-flow ``time_h``, ``capacity``; ``direction`` 0 marks the arcs inside nodes).
    volume : numpy.ndarray
        The flow on each arc that uses up its capacity, in the arc's unit.

    Returns
    -------
    numpy.ndarray
        Hours per arc.

    Examples
    --------
    >>> from corridor.model.network import COMMODITIES, Arcs
    >>> F = COMMODITIES.index("freight")
    >>> allows = np.zeros((len(COMMODITIES), 3), dtype=bool)
    >>> allows[F] = True
    >>> arcs = Arcs(  # a -> b -> c (capacity 10, 2 h and tariff 1 each) or a -> c (capacity 5, 3 h, tariff 3)
    ...     nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
    ...     head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
    ...     direction=np.ones(3, dtype=np.int8), capacity=np.array([10.0, 10.0, 5.0]),
    ...     time_h=np.array([2.0, 2.0, 3.0]), tariff=np.array([1.0, 1.0, 3.0]), length_km=np.zeros(3),
    ...     dwell=np.zeros(3, dtype=bool), allows=allows, counts=allows)
    >>> travel_time(arcs, np.array([10.0, 5.0, 0.0])).round(3).tolist()  # at capacity, BPR adds 15 %
    [2.3, 2.019, 3.0]
    """
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
    """Derivative of :func:`travel_time` with respect to the volume (h per unit of flow).

    Parameters
    ----------
    arcs : Arcs
        The network.
    volume : numpy.ndarray
        The flow on each arc that uses up its capacity.

    Returns
    -------
    numpy.ndarray
        Hours per unit of flow, per arc (0 where uncapacitated).

    Examples
    --------
    >>> from corridor.model.network import COMMODITIES, Arcs
    >>> F = COMMODITIES.index("freight")
    >>> allows = np.zeros((len(COMMODITIES), 3), dtype=bool)
    >>> allows[F] = True
    >>> arcs = Arcs(  # a -> b -> c (capacity 10, 2 h and tariff 1 each) or a -> c (capacity 5, 3 h, tariff 3)
    ...     nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
    ...     head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
    ...     direction=np.ones(3, dtype=np.int8), capacity=np.array([10.0, 10.0, 5.0]),
    ...     time_h=np.array([2.0, 2.0, 3.0]), tariff=np.array([1.0, 1.0, 3.0]), length_km=np.zeros(3),
    ...     dwell=np.zeros(3, dtype=bool), allows=allows, counts=allows)
    >>> travel_time_slope(arcs, np.array([10.0, 5.0, 0.0])).round(4).tolist()
    [0.12, 0.015, 0.0]
    """
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

    Parameters
    ----------
    problem : Problem
        The problem (its ``penalty`` is not used: every reachable demand is served).
    value_of_time : dict[str, float]
        USD per unit per hour by commodity; a commodity missing or at 0 ignores congestion.
    gap : float
        Relative gap (share of the current cost that the best reply would save) at which to stop.
    max_iterations : int
        Frank-Wolfe iterations before giving up (status ``"Iteration limit"``).

    Returns
    -------
    Solution
        Arc flows (fractional over the routes), served amounts, the congested ``arc_time``, the
        iteration log (``relative_gap`` per iteration) and as ``objective`` the Beckmann objective (hours);
        one column per demand row on its cheapest route at the final times. Duals are zero or NaN.

    Examples
    --------
    On three nodes, 12 units from ``a`` to ``c`` spread until both routes cost the same hours
    (time plus tariff / value of time):

    >>> from corridor.model.problem import Problem
    >>> from corridor.model.network import COMMODITIES, Arcs
    >>> F = COMMODITIES.index("freight")
    >>> allows = np.zeros((len(COMMODITIES), 3), dtype=bool)
    >>> allows[F] = True
    >>> arcs = Arcs(  # a -> b -> c (capacity 10, 2 h and tariff 1 each) or a -> c (capacity 5, 3 h, tariff 3)
    ...     nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
    ...     head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
    ...     direction=np.ones(3, dtype=np.int8), capacity=np.array([10.0, 10.0, 5.0]),
    ...     time_h=np.array([2.0, 2.0, 3.0]), tariff=np.array([1.0, 1.0, 3.0]), length_km=np.zeros(3),
    ...     dwell=np.zeros(3, dtype=bool), allows=allows, counts=allows)
    >>> problem = Problem(arcs, origin=np.array([0]), destination=np.array([2]), commodity=np.array([F]),
    ...                   demand=np.array([12.0]), cost=arcs.cost({}), penalty=np.array([100.0]))
    >>> sol = solve_equilibrium(problem, value_of_time={"freight": 1.0})
    >>> sol.status, sol.arc_flow[F].round(1).tolist()
    ('Optimal', [7.8, 7.8, 4.2])
    >>> hours = sol.arc_time + arcs.tariff / 1.0
    >>> round(float(hours[0] + hours[1]), 2), round(float(hours[2]), 2)  # via b, direct
    (6.22, 6.22)
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
