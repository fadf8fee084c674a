"""Shortest paths for the solvers: one router per commodity on CSR arrays, pricing of every demand row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from corridor._errors import ArgumentError
from corridor.model.network import (
    Arcs,
)
from corridor.model.problem import Problem

_EPS = 1e-9
#: Work (origins × arcs) from which a commodity's kept router adds A* bounds (:meth:`_Router.add_bounds`):
#: one full search per origin, paid back by the repeated pricing of column generation. Measured by
#: ``benchmarks/bench_warm.py --only bounds``.
BOUNDS_WORK = 50_000
#: Memory the bounds may take (a float per origin and node).
BOUNDS_BYTES = 256 * 2**20


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
        self.bounds: tuple[np.ndarray, np.ndarray] | None = None  # A* bounds (see add_bounds)
        self.bounded_by: np.ndarray | None = None  # the weights the bounds hold for (and for all greater ones)

    def add_bounds(self, origins: np.ndarray, destinations: np.ndarray) -> None:
        """Keep, for each origin, every node's distance to the nearest of its destinations on these weights.

        Searches weighted no lower than these (pricing: costs less capacity duals, which are <= 0) then run
        A* on them (:func:`corridor.solve.kernels.tree_paths`): the same shortest paths, settling only the
        nodes that may lie on one. One full search per origin, on the reversed graph, once.
        """
        from corridor.solve.kernels import nearest_distances

        uniq, inverse = np.unique(origins, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        tptr = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(uniq)))])
        rev = np.lexsort((self.row_of, self.indices))  # the CSR positions by head: the reversed graph
        r_indptr = np.concatenate([[0], np.cumsum(np.bincount(self.indices, minlength=self.n))])
        dist = nearest_distances(r_indptr, self.row_of[rev], self.weight[rev], tptr, destinations[order])
        pots = np.vstack([dist, np.zeros((1, self.n))])  # the last row, all zero, for origins not given
        row = np.full(self.n, len(uniq), dtype=np.int64)
        row[uniq] = np.arange(len(uniq))
        self.bounds, self.bounded_by = (pots, row), self.weight

    def reweighted(self, weight: np.ndarray, blocked: np.ndarray | None = None) -> _Router | None:
        """This router's graph on other weights, ``blocked`` arcs left out (None: the layout depends on them).

        Only for a router without parallel arcs (:attr:`simple`). A blocked arc gets an infinite weight, which
        no search ever relaxes: the paths are those of a router built without it, and cost no sort to find.
        """
        w = weight[self.arc] + _EPS
        if not self.simple or not (np.isfinite(w) & (w >= 0)).all():
            return None  # the constructor sorts, or names the bad weight
        out = _Router.__new__(_Router)  # a shallow copy (faster than copy.copy, which pickles)
        out.__dict__.update(self.__dict__)
        out.weight = w if blocked is None else np.where(blocked[self.arc], np.inf, w)
        out.matrix = None
        if self.bounds is not None and not (w >= self.bounded_by).all():  # (tiny positive duals): plain Dijkstra
            out.bounds = None
        return out

    def path_arrays(
        self, origins: np.ndarray, destinations: np.ndarray, *, chunk: int = 256, threads: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The paths of (origin, destination) pairs as arrays: ``length`` (arcs; -1 unreachable), ``start`` and the
        arc indices ``arcs``: pair i's path is ``arcs[start[i] : start[i] + length[i]]``.

        Origins are taken ``chunk`` at a time; each origin's Dijkstra (compiled, one thread per
        origin when ``threads`` and the call is large) stops once all its destinations are settled
        (see :mod:`corridor.solve.kernels`). The paths lie in ``arcs`` origin by origin, end to end.
        """
        from corridor.solve.kernels import tree_paths

        length = np.full(len(origins), -1, dtype=np.int64)
        start = np.zeros(len(origins), dtype=np.int64)
        parts, base = [], 0
        uniq, inverse = np.unique(origins, return_inverse=True)
        for first in range(0, len(uniq), chunk):
            block = uniq[first : first + chunk]
            ks = np.flatnonzero((inverse >= first) & (inverse < first + len(block)))
            ks = ks[np.argsort(inverse[ks], kind="stable")]
            counts = np.bincount(inverse[ks] - first, minlength=len(block))
            tptr = np.concatenate([[0], np.cumsum(counts)])
            potential = None if self.bounds is None else (self.bounds[0], self.bounds[1][block])
            lengths, offsets, flat = tree_paths(
                self.indptr,
                self.indices,
                self.weight,
                self.row_of,
                block,
                tptr,
                destinations[ks],
                potential=potential,
                threads=threads,
            )
            length[ks] = lengths
            start[ks] = base + offsets[:-1]
            parts.append(self.arc[flat])
            base += len(flat)
        arcs = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return length, start, arcs

    def paths(
        self, origins: np.ndarray, destinations: np.ndarray, *, chunk: int = 256, threads: bool = True
    ) -> list[list[int] | None]:
        """Arc-index paths for each (origin, destination) pair; None where unreachable (see :meth:`path_arrays`)."""
        length, start, arcs = self.path_arrays(origins, destinations, chunk=chunk, threads=threads)
        flat = arcs.tolist()
        return [flat[s : s + n] if n >= 0 else None for s, n in zip(start.tolist(), length.tolist(), strict=True)]


