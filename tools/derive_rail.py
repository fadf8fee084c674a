#!/usr/bin/env python3
"""Recompute the `via` of every derived rail edge in geodata/src/*.toml from OpenStreetMap data.

Every [[edge]] with route_accuracy = "derived", no `route` key and either mode = "rail" or a
`derive` key (e.g. a fibre laid along the railway: `derive = []`) is routed
on the OpenStreetMap world railway graph shipped by scgraph-data (road edges, mode = "road", on its
world highway graph instead): shortest path from the
from_id node through the edge's optional waypoints `derive = [[lon, lat], ...]` to the to_id
node (one shortest path per leg, legs joined at the waypoints). The path is simplified
(Douglas-Peucker, SIMPLIFY_DEG), rounded to 4 decimals (~10 m), its interior vertices are
written back as the edge's `via` line in the TOML file, and nothing else in the file changes.
`derive` is a build-time input only: tools/build_geodata.py ignores it (it is not a schema
field and is not written to the GeoJSON).

Use `derive` waypoints where the plain shortest path is wrong: where the graph lacks a line or
takes another branch, and where the simplified graph has long straight chords between distant
nodes (typically on Kazakh steppe lines and mountain sections): a waypoint at a real station
or curve (with its source in the edge's note) pulls the line through it. Between waypoints
the line is still the graph's. Where the graph has no line at all, give closely spaced
hand-digitised vertices as [lon, lat, 1]: each is joined to the previous point by a straight
leg (say so in the edge's note). A leg the graph cannot route also falls back to a straight leg.

Requirements (build time only, not needed to run corridor):
    pip install scgraph==2.15.0 scgraph-data
scgraph 3.x no longer has the module scgraph-data imports, hence the pin. The railway graph is
derived from OpenStreetMap: (c) OpenStreetMap contributors, Open Database Licence (ODbL) 1.0;
the geometry written into the TOML files is a derived database under the same licence (see
geodata/SOURCES.md).

Usage:
    python tools/derive_rail.py            # rewrite the vias in place
    python tools/derive_rail.py --check    # only compare; exit 1 if any via would change
    python tools/derive_rail.py --edge rail-baku-alat [--edge ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import math
import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

from pyproj import Geod
from shapely.geometry import LineString

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "geodata" / "src"
GEOD = Geod(ellps="WGS84")
SIMPLIFY_DEG = 0.0005  # ~50 m
DECIMALS = 4
SNAP_KM = 0.3  # graph connector vertices this close to a leg end are dropped
SPUR_DEG = 30.0  # a vertex where the path turns back by more than 150 degrees is a spur


def length_km(coords: list[list[float]]) -> float:
    return GEOD.line_length([c[0] for c in coords], [c[1] for c in coords]) / 1000.0


def load_graph(kind: str = "rail"):
    """The OpenStreetMap-derived graph of scgraph-data: railways, or highways for road edges."""
    try:
        if kind == "road":
            from scgraph_data.world_highways import world_highways_geograph as graph
        else:
            from scgraph_data.world_railways import world_railways_geograph as graph
    except ImportError as exc:  # pragma: no cover - build-time dependency
        sys.exit(f"derive_rail: {exc}\n  pip install scgraph==2.15.0 scgraph-data")
    return graph


def route_leg(graph, a: list[float], b: list[float]) -> list[list[float]]:
    """Shortest path a -> b ([lon, lat] each) on the railway graph, exact end points kept."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # scgraph prints snapping notices
            res = graph.get_shortest_path(
                origin_node={"latitude": a[1], "longitude": a[0]},
                destination_node={"latitude": b[1], "longitude": b[0]},
                output_units="km",
                node_addition_type="all",
                destination_node_addition_type="all",
            )
    except Exception:
        return [a, b]
    path = [[float(p[1]), float(p[0])] for p in res["coordinate_path"]]
    inner = [p for p in path[1:-1] if length_km([a, p]) > SNAP_KM and length_km([p, b]) > SNAP_KM]
    return [a, *inner, b]


def derive_via(graph, a: list[float], waypoints: list[list[float]], b: list[float]) -> list[list[float]]:
    """Interior vertices from a through the waypoints to b.

    A waypoint [lon, lat] is reached by a shortest path on the graph; a hand-digitised vertex
    [lon, lat, 1] is joined to its neighbours (waypoints or end nodes) by straight legs.
    """
    pts = [a] + [list(w[:2]) for w in waypoints] + [b]
    hand = [False] + [len(w) > 2 and bool(w[2]) for w in waypoints] + [False]
    coords: list[list[float]] = []
    for i, (p, q) in enumerate(itertools.pairwise(pts)):
        leg = [p, q] if (hand[i] or hand[i + 1]) else route_leg(graph, p, q)
        coords.extend(leg if not coords else leg[1:])
    coords = drop_spurs(coords, fixed=[list(w[:2]) for w in waypoints])
    line = LineString(coords).simplify(SIMPLIFY_DEG, preserve_topology=False)
    keep = [list(c) for c in line.coords]
    # the waypoints are part of the definition: make sure simplification kept them
    for w in (list(x[:2]) for x in waypoints):
        if not any(abs(c[0] - w[0]) < 1e-9 and abs(c[1] - w[1]) < 1e-9 for c in keep):
            keep = _insert(keep, w)
    out: list[list[float]] = []
    for c in keep[1:-1]:
        c = [round(c[0], DECIMALS), round(c[1], DECIMALS)]
        if not out or c != out[-1]:
            out.append(c)
    return out


