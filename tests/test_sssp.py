"""The shortest-path kernels: interpreted (small problems) and numba-compiled (large) give the same paths."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from corridor.solve import kernels as _sssp


def _graph(seed: int, n: int, degree: int, *, integer: bool) -> list[np.ndarray]:
    """A random CSR graph with targets for a few origins; integer weights make many ties."""
    rng = np.random.default_rng(seed)
    tail = rng.integers(0, n, n * degree)
    head = rng.integers(0, n, n * degree)
    keep = tail != head
    order = np.lexsort((head[keep], tail[keep]))
    tail, head = tail[keep][order], head[keep][order]
    weight = rng.integers(1, 4, len(tail)).astype(float) if integer else rng.random(len(tail))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(tail, minlength=n))])
    sources = rng.choice(n, min(n, 7), replace=False)
    per = rng.integers(0, 6, len(sources))
    tptr = np.concatenate([[0], np.cumsum(per)])
    targets = rng.integers(0, n, tptr[-1])
    return (
        [a.astype(np.int64) for a in (indptr, head)]
        + [weight]
        + [a.astype(np.int64) for a in (tail, sources, tptr, targets)]
        + [np.zeros((1, n)), np.zeros(len(sources), dtype=np.int64)]  # no A* bounds: Dijkstra
    )


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("seed", range(12))
def test_interpreted_and_compiled_kernels_agree_tie_for_tie(seed: int, integer: bool) -> None:
    args = _graph(seed, n=[5, 30, 120][seed % 3], degree=3, integer=integer)
    interpreted = _sssp._paths(*args)
    compiled = _sssp._compiled().paths(*args)
    for a, b in zip(interpreted, compiled, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (interpreted[0] >= 0).any()  # some targets are reachable: the comparison is not vacuous


@pytest.mark.parametrize(("budget", "numba"), [(None, False), (0, True)])
def test_numba_is_imported_only_past_the_interpreted_budget(budget: int | None, numba: bool) -> None:
    code = (
        "import sys, numpy as np; from corridor.solve import kernels as _sssp\n"
        + ("" if budget is None else f"_sssp.INTERPRETED_WORK = {budget}\n")
        + "r = _sssp.tree_paths(np.array([0, 1, 2, 2]), np.array([1, 2]), np.array([1.0, 2.0]), np.array([0, 1]),"
        " np.array([0]), np.array([0, 1]), np.array([2]))\n"
        "assert r[0].tolist() == [2] and r[2].tolist() == [0, 1], r\n"
        "print('numba' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, timeout=300, capture_output=True, text=True)
    assert done.stdout.strip() == str(numba)


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_serial_and_parallel_compiled_kernels_agree_tie_for_tie(seed: int, integer: bool) -> None:
    args = _graph(seed, n=[30, 120, 400][seed % 3], degree=3, integer=integer)
    serial = _sssp._compiled(parallel=False).paths(*args)
    parallel = _sssp._compiled(parallel=True).paths(*args)
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (serial[0] > 0).any()


@pytest.mark.parametrize(("parallel_work", "parallel"), [(10**12, False), (0, True)])
def test_the_call_size_chooses_the_serial_or_the_parallel_kernel(
    parallel_work: int, parallel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _graph(1, n=120, degree=3, integer=True)
    monkeypatch.setattr(_sssp, "INTERPRETED_WORK", 0)
    monkeypatch.setattr(_sssp, "PARALLEL_WORK", parallel_work)
    monkeypatch.setattr(_sssp, "_idle_core", lambda: True)
    chosen = []
    real = _sssp._compiled

    def spy(*, parallel: bool = True):
        chosen.append(parallel)
        return real(parallel=parallel)

    monkeypatch.setattr(_sssp, "_compiled", spy)
    monkeypatch.setattr(spy, "cache_info", real.cache_info, raising=False)
    _sssp.tree_paths(*args[:7])
    assert chosen == [parallel]


def test_a_busy_machine_runs_the_serial_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sssp.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    assert not _sssp._idle_core()
    monkeypatch.setattr(_sssp.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert _sssp._idle_core()


def _reverse(indptr: np.ndarray, head: np.ndarray, weight: np.ndarray, tail: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.lexsort((tail, head))
    return np.concatenate([[0], np.cumsum(np.bincount(head, minlength=len(indptr) - 1))]), tail[order], weight[order]


@pytest.mark.parametrize("seed", range(6))
def test_nearest_distances_are_scipys_multi_source_distances(seed: int) -> None:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    indptr, head, weight, tail, sources, tptr, targets, *_ = _graph(
        seed, n=[30, 120][seed % 2], degree=3, integer=False
    )
    n = len(indptr) - 1
    sets = [targets[tptr[i] : tptr[i + 1]] for i in range(len(sources))]
    sets = [t for t in sets if len(t)]
    tp = np.concatenate([[0], np.cumsum([len(t) for t in sets])])
    got = _sssp.nearest_distances(*_reverse(indptr, head, weight, tail), tp, np.concatenate(sets))
    graph = csr_matrix((weight, head, indptr), shape=(n, n))
    for i, t in enumerate(sets):  # on the graph itself: distance from each node to the nearest target
        want = dijkstra(graph.T.tocsr(), indices=np.unique(t), min_only=True)
        np.testing.assert_allclose(got[i], want, rtol=1e-12)
    assert np.isfinite(got).sum() > len(sets)  # not vacuous


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_a_star_on_nearest_distances_finds_paths_as_short_as_dijkstra(seed: int, compiled: bool) -> None:
    """Bounds taken on the base weights stay valid for any weights at least as large (pricing: costs less
    duals <= 0, blocked arcs at inf): A* then finds the same distances, settling fewer nodes."""
    indptr, head, base, tail, sources, tptr, targets, *_ = _graph(
        seed, n=[30, 120, 400][seed % 3], degree=3, integer=bool(seed % 2)
    )
    rng = np.random.default_rng(seed)
    weight = base * (1 + rng.exponential(0.5, len(base)) * (rng.random(len(base)) < 0.2))  # some arcs dearer
    weight[rng.random(len(base)) < 0.05] = np.inf  # some arcs blocked
    pots = _sssp.nearest_distances(*_reverse(indptr, head, base, tail), tptr, targets)
    pots = np.vstack([pots, np.zeros((1, len(indptr) - 1))])
    row = np.arange(len(sources))
    kernel = _sssp._compiled(parallel=False).paths if compiled else _sssp._paths
    args = (indptr, head, weight, tail, sources, tptr, targets)
    plain = kernel(*args, np.zeros((1, len(indptr) - 1)), np.zeros(len(sources), dtype=np.int64))
    a_star = kernel(*args, pots, row)
    np.testing.assert_array_equal(plain[0] >= 0, a_star[0] >= 0)  # the same targets reached

    def costs(lengths, offsets, flat):
        return [weight[flat[offsets[p] : offsets[p + 1]]].sum() for p in range(len(lengths)) if lengths[p] > 0]

    np.testing.assert_allclose(costs(*a_star), costs(*plain), rtol=1e-12)
    assert (plain[0] > 0).any()


def test_a_router_drops_its_bounds_for_weights_below_them() -> None:
    from corridor.model.network import COMMODITIES, Arcs
    from corridor.solve.paths import _Router

    allows = np.ones((len(COMMODITIES), 3), dtype=bool)
    arcs = Arcs(  # a -> b -> c, or a -> c directly
        nodes=["a", "b", "c"], node_index={"a": 0, "b": 1, "c": 2}, tail=np.array([0, 1, 0]),
        head=np.array([1, 2, 2]), keys=["ab", "bc", "ac"], element=["ab", "bc", "ac"],
        direction=np.ones(3, dtype=np.int8), capacity=np.full(3, 10.0), time_h=np.zeros(3),
        tariff=np.ones(3), length_km=np.zeros(3), dwell=np.zeros(3, dtype=bool), allows=allows, counts=allows,
    )  # fmt: skip
    router = _Router(arcs, np.ones(arcs.n_arcs, dtype=bool), np.ones(arcs.n_arcs))
    router.add_bounds(np.array([0]), np.array([arcs.n_nodes - 1]))
    assert router.reweighted(np.full(arcs.n_arcs, 2.0)).bounds is not None  # dearer: the bounds hold
    lower = np.ones(arcs.n_arcs)
    lower[0] = 0.5
    assert router.reweighted(lower).bounds is None  # one arc cheaper than the bounds assumed: plain Dijkstra
