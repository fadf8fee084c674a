"""Maximum throughput between two groups of nodes, and the minimum cut that sets it.

"Can the corridor carry 10 Mt, and what sets its limit?" The network of one commodity is
given a super-source joined to every origin and a super-sink joined from every destination
(with unlimited capacity); the maximum flow between them is the corridor's throughput, and
the arcs from the source side of the residual network to the sink side form a minimum cut:
the assets whose capacities, added up, equal that maximum. Computed on CSR arrays with
SciPy's ``maximum_flow`` (integer capacities: units scaled to 1e-4 or finer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from corridor._errors import ArgumentError, ScenarioError, did_you_mean
from corridor.io.geodata import Geodata
from corridor.io.scenario import Scenario
from corridor.model.network import COMMODITIES, Arcs, arcs_from_graph, build_network, in_node, out_node

__all__ = ["Throughput", "arc_max_flow", "max_throughput"]

_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Throughput:
    """The maximum flow of ``commodity`` from ``sources`` to ``sinks`` and its minimum cut.

    ``cut`` has one row per asset in the cut: id, name, layer, mode/kind, the capacity (in the
    cut's direction), unit, source and year. Its capacities add up to ``value``.
    """

    scenario: str
    year: int
    commodity: str
    sources: tuple[str, ...]
    sinks: tuple[str, ...]
    value: float
    cut: pd.DataFrame
    arc_flow: np.ndarray


def arc_max_flow(
    arcs: Arcs, commodity: int, sources: np.ndarray, sinks: np.ndarray, *, blocked: np.ndarray | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Max flow over the arcs commodity ``commodity`` may use, from any of ``sources`` to any of ``sinks``.

    Parameters
    ----------
    arcs : Arcs
        The network (:func:`corridor.model.network.arcs_from_graph`).
    commodity : int
        Index of the commodity in :data:`corridor.model.network.COMMODITIES`.
    sources, sinks : numpy.ndarray
        Graph node indices (``arcs.node_index``): the in-nodes of the origins, the out-nodes of the
        destinations.
    blocked : numpy.ndarray of bool, optional
        Arcs to leave out (e.g. an outage).

    Returns
    -------
    (float, numpy.ndarray, numpy.ndarray)
        The value, the flow on each arc, and the arcs of a minimum cut (indices).

    Examples
    --------
    >>> import corridor
    >>> from corridor.model.network import COMMODITIES
    >>> g = corridor.load_geodata()
    >>> graph = build_network(g, corridor.load_scenario("target-2030", g))
    >>> arcs = arcs_from_graph(graph)
    >>> src = np.array([arcs.node_index[in_node(graph, "alashankou")]])
    >>> dst = np.array([arcs.node_index[out_node(graph, "poti-port")]])
    >>> value, flow, cut = arc_max_flow(arcs, COMMODITIES.index("freight"), src, dst)
    >>> bool(abs(value - arcs.capacity[cut].sum()) < 1e-3)  # max flow = min cut
    True
    >>> blocked = np.zeros(arcs.n_arcs, dtype=bool)
    >>> blocked[cut] = True
    >>> float(arc_max_flow(arcs, COMMODITIES.index("freight"), src, dst, blocked=blocked)[0])  # cut: nothing passes
    0.0
    """
    allowed = arcs.allows[commodity].copy()
    if blocked is not None:
        allowed &= ~blocked
    capped = allowed & np.isfinite(arcs.capacity) & arcs.counts[commodity]
    finite_total = float(arcs.capacity[capped].sum())
    # scale so that every capacity, and "unlimited" above their sum, fit in int32
    scale = 1e4
    while finite_total * scale >= _INT_MAX // 4 and scale > 1e-6:
        scale /= 10
    big = int(min(_INT_MAX // 2, finite_total * scale + 1))
    n = arcs.n_nodes
    s, t = n, n + 1
    sel = np.flatnonzero(allowed)
    cap = np.where(capped[sel], np.round(arcs.capacity[sel] * scale), big).astype(np.int64)
    tails = np.concatenate([arcs.tail[sel], np.full(len(sources), s), sinks])
    heads = np.concatenate([arcs.head[sel], sources, np.full(len(sinks), t)])
    caps = np.concatenate([cap, np.full(len(sources) + len(sinks), big)]).astype(np.int32)
    keep = tails != heads
    graph = sp.csr_matrix((caps[keep], (tails[keep], heads[keep])), shape=(n + 2, n + 2))
    graph.sum_duplicates()
    res = maximum_flow(graph, s, t)
    flow = res.flow.tocsr()
    # residual network: forward capacity left, plus the reverse of positive flow
    residual = (graph - flow).tocsr()
    residual.data = np.maximum(residual.data, 0)
    residual.eliminate_zeros()
    reach = np.zeros(n + 2, dtype=bool)
    reach[breadth_first_order(residual, s, directed=True, return_predecessors=False)] = True
    in_cut = np.zeros(arcs.n_arcs, dtype=bool)
    in_cut[sel] = capped[sel] & reach[arcs.tail[sel]] & ~reach[arcs.head[sel]]
    # split the flow of parallel arcs in proportion to their capacities
    arc_flow = np.zeros(arcs.n_arcs)
    pair_flow = np.asarray(flow[arcs.tail[sel], arcs.head[sel]]).ravel().astype(float)
    pair_cap = np.asarray(graph[arcs.tail[sel], arcs.head[sel]]).ravel().astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pair_cap > 0, cap / pair_cap, 0.0)
    arc_flow[sel] = np.clip(pair_flow, 0, None) * share / scale
    return res.flow_value / scale, arc_flow, np.flatnonzero(in_cut)


def max_throughput(
    geodata: Geodata,
    scenario: Scenario,
    *,
    sources: list[str],
    sinks: list[str],
    commodity: str = "freight",
) -> Throughput:
    """The maximum flow of ``commodity`` the scenario's network carries from ``sources`` to ``sinks``.

    Parameters
    ----------
    sources, sinks
        Node ids (e.g. the Chinese border crossings; the Black Sea ports and Türkiye).
    commodity
        One of freight, oil, gas, electricity, data.

    Returns
    -------
    Throughput
        ``value`` (in the commodity's unit) and ``cut``: the assets whose capacities add up to it, with their
        capacities and sources.

    Raises
    ------
    ScenarioError
        An unknown commodity or node, or a node not in service in the scenario's year.
    ArgumentError
        A node is both a source and a sink.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> tp = max_throughput(g, corridor.load_scenario("target-2030", g),
    ...                     sources=["alashankou", "khorgos-cn"], sinks=["poti-port", "batumi-port"])
    >>> list(tp.cut.columns[:6])
    ['id', 'name', 'layer', 'type', 'direction', 'capacity']
    >>> bool(abs(tp.value - tp.cut["capacity"].sum()) < 1e-3)  # the cut's capacities add up to the value
    True
    """
    from corridor.io import _validate

    _validate.instance(geodata, Geodata, "geodata", "a Geodata (from load_geodata)")
    _validate.instance(scenario, Scenario, "scenario", "a Scenario (from load_scenario)")
    sources = _validate.id_list(sources, "sources")
    sinks = _validate.id_list(sinks, "sinks")
    if commodity not in COMMODITIES:
        raise ScenarioError(
            f"unknown commodity '{commodity}'", field="commodity", fix=f"use one of {', '.join(COMMODITIES)}"
        )
    both = sorted(set(sources) & set(sinks))
    if both:
        raise ArgumentError(
            f"node(s) {', '.join(both)} are both a source and a sink: the throughput between a node and itself "
            "is unlimited (give disjoint groups of nodes)"
        )
    graph = build_network(geodata, scenario)
    arcs = arcs_from_graph(graph)
    for role, ids in (("sources", sources), ("sinks", sinks)):
        for ref in ids:
            if ref not in geodata.nodes.index:
                hint = did_you_mean(ref, geodata.nodes.index, "use a node id from the geodata")
                raise ScenarioError(f"unknown node '{ref}' in {role}", fix=hint)
            if ref not in graph:
                raise ScenarioError(
                    f"node '{ref}' in {role} is not in service in {scenario.year}", fix="pick another node"
                )
    c = COMMODITIES.index(commodity)
    src = np.array([arcs.node_index[in_node(graph, x)] for x in sources])
    dst = np.array([arcs.node_index[out_node(graph, x)] for x in sinks])
    value, arc_flow, cut_arcs = arc_max_flow(arcs, c, src, dst)
    rows = []
    for a in cut_arcs:
        eid = arcs.element[a]
        rec, layer, kind = geodata.asset(eid, node=bool(arcs.direction[a] == 0))
        rows.append(
            {
                "id": eid,
                "name": rec["name"],
                "layer": layer,
                "type": kind,
                "direction": {0: "through", 1: "forward", -1: "reverse"}[int(arcs.direction[a])],
                "capacity": float(arcs.capacity[a]),
                "capacity_unit": rec["capacity_unit"],
                "status": rec["status"],
                "source_url": rec["source_url"],
                "source_year": int(rec["source_year"]),
                "note": rec["note"] or "",
            }
        )
    cut = pd.DataFrame(
        rows,
        columns=[
            "id",
            "name",
            "layer",
            "type",
            "direction",
            "capacity",
            "capacity_unit",
            "status",
            "source_url",
            "source_year",
            "note",
        ],
    )
    cut = cut.sort_values(["capacity", "id"], ascending=[False, True]).reset_index(drop=True)
    return Throughput(
        scenario.name, scenario.year, commodity, tuple(sources), tuple(sinks), float(value), cut, arc_flow
    )
