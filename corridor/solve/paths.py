"""Shortest paths for the solvers: one router per commodity on CSR arrays, pricing of every demand row."""

from __future__ import annotations

import copy

import numpy as np
import scipy.sparse as sp

from corridor._errors import ArgumentError
from corridor.model.network import (
    Arcs,
)
from corridor.model.problem import Problem

_EPS = 1e-9


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
