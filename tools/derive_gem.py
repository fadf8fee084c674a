#!/usr/bin/env python3
"""Recompute the `via` of pipeline edges from Global Energy Monitor's published pipeline routes.

Every [[edge]] in geodata/src/*.toml with a `derive_gem = "P0644"` key (a GEM ProjectID of the Global Oil
Infrastructure Tracker or the Global Gas Infrastructure Tracker) gets its geometry from GEM's route for that
project: the route is read from a local copy of GEM's public repository
https://github.com/GlobalEnergyMonitor/GOIT-GGIT-pipeline-routes (data/individual-routes/{liquid,gas}-pipelines/
<ProjectID>.geojson), its parts are merged into lines, the edge's from_id and to_id nodes are projected onto the
merged line nearest to both, and the part of the route between the two projections becomes the edge's `via`
(simplified with Douglas-Peucker to SIMPLIFY_DEG, rounded to 4 decimals). Each end node is joined to its
projection by a straight leg (the GEM route and our node rarely coincide; the script prints each gap).

`derive_gem` is a build-time input only: tools/build_geodata.py ignores it (it is not written to the GeoJSON).

An edge may name a trace kept in this repository instead, `derive_trace = "traces/<name>.geojson"` (relative
to geodata/src/): it is cut and simplified the same way. geodata/src/traces/btc-osm.geojson is the whole BTC
line as mapped in OpenStreetMap (67 `man_made=pipeline` ways, © OpenStreetMap contributors, ODbL; see the
file's properties for where it was stitched), denser than GEM's trace in Georgia and Türkiye. A trace may be of any
mode: geodata/src/traces/beyneu-aktau-osm.geojson is the railway from the Beyneu junction to the Aktau port as mapped
in OpenStreetMap (ODbL; see its properties), cut for rail-beyneu-mangyshlak.

Licence: GEM's trackers are published under CC BY 4.0; credit "Global Energy Monitor, Global Oil/Gas
Infrastructure Tracker" (see geodata/SOURCES.md). The routes are GEM's digitisations of operators' and other
published maps, at the accuracy GEM gives per project (RouteAccuracy).

Requirements (build time only): a checkout or snapshot of the GEM repository, e.g.
    git clone https://github.com/GlobalEnergyMonitor/GOIT-GGIT-pipeline-routes /tmp/gem

Usage:
    python tools/derive_gem.py --gem /tmp/gem            # rewrite the vias in place
    python tools/derive_gem.py --gem /tmp/gem --check    # only compare; exit 1 if any via would change
    python tools/derive_gem.py --gem /tmp/gem --edge pipe-btc-aze
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import linemerge, substring

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_rail import DECIMALS, SRC, Derived, length_km, rederive

SIMPLIFY_DEG = 0.0005  # ~50 m, as tools/derive_rail.py


def route_file(gem: Path, project: str) -> Path:
    """The route file of a GEM project in a checkout (the folder layout has changed over time)."""
    base = gem / "data" / "individual-routes" if (gem / "data").is_dir() else gem
    for cand in (
        base / "liquid-pipelines" / f"{project}.geojson",
        base / "gas-pipelines" / f"{project}.geojson",
        base / f"{project}.geojson",
    ):
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"no GEM route for {project} under {base}")


def gem_lines(path: Path) -> list[LineString]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    feats = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
    parts: list[LineString] = []

    def add(g):
        if not g:
            return
        if g["type"] == "LineString":
            parts.append(LineString([c[:2] for c in g["coordinates"]]))
        elif g["type"] == "MultiLineString":
            parts.extend(LineString([c[:2] for c in cs]) for cs in g["coordinates"])
        elif g["type"] == "GeometryCollection":
            for x in g["geometries"]:
                add(x)

    for f in feats:
        add(f.get("geometry"))
    merged = linemerge(MultiLineString(parts)) if len(parts) > 1 else parts[0]
    return list(merged.geoms) if merged.geom_type == "MultiLineString" else [merged]


def cut(lines: list[LineString], a: list[float], b: list[float]) -> tuple[list[list[float]], float, float]:
    """The part of the line nearest to both a and b between their projections, oriented from a to b."""
    line = min(lines, key=lambda ln: ln.distance(Point(a)) + ln.distance(Point(b)))
    pa, pb = line.project(Point(a)), line.project(Point(b))
    part = substring(line, min(pa, pb), max(pa, pb))
    coords = [list(c) for c in part.coords]
    if pa > pb:
        coords.reverse()
    return coords, length_km([a, coords[0]]), length_km([coords[-1], b])


def derive_via(lines: list[LineString], a: list[float], b: list[float]) -> tuple[list[list[float]], float, float]:
    coords, gap_a, gap_b = cut(lines, a, b)
    simple = LineString(coords).simplify(SIMPLIFY_DEG, preserve_topology=False)
    out: list[list[float]] = []
    for c in simple.coords:
        c = [round(c[0], DECIMALS), round(c[1], DECIMALS)]
        if (not out or c != out[-1]) and c != [round(a[0], DECIMALS), round(a[1], DECIMALS)]:
            out.append(c)
    if out and out[-1] == [round(b[0], DECIMALS), round(b[1], DECIMALS)]:
        out.pop()
    return out, gap_a, gap_b


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gem", type=Path, help="checkout of GlobalEnergyMonitor/GOIT-GGIT-pipeline-routes")
    ap.add_argument("--check", action="store_true", help="compare only, do not write")
    ap.add_argument("--edge", action="append", default=[], help="only this edge id (repeatable)")
    args = ap.parse_args(argv)

    def derive(e: dict, a: list[float], b: list[float]) -> Derived | None:
        if ("derive_gem" not in e and "derive_trace" not in e) or (args.edge and e["id"] not in args.edge):
            return None
        if "derive_trace" in e:
            lines = gem_lines(SRC / e["derive_trace"])
        elif args.gem is None:
            ap.error(f"{e['id']} derives from GEM route {e['derive_gem']}: give --gem")
        else:
            lines = gem_lines(route_file(args.gem, e["derive_gem"]))
        return derive_via(lines, a, b)

    return rederive(derive, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
