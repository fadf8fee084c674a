"""Shortest-path trees for many origins on a CSR graph.

Dijkstra with a binary heap, stopping as soon as every destination asked of an origin is settled, or A*
when the caller has bounds on each node's distance to the destinations (:func:`nearest_distances`, kept by
the solvers' routers: column generation prices on weights that never fall below the costs the bounds
were taken on); the paths are then read back as CSR positions. This is the hot loop of every assignment
method (pricing in column generation, AON, N-1): SciPy's ``dijkstra`` computes whole trees, single-threaded.

The kernels below are plain Python. Large problems run copies compiled by numba (imported
then, not before); small ones run them interpreted, since loading the compiled kernels takes
longer than the search itself (see :data:`INTERPRETED_WORK`). Of the compiled copies, calls with
less work than :data:`PARALLEL_WORK` run serially and larger ones one origin per thread (``prange``):
a thread team costs a start-up and a barrier per call, and on a busy machine a descheduled thread holds
the whole call up (on the 1k-edge benchmark network a ~1 ms search took 6 ms in the median and 34 ms at
the 90th percentile). All runs execute the same code with the same float64 arithmetic and the same heap,
so they give the same paths, tie for tie. The wheel ships the compiled copies as numba's cache of generic
x86-64 code (:func:`compile_all`), which the ``corridor`` command loads instead of compiling.
"""

from __future__ import annotations

import functools
import os
import threading
import types
from collections.abc import Callable

import numpy as np

from corridor._errors import ArgumentError

__all__ = ["INTERPRETED_WORK", "PARALLEL_WORK", "compile_all", "nearest_distances", "tree_paths"]

prange = range  # numba.prange in the compiled copies (see _compiled)


