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
    )


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("seed", range(12))
def test_interpreted_and_compiled_kernels_agree_tie_for_tie(seed: int, integer: bool) -> None:
    args = _graph(seed, n=[5, 30, 120][seed % 3], degree=3, integer=integer)
    interpreted = _sssp._paths(*args)
    compiled = _sssp._compiled()(*args)
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
    serial = _sssp._compiled(parallel=False)(*args)
    parallel = _sssp._compiled(parallel=True)(*args)
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
    _sssp.tree_paths(*args)
    assert chosen == [parallel]


def test_a_busy_machine_runs_the_serial_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sssp.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    assert not _sssp._idle_core()
    monkeypatch.setattr(_sssp.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert _sssp._idle_core()
