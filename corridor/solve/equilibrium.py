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