def _push(keys, vals, size, key, val):
    """Add ``val`` with ``key`` to the 4-ary min-heap held in ``keys[:size]``/``vals[:size]``; returns the new size.

    Four children per node: half the levels of a binary heap, and the hole moves up instead of swapping at each
    level (on the 100k-edge network this made the searches 25-35 % faster than a binary heap with swaps, and an
    indexed heap with decrease-key was no faster). A node may be in the heap more than once (the searches skip
    the stale entries)."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        i = parent
    keys[i] = key
    vals[i] = val
    return size + 1


def _pop(keys, vals, size):
    """Take the least key out of the heap of :func:`_push`: returns (key, val, new size)."""
    key = keys[0]
    val = vals[0]
    size -= 1
    last_key = keys[size]
    last = vals[size]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        child = first
        best = keys[first]
        for c in range(first + 1, min(first + 4, size)):
            if keys[c] < best:
                best = keys[c]
                child = c
        if last_key <= best:
            break
        keys[i] = best
        vals[i] = vals[child]
        i = child
    keys[i] = last_key
    vals[i] = last
    return key, val, size


def _tree(indptr, indices, weights, source, targets, into, pot):
    """Search from ``source`` until all ``targets`` are settled; ``into[v]`` = CSR position of v's tree arc.

    Nodes leave the heap in order of distance plus ``pot[v]``: a lower bound on the distance from v to the
    nearest target that never falls by more than an arc's weight along the arc (consistent), so every node
    leaves with its shortest distance (A*). With ``pot`` all zero this is Dijkstra's algorithm.
    """
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    done = np.zeros(n, np.bool_)
    want = np.zeros(n, np.bool_)
    left = 0
    for t in targets:
        if not want[t] and t != source:
            want[t] = True
            left += 1
    keys = np.empty(len(indices) + 1)
    vals = np.empty(len(indices) + 1, np.int32)
    size = _push(keys, vals, 0, pot[source], source)
    dist[source] = 0.0
    while size > 0 and left > 0:
        _, u, size = _pop(keys, vals, size)
        if done[u]:
            continue
        done[u] = True
        if want[u]:
            left -= 1
        d = dist[u]
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            nd = d + weights[j]
            if nd < dist[v] and not done[v]:
                dist[v] = nd
                into[v] = j
                size = _push(keys, vals, size, nd + pot[v], v)


def _paths(indptr, indices, weights, row_of, sources, tptr, targets, pots, pot_row):
    n = len(indptr) - 1
    k = len(sources)
    lengths = np.zeros(len(targets), np.int64)
    into = np.full((k, n), -1, np.int32)
    for i in prange(k):
        _tree(indptr, indices, weights, sources[i], targets[tptr[i] : tptr[i + 1]], into[i], pots[pot_row[i]])
        for p in range(tptr[i], tptr[i + 1]):
            v = targets[p]
            steps = 0
            while v != sources[i]:
                j = into[i, v]
                if j < 0:
                    steps = -1
                    break
                steps += 1
                if steps > n:  # a predecessor cycle (only a negative weight makes one): never loop on it
                    steps = -2
                    break
                v = row_of[j]
            lengths[p] = steps
    offsets = np.zeros(len(targets) + 1, np.int64)
    for p in range(len(targets)):
        offsets[p + 1] = offsets[p] + max(lengths[p], 0)
    flat = np.empty(offsets[-1], np.int64)
    for i in prange(k):
        for p in range(tptr[i], tptr[i + 1]):
            if lengths[p] <= 0:
                continue
            v = targets[p]
            at = offsets[p + 1]
            while v != sources[i]:
                j = into[i, v]
                at -= 1
                flat[at] = j
                v = row_of[j]
    return lengths, offsets, flat


def _nearest(indptr, indices, weights, tptr, targets):
    """``out[i, v]``: the distance from v to the nearest of ``targets[tptr[i]:tptr[i+1]]`` (inf: none reachable).

    Searches the reversed graph (the CSR given is the reverse) from all the targets at once, to the end.
    """
    n = len(indptr) - 1
    k = len(tptr) - 1
    out = np.full((k, n), np.inf)
    for i in prange(k):
        dist = out[i]
        done = np.zeros(n, np.bool_)
        keys = np.empty(len(indices) + n + 1)
        vals = np.empty(len(indices) + n + 1, np.int32)
        size = 0
        for p in range(tptr[i], tptr[i + 1]):
            t = targets[p]
            if dist[t] > 0.0:
                dist[t] = 0.0
                size = _push(keys, vals, size, 0.0, t)
        while size > 0:
            d, u, size = _pop(keys, vals, size)
            if done[u]:
                continue
            done[u] = True
            for j in range(indptr[u], indptr[u + 1]):
                v = indices[j]
                nd = d + weights[j]
                if nd < dist[v] and not done[v]:
                    dist[v] = nd
                    size = _push(keys, vals, size, nd, v)
    return out


#: Work (origins × arcs, summed over the calls of a process) done by the interpreted kernels before
#: the compiled ones take over. The interpreted search costs about as much as importing numba and
#: loading the compiled kernels at this size; measured by ``benchmarks/bench_coldstart.py``.
INTERPRETED_WORK = 150_000
_interpreted_work = 0


#: Work of one call (origins × arcs) from which the compiled kernel runs one origin per thread instead of
#: serially, when a core is idle (see :func:`_idle_core`): below it the thread team's start-up and barrier
#: cost more than they save. Measured by ``benchmarks/bench_warm.py --only pricing parallel``.
PARALLEL_WORK = 2_000_000


def _idle_core() -> bool:
    """Whether the machine has a core to spare for a second thread (load average below cores - 0.5).

    On a busy machine a thread team waits at its barrier for descheduled threads: the system optimum with
    parallel pricing took 1.2-4× as long as with serial pricing at a load of 6 on 2 cores
    (``benchmarks/RESULTS-warm.md``). The 1-minute load average also counts this process's own running thread
    once it has run for a while (about 1 on an otherwise idle machine), so the bound leaves room for it: on 2
    cores the parallel copy runs up to a load of 1.5, where it used to stop at 1, i.e. as soon as this process
    had been busy for a minute. Serial and parallel runs give the same paths, so this choice, which depends on
    the moment, never changes a result.
    """
    try:
        return os.getloadavg()[0] <= (os.cpu_count() or 1) - 0.5
    except (AttributeError, OSError):  # no load average (Windows)
        return True


_loading = threading.Lock()  # one thread loads (or compiles) the kernels while the others wait


@functools.cache
def _compiled(*, parallel: bool = True) -> types.SimpleNamespace:
    """The kernels compiled by numba (loaded from numba's cache, compiled on first use): ``paths`` and ``nearest``.

    numba caches next to this file, or, where that directory is not writable (an installed package),
    in the user's cache directory (``NUMBA_CACHE_DIR`` chooses another). ``parallel=False`` gives the
    serial copies of :func:`_paths` and :func:`_nearest` (the same code, ``prange`` as ``range``).
    """
    import numba

    # the compiled copies call each other's compiled copies
    scope = {**globals(), "prange": numba.prange if parallel else range}

    def jit(fn: types.FunctionType, **options: bool) -> Callable:
        clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
        clone.__qualname__ = fn.__qualname__ if parallel else f"{fn.__qualname__}_serial"
        scope[fn.__name__] = compiled = numba.njit(cache=True, **options)(clone)
        return compiled

    jit(_push, nogil=True)
    jit(_pop, nogil=True)
    jit(_tree, nogil=True)
    options = {"parallel": True} if parallel else {"nogil": True}
    return types.SimpleNamespace(paths=jit(_paths, **options), nearest=jit(_nearest, **options))


def compile_all() -> None:
    """Compile (or load) every kernel copy once, on a tiny graph, so that numba's cache holds them all.

    The wheel's build runs this with ``NUMBA_CPU_NAME=generic`` (``setup.py``): the cache it writes beside this
    file (``__pycache__/*.nbi``, ``*.nbc``: numba keys it by this file's content, the Python and numba versions
    and the CPU name) ships in the wheel, and a process that imports numba with the same CPU name (the
    ``corridor`` command sets it) loads the kernels instead of compiling them (about 8 s).

    Examples
    --------
    >>> compile_all()  # loaded from numba's cache when it holds them, compiled (and cached) otherwise
    >>> [bool(getattr(_compiled(parallel=p), k).signatures) for p in (False, True) for k in ("paths", "nearest")]
    [True, True, True, True]
    """
    graph = (np.array([0, 1, 2, 2]), np.array([1, 2]), np.array([1.0, 2.0]))
    for parallel in (False, True):
        kernels = _compiled(parallel=parallel)
        kernels.paths(*graph, np.array([0, 1]), np.array([0]), np.array([0, 1]), np.array([2]),
                      np.zeros((1, 3)), np.zeros(1, dtype=np.int64))  # fmt: skip
        kernels.nearest(*graph, np.array([0, 1]), np.array([2]))


def _kernel(name: str, work: int, threads: bool) -> Callable:
    """The interpreted or compiled, serial or parallel copy of kernel ``name`` for a call of ``work``."""
    global _interpreted_work
    if _compiled.cache_info().currsize == 0 and _interpreted_work + work <= INTERPRETED_WORK:
        _interpreted_work += work
        return globals()[name]
    parallel = threads and work >= PARALLEL_WORK and _idle_core()
    with _loading:
        return getattr(_compiled(parallel=parallel), name.lstrip("_"))


def tree_paths(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    row_of: np.ndarray,
    sources: np.ndarray,
    tptr: np.ndarray,
    targets: np.ndarray,
    *,
    potential: tuple[np.ndarray, np.ndarray] | None = None,
    threads: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest paths from each ``sources[i]`` to each of ``targets[tptr[i]:tptr[i+1]]``.

    Returns ``lengths`` (arcs per path; -1 unreachable, 0 when target = source), ``offsets`` and
    ``flat``: the CSR positions of path p's arcs, in order, are ``flat[offsets[p]:offsets[p+1]]``.
    ``row_of[j]`` is the tail node of CSR position j. Weights must be >= 0: a negative one raises
    :class:`~corridor._errors.ArgumentError` (here, or from the guard that stops the path walk on a cycle).

    Parameters
    ----------
    indptr, indices : numpy.ndarray
        The graph in CSR form: the arcs out of node ``u`` go to ``indices[indptr[u]:indptr[u+1]]``.
    weights : numpy.ndarray
        The weight of each CSR position (>= 0).
    row_of : numpy.ndarray
        The tail node of each CSR position.
    sources : numpy.ndarray
        The origins, one search each.
    tptr, targets : numpy.ndarray
        The destinations of ``sources[i]`` are ``targets[tptr[i]:tptr[i+1]]``.
    potential : tuple of numpy.ndarray, optional
        ``(pots, row)``: search from ``sources[i]`` by A* on ``pots[row[i]]``, a lower bound on each node's
        distance to the nearest of that source's targets that falls by at most an arc's weight along the arc
        (e.g. :func:`nearest_distances` on weights no greater than ``weights``). The paths are shortest paths
        either way; the bound only saves the nodes it proves too far.
    threads : bool
        Whether a large call may run one origin per thread (False: always serial, e.g. when the caller
        already runs one search per thread; the paths are the same either way).

    Returns
    -------
    lengths : numpy.ndarray
        Arcs per path, one per target (-1: unreachable; 0: the target is the source).
    offsets : numpy.ndarray
        Path p's CSR positions are ``flat[offsets[p]:offsets[p+1]]``.
    flat : numpy.ndarray
        The CSR positions of all the paths, concatenated, each path from origin to target.

    Raises
    ------
    ArgumentError
        A weight is negative or not a number.

    Examples
    --------
    Node 0 reaches 2 directly (weight 3) or through 1 (1 + 1); node 3 has no arc in:

    >>> indptr = np.array([0, 2, 3, 3, 3])  # CSR positions 0, 1 leave node 0; 2 leaves node 1
    >>> indices = np.array([1, 2, 2])
    >>> weights = np.array([1.0, 3.0, 1.0])
    >>> row_of = np.array([0, 0, 1])
    >>> lengths, offsets, flat = tree_paths(indptr, indices, weights, row_of, np.array([0]),
    ...                                     tptr=np.array([0, 3]), targets=np.array([2, 3, 0]))
    >>> lengths.tolist(), flat[offsets[0] : offsets[1]].tolist()  # 0 -> 2 by positions 0 then 2
    ([2, -1, 0], [0, 2])
    """
    w = np.asarray(weights, dtype=np.float64)
    if not (w >= 0).all():  # also catches NaN
        raise ArgumentError("shortest paths need finite weights >= 0; a weight is negative or not a number")
    if potential is None:
        pots, row = np.zeros((1, len(indptr) - 1)), np.zeros(len(sources), dtype=np.int64)
    else:
        pots, row = potential
    kernel = _kernel("_paths", len(sources) * max(len(indices), 1), threads)
    lengths, offsets, flat = kernel(
        indptr.astype(np.int64),
        indices.astype(np.int64),
        w,
        row_of.astype(np.int64),
        sources.astype(np.int64),
        tptr.astype(np.int64),
        targets.astype(np.int64),
        np.asarray(pots, dtype=np.float64),
        np.asarray(row, dtype=np.int64),
    )
    if (lengths == -2).any():
        raise ArgumentError("shortest paths found a predecessor cycle: a weight is negative")
    return lengths, offsets, flat


def nearest_distances(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    tptr: np.ndarray,
    targets: np.ndarray,
    *,
    threads: bool = True,
) -> np.ndarray:
    """Each node's distance to the nearest of each target set, on the CSR graph given (searched to the end).

    On the reverse of a graph, these are the distances from each node *to* the targets on the graph itself:
    the A* bounds of :func:`tree_paths` (a node's distance to its nearest target on weights that are no
    greater than the weights searched later).

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        The graph in CSR form, weights >= 0.
    tptr, targets : numpy.ndarray
        Target set i is ``targets[tptr[i]:tptr[i+1]]``.
    threads : bool
        Whether a large call may run one target set per thread.

    Returns
    -------
    numpy.ndarray
        ``out[i, v]``: the distance from a target of set i to node v (inf: unreachable).

    Examples
    --------
    Arcs 0 -> 1 (weight 1) and 1 -> 2 (weight 2): from the set {0} and from the set {1, 2}:

    >>> d = nearest_distances(np.array([0, 1, 2, 2]), np.array([1, 2]), np.array([1.0, 2.0]),
    ...                       tptr=np.array([0, 1, 3]), targets=np.array([0, 1, 2]))
    >>> d.tolist()
    [[0.0, 1.0, 3.0], [inf, 0.0, 0.0]]
    """
    w = np.asarray(weights, dtype=np.float64)
    if not (w >= 0).all():
        raise ArgumentError("shortest paths need finite weights >= 0; a weight is negative or not a number")
    kernel = _kernel("_nearest", (len(tptr) - 1) * max(len(indices), 1), threads)
    return kernel(indptr.astype(np.int64), indices.astype(np.int64), w, tptr.astype(np.int64), targets.astype(np.int64))
