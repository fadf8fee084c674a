"""Assignment on hand-drawn networks (hand-computed flows, duals, unserved) and random ones (properties)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.optimize
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corridor.analyses.assign import assign, solve
from corridor.analyses.bottlenecks import flag_bottlenecks
from corridor.model.network import COMMODITIES, arcs_from_graph, build_network
from corridor.model.problem import build_problem

from .netbuild import capacity_digraph, make_geodata, scenario

FREIGHT = COMMODITIES.index("freight")


@pytest.fixture
def triangle(tmp_path):
    """Two routes from A to B::

    A ───────ab: tariff 1, cap 3──────▶ B
     ╲                                 ▲
      ac: tariff 1, cap 10     cb: tariff 2 (uncapped: 1000)
        ╲                           ╱
         ─────────▶ C ─────────────
    """
    return make_geodata(
        tmp_path,
        {"a": (0, 0), "b": (2, 0), "c": (1, -1)},
        [
            {"id": "ab", "a": "a", "b": "b", "capacity": 3.0, "tariff_usd": 1.0, "directed": True},
            {"id": "ac", "a": "a", "b": "c", "capacity": 10.0, "tariff_usd": 1.0, "directed": True},
            {"id": "cb", "a": "c", "b": "b", "capacity": 1000.0, "tariff_usd": 2.0, "directed": True},
        ],
    )


def test_system_optimal_splits_over_capacity(triangle):
    r = assign(triangle, scenario([("a", "b", 5.0)]))
    _, edges = flag_bottlenecks(triangle, r)
    assert edges.loc["ab", "flow"] == pytest.approx(3.0)
    assert edges.loc["ac", "flow"] == pytest.approx(2.0)
    # one more unit on ab moves a unit from the 3-USD route to the 1-USD route
    assert edges.loc["ab", "shadow_price"] == pytest.approx(2.0, abs=0.01)
    assert edges.loc["ac", "shadow_price"] == pytest.approx(0.0)
    assert edges.loc["ab", "severity"] == "binding" and edges.loc["ab", "bottleneck"]
    assert not edges.loc["ac", "bottleneck"]
    assert r.od["unserved"].sum() == pytest.approx(0.0)


def test_unserved_demand_and_duals_at_the_penalty(triangle):
    r = assign(triangle, scenario([("a", "b", 15.0)], unserved_penalty={"freight": 300.0}))
    _, edges = flag_bottlenecks(triangle, r)
    assert r.od.loc[0, "served"] == pytest.approx(13.0)
    assert r.od.loc[0, "unserved"] == pytest.approx(2.0)
    assert edges.loc["ab", "shadow_price"] == pytest.approx(299.0, abs=0.01)
    assert edges.loc["ac", "shadow_price"] == pytest.approx(297.0, abs=0.01)
    assert r.objective == pytest.approx(3 * 1 + 10 * 3 + 2 * 300, abs=0.1)


def test_aon_ignores_capacity_and_flags_over_capacity(triangle):
    r = assign(triangle, scenario([("a", "b", 5.0)]), method="aon")
    _, edges = flag_bottlenecks(triangle, r)
    assert edges.loc["ab", "flow"] == pytest.approx(5.0)
    assert edges.loc["ab", "severity"] == "over-capacity"
    assert edges.loc["ac", "flow"] == 0.0


def test_node_capacity_binds(tmp_path):
    """A ── P ── B where port P handles 4 Mt/yr::

    a ──▶ [p: cap 4] ──▶ b
    """
    g = make_geodata(
        tmp_path,
        {"a": (0, 0), "p": {"xy": (1, 0), "capacity": 4.0, "dwell_h": 24.0}, "b": (2, 0)},
        [{"id": "ap", "a": "a", "b": "p"}, {"id": "pb", "a": "p", "b": "b"}],
    )
    r = assign(g, scenario([("a", "b", 5.0)]))
    nodes, _ = flag_bottlenecks(g, r)
    assert nodes.loc["p", "flow"] == pytest.approx(4.0)
    assert nodes.loc["p", "severity"] == "binding"
    assert nodes.loc["p", "shadow_price"] == pytest.approx(1000.0 - 2.0 - 0.5 * 24, abs=0.05)
    assert r.od.loc[0, "unserved"] == pytest.approx(1.0)
    assert r.od.loc[0, "time_h"] == pytest.approx(24.0)


def test_commodities_never_mix(tmp_path):
    """Oil may use the pipeline only; freight the rail only::

    a ══pipe (oil)══▶ b
    a ───rail (freight)──▶ b
    """
    g = make_geodata(
        tmp_path,
        {"a": (0, 0), "b": (1, 0)},
        [
            {
                "id": "pipe",
                "a": "a",
                "b": "b",
                "mode": "pipeline",
                "commodities": "oil",
                "capacity": 50.0,
                "directed": True,
            },
            {"id": "rail", "a": "a", "b": "b", "capacity": 2.0, "tariff_usd": 5.0},
        ],
    )
    r = assign(g, scenario([("a", "b", 3.0), ("a", "b", 10.0, "oil")]))
    _, edges = flag_bottlenecks(g, r)
    assert edges.loc["rail", "flow"] == pytest.approx(2.0)
    assert edges.loc["pipe", "flow"] == pytest.approx(10.0)
    totals = r.totals()
    assert totals.loc["freight", "unserved"] == pytest.approx(1.0)
    assert totals.loc["oil", "unserved"] == pytest.approx(0.0)


def test_planned_asset_joins_from_its_start_year(tmp_path):
    g = make_geodata(
        tmp_path,
        {"a": (0, 0), "b": (1, 0)},
        [
            {"id": "old", "a": "a", "b": "b", "capacity": 1.0},
            {"id": "new", "a": "a", "b": "b", "capacity": 5.0, "status": "construction", "start_year": 2027},
        ],
    )
    before = assign(g, scenario([("a", "b", 3.0)], year=2026))
    after = assign(g, scenario([("a", "b", 3.0)], year=2027))
    assert before.od.loc[0, "served"] == pytest.approx(1.0)
    assert after.od.loc[0, "served"] == pytest.approx(3.0)


def test_unreachable_destination_is_reported_not_crashed(tmp_path):
    g = make_geodata(tmp_path, {"a": (0, 0), "b": (1, 0), "c": (2, 0)}, [{"id": "ab", "a": "a", "b": "b"}])
    for method in ("aon", "system-optimal"):
        r = assign(g, scenario([("a", "c", 3.0), ("a", "b", 1.0)]), method=method)
        assert r.od.set_index("destination").loc["c", "unserved"] == pytest.approx(3.0)
        assert r.od.set_index("destination").loc["b", "served"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- random networks

GRID = 4


@st.composite
def networks(draw):
    """A random directed grid network with random capacities, tariffs and freight demand."""
    nodes = {f"n{i}{j}": (i, j) for i in range(GRID) for j in range(GRID)}
    edges = []
    for i in range(GRID):
        for j in range(GRID):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < GRID and j + dj < GRID and draw(st.booleans()):
                    edges.append(
                        {
                            "id": f"e{i}{j}-{i + di}{j + dj}",
                            "a": f"n{i}{j}",
                            "b": f"n{i + di}{j + dj}",
                            "capacity": draw(st.integers(1, 9)) * 1.0,
                            "tariff_usd": draw(st.integers(1, 9)) * 1.0,
                            "directed": draw(st.booleans()),
                        }
                    )
    names = sorted(nodes)
    pairs = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), min_size=1, max_size=4))
    demand = [(o, d, draw(st.integers(1, 12)) * 1.0) for o, d in pairs if o != d]
    return nodes, edges, demand


def _arc_form_objective(problem) -> float:
    """The same LP in the direct arc–commodity form, solved by HiGHS through scipy (the independent check)."""
    arcs, m, n = problem.arcs, problem.arcs.n_arcs, problem.arcs.n_nodes
    k = len(problem.demand)
    nvar = k * m + k
    c = np.concatenate([np.concatenate([problem.cost[problem.commodity[i]] for i in range(k)]), problem.penalty])
    a_eq, b_eq = [], []
    for i in range(k):
        for v in range(n):
            row = np.zeros(nvar)
            row[i * m : (i + 1) * m] += (arcs.tail == v).astype(float) - (arcs.head == v).astype(float)
            rhs = 0.0
            if v == problem.origin[i]:
                row[k * m + i] = 1.0
                rhs = problem.demand[i]
            if v == problem.destination[i]:
                row[k * m + i] = -1.0
                rhs = -problem.demand[i]
            a_eq.append(row)
            b_eq.append(rhs)
    a_ub, b_ub = [], []
    for a in np.flatnonzero(np.isfinite(arcs.capacity)):
        row = np.zeros(nvar)
        for i in range(k):
            row[i * m + a] = float(arcs.counts[problem.commodity[i], a])
        a_ub.append(row)
        b_ub.append(arcs.capacity[a])
    bounds = [(0, None if arcs.allows[problem.commodity[i], a] else 0) for i in range(k) for a in range(m)] + [
        (0, None)
    ] * k
    res = scipy.optimize.linprog(
        c, A_ub=a_ub or None, b_ub=b_ub or None, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs"
    )
    assert res.status == 0
    return float(res.fun)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_random_networks_invariants(tmp_path_factory, net):
    nodes, edges, demand = net
    assume(edges and demand)
    g = make_geodata(tmp_path_factory.mktemp("net"), nodes, edges)
    sc = scenario(demand)
    r = assign(g, sc)
    arcs = r.arcs
    flow = r.arc_flow[FREIGHT]
    # flows within capacity
    assert (flow <= arcs.capacity + 1e-6).all()
    # served + unserved = demand
    assert np.allclose(r.od["served"] + r.od["unserved"], r.od["demand"])
    # conservation at every node: inflow + origination = outflow + delivery
    net_out = np.bincount(arcs.tail, flow, arcs.n_nodes) - np.bincount(arcs.head, flow, arcs.n_nodes)
    supply = np.zeros(arcs.n_nodes)
    for _, row in r.od.iterrows():
        supply[arcs.node_index[row["origin"]]] += row["served"]
        supply[arcs.node_index[row["destination"]]] -= row["served"]
    assert np.allclose(net_out, supply, atol=1e-6)
    # the same optimum as the direct arc form
    problem, _ = build_problem(arcs, r.graph, sc)
    assert r.objective == pytest.approx(_arc_form_objective(problem), rel=1e-6, abs=1e-6)
    # strong duality: the duals price the optimum exactly (dual objective = primal objective)
    sol = solve(problem)
    capacity = np.where(np.isfinite(arcs.capacity), arcs.capacity, 0.0)
    dual_objective = (problem.demand * sol.demand_dual).sum() + (capacity * sol.dual).sum()
    assert dual_objective == pytest.approx(r.objective, rel=1e-6, abs=1e-6)
    assert (sol.dual <= 1e-9).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_single_od_throughput_equals_networkx_max_flow(tmp_path_factory, net):
    nodes, edges, demand = net
    assume(edges and demand)
    o, d, _ = demand[0]
    g = make_geodata(tmp_path_factory.mktemp("net"), nodes, edges)
    r = assign(g, scenario([(o, d, 1000.0)], unserved_penalty={"freight": 1e5}))
    digraph = capacity_digraph(nodes, edges)
    expected = nx.maximum_flow_value(digraph, o, d) if o in digraph and d in digraph else 0.0
    assert r.od.loc[0, "served"] == pytest.approx(expected, abs=1e-6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_aon_equals_networkx_shortest_paths(tmp_path_factory, net):
    nodes, edges, demand = net
    assume(edges and demand)
    g = make_geodata(tmp_path_factory.mktemp("net"), nodes, edges)
    r = assign(g, scenario(demand), method="aon")
    graph = build_network(g, scenario(demand))
    arcs = arcs_from_graph(graph)
    cost = arcs.cost({"freight": 0.5})[FREIGHT]
    for (u, v, key), w in zip(graph.edges(keys=True), cost, strict=True):
        graph.edges[u, v, key]["w"] = w
    for _, row in r.od.iterrows():
        try:
            expected = nx.shortest_path_length(graph, row["origin"], row["destination"], weight="w")
        except nx.NetworkXNoPath:
            assert row["unserved"] == pytest.approx(row["demand"])
            continue
        assert row["cost_usd_per_unit"] == pytest.approx(expected, rel=1e-9, abs=1e-6)
        assert row["served"] == pytest.approx(row["demand"])
