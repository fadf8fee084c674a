#!/usr/bin/env python3
"""Recompute the `via` of rail edges from full-resolution OpenStreetMap railway ways, or station by station.

Two build-time inputs, either of them on an [[edge]] in geodata/src/*.toml:

* `derive_osm = [[lon, lat], ...]` (waypoints, may be empty): the edge is routed on a graph built from raw
  OpenStreetMap railway ways (every OSM node kept, no simplification of the source), shortest path from the
  from_id node through the waypoints to the to_id node; the path is simplified (Douglas-Peucker, SIMPLIFY_DEG)
  and rounded to 4 decimals. Each end node is joined to the nearest railway vertex by a straight leg (the gaps
  are printed). This is finer than tools/derive_rail.py's scgraph-data graph, which is simplified to long chords.
* `derive_stations = [osm node id, ...]`: the edge is drawn station by station through the OpenStreetMap
  `railway=station`/`halt` nodes with these ids, in order (for lines whose ways are not in the extract): each
  vertex is a mapped station on the line, joined by straight legs. An entry may also be a [lon, lat] pair: a
  vertex kept from the edge's earlier OpenStreetMap-derived line (say so in the note).

The extracts are the per-country JSON files of https://github.com/njfinney/Asia_Railway_Calculator (data/railways/
<country>.json: OSM ways `railway~rail|construction|...` with their geometry as [lat, lon]; data/stations/
<country>.json: OSM station nodes with id, lat, lon, name), made with the Overpass API from OpenStreetMap
(2026-04). Data (c) OpenStreetMap contributors, Open Database Licence (ODbL) 1.0; the geometry written into the
TOML files is a derived database under the same licence (see geodata/SOURCES.md).

Neither key is written to the GeoJSON (tools/build_geodata.py ignores them).

Where the extract has no railway ways (Georgia), `--routes` adds the ways of OpenStreetMap passenger-route
relations as fetched with their geometry by https://github.com/Argbjorn/georgian_railway_2025 (static/data/
routes_geodata/<relation id>.json; OpenStreetMap data, ODbL), and `--network` every `railway=rail` way of
Georgia from the same repository's overpass-turbo export (static/js/components/railway-network/
railway-network-data.js, 2026-01-27, commit 4d2e52c; OpenStreetMap data, ODbL), which also has the freight
lines (Marabda - Tsalka - Akhalkalaki). Way ends that stop within JOIN_M of another way's vertex without
sharing it (7-30 m on that line) are joined to it. `--network` reads any GeoJSON of OpenStreetMap railway ways with a
`railway` property, e.g. the Humanitarian OpenStreetMap Team's country exports on HDX (hotosm_kaz_railways,
hotosm_tur_railways: lines, GeoJSON): the data that the Kazakh and Turkish lines still drawn station by station need
(none of it is reachable from this project's build machines, which reach only the package registries).

Usage:
    python tools/derive_osm_rail.py --extract /path/to/Asia_Railway_Calculator/data --routes /path/to/routes_geodata
    python tools/derive_osm_rail.py --extract DIR --check      # only compare; exit 1 if any via would change
    python tools/derive_osm_rail.py --extract DIR --edge rail-bolashak-bereket
    python tools/derive_osm_rail.py --extract DIR --routes DIR --network railway-network-data.js \
        --edge rail-tbilisi-marabda --edge rail-marabda-akhalkalaki --edge rail-akhalkalaki-kartsakhi
                       # the lines derived on Georgia's whole network (the others without --network)
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

import networkx as nx
import numpy as np
from shapely.geometry import LineString, Point

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_rail import DECIMALS, Derived, rederive

SIMPLIFY_DEG = 0.0005  # ~50 m, as tools/derive_rail.py
MIN_COMPONENT = 500  # OSM vertices: smaller connected pieces of track are not routed on
TYPES = ("rail", "construction")  # OSM railway=* values routed on (not proposed, narrow gauge, light rail)
#: Railway files of the extract that are routed on (the snapshot used lacks the larger ones, e.g. Kazakhstan and
#: Türkiye; naming them keeps the result reproducible when they are present).
RAIL_FILES = ("azerbaijan", "turkmenistan")


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a[1], a[0], b[1], b[0]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(h))


def _add_way(g: nx.Graph, latlon: list) -> None:
    pts = [(round(float(p[1]), 5), round(float(p[0]), 5)) for p in latlon]
    for p, q in itertools.pairwise(pts):
        if p != q:
            g.add_edge(p, q, weight=_km(p, q))


#: Metres within which an end node that lies on the path's last segment cuts the path there (see _end_on_track).
END_ON_TRACK_M = 50.0
#: Metres within which a way's loose end is joined to the nearest vertex of another way (ways drawn to touch).
JOIN_M = 40.0


def _join_loose_ends(g: nx.Graph) -> None:
    from scipy.spatial import cKDTree

    keys = list(g.nodes)
    xy = np.array(keys)
    scale = np.cos(np.radians(xy[:, 1].mean()))
    tree = cKDTree(np.c_[xy[:, 0] * scale, xy[:, 1]])
    for p in keys:
        if g.degree(p) != 1:
            continue
        near = [keys[j] for j in tree.query_ball_point([p[0] * scale, p[1]], JOIN_M / 111_320) if keys[j] != p]
        near = [q for q in near if q not in g[p]]
        if near:
            q = min(near, key=lambda q: _km(p, q))
            g.add_edge(p, q, weight=_km(p, q))


def load_network(path: Path) -> list[list[list[float]]]:
    """The railway ways (as [lat, lon] lists) of a GeoJSON export of OpenStreetMap ways: an overpass-turbo export,
    also inside a JavaScript module (``export const name = {...}``), or a HOT export (HDX ``hotosm_<iso3>_railways``
    lines, whose ways may be MultiLineStrings)."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text[text.index("{") :].rstrip().rstrip(";"))
    ways: list[list[list[float]]] = []
    for f in data["features"]:
        geometry = f.get("geometry") or {}
        if (f.get("properties") or {}).get("railway") not in TYPES:
            continue
        if geometry.get("type") == "LineString":
            parts = [geometry["coordinates"]]
        elif geometry.get("type") == "MultiLineString":
            parts = geometry["coordinates"]
        else:
            continue
        ways += [[[c[1], c[0]] for c in part] for part in parts if len(part) > 1]
    return ways


def load_graph(extract: Path, routes: Path | None = None, network: Path | None = None) -> nx.Graph:
    """Undirected graph of the railway ways in the RAIL_FILES of data/railways/ (nodes are (lon, lat) tuples), plus
    the ways of the OpenStreetMap route relations in `routes` (Overpass `out geom` JSON, one relation per file) and
    of the GeoJSON export `network`, loose way ends joined (JOIN_M)."""
    g = nx.Graph()
    for way in load_network(network) if network else []:
        _add_way(g, way)
    for path in (extract / "railways" / f"{name}.json" for name in RAIL_FILES):
        for way in json.loads(path.read_text(encoding="utf-8")):
            if way.get("type") in TYPES:
                _add_way(g, way["geometry"])
    for path in sorted(routes.glob("*.json")) if routes else []:
        for m in json.loads(path.read_text(encoding="utf-8")).get("members", []):
            if m.get("type") == "way" and m.get("geometry"):
                _add_way(g, [[p["lat"], p["lon"]] for p in m["geometry"]])
    if network:
        _join_loose_ends(g)
    return g


def load_stations(extract: Path) -> dict[int, tuple[float, float, str]]:
    out: dict[int, tuple[float, float, str]] = {}
    for path in sorted((extract / "stations").glob("*.json")):
        for s in json.loads(path.read_text(encoding="utf-8")):
            out[int(s["id"])] = (float(s["lon"]), float(s["lat"]), s.get("name", ""))
    return out


class Router:
    def __init__(self, g: nx.Graph):
        # drop sidings and fragments mapped apart from the network (a nearest vertex there has no path on)
        keep = set().union(*(c for c in nx.connected_components(g) if len(c) >= MIN_COMPONENT))
        self.g = g.subgraph(keep).copy()
        self.keys = list(self.g.nodes)
        self.arr = np.array(self.keys)

    def nearest(self, p: list[float]) -> tuple[float, float]:
        k = math.cos(math.radians(p[1])) ** 2
        d = (self.arr[:, 0] - p[0]) ** 2 * k + (self.arr[:, 1] - p[1]) ** 2
        return self.keys[int(np.argmin(d))]

    def path(self, pts: list[list[float]]) -> tuple[list[list[float]], float, float]:
        coords: list[list[float]] = []
        for a, b in itertools.pairwise(pts):
            leg = nx.shortest_path(self.g, self.nearest(a), self.nearest(b), weight="weight")
            coords.extend([list(c) for c in (leg if not coords else leg[1:])])
        coords = _end_on_track(coords, pts[-1])
        coords = _end_on_track(coords[::-1], pts[0])[::-1]
        return coords, _km(tuple(pts[0]), tuple(coords[0])), _km(tuple(coords[-1]), tuple(pts[-1]))


def _end_on_track(coords: list[list[float]], end: list[float]) -> list[list[float]]:
    """Stop the path where it passes its end node, when the node lies on its last segment (within END_ON_TRACK_M):
    the nearest vertex may be beyond the node on a long straight way (a tunnel), and the path would double back."""
    if len(coords) < 2:
        return coords
    last = LineString(coords[-2:])
    cut = last.interpolate(last.project(Point(end)))
    if 0 < last.project(Point(end)) < last.length and _km((cut.x, cut.y), tuple(end)) * 1000 <= END_ON_TRACK_M:
        return [*coords[:-1], [cut.x, cut.y]]
    return coords


def simplify(coords: list[list[float]], a: list[float], b: list[float]) -> list[list[float]]:
    line = LineString([a, *coords, b]).simplify(SIMPLIFY_DEG, preserve_topology=False)
    out: list[list[float]] = []
    for c in list(line.coords)[1:-1]:
        c = [round(c[0], DECIMALS), round(c[1], DECIMALS)]
        if not out or c != out[-1]:
            out.append(c)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extract", type=Path, required=True, help="the extract's data/ folder (railways/, stations/)")
    ap.add_argument(
        "--routes",
        type=Path,
        help="folder of OpenStreetMap route relations with their way geometry (Overpass `out geom`, one per file),"
        " e.g. static/data/routes_geodata of https://github.com/Argbjorn/georgian_railway_2025",
    )
    ap.add_argument(
        "--network",
        type=Path,
        help="an overpass-turbo GeoJSON export of railway ways (also as a JavaScript module), e.g. static/js/"
        "components/railway-network/railway-network-data.js of https://github.com/Argbjorn/georgian_railway_2025",
    )
    ap.add_argument("--check", action="store_true", help="compare only, do not write")
    ap.add_argument("--edge", action="append", default=[], help="only this edge id (repeatable)")
    args = ap.parse_args(argv)

    router: Router | None = None
    stations: dict[int, tuple[float, float, str]] | None = None

    def derive(e: dict, a: list[float], b: list[float]) -> Derived | None:
        nonlocal router, stations
        if ("derive_osm" not in e and "derive_stations" not in e) or (args.edge and e["id"] not in args.edge):
            return None
        if "derive_stations" in e:
            stations = stations if stations is not None else load_stations(args.extract)
            via = [
                [round(float(i[0]), DECIMALS), round(float(i[1]), DECIMALS)]
                if isinstance(i, list)
                else [round(stations[i][0], DECIMALS), round(stations[i][1], DECIMALS)]
                for i in e["derive_stations"]
            ]
            return via, 0.0, 0.0
        router = router if router is not None else Router(load_graph(args.extract, args.routes, args.network))
        wps = [[float(v) for v in w[:2]] for w in e["derive_osm"]]
        coords, gap_a, gap_b = router.path([a, *wps, b])
        return simplify(coords, a, b), gap_a, gap_b

    return rederive(derive, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
