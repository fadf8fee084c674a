"""N-1 criticality: hand-computed ranking, and warm re-solves equal cold ones."""

from __future__ import annotations

import numpy as np
import pytest

from corridor.assignment import MasterLP, build_problem
from corridor.criticality import criticality, n_minus_1
from corridor.network import arcs_from_graph, build_network

from .netbuild import make_geodata, scenario


@pytest.fixture
def ladder(tmp_path):
    """A main line with a slower bypass, and a spur::

        a ──main (cap 10, tariff 1)── b ──last (cap 10)── c
         ╲                           ╱
          ──bypass (cap 4, tariff 3)─
        a ──spur (cap 10)── s   (no demand)

    Demand a→c 6. Losing `last` strands all 6; losing `main` sends 4 over the bypass and
    leaves 2 unserved; losing `bypass`, `spur` or nothing used changes nothing.
    """
    return make_geodata(
        tmp_path,
        {"a": (0, 0), "b": (2, 0), "c": (3, 0), "s": (0, 2)},
        [
            {"id": "main", "a": "a", "b": "b", "capacity": 10.0, "tariff_usd": 1.0},
            {"id": "bypass", "a": "a", "b": "b", "capacity": 4.0, "tariff_usd": 3.0},
            {"id": "last", "a": "b", "b": "c", "capacity": 10.0, "tariff_usd": 1.0},
            {"id": "spur", "a": "a", "b": "s", "capacity": 10.0},
        ],
    )


def test_hand_computed_ranking(ladder):
    table = criticality(ladder, scenario([("a", "c", 6.0)]), jobs=1).set_index("id")
    assert list(table.sort_values("rank").index[:2]) == ["last", "main"]
    assert table.loc["last", "served_loss"] == pytest.approx(6.0)
    assert table.loc["main", "served_loss"] == pytest.approx(2.0)
    # before: 6 on main + last (1 + 1); after: 4 on bypass + last (3 + 1) and 2 unserved at 1000
    assert table.loc["main", "cost_change_musd"] == pytest.approx(4 * (3 + 1) + 2 * 1000 - 6 * (1 + 1), abs=0.01)
    assert table.loc["main", "throughput_change"] == pytest.approx(-6.0)
    assert table.loc["main", "detour"] and table.loc["main", "alt_route"] == "a → b → c"
    assert table.loc["main", "diff_cost"] == pytest.approx(2.0, abs=1e-3)
    assert not table.loc["last", "detour"]
    for quiet in ("bypass", "spur"):
        assert table.loc[quiet, "served_loss"] == 0 and table.loc[quiet, "cost_change_musd"] == 0
        assert not table.loc[quiet, "resolved"]


def test_warm_and_skipping_equal_cold_from_scratch(ladder):
    sc = scenario([("a", "c", 6.0), ("a", "b", 3.0)])
    graph = build_network(ladder, sc)
    arcs = arcs_from_graph(graph)
    problem, _ = build_problem(arcs, graph, sc)
    fast = n_minus_1(problem, jobs=1)
    full = n_minus_1(problem, jobs=1, skip_unloaded=False)
    base = MasterLP(problem).solve().objective
    for eid in fast.index:
        blocked = np.array([e == eid for e in arcs.element])
        cold = MasterLP(problem).solve(blocked=blocked).objective - base
        assert fast.loc[eid, "objective_change"] == pytest.approx(cold, abs=1e-9)
        assert full.loc[eid, "objective_change"] == pytest.approx(cold, abs=1e-9)


def test_parallel_equals_serial(ladder):
    sc = scenario([("a", "c", 6.0), ("a", "b", 3.0)])
    graph = build_network(ladder, sc)
    arcs = arcs_from_graph(graph)
    problem, _ = build_problem(arcs, graph, sc)
    serial = n_minus_1(problem, jobs=1, skip_unloaded=False)
    from corridor.criticality import _solve_chunk

    todo = [(eid, np.flatnonzero([e == eid for e in arcs.element])) for eid in serial.index]
    for eid, objective, _ in _solve_chunk(problem, todo):
        assert objective - MasterLP(problem).solve().objective == pytest.approx(
            serial.loc[eid, "objective_change"], abs=1e-9
        )
