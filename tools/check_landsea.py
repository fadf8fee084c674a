#!/usr/bin/env python3
"""Land/sea plausibility check of geodata/edges.geojson against the bundled basemap.

Sea lanes and subsea cables ("wet" edges) must stay in water; land lines (rail, pipelines,
roads, onshore power lines and fibre: "dry" edges) must stay on land. Each line is sampled
every STEP_KM along the geodesic and every sample is classified as land or water with
geodata/basemap.geojson (Natural Earth 10m admin-0, simplified to 0.01 deg, so ~1-2 km of
coastline noise is normal, and narrow channels, cuts and spits are not resolved).

For a wet edge, land before its first sample in water and after its last one is its onshore
approach ("ends": a port node or cable landing station on the shore or inland); land between
is a crossing ("mid"). For a dry edge, every water run counts as a crossing. Findings:
  - mid > MID_TOL_KM                         (any edge)
  - ends > 2 x END_TOL_KM[mode]              (wet edges, both ends together: port approach /
                                             cable shore end to an inland station)
Documented exceptions (a tunnel, a dredged cut missing from the basemap) are listed in
ALLOWED with the km they may add to "mid".

Usage:  python tools/check_landsea.py [--all]     exit status 1 on any finding
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import shapely
from pyproj import Geod
from shapely.geometry import shape
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parents[1]
GEOD = Geod(ellps="WGS84")
SUBSEA = {
    "fiber-aktau-sumgait",
    "fiber-siyazan-turkmenbashi",
    "power-caspian-kz-az",
    "power-blacksea-cable",
    "fiber-ccs-poti-balchik",
    "pipe-tcgp",
}
STEP_KM = 0.25
MID_TOL_KM = 2.0
END_TOL_KM = {"sea": 5.0, "fiber": 15.0, "power_cable": 15.0, "pipeline": 15.0}
ALLOWED = {
    "rail-ankara-istanbul": (3.0, "Marmaray tunnel under the Bosphorus (~1.4 km under water)"),
    "pipe-tanap-west": (14.0, "TANAP's subsea Dardanelles crossing; Bolayir isthmus unresolved in the basemap"),
    "pipe-tap-komotini-melendugno": (160.0, "TAP's 105 km subsea Adriatic crossing; west of 20 E is off the basemap"),
    "sea-straits-ceyhan-oil": (12.0, "Bosphorus and Canakkale narrows (0.7-3 km wide) not resolved by the basemap"),
}


def samples(coords: list[list[float]]) -> tuple[list[tuple[float, float]], list[float]]:
    """Points every ~STEP_KM along the line and the length each stands for."""
    pts: list[tuple[float, float]] = []
    wts: list[float] = []
    for (x0, y0), (x1, y1) in itertools.pairwise(coords):
        seg = GEOD.line_length([x0, x1], [y0, y1]) / 1000.0
        n = max(1, int(seg / STEP_KM))
        inner = GEOD.npts(x0, y0, x1, y1, n - 1) if n > 1 else []
        seg_pts = [(x0, y0), *list(inner)]
        pts.extend(seg_pts)
        wts.extend([seg / len(seg_pts)] * len(seg_pts))
    pts.append(tuple(coords[-1]))
    wts.append(0.0)
    return pts, wts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="list every edge, not only those touching the wrong side")
    args = ap.parse_args(argv)
    base = json.loads((ROOT / "geodata" / "basemap.geojson").read_text(encoding="utf-8"))
    land = unary_union([shape(f["geometry"]) for f in base["features"]])
    shapely.prepare(land)
    edges = json.loads((ROOT / "geodata" / "edges.geojson").read_text(encoding="utf-8"))
    bad = 0
    print(f"{'edge id':<34} {'kind':<4} {'km':>7} {'ends':>6} {'mid':>6}  finding")
    for f in edges["features"]:
        eid, props = f["id"], f["properties"]
        if props["mode"] == "transfer":
            continue
        wet = props["mode"] == "sea" or eid in SUBSEA
        pts, wts = samples(f["geometry"]["coordinates"])
        on_land = shapely.contains_xy(land, [p[0] for p in pts], [p[1] for p in pts])
        total = sum(wts)
        if wet:
            water = [i for i, v in enumerate(on_land) if not v]
            if not water:
                ends, mid = total, 0.0
            else:
                i0, i1 = water[0], water[-1]
                ends = sum(w for i, w in enumerate(wts) if on_land[i] and (i < i0 or i > i1))
                mid = sum(w for i, w in enumerate(wts) if on_land[i] and i0 < i < i1)
        else:
            ends, mid = 0.0, sum(w for i, w in enumerate(wts) if not on_land[i])
        allow, why = ALLOWED.get(eid, (0.0, ""))
        findings = []
        if mid > MID_TOL_KM + allow:
            findings.append(f"{mid:.1f} km {'of land' if wet else 'at sea'} mid-line")
        if wet and ends > 2 * END_TOL_KM.get(props["mode"], 5.0):
            findings.append(f"{ends:.1f} km onshore at the ends")
        bad += bool(findings)
        if args.all or findings or ends + mid > 0.5:
            note = "; ".join(findings) if findings else (f"ok (allowed: {why})" if allow and mid > MID_TOL_KM else "ok")
            print(f"{eid:<34} {'wet' if wet else 'dry':<4} {total:7.1f} {ends:6.1f} {mid:6.1f}  {note}")
    print(
        f"{bad} edge(s) with findings (tolerance {MID_TOL_KM} km mid-line; onshore ends per mode and end {END_TOL_KM})"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
