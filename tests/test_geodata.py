"""Loading and validating geodata: the valid fixture passes; every broken case fails with one clear line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pytest

from corridor import ValidationError, ValidationErrors, load_geodata, validate
from corridor.cli import main
from corridor.io.geodata import geodesic_length_km

from .conftest import DATA

#: case -> (words the message must contain)
EXPECTED = {
    "not-geojson": ("nodes.geojson", "not a GeoJSON FeatureCollection"),
    "invalid-json": ("nodes.geojson", "invalid JSON at line"),
    "wrong-geometry-type": ("'aktau-port'", "LineString, expected a Point"),
    "empty-geometry": ("'aktau-port'", "missing or empty"),
    "malformed-geometry": ("'aktau-port'", "malformed geometry"),
    "coordinates-out-of-range": ("'aktau-port'", "outside [-180, 180]"),
    "lat-lon-swapped": ("'aktau-port'", "swapped"),
    "projected-metres": ("'aktau-port'", "projected metres"),
    "crs-not-wgs84": ("nodes.geojson", "EPSG::3857", "reproject"),
    "duplicate-id": ("'aktau-port'", "duplicate id"),
    "unknown-from-id": ("'rail-alat-baku'", "'from_id'", "did you mean 'alat-port'"),
    "endpoint-far-from-node": ("'rail-alat-baku'", "from node 'alat-port'"),
    "missing-required-field": ("'alat-port'", "'name'", "required field is missing"),
    "unknown-mode": ("'rail-alat-baku'", "'mode'", "unknown value 'hyperloop'"),
    "unknown-status": ("'rail-alat-baku'", "'status'", "use one of"),
    "unknown-kind": ("'aktau-port'", "'kind'", "spaceport"),
    "negative-capacity": ("'rail-alat-baku'", "'capacity'", "-5.0 is not positive"),
    "zero-capacity": ("'rail-alat-baku'", "'capacity'", "0 is not positive"),
    "non-numeric-capacity": ("'rail-alat-baku'", "'capacity'", "'five' is not a number"),
    "unit-does-not-fit-mode": ("'rail-alat-baku'", "'capacity_unit'", "use Mt/yr"),
    "commodity-does-not-fit-mode": ("'rail-alat-baku'", "'commodities'", "cannot carry electricity"),
    "length-disagrees": ("'sea-aktau-alat'", "'length_km'", "disagrees"),
    "nan-capacity": ("'rail-alat-baku'", "'capacity'", "NaN"),
    "nan-in-node": ("'aktau-port'", "'capacity'", "NaN"),
    "planned-without-year": ("'rail-alat-baku'", "'start_year'", "status is 'construction'"),
}


def _broken_dir(tmp_path: Path, case: str) -> Path:
    (path,) = (DATA / "broken").glob(f"{case}.*.geojson")
    layer = path.name.split(".")[1]
    out = tmp_path / case
    shutil.copytree(DATA / "valid", out)
    shutil.copy(path, out / f"{layer}.geojson")
    return out


def test_corpus_covers_every_case() -> None:
    on_disk = {p.name.split(".")[0] for p in (DATA / "broken").glob("*.geojson")}
    assert on_disk == set(EXPECTED)


def test_valid_fixture_loads_typed() -> None:
    nodes, edges = load_geodata(DATA / "valid")
    assert isinstance(nodes, gpd.GeoDataFrame) and nodes.crs.to_epsg() == 4326
    assert list(nodes.index) == ["aktau-port", "alat-port", "baku"]
    assert edges["capacity"].dtype == float and edges["source_year"].dtype == "Int64"
    assert edges.loc["sea-aktau-alat", "length_km"] == pytest.approx(
        geodesic_length_km(edges.geometry["sea-aktau-alat"]), abs=0.05
    )


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_cli_rejects_broken_file(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--strict", "--geodata", str(_broken_dir(tmp_path, case))])
    _, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    for words in EXPECTED[case]:
        assert words in lines[0], (words, lines[0])
    assert "(fix: " in lines[0]


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _broken_dir(tmp_path, "unknown-mode")
    (folder / "edges.geojson").unlink()
    assert main(["validate", "--geodata", str(folder)]) == 2
    assert "edges.geojson: file not found" in capsys.readouterr().err


def test_non_strict_lists_all_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _broken_dir(tmp_path, "negative-capacity")
    shutil.copy(DATA / "broken" / "unknown-kind.nodes.geojson", folder / "nodes.geojson")
    with pytest.raises(ValidationErrors) as info:
        load_geodata(folder, strict=False)
    messages = [str(e) for e in info.value.errors]
    assert any("spaceport" in m for m in messages) and any("-5.0 is not positive" in m for m in messages)
    assert main(["validate", "--geodata", str(folder)]) == 2
    assert "2 problem(s) found" in capsys.readouterr().err


def test_validate_api_on_frames() -> None:
    nodes, edges = load_geodata(DATA / "valid")
    assert validate(nodes, edges) == []
    bad = edges.copy()
    bad.loc["rail-alat-baku", "mode"] = "teleport"
    with pytest.raises(ValidationError, match="teleport"):
        validate(nodes, bad)
    assert len(validate(nodes, bad, strict=False)) == 1


def test_geopackage_in_projected_crs_is_reprojected(tmp_path: Path) -> None:
    nodes, edges = load_geodata(DATA / "valid")
    gpkg = tmp_path / "net.gpkg"
    nodes.to_crs(3857).to_file(gpkg, layer="nodes", engine="pyogrio")
    edges.to_crs(3857).to_file(gpkg, layer="edges", engine="pyogrio")
    n2, _ = load_geodata(gpkg)
    assert n2.crs.to_epsg() == 4326
    assert n2.geometry["baku"].distance(nodes.geometry["baku"]) < 1e-6


@pytest.mark.parametrize(("published", "warned"), [(20.0, True), (70.0, False)])
def test_published_length_shorter_than_the_straight_line_is_warned(
    valid_dir: Path, published: float, warned: bool
) -> None:
    """Alat and Baku are ~57 km apart: no route between them is 20 km long (a warning), 70 km can be."""
    path = valid_dir / "edges.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["published_length_km"] = published
    path.write_text(json.dumps(doc), encoding="utf-8")
    data = load_geodata(valid_dir)
    hits = [w for w in data.warnings if w.field == "published_length_km"]
    assert bool(hits) == warned
    if warned:
        assert hits[0].feature == "rail-alat-baku" and "straight line" in str(hits[0])
