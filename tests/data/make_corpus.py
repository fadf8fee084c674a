"""Write the tiny valid geodata and the corpus of broken files used by tests/test_geodata.py.

Run ``python tests/data/make_corpus.py`` after a schema change; the files are committed so
that a reader can open each broken case on its own.

The valid network (lon/lat, not to scale)::

    aktau-port (KAZ)
        \\  sea-aktau-alat (a lane down the middle of the Caspian)
         \\
          alat-port (AZE) ---- rail-alat-baku ---- baku (AZE)
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from pyproj import Geod

HERE = Path(__file__).parent
GEOD = Geod(ellps="WGS84")


def _length(coords: list[list[float]]) -> float:
    lons, lats = zip(*coords, strict=True)
    return round(GEOD.line_length(lons, lats) / 1000, 1)


def _node(fid: str, name: str, kind: str, country: str, lon: float, lat: float, **extra: object) -> dict:
    props = {
        "id": fid,
        "name": name,
        "kind": kind,
        "country": country,
        "status": "operating",
        "source_url": "https://example.org/test-fixture",
        "source_year": 2024,
        **extra,
    }
    return {"type": "Feature", "id": fid, "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def _edge(fid: str, a: str, b: str, mode: str, coords: list[list[float]], **extra: object) -> dict:
    props = {
        "id": fid,
        "name": fid,
        "from_id": a,
        "to_id": b,
        "mode": mode,
        "commodities": "freight;oil",
        "capacity": 5.0,
        "capacity_unit": "Mt/yr",
        "directed": False,
        "length_km": _length(coords),
        "status": "operating",
        "route_accuracy": "schematic",
        "source_url": "https://example.org/test-fixture",
        "source_year": 2024,
        **extra,
    }
    return {
        "type": "Feature",
        "id": fid,
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": coords},
    }


AKTAU, ALAT, BAKU = [51.1700, 43.6400], [49.4080, 39.9530], [49.8670, 40.4090]
NODES = [
    _node(
        "aktau-port", "Aktau port", "port", "KAZ", *AKTAU, capacity=11.0, capacity_unit="Mt/yr", commodities="freight"
    ),
    _node("alat-port", "Port of Baku (Alat)", "port", "AZE", *ALAT),
    _node("baku", "Baku", "city", "AZE", *BAKU),
]
SEA = [AKTAU, [50.9, 43.2], [50.6, 42.0], [50.2, 40.8], [49.7, 40.1], ALAT]
EDGES = [
    _edge("rail-alat-baku", "alat-port", "baku", "rail", [ALAT, [49.60, 40.15], BAKU]),
    _edge("sea-aktau-alat", "aktau-port", "alat-port", "sea", SEA, time_h=20.0),
]


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _dump(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=True) + "\n", encoding="utf-8")


def _with(features: list[dict], index: int, **props: object) -> list[dict]:
    out = copy.deepcopy(features)
    out[index]["properties"].update(props)
    return out


def _geom(features: list[dict], index: int, geometry: object) -> list[dict]:
    out = copy.deepcopy(features)
    out[index]["geometry"] = geometry
    return out


def broken_cases() -> dict[str, tuple[str, object]]:
    """Map case name -> (layer, file content) for every kind of bad input the validator must catch."""
    pt = lambda lon, lat: {"type": "Point", "coordinates": [lon, lat]}  # noqa: E731
    dropped = copy.deepcopy(NODES)
    del dropped[1]["properties"]["name"]
    cases: dict[str, tuple[str, object]] = {
        "not-geojson": ("nodes", {"hello": "world"}),
        "invalid-json": ("nodes", '{"type": "FeatureCollection", "features": [\n'),
        "wrong-geometry-type": (
            "nodes",
            collection(_geom(NODES, 0, {"type": "LineString", "coordinates": [AKTAU, ALAT]})),
        ),
        "empty-geometry": ("nodes", collection(_geom(NODES, 0, None))),
        "malformed-geometry": ("nodes", collection(_geom(NODES, 0, {"type": "Point", "coordinates": ["a", "b"]}))),
        "coordinates-out-of-range": ("nodes", collection(_geom(NODES, 0, pt(191.2, 43.6)))),
        "lat-lon-swapped": ("nodes", collection(_geom(NODES, 0, pt(AKTAU[1], AKTAU[0])))),
        "projected-metres": ("nodes", collection(_geom(NODES, 0, pt(5696000.0, 5405000.0)))),
        "crs-not-wgs84": (
            "nodes",
            {**collection(NODES), "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}},
        ),
        "duplicate-id": ("nodes", collection(_with(NODES, 1, id="aktau-port"))),
        "unknown-from-id": ("edges", collection(_with(EDGES, 0, from_id="alat-prot"))),
        "endpoint-far-from-node": (
            "edges",
            collection(_geom(EDGES, 0, {"type": "LineString", "coordinates": [[49.9, 39.5], [49.6, 40.15], BAKU]})),
        ),
        "missing-required-field": ("nodes", collection(dropped)),
        "unknown-mode": ("edges", collection(_with(EDGES, 0, mode="hyperloop"))),
        "unknown-status": ("edges", collection(_with(EDGES, 0, status="dreaming"))),
        "unknown-kind": ("nodes", collection(_with(NODES, 0, kind="spaceport"))),
        "negative-capacity": ("edges", collection(_with(EDGES, 0, capacity=-5.0))),
        "zero-capacity": ("edges", collection(_with(EDGES, 0, capacity=0))),
        "non-numeric-capacity": ("edges", collection(_with(EDGES, 0, capacity="five"))),
        "unit-does-not-fit-mode": ("edges", collection(_with(EDGES, 0, capacity_unit="MW"))),
        "commodity-does-not-fit-mode": (
            "edges",
            collection(_with(EDGES, 0, commodities="electricity", capacity_unit="MW")),
        ),
        "length-disagrees": ("edges", collection(_with(EDGES, 1, length_km=300.0))),
        "nan-capacity": ("edges", collection(_with(EDGES, 0, capacity=float("nan")))),
        "nan-in-node": ("nodes", collection(_with(NODES, 0, capacity=float("nan")))),
        "planned-without-year": ("edges", collection(_with(EDGES, 0, status="construction"))),
    }
    return cases


def main() -> None:
    valid = HERE / "valid"
    valid.mkdir(exist_ok=True)
    _dump(valid / "nodes.geojson", collection(NODES))
    _dump(valid / "edges.geojson", collection(EDGES))
    broken = HERE / "broken"
    broken.mkdir(exist_ok=True)
    for old in broken.glob("*.geojson"):
        old.unlink()
    for name, (layer, content) in broken_cases().items():
        path = broken / f"{name}.{layer}.geojson"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            _dump(path, content)


if __name__ == "__main__":
    main()
