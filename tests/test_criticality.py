"""N-1 criticality: hand-computed ranking, and warm re-solves equal cold ones."""

from __future__ import annotations

import numpy as np
import pytest

from corridor import load_geodata
from corridor.analyses.criticality import criticality, n_minus_1
from corridor.io.scenario import Demand, Scenario
from corridor.model.network import arcs_from_graph, build_network
from corridor.model.problem import build_problem
from corridor.solve.master import MasterLP

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
    from corridor.analyses.criticality import _solve_chunk

    todo = [(eid, np.flatnonzero([e == eid for e in arcs.element])) for eid in serial.index]
    for eid, objective, _ in _solve_chunk(problem, todo):
        assert objective - MasterLP(problem).solve().objective == pytest.approx(
            serial.loc[eid, "objective_change"], abs=1e-9
        )


def test_worker_threads_give_the_same_ranking_every_time(tmp_path):
    """N-1 on two worker threads (as the CLI runs it) equals the single-thread run, and repeats itself exactly.

    A 9 x 9 grid (144 undirected edges) with demand across it, so that more than 100 assets carry flow and
    both threads are really used; each takes a fixed share of the assets, so timing cannot change a result.
    """
    nodes = {f"n{i}-{j}": (i * 0.5, j * 0.5) for i in range(9) for j in range(9)}
    edges = []
    for i in range(9):
        for j in range(9):
            if i < 8:
                edges.append({"id": f"h{i}-{j}", "a": f"n{i}-{j}", "b": f"n{i + 1}-{j}", "capacity": 3.0 + (i * j) % 4})
            if j < 8:
                edges.append({"id": f"v{i}-{j}", "a": f"n{i}-{j}", "b": f"n{i}-{j + 1}", "capacity": 3.0 + (i + j) % 3})
    make_geodata(tmp_path / "grid", nodes, edges)
    g = load_geodata(tmp_path / "grid")
    pairs = [("n0-0", "n8-8"), ("n0-8", "n8-0"), ("n4-0", "n4-8"), ("n0-4", "n8-4"), ("n2-2", "n6-7"),
             ("n8-2", "n1-6"), ("n3-8", "n5-0"), ("n7-7", "n0-1")]  # fmt: skip
    sc = Scenario("grid", 2024, "", tuple(Demand(o, d, "freight", 4.0) for o, d in pairs))
    graph = build_network(g, sc)
    problem, _ = build_problem(arcs_from_graph(graph), graph, sc)
    one = n_minus_1(problem, jobs=1)
    two = n_minus_1(problem, jobs=2)
    again = n_minus_1(problem, jobs=2)
    assert int(one["resolved"].sum()) >= 100, one["resolved"].sum()
    scale = np.maximum(1.0, np.abs(one["objective_change"]))
    # equal within the LP tolerances (HiGHS: 1e-7 per row; the copies' warm starts differ from the single one)
    assert float((np.abs(one["objective_change"] - two["objective_change"]) / scale).max()) < 1e-5
    assert two["objective_change"].tolist() == again["objective_change"].tolist()
    assert all((a == b).all() for a, b in zip(two["served_change"], again["served_change"], strict=True))


def test_dask_local_cluster_gives_the_same_ranking(ladder):
    import distributed  # noqa: F401  (the test extra installs it: a missing one fails here, never skips)

    sc = scenario([("a", "c", 6.0)])
    local = criticality(ladder, sc, jobs=1)
    on_dask = criticality(ladder, sc, jobs=2, scheduler="local")
    columns = ["id", "served_loss", "cost_change_musd", "throughput_change", "resolved"]
    assert local[columns].equals(on_dask[columns])


def test_an_error_in_a_worker_thread_reaches_the_caller_and_stops_the_others(ladder, monkeypatch):
    """A worker thread's exception is raised in the calling thread, and no worker thread outlives the call."""
    import threading

    from corridor.analyses.criticality import _in_threads

    sc = scenario([("a", "c", 6.0), ("a", "b", 3.0)])
    graph = build_network(ladder, sc)
    problem, _ = build_problem(arcs_from_graph(graph), graph, sc)
    master = MasterLP(problem)
    master.solve()
    real = MasterLP.solve
    calls = []

    def failing(self, **kwargs):
        calls.append(threading.current_thread().name)
        if len(calls) == 3:
            raise RuntimeError("solver broke")
        return real(self, **kwargs)

    monkeypatch.setattr(MasterLP, "solve", failing)
    todo = [
        (eid, np.flatnonzero([e == eid for e in problem.arcs.element])) for eid in sorted(set(problem.arcs.element))
    ]
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="solver broke"):
        _in_threads(master, todo, {}, threads=2, progress=None)
    assert len(calls) >= 3 and all(name.startswith("corridor-n-1") for name in calls)  # solved on the workers
    assert threading.active_count() == before  # every worker thread has ended
    assert master.threads  # the caller's master is given back as it was
