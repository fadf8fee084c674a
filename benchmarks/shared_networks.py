"""The seeded networks of ``../shared/bench/corridor_like.py`` as solver-ready problems, for the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from corridor.model.network import COMMODITIES, Arcs
from corridor.model.problem import Problem

#: Cost of a unit of unserved demand, as in the generator's README (per kt).
PENALTY = 1000.0


def problem_from_npz(path: Path, *, penalty: float = PENALTY) -> Problem:
    """The network of a ``corridor_like.py`` file as a problem: freight only, the arc tariff its cost in USD/t,
    unserved demand at ``penalty`` a unit; arc ``i`` is the asset ``str(i)``."""
    z = np.load(path)
    u, v = z["u"].astype(np.int64), z["v"].astype(np.int64)
    n, m = len(z["lon"]), len(u)
    freight = COMMODITIES.index("freight")
    allows = np.zeros((len(COMMODITIES), m), dtype=bool)
    allows[freight] = True
    arcs = Arcs(
        nodes=[str(i) for i in range(n)],
        node_index={str(i): i for i in range(n)},
        tail=u,
        head=v,
        keys=[str(i) for i in range(m)],
        element=[str(i) for i in range(m)],
        direction=np.ones(m, dtype=np.int8),
        capacity=z["capacity"].astype(float),
        time_h=np.zeros(m),
        tariff=z["cost"].astype(float),
        length_km=z["length_km"].astype(float),
        dwell=np.zeros(m, dtype=bool),
        allows=allows,
        counts=allows.copy(),
    )
    k = len(z["od_o"])
    return Problem(
        arcs=arcs,
        origin=z["od_o"].astype(np.int64),
        destination=z["od_d"].astype(np.int64),
        commodity=np.full(k, freight),
        demand=z["od_dem"].astype(float),
        cost=arcs.cost({}),
        penalty=np.full(k, penalty),
    )


def load(data: Path, size: str, n_od: int = 100) -> Problem:
    """The shared network ``net_{size}_od{n_od}.npz`` of the folder ``data`` as a solver-ready problem."""
    return problem_from_npz(data / f"net_{size}_od{n_od}.npz", penalty=PENALTY)


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out