class _Priced(NamedTuple):
    """The paths pricing found (:func:`_price_arrays`): demand row ``rows[i]``'s path is
    ``arcs[start[i] : start[i] + length[i]]``, of weight ``cost[i]``."""

    rows: np.ndarray
    cost: np.ndarray
    start: np.ndarray
    length: np.ndarray
    arcs: np.ndarray

    def path(self, i: int) -> list[int]:
        """The arcs of path ``i``, as a list."""
        return self.arcs[self.start[i] : self.start[i] + self.length[i]].tolist()


def _price(
    problem: Problem,
    weights: np.ndarray,
    *,
    blocked: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    routers: dict[int, _Router] | None = None,
    threads: bool = True,
) -> list[list[int] | None]:
    """Shortest path per demand row on per-commodity arc weights ``weights[c, a]``, avoiding ``blocked`` arcs.

    Only the demand rows ``rows`` (indices; all when None) are priced; the others get None. ``routers``
    keeps each commodity's graph between calls (see :meth:`_Router.reweighted`); ``threads`` lets a
    large call search one origin per thread.
    """
    paths: list[list[int] | None] = [None] * len(problem.demand)
    for _, rows_c, router in _routers_for(problem, weights, blocked=blocked, rows=rows, routers=routers):
        found = router.paths(problem.origin[rows_c], problem.destination[rows_c], threads=threads)
        for k, p in zip(rows_c, found, strict=True):
            paths[k] = p
    return paths


def _routers_for(
    problem: Problem,
    weights: np.ndarray,
    *,
    blocked: np.ndarray | None,
    rows: np.ndarray | None,
    routers: dict[int, _Router] | None,
) -> Iterator[tuple[int, np.ndarray, _Router]]:
    """Each commodity of the asked demand rows, its rows and its router on ``weights`` (kept ones re-weighted)."""
    asked = np.arange(len(problem.demand)) if rows is None else np.asarray(rows, dtype=np.int64)
    for c in np.unique(problem.commodity[asked]):
        rows_c = asked[problem.commodity[asked] == c]
        router = None
        if routers is not None:
            if c not in routers:
                routers[c] = _Router(problem.arcs, problem.arcs.allows[c], problem.cost[c])
                ours = problem.commodity == c
                n_origins = len(np.unique(problem.origin[ours]))
                if n_origins * len(routers[c].arc) >= BOUNDS_WORK and n_origins * routers[c].n * 8 <= BOUNDS_BYTES:
                    routers[c].add_bounds(problem.origin[ours], problem.destination[ours])
            router = routers[c].reweighted(weights[c], blocked)
        if router is None:
            allowed = problem.arcs.allows[c] if blocked is None else problem.arcs.allows[c] & ~blocked
            router = _Router(problem.arcs, allowed, weights[c])
        yield int(c), rows_c, router


def _price_arrays(
    problem: Problem,
    weights: np.ndarray,
    *,
    blocked: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    routers: dict[int, _Router] | None = None,
    threads: bool = True,
) -> _Priced:
    """:func:`_price` as arrays, with each path's weight: only the rows with a path of at least one arc, in row
    order; the weight of each path is summed arc by arc in path order (as ``weights[c, path].sum()`` would)."""
    found = []
    for c, rows_c, router in _routers_for(problem, weights, blocked=blocked, rows=rows, routers=routers):
        length, start, arcs = router.path_arrays(problem.origin[rows_c], problem.destination[rows_c], threads=threads)
        some = np.flatnonzero(length > 0)
        order = some[np.argsort(start[some], kind="stable")]  # the paths tile `arcs` in this order
        cost = np.zeros(len(rows_c))
        if len(order):
            cost[order] = np.add.reduceat(weights[c][arcs], start[order])
        found.append((rows_c[some], cost[some], start[some], length[some], arcs))
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return _Priced(empty, np.zeros(0), empty, empty, empty)
    bases = np.cumsum([0] + [len(f[4]) for f in found[:-1]])
    rows_all = np.concatenate([f[0] for f in found])
    order = np.argsort(rows_all, kind="stable")
    return _Priced(
        rows_all[order],
        np.concatenate([f[1] for f in found])[order],
        np.concatenate([f[2] + b for f, b in zip(found, bases, strict=True)])[order],
        np.concatenate([f[3] for f in found])[order],
        np.concatenate([f[4] for f in found]),
    )
