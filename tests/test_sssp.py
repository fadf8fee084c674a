"""The shortest-path kernels: interpreted (small problems) and numba-compiled (large) give the same paths."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from corridor import _sssp


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


def test_small_problems_do_not_import_numba() -> None:
    code = (
        "import sys, numpy as np; from corridor._sssp import tree_paths\n"
        "r = tree_paths(np.array([0, 1, 2, 2]), np.array([1, 2]), np.array([1.0, 2.0]), np.array([0, 1]),"
        " np.array([0]), np.array([0, 1]), np.array([2]))\n"
        "assert r[0].tolist() == [2] and r[2].tolist() == [0, 1], r\n"
        "assert 'numba' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_large_problems_use_the_compiled_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    args = _graph(3, n=50, degree=3, integer=True)
    monkeypatch.setattr(_sssp, "INTERPRETED_WORK", 0)
    calls = []
    monkeypatch.setattr(_sssp, "_paths", lambda *a: calls.append(a))
    lengths, _, _ = _sssp.tree_paths(*args)
    assert not calls and len(lengths) == len(args[-1])