def _turn_deg(a: list[float], b: list[float], c: list[float]) -> float:
    """Angle at b between b->a and b->c in degrees (0 = the line doubles back on itself)."""
    k = math.cos(math.radians(b[1]))
    u = ((a[0] - b[0]) * k, a[1] - b[1])
    v = ((c[0] - b[0]) * k, c[1] - b[1])
    nu, nv = math.hypot(*u), math.hypot(*v)
    if nu == 0 or nv == 0:
        return 180.0
    cos = max(-1.0, min(1.0, (u[0] * v[0] + u[1] * v[1]) / (nu * nv)))
    return math.degrees(math.acos(cos))


def drop_spurs(coords: list[list[float]], fixed: list[list[float]]) -> list[list[float]]:
    """Remove vertices where the path doubles back (turn < SPUR_DEG): graph-snapping spurs
    at the end nodes and waypoints, not railway geometry. Waypoints are never removed."""
    out = list(coords)
    changed = True
    while changed:
        changed = False
        for i in range(1, len(out) - 1):
            if out[i] in fixed:
                continue
            if _turn_deg(out[i - 1], out[i], out[i + 1]) < SPUR_DEG:
                del out[i]
                changed = True
                break
    return out


def _insert(coords: list[list[float]], w: list[float]) -> list[list[float]]:
    line = LineString(coords)
    d = line.project(LineString([w, w]).centroid)
    acc = 0.0
    for i in range(len(coords) - 1):
        seg = LineString([coords[i], coords[i + 1]]).length
        if acc + seg >= d:
            return [*coords[: i + 1], w, *coords[i + 1 :]]
        acc += seg
    return [*coords[:-1], w, *coords[-1:]]


def fmt_via(via: list[list[float]]) -> str:
    return "via = [" + ", ".join(f"[{round(x, DECIMALS)!r}, {round(y, DECIMALS)!r}]" for x, y in via) + "]"


def replace_via(text: str, eid: str, via_line: str) -> str:
    blocks = re.split(r"(?m)^(?=\[\[)", text)
    for i, blk in enumerate(blocks):
        if re.search(rf'(?m)^id = "{re.escape(eid)}"$', blk):
            if re.search(r"(?m)^via = .*$", blk):
                blocks[i] = re.sub(r"(?m)^via = .*$", lambda _m: via_line, blk, count=1)
            else:
                blocks[i] = blk.rstrip("\n") + "\n" + via_line + "\n\n"
    return "".join(blocks)


#: What a derivation gives for an edge it owns: the new via, and the straight legs (km) joining each end node.
Derived = tuple[list[list[float]], float, float]


def rederive(derive: Callable[[dict, list[float], list[float]], Derived | None], *, check: bool) -> int:
    """Re-derive the `via` of every edge of geodata/src/*.toml that ``derive(edge, a, b)`` owns (it returns None for
    the others), print one line per edge (old and new length, published length, end gaps), rewrite the changed vias
    unless ``check``; returns the exit code (1: ``check`` and a via would change)."""
    files = sorted(SRC.glob("*.toml"))
    data = {f: tomllib.loads(f.read_text(encoding="utf-8")) for f in files}
    nodes = {n["id"]: [float(n["lon"]), float(n["lat"])] for d in data.values() for n in d.get("node", [])}
    changed = 0
    print(f"{'edge id':<36} {'old km':>8} {'new km':>8} {'pub km':>8} {'vertices':>9} {'gaps km':>11}  status")
    for f, d in data.items():
        text = f.read_text(encoding="utf-8")
        new_text = text
        for e in d.get("edge", []):
            a, b = nodes.get(e["from_id"]), nodes.get(e["to_id"])
            found = derive(e, a, b) if a is not None and b is not None else None
            if found is None:
                continue
            via, gap_a, gap_b = found
            old = [[float(x), float(y)] for x, y in e.get("via", [])]
            same = len(old) == len(via) and all(
                abs(p[0] - q[0]) < 1e-9 and abs(p[1] - q[1]) < 1e-9 for p, q in zip(old, via, strict=False)
            )
            changed += not same
            pub = e.get("published_length_km")
            print(
                f"{e['id']:<36} {length_km([a, *old, b]):8.1f} {length_km([a, *via, b]):8.1f}"
                f" {'' if pub is None else f'{pub:.1f}':>8} {len(via):9d} {gap_a:5.1f} {gap_b:5.1f}"
                f"  {'unchanged' if same else 'CHANGED'}"
            )
            if not same:
                new_text = replace_via(new_text, e["id"], fmt_via(via))
        if not check and new_text != text:
            f.write_text(new_text, encoding="utf-8")
    print(f"{changed} via(s) {'would change' if check else 'rewritten'}")
    return 1 if (check and changed) else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare only, do not write")
    ap.add_argument("--edge", action="append", default=[], help="only this edge id (repeatable)")
    args = ap.parse_args(argv)

    graphs: dict[str, object] = {}

    def derive(e: dict, a: list[float], b: list[float]) -> Derived | None:
        if e.get("route_accuracy") != "derived" or e.get("route"):
            return None
        if e.get("mode") not in ("rail", "road") and "derive" not in e:
            return None
        if "derive_osm" in e or "derive_stations" in e:
            return None  # routed by tools/derive_osm_rail.py on finer OpenStreetMap data
        if args.edge and e["id"] not in args.edge:
            return None
        kind = "road" if e.get("mode") == "road" else "rail"
        if kind not in graphs:
            graphs[kind] = load_graph(kind)
        wps = [[float(v) for v in w] for w in e.get("derive", [])]
        return derive_via(graphs[kind], a, wps, b), 0.0, 0.0

    return rederive(derive, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
