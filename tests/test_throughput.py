"""Maximum throughput and minimum cut: hand-drawn network and networkx on random networks."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, assume, given, settings

from corridor._errors import ScenarioError
from corridor.analyses.throughput import max_throughput

from .netbuild import capacity_digraph, make_geodata, scenario
from .test_assignment import networks


def test_cut_on_a_hand_drawn_network(tmp_path):
    """Two ports feed one crossing; the crossing and a port set the maximum::

    a ──(5)── p1 [cap 2] ──(9)──┐
                                x ──(3)── b
    a ──(5)── p2 ───────(9)─────┘
    """
    g = make_geodata(
        tmp_path,
        {"a": (0, 0), "p1": {"xy": (1, 1), "capacity": 2.0}, "p2": (1, -1), "x": (2, 0), "b": (3, 0)},
        [
            {"id": "a-p1", "a": "a", "b": "p1", "capacity": 5.0},
            {"id": "a-p2", "a": "a", "b": "p2", "capacity": 1.5},
            {"id": "p1-x", "a": "p1", "b": "x", "capacity": 9.0},
            {"id": "p2-x", "a": "p2", "b": "x", "capacity": 9.0},
            {"id": "x-b", "a": "x", "b": "b", "capacity": 30.0},
        ],
    )
    t = max_throughput(g, scenario([("a", "b", 1.0)]), sources=["a"], sinks=["b"])
    assert t.value == pytest.approx(3.5)
    assert sorted(t.cut["id"]) == ["a-p2", "p1"]
    assert t.cut["capacity"].sum() == pytest.approx(t.value)
    assert set(t.cut.columns) >= {"source_url", "source_year", "capacity_unit"}


def test_unknown_node_is_a_clear_error(tmp_path):
    g = make_geodata(tmp_path, {"a": (0, 0), "b": (1, 0)}, [{"id": "ab", "a": "a", "b": "b"}])
    with pytest.raises(ScenarioError, match="did you mean 'a'"):
        max_throughput(g, scenario([("a", "b", 1.0)]), sources=["aa"], sinks=["b"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=networks())
def test_value_and_cut_match_networkx(tmp_path_factory, net):
    nodes, edges, demand = net
    assume(edges and demand)
    o, d, _ = demand[0]
    g = make_geodata(tmp_path_factory.mktemp("net"), nodes, edges)
    t = max_throughput(g, scenario([(o, d, 1.0)]), sources=[o], sinks=[d])
    digraph = capacity_digraph(nodes, edges)
    value, _ = nx.minimum_cut(digraph, o, d)
    assert t.value == pytest.approx(value, abs=1e-3)
    # our cut is a minimum cut too: its capacities add up to the max flow
    assert t.cut["capacity"].sum() == pytest.approx(value, abs=1e-3)
