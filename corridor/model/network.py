"""Build the multimodal network (stage 2): a networkx MultiDiGraph and its array form.

Nodes that limit flow (a capacity) or hold it up (``dwell_h``) are split into an in-node
``<id>`` and an out-node ``<id>:out`` joined by an internal edge keyed ``node:<id>``, so that
node capacities and dwell times act like those of edges::

    a ──edge──▶ [port] ──edge──▶ b        becomes        a ──▶ port ══node:port══▶ port:out ──▶ b

Undirected edges become two arcs, one per direction, each with its own capacity. Every arc
carries only its edge's commodities; units never mix because an edge has one capacity unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor._errors import ScenarioError
from corridor.io import schema

if TYPE_CHECKING:  # imported where used: a sampling worker needs Arcs, not geopandas or networkx
    import networkx as nx

    from corridor.io.geodata import Geodata
    from corridor.io.scenario import Scenario

__all__ = ["Arcs", "arcs_from_graph", "build_network", "in_node", "out_node"]

COMMODITIES: tuple[str, ...] = tuple(schema.commodity_units())


def in_node(graph: nx.MultiDiGraph, node_id: str) -> str:
    """The graph node where flow enters ``node_id`` (where demand originates).

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A network built by :func:`build_network`.
    node_id : str
        A node id of the geodata.

    Returns
    -------
    str
        ``node_id`` itself (a split node's in-node keeps the id).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph([("port", "port:out", "node:port")])
    >>> in_node(g, "port")
    'port'
    """
    return node_id


def out_node(graph: nx.MultiDiGraph, node_id: str) -> str:
    """The graph node where flow leaves ``node_id`` (where demand is delivered).

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A network built by :func:`build_network`.
    node_id : str
        A node id of the geodata.

    Returns
    -------
    str
        ``"<node_id>:out"`` for a split node (one with a capacity or a dwell time), else ``node_id``.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph([("port", "port:out", "node:port"), ("port:out", "town", "rail:+")])
    >>> out_node(g, "port"), out_node(g, "town")
    ('port:out', 'town')
    """
    split = f"{node_id}:out"
    return split if split in graph else node_id


def _num(value: object, default: float = math.nan) -> float:
    import pandas as pd

    return default if value is None or pd.isna(value) else float(value)


def build_network(geodata: Geodata, scenario: Scenario) -> nx.MultiDiGraph:
    """The scenario's network as a MultiDiGraph (see the module docstring for its shape).

    Each arc has ``element`` (the edge or node id it stands for), ``kind`` ("edge" or "node"),
    ``direction`` (+1 from→to, -1 to→from, 0 inside a node), ``dwell`` (time spent in a node or
    on a transfer rather than moving), ``commodities`` (frozenset),
    ``counts`` (commodities that use up its capacity), ``capacity`` (inf if none), ``preload`` (the
    scenario's background load on it, which takes up capacity), ``time_h``, ``tariff_usd`` and ``length_km``
    (the route length: the published one where the data gives it).

    Parameters
    ----------
    geodata, scenario
        The data and the scenario (its year, overrides, outages, derates and background loads).

    Returns
    -------
    networkx.MultiDiGraph
        The network of the scenario's year.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> graph = build_network(g, corridor.load_scenario("baseline-2024", g))
    >>> arcs = {key: data for *_, key, data in graph.edges(keys=True, data=True)}
    >>> arc = arcs["pipe-btc-aze:+"]  # the BTC pipeline's Azerbaijani section, from→to
    >>> arc["element"], arc["kind"], arc["direction"], sorted(arc["commodities"])
    ('pipe-btc-aze', 'edge', 1, ['oil'])
    >>> arcs["node:aktau-port"]["kind"], out_node(graph, "aktau-port")  # a port with a capacity is split
    ('node', 'aktau-port:out')
    """
    import networkx as nx

    from corridor.io.scenario import apply_scenario

    nodes, edges = apply_scenario(geodata, scenario)
    modes = schema.modes()
    g = nx.MultiDiGraph(scenario=scenario.name, year=scenario.year)
    active_nodes = nodes[nodes["active"]]
    for nid, n in active_nodes.iterrows():
        g.add_node(nid, id=nid, side="in", name=n["name"], kind=n["kind"], lon=n.geometry.x, lat=n.geometry.y)
        cap, dwell = _num(n["capacity"]), _num(n["dwell_h"], 0.0)
        if not math.isnan(cap) or dwell > 0:
            g.add_node(
                f"{nid}:out", id=nid, side="out", name=n["name"], kind=n["kind"], lon=n.geometry.x, lat=n.geometry.y
            )
            counts = frozenset((n["commodities"] or "").split(";")) - {""} if not math.isnan(cap) else frozenset()
            g.add_edge(
                nid,
                f"{nid}:out",
                key=f"node:{nid}",
                element=nid,
                kind="node",
                direction=0,
                commodities=frozenset(COMMODITIES),
                counts=counts,
                capacity=cap if not math.isnan(cap) else math.inf,
                time_h=dwell,
                tariff_usd=0.0,
                length_km=0.0,
                dwell=True,
            )
    for eid, e in edges[edges["active"]].iterrows():
        a, b = e["from_id"], e["to_id"]
        if a not in g or b not in g:
            continue  # an end point is not in service in this year
        mode = modes[e["mode"]]
        # the length cargo travels: the source's figure where there is one (a drawn line under-counts bends)
        published = _num(e.get("published_length_km"))
        length = published if published > 0 else float(e["length_km"])
        time_h = _num(e["time_h"])
        if math.isnan(time_h):
            time_h = length / mode.speed_kmh if mode.speed_kmh > 0 else 0.0
        tariff = _num(e["tariff_usd"])
        if math.isnan(tariff):
            tariff = length * mode.tariff_usd_per_unit_km
        comms = frozenset(e["commodities"].split(";"))
        cap = float(e["capacity"])
        rev = _num(e["capacity_reverse"], cap)
        common = dict(
            element=eid,
            kind="edge",
            commodities=comms,
            counts=comms,
            time_h=time_h,
            tariff_usd=tariff,
            length_km=length,
            dwell=e["mode"] == "transfer",
        )
        g.add_edge(out_node(g, a), in_node(g, b), key=f"{eid}:+", direction=1, capacity=cap, **common)
        if not bool(e["directed"]):
            g.add_edge(out_node(g, b), in_node(g, a), key=f"{eid}:-", direction=-1, capacity=rev, **common)
    _add_preloads(g, scenario)
    return g


def _add_preloads(g: nx.MultiDiGraph, scenario: Scenario) -> None:
    """Put each background load of the scenario on its arcs (``preload``; 0 elsewhere)."""
    keys = {(d["element"], d["direction"]): (u, v, k) for u, v, k, d in g.edges(keys=True, data=True)}
    for *_, d in g.edges(keys=True, data=True):
        d["preload"] = 0.0
    sides = {"both": (1, -1, 0), "forward": (1, 0), "reverse": (-1,)}
    for b in scenario.background:
        if not b.is_preload:
            continue
        for direction in sides[b.direction]:
            arc = keys.get((b.id, direction))
            if arc is not None:  # an asset not in service in the year carries nothing
                g.edges[arc]["preload"] += b.amount


@dataclass(frozen=True)
class Arcs:
    """The network as arrays, for the solvers (one row per arc of the MultiDiGraph).

    Each finite ``capacity[i]`` limits the flow of the commodities that use it up on arc i:
    ``allows[c, i]`` says whether commodity
    ``COMMODITIES[c]`` may use arc i and ``counts[c, i]`` whether it uses up its capacity.
    """

    nodes: list[str]
    node_index: dict[str, int]
    tail: np.ndarray
    head: np.ndarray
    keys: list[str]
    element: list[str]
    direction: np.ndarray
    capacity: np.ndarray
    time_h: np.ndarray
    tariff: np.ndarray
    length_km: np.ndarray
    dwell: np.ndarray
    allows: np.ndarray
    counts: np.ndarray
    #: Background load per arc (in the arc's unit): ``capacity`` is what it leaves for the assignment.
    preload: np.ndarray | None = None
    #: Capacity before the background load takes its share (None: no load, the same as ``capacity``).
    capacity_nominal: np.ndarray | None = None

    @property
    def capacity_total(self) -> np.ndarray:
        """The capacity of each arc before the background load takes its share."""
        return self.capacity if self.capacity_nominal is None else self.capacity_nominal

    @property
    def background_load(self) -> np.ndarray:
        """The background load of each arc (zeros when the scenario has none)."""
        return np.zeros(self.n_arcs) if self.preload is None else self.preload

    @property
    def n_nodes(self) -> int:
        """The number of graph nodes (split nodes count twice: ``<id>`` and ``<id>:out``)."""
        return len(self.nodes)

    @property
    def n_arcs(self) -> int:
        """The number of arcs."""
        return len(self.tail)

    def cost(self, value_of_time: dict[str, float]) -> np.ndarray:
        """Generalised cost per commodity and arc: tariff + value of time × time (+ 1e-6 USD per km to break ties).

        Parameters
        ----------
        value_of_time : dict[str, float]
            USD per unit per hour, by commodity (missing commodities: 0), e.g. the scenario's
            ``parameter("value_of_time")``.

        Returns
        -------
        numpy.ndarray
            USD per unit, shape ``(len(COMMODITIES), n_arcs)``.

        Examples
        --------
        >>> import corridor
        >>> g = corridor.load_geodata()
        >>> arcs = arcs_from_graph(build_network(g, corridor.load_scenario("baseline-2024", g)))
        >>> arcs.cost({"freight": 0.5}).shape == (len(COMMODITIES), arcs.n_arcs)
        True
        """
        vot = np.array([value_of_time.get(c, 0.0) for c in COMMODITIES])[:, None]
        return self.tariff[None, :] + vot * self.time_h[None, :] + 1e-6 * self.length_km[None, :]


def arcs_from_graph(g: nx.MultiDiGraph) -> Arcs:
    """Array form of a network built by :func:`build_network` (arc order: the graph's edge order).

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A network built by :func:`build_network`.

    Returns
    -------
    Arcs
        One row per arc; ``capacity`` is what the background load leaves, ``capacity_nominal`` the whole.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> graph = build_network(g, corridor.load_scenario("baseline-2024", g))
    >>> arcs = arcs_from_graph(graph)
    >>> arcs.n_arcs == graph.number_of_edges(), arcs.n_nodes == graph.number_of_nodes()
    (True, True)
    >>> i = arcs.keys.index("pipe-btc-aze:+")
    >>> arcs.element[i], int(arcs.direction[i]), arcs.nodes[arcs.tail[i]]
    ('pipe-btc-aze', 1, 'sangachal-terminal:out')
    """
    nodes = list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    rows = list(g.edges(keys=True, data=True))
    m = len(rows)
    allows = np.zeros((len(COMMODITIES), m), dtype=bool)
    counts = np.zeros((len(COMMODITIES), m), dtype=bool)
    for j, (_, _, _, d) in enumerate(rows):
        for c, name in enumerate(COMMODITIES):
            allows[c, j] = name in d["commodities"]
            counts[c, j] = name in d["counts"]
    nominal = np.array([d["capacity"] for *_, d in rows], dtype=float)
    preload = np.array([d.get("preload", 0.0) for *_, d in rows], dtype=float)
    return Arcs(
        preload=preload,
        capacity_nominal=nominal,
        nodes=nodes,
        node_index=index,
        tail=np.array([index[u] for u, _, _, _ in rows], dtype=np.int64),
        head=np.array([index[v] for _, v, _, _ in rows], dtype=np.int64),
        keys=[k for _, _, k, _ in rows],
        element=[d["element"] for *_, d in rows],
        direction=np.array([d["direction"] for *_, d in rows], dtype=np.int8),
        capacity=np.maximum(nominal - preload, 0.0),  # a load beyond the capacity leaves nothing
        time_h=np.array([d["time_h"] for *_, d in rows], dtype=float),
        tariff=np.array([d["tariff_usd"] for *_, d in rows], dtype=float),
        length_km=np.array([d["length_km"] for *_, d in rows], dtype=float),
        dwell=np.array([d["dwell"] for *_, d in rows], dtype=bool),
        allows=allows,
        counts=counts,
    )


def check_demand_nodes(g: nx.MultiDiGraph, geodata: Geodata, scenario: Scenario) -> None:
    """Raise a clear error when a demand names a node that is not in service in the scenario's year."""
    flows = [(f"demand #{i + 1}", d) for i, d in enumerate(scenario.demand)]
    flows += [(f"background #{i + 1}", b) for i, b in enumerate(scenario.background) if not b.is_preload]
    for entry, d in flows:
        for field_name, ref in (("origin", d.origin), ("destination", d.destination)):
            if ref not in g:
                n = geodata.nodes.loc[ref]
                raise ScenarioError(
                    f"node '{ref}' is not in service in {scenario.year} "
                    f"(status {n['status']}, start {n['start_year']})",
                    file=scenario.path,
                    feature=entry,
                    field=field_name,
                    fix="move the demand to a node in service, or raise the scenario's year",
                )
