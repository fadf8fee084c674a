#!/usr/bin/env python3
"""Build geodata/nodes.geojson and geodata/edges.geojson from geodata/src/*.toml.

Reads every TOML source file (tables [[node]] and [[edge]]), resolves each edge's geometry
(from node + `via` + to node, or a searoute sea lane for `route = "searoute"`), computes the
geodesic length on the WGS84 ellipsoid, and writes two RFC 7946 FeatureCollections with one
feature per line, sorted by id. Deterministic: rerunning gives byte-identical output.

Edges whose end points are not (yet) defined in any source file are skipped with a warning,
so regional files written in parallel do not break the build.

Usage:  python tools/build_geodata.py [--src DIR] [--out DIR] [--quiet]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
import tomllib
from pathlib import Path

from pyproj import Geod

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "corridor" / "data" / "schema.csv"
GEOD = Geod(ellps="WGS84")

# Caspian Sea bounding box: a searoute lane between two Caspian points must stay inside it
# (searoute's network also reaches the Sea of Azov through the Volga-Don canal).
CASPIAN_BBOX = (46.5, 36.4, 55.5, 47.4)  # lon_min, lat_min, lon_max, lat_max
DETOUR_FACTOR = 1.3


def schema_fields(layer: str) -> list[tuple[str, str]]:
    with SCHEMA.open(newline="", encoding="utf-8") as fh:
        return [(r["field"], r["type"]) for r in csv.DictReader(fh) if r["layer"] == layer]


def in_caspian(lon: float, lat: float) -> bool:
    x0, y0, x1, y1 = CASPIAN_BBOX
    return x0 <= lon <= x1 and y0 <= lat <= y1


def sea_lane(points: list[list[float]]) -> tuple[list[list[float]], list[str]]:
    """Sea lane through the given [lon, lat] points (end node, via waypoints..., end node).

    Each leg between consecutive points is routed with searoute and the exact points are kept
    as the leg's first and last vertex. searoute snaps a point to its nearest network node, which
    can be far away for ports its coarse network lacks (e.g. Kuryk); when the routed leg is longer
    than DETOUR_FACTOR x the leg's straight chord, the straight chord is used instead and a note
    is returned. Put via points so that such straight legs stay at sea (approach channels).
    """
    import searoute  # imported lazily: only needed for sea edges

    coords: list[list[float]] = []
    notes: list[str] = []
    for a, b in itertools.pairwise(points):
        feat = searoute.searoute(a, b, units="km")
        leg = [a] + [list(map(float, c)) for c in feat["geometry"]["coordinates"]] + [b]
        if in_caspian(*a) and in_caspian(*b):
            bad = [c for c in leg if not in_caspian(*c)]
            if bad:
                raise ValueError(f"searoute lane {a}->{b} leaves the Caspian (e.g. {bad[0]})")
        chord = length_km([a, b])
        if chord > 0 and length_km(leg) > DETOUR_FACTOR * chord:
            notes.append(f"leg {a}->{b}: searoute detour, straight chord of {chord:.1f} km used")
            leg = [a, b]
        coords.extend(leg if not coords else leg[1:])
    return coords, notes


def dedupe(coords: list[list[float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for c in coords:
        c = [round(c[0], 5), round(c[1], 5)]
        if not out or c != out[-1]:
            out.append(c)
    return out


def length_km(coords: list[list[float]]) -> float:
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return GEOD.line_length(lons, lats) / 1000.0


def cast(value, ftype: str):
    if value is None or value == "":
        return None
    if ftype == "float":
        return float(value)
    if ftype == "int":
        return int(value)
    if ftype == "bool":
        return bool(value)
    return value


def feature(fid: str, geometry: dict, props: dict) -> str:
    feat = {"type": "Feature", "id": fid, "geometry": geometry, "properties": props}
    return json.dumps(feat, ensure_ascii=False, separators=(",", ":"))


def write_collection(path: Path, lines: list[str]) -> None:
    body = ",\n".join(lines)
    text = '{"type":"FeatureCollection","features":[\n' + body + ("\n" if lines else "") + "]}\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=ROOT / "geodata" / "src")
    ap.add_argument("--out", type=Path, default=ROOT / "geodata")
    ap.add_argument("--quiet", action="store_true", help="no length table")
    args = ap.parse_args(argv)

    node_fields = schema_fields("nodes")
    edge_fields = schema_fields("edges")
    node_names = {f for f, _ in node_fields} | {"lon", "lat"}
    # `derive` (waypoints for tools/derive_rail.py), `derive_gem`/`derive_trace` (a GEM route or a trace kept in
    # geodata/src/traces/ for tools/derive_gem.py) and `derive_osm`/`derive_stations` (tools/derive_osm_rail.py) are
    # build-time inputs of those scripts only
    edge_names = {f for f, _ in edge_fields} | {
        "via", "route", "derive", "derive_gem", "derive_trace", "derive_osm", "derive_stations"
    }  # fmt: skip

    nodes: dict[str, dict] = {}
    edges: dict[str, dict] = {}
    warnings: list[str] = []
    info: list[str] = []
    errors: list[str] = []
    for src in sorted(args.src.glob("*.toml")):
        data = tomllib.loads(src.read_text(encoding="utf-8"))
        for n in data.get("node", []):
            extra = set(n) - node_names
            if extra:
                errors.append(f"{src.name}: node {n.get('id')}: unknown fields {sorted(extra)}")
            if n["id"] in nodes:
                errors.append(f"{src.name}: duplicate node id {n['id']}")
            nodes[n["id"]] = dict(n, _src=src.name)
        for e in data.get("edge", []):
            extra = set(e) - edge_names
            if extra:
                errors.append(f"{src.name}: edge {e.get('id')}: unknown fields {sorted(extra)}")
            if e["id"] in edges:
                errors.append(f"{src.name}: duplicate edge id {e['id']}")
            edges[e["id"]] = dict(e, _src=src.name)

    node_lines = []
    for nid in sorted(nodes):
        n = nodes[nid]
        props = {f: cast(n.get(f), t) for f, t in node_fields}
        geom = {"type": "Point", "coordinates": [round(float(n["lon"]), 5), round(float(n["lat"]), 5)]}
        node_lines.append(feature(nid, geom, props))

    edge_lines = []
    table = []
    for eid in sorted(edges):
        e = edges[eid]
        missing = [k for k in ("from_id", "to_id") if e.get(k) not in nodes]
        if missing:
            warnings.append(
                f"WARNING {e['_src']}: edge {eid}: unresolved end point(s) "
                + ", ".join(f"{k}={e.get(k)}" for k in missing)
                + " - skipped"
            )
            continue
        a = [float(nodes[e["from_id"]]["lon"]), float(nodes[e["from_id"]]["lat"])]
        b = [float(nodes[e["to_id"]]["lon"]), float(nodes[e["to_id"]]["lat"])]
        via = [[float(x), float(y)] for x, y in e.get("via", [])]
        try:
            if e.get("route") == "searoute":
                coords, notes = sea_lane([a, *via, b])
                info.extend(f"NOTE {e['_src']}: edge {eid}: {n}" for n in notes)
            elif e.get("route") not in (None, ""):
                raise ValueError(f"unknown route {e.get('route')!r}")
            else:
                coords = [a, *via, b]
        except Exception as exc:
            errors.append(f"{e['_src']}: edge {eid}: {exc}")
            continue
        coords = dedupe(coords)
        if len(coords) < 2:
            errors.append(f"{e['_src']}: edge {eid}: fewer than 2 distinct vertices")
            continue
        length = round(length_km(coords), 1)
        props = {}
        for f, t in edge_fields:
            props[f] = length if f == "length_km" else cast(e.get(f), t)
        edge_lines.append(feature(eid, {"type": "LineString", "coordinates": coords}, props))
        pub = props.get("published_length_km")
        dev = None if not pub else round(100.0 * (length - pub) / pub, 1)
        table.append((eid, length, pub, dev))

    args.out.mkdir(parents=True, exist_ok=True)
    write_collection(args.out / "nodes.geojson", node_lines)
    write_collection(args.out / "edges.geojson", edge_lines)

    for w in warnings + info:
        print(w, file=sys.stderr)
    if not args.quiet:
        w = max([len(r[0]) for r in table] + [7])
        print(f"{'edge id':<{w}}  {'length_km':>10}  {'published_km':>12}  {'dev %':>7}")
        for eid, length, pub, dev in table:
            p = "" if pub is None else f"{pub:.1f}"
            d = "" if dev is None else f"{dev:+.1f}"
            print(f"{eid:<{w}}  {length:>10.1f}  {p:>12}  {d:>7}")
    print(f"{len(node_lines)} nodes, {len(edge_lines)} edges written to {args.out} ({len(warnings)} edges skipped)")
    for err in errors:
        print("ERROR", err, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
