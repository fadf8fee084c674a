"""Build tiny, valid geodata for tests from a few lines of Python.

Nodes sit on a small grid in central Kazakhstan (so the country check passes); edges are
straight two-vertex lines with their geodesic length; every figure is a test value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
from pyproj import Geod

from corridor import load_geodata
from corridor.io.geodata import Geodata
from corridor.io.scenario import Demand, Scenario

_GEOD = Geod(ellps="WGS84")
SRC = "https://example.org/test-network"


def make_geodata(
    folder: Path,
    nodes: dict[str, dict[str, Any] | tuple[float, float]],
    edges: list[dict[str, Any]],
) -> Geodata:
    """Write and load a tiny network.

    ``nodes`` maps id -> (x, y) grid position (1 unit = 0.5°) or a dict with ``xy`` and extra
    properties (e.g. capacity). ``edges`` are dicts with ``id``, ``a``, ``b`` and optional
    properties (capacity defaults to 100 Mt/yr, undirected, tariff_usd 1, time_h 0).
    """
    folder.mkdir(parents=True, exist_ok=True)
    where: dict[str, list[float]] = {}
    node_features = []
    for nid, spec in nodes.items():
        extra = dict(spec) if isinstance(spec, dict) else {"xy": spec}
        x, y = extra.pop("xy")
        lonlat = [round(66.0 + 0.5 * x, 6), round(47.0 + 0.5 * y, 6)]
        where[nid] = lonlat
        if "capacity" in extra:
            extra.setdefault("capacity_unit", "Mt/yr")
            extra.setdefault("commodities", "freight")
        props = {"id": nid, "name": nid, "kind": "junction", "country": "KAZ", "status": "operating"}
        props |= {"source_url": SRC, "source_year": 2024, **extra}
        node_features.append(
            {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": lonlat}}
        )
    edge_features = []
    for spec in edges:
        spec = dict(spec)
        a, b = spec.pop("a"), spec.pop("b")
        coords = [where[a], where[b]]
        length = _GEOD.line_length([c[0] for c in coords], [c[1] for c in coords]) / 1000
        props = {
            "name": spec["id"],
            "from_id": a,
            "to_id": b,
            "mode": "rail",
            "commodities": "freight",
            "capacity": 100.0,
            "capacity_unit": "Mt/yr",
            "directed": False,
            "length_km": round(length, 3),
            "time_h": 0.0,
            "tariff_usd": 1.0,
            "status": "operating",
            "route_accuracy": "schematic",
            "source_url": SRC,
            "source_year": 2024,
            **spec,
        }
        edge_features.append(
            {"type": "Feature", "properties": props, "geometry": {"type": "LineString", "coordinates": coords}}
        )
    for name, feats in (("nodes", node_features), ("edges", edge_features)):
        (folder / f"{name}.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return load_geodata(folder)


def scenario(
    demand: list[tuple[str, str, float] | tuple[str, str, float, str]], *, year: int = 2024, **params: Any
) -> Scenario:
    """A scenario with freight (or the given commodity) demand between node ids."""
    items = tuple(Demand(d[0], d[1], d[3] if len(d) > 3 else "freight", float(d[2])) for d in demand)
    return Scenario(name="test", year=year, description="", demand=items, parameters=params)


def capacity_digraph(nodes: dict, edges: list[dict[str, Any]]) -> nx.DiGraph:
    """The same network as a networkx DiGraph with summed parallel capacities (an independent check)."""
    digraph = nx.DiGraph()
    digraph.add_nodes_from(nodes)
    for e in edges:
        for u, v in [(e["a"], e["b"])] + ([] if e.get("directed", False) else [(e["b"], e["a"])]):
            cap = digraph.get_edge_data(u, v, {"capacity": 0})["capacity"] + e.get("capacity", 100.0)
            digraph.add_edge(u, v, capacity=cap)
    return digraph
