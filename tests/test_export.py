"""Exports: RFC 7946 GeoJSON, GeoPackage with QGIS styles, CSV, Markdown report; determinism and atomicity."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import resource
import signal
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geojson_pydantic
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString

from corridor import export as ex
from corridor._errors import CorridorError
from corridor.analyses.bottlenecks import RESULT_FIELDS
from corridor.io.geodata import DEFAULT_GEODATA, Geodata
from corridor.results import Analysis, analyze

from .conftest import REPO

TOL = 0.5e-6 + 1e-12  # half a unit of the 6th decimal
LAYER_STYLES_COLUMNS = {
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
}


@pytest.fixture(scope="module")
def run() -> Analysis:
    """The bundled baseline, analysed once for the whole module."""
    return analyze("baseline-2024")


@pytest.fixture(scope="module")
def out(run: Analysis, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every format written once (GeoJSON combined and separate)."""
    folder = tmp_path_factory.mktemp("export")
    for fmt in ex.FORMATS:
        ex.export(run, fmt, folder / f"run.{fmt}")
    ex.export(run, "geojson", folder / "split.geojson", layers="separate")
    return folder


def _strict_json(path: Path) -> dict:
    def refuse(token: str) -> None:
        raise AssertionError(f"non-finite number {token} in {path.name}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def _decimals(x: float) -> int:
    text = repr(float(x))
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def _positions(coords):
    if coords and isinstance(coords[0], int | float):
        yield coords
    else:
        for c in coords:
            yield from _positions(c)


def _frame(run: Analysis, layer: str) -> pd.DataFrame:
    return run.nodes if layer == "node" else run.edges


def _same(a, b) -> bool:
    """Equal attribute values across formats: missing == missing, floats within the precision."""
    a, b = (v.item() if isinstance(v, np.generic) else v for v in (a, b))
    missing = [v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) for v in (a, b)]
    if any(missing):
        return all(missing) or ((a == "" or b == "") and any(missing))
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))
    return str(a) == str(b)


def _check_roundtrip(run: Analysis, read: pd.DataFrame, layer: str) -> None:
    src = _frame(run, layer)
    assert list(read["id"]) == sorted(src.index)
    fields = [c for c in src.columns if c != "geometry"]
    assert set(fields) <= set(read.columns)
    for _, row in read.iterrows():
        orig = src.loc[row["id"]]
        for c in fields:
            assert _same(orig[c], row[c]), (layer, row["id"], c, orig[c], row[c])
        assert row.geometry.geom_type == orig.geometry.geom_type
        assert shapely.equals_exact(row.geometry, orig.geometry, tolerance=TOL), (layer, row["id"])


# --------------------------------------------------------------------------- GeoJSON


def test_geojson_follows_rfc7946(run: Analysis, out: Path) -> None:
    doc = _strict_json(out / "run.geojson")
    geojson_pydantic.FeatureCollection.model_validate(doc)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert doc["corridor"]["scenario"] == "baseline-2024"
    assert doc["corridor"]["coordinate_precision"] == ex.COORDINATE_PRECISION
    features = doc["features"]
    assert len(features) == len(run.nodes) + len(run.edges)
    layers = [f["properties"]["layer"] for f in features]
    assert layers == ["node"] * len(run.nodes) + ["edge"] * len(run.edges)
    for layer in ("node", "edge"):
        ids = [f["id"] for f in features if f["properties"]["layer"] == layer]
        assert ids == sorted(_frame(run, layer).index)
    for f in features:
        assert f["type"] == "Feature" and isinstance(f["id"], str) and f["id"] == f["properties"]["id"]
        assert {*RESULT_FIELDS, "layer"} <= set(f["properties"])
        assert f["geometry"]["type"] == ("Point" if f["properties"]["layer"] == "node" else "LineString")
        for lon, lat in _positions(f["geometry"]["coordinates"]):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
            assert _decimals(lon) <= ex.COORDINATE_PRECISION and _decimals(lat) <= ex.COORDINATE_PRECISION
        for v in f["properties"].values():
            assert not isinstance(v, float) or math.isfinite(v)
    # missing values are null, not NaN: inactive edges have no utilisation
    assert any(f["properties"]["utilization"] is None for f in features)
    text = (out / "run.geojson").read_text(encoding="utf-8")
    assert text.count("\n") == len(features) + 2  # header, one line per feature, footer
    assert "NaN" not in text and "Infinity" not in text


def test_geojson_round_trip_with_pyogrio(run: Analysis, out: Path) -> None:
    read = pyogrio.read_dataframe(out / "run.geojson")
    assert read.crs.equals("EPSG:4326")
    for layer in ("node", "edge"):
        _check_roundtrip(run, read[read["layer"] == layer].reset_index(drop=True), layer)


def test_geojson_separate_layers(run: Analysis, out: Path) -> None:
    for layer, name in (("node", "nodes"), ("edge", "edges")):
        path = out / f"split.{name}.geojson"
        doc = _strict_json(path)
        geojson_pydantic.FeatureCollection.model_validate(doc)
        assert {f["properties"]["layer"] for f in doc["features"]} == {layer}
        _check_roundtrip(run, pyogrio.read_dataframe(path), layer)
    assert not (out / "split.geojson").exists()


def test_split_antimeridian() -> None:
    east = ex.split_antimeridian(LineString([(170, 10), (-170, 20)]))
    assert isinstance(east, MultiLineString)
    (a, b) = (list(p.coords) for p in east.geoms)
    assert a == [(170, 10), (180, 15)] and b == [(-180, 15), (-170, 20)]
    west = ex.split_antimeridian(LineString([(-175, 0), (175, 10), (170, 10)]))
    assert [list(p.coords) for p in west.geoms] == [[(-175, 0), (-180, 5)], [(180, 5), (175, 10), (170, 10)]]
    twice = ex.split_antimeridian(LineString([(179, 0), (-179, 2), (179, 4)]))
    assert len(twice.geoms) == 3
    for part in twice.geoms:  # no part spans more than 180° of longitude
        xs = [x for x, _ in part.coords]
        assert max(xs) - min(xs) <= 180
    starts_on_line = ex.split_antimeridian(LineString([(180, 0), (-179, 1)]))
    assert list(starts_on_line.coords) == [(-180, 0), (-179, 1)]
    plain = LineString([(50, 40), (51, 41)])
    assert ex.split_antimeridian(plain) is plain


def test_geojson_splits_edges_over_the_antimeridian(run: Analysis, tmp_path: Path) -> None:
    edges = run.edges.copy()
    fid = sorted(edges.index)[0]
    edges.loc[fid, "geometry"] = LineString([(178.5, 60.0), (-178.5, 62.0)])
    moved = dataclasses.replace(run, edges=edges)
    (path,) = ex.export_geojson(moved, tmp_path / "x.geojson")
    doc = _strict_json(path)
    geojson_pydantic.FeatureCollection.model_validate(doc)
    (feature,) = [f for f in doc["features"] if f["id"] == fid]
    assert feature["geometry"] == {
        "type": "MultiLineString",
        "coordinates": [[[178.5, 60.0], [180.0, 61.0]], [[-180.0, 61.0], [-178.5, 62.0]]],
    }


# --------------------------------------------------------------------------- GeoPackage


def test_gpkg_round_trip(run: Analysis, out: Path) -> None:
    layers = {name: kind for name, kind in pyogrio.list_layers(out / "run.gpkg")}
    assert layers == {"nodes": "Point", "edges": "LineString", "layer_styles": None}
    for layer, name in (("node", "nodes"), ("edge", "edges")):
        read = pyogrio.read_dataframe(out / "run.gpkg", layer=name)
        assert read.crs.equals("EPSG:4326")
        _check_roundtrip(run, read, layer)


def test_gpkg_layer_styles(out: Path) -> None:
    con = sqlite3.connect(out / "run.gpkg")
    try:
        columns = {row[1] for row in con.execute("PRAGMA table_info(layer_styles)")}
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, useAsDefault, update_time FROM layer_styles"
        ).fetchall()
        geometry_columns = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()
    assert LAYER_STYLES_COLUMNS <= columns
    assert contents == {"nodes": "features", "edges": "features", "layer_styles": "attributes"}
    styles = {r[0]: r for r in rows}
    assert set(styles) == {"nodes", "edges"}
    for table, (_, geom_col, name, qml, default, stamp) in styles.items():
        assert geom_col == geometry_columns[table]
        assert name and default == 1 and stamp == "1970-01-01T00:00:00.000Z"
        root = ET.fromstring(qml)  # well-formed XML (the DOCTYPE is internal, nothing is fetched)
        assert root.tag == "qgis"
        assert root.find("layerGeometryType").text == ("1" if table == "edges" else "0")
    edges = ET.fromstring(styles["edges"][3]).find("renderer-v2")
    assert edges.get("type") == "graduatedSymbol" and '"utilization"' in edges.get("attr")
    ranges = edges.findall("ranges/range")
    assert len(ranges) >= 4 and len(edges.findall("symbols/symbol")) == len(ranges)
    widths = [
        o.find("Option[@name='expression']").get("value")
        for o in edges.iter("Option")
        if o.get("name") == "outlineWidth"
    ]
    assert widths and all('"flow"' in w for w in widths)
    nodes = ET.fromstring(styles["nodes"][3]).find("renderer-v2")
    assert nodes.get("type") == "RuleRenderer"
    filters = [r.get("filter") for r in nodes.iter("rule")]
    assert any('"bottleneck"' in f for f in filters) and filters[-1] == "ELSE"
    # GDAL sees the style table too
    assert pyogrio.read_dataframe(out / "run.gpkg", layer="layer_styles")["f_table_name"].tolist() == [
        "edges",
        "nodes",
    ]


# --------------------------------------------------------------------------- CSV and Markdown


def test_csv(run: Analysis, out: Path) -> None:
    with open(out / "run.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(run.nodes) + len(run.edges)
    assert [r["layer"] for r in rows] == ["node"] * len(run.nodes) + ["edge"] * len(run.edges)
    assert {"id", "flow", "utilization", "severity", "bottleneck", "shadow_price", "capacity_effective"} <= set(rows[0])
    for r in rows:
        orig = _frame(run, r["layer"]).loc[r["id"]]
        assert _same(orig["flow"], float(r["flow"]))
        assert r["bottleneck"] == ("true" if orig["bottleneck"] else "false")
        assert r["utilization"] == "" or _same(orig["utilization"], float(r["utilization"]))
    assert "\r" not in (out / "run.csv").read_text(encoding="utf-8")


def test_markdown_report(run: Analysis, out: Path) -> None:
    text = (out / "run.md").read_text(encoding="utf-8")
    doc = run.document
    assert doc["bottlenecks"], "the baseline has bottlenecks"
    for heading in ("## Totals per commodity", "## Bottlenecks", "## Reported schedules vs the model",
                    "## Origin–destination demand", "## Most utilised assets", "## Sources"):  # fmt: skip
        assert heading in text
    section = text.split("## Bottlenecks")[1].split("\n## ")[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    assert table[0].startswith("| # | Asset |") and len(table) == 2 + len(doc["bottlenecks"])
    for b in doc["bottlenecks"]:
        assert f"`{b['id']}`" in section
        assert f"<{b['source_url']}>" in text
    assert doc["scenario"] in text and doc["method"] in text and doc["provenance"]["data_version"] in text
    assert "![" in text and "](run.png)" in text
    assert "## Criticality" not in text and "## Maximum throughput" not in text
    png = (out / "run.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_criticality_and_throughput(run: Analysis, tmp_path: Path) -> None:
    bottleneck = run.document["bottlenecks"][0]
    node = sorted(run.nodes.index)[0]
    crit = pd.DataFrame(
        {"rank": [1, 2], "id": [bottleneck["id"], node], "layer": [bottleneck["layer"], "node"], "cost": [9.5, 1.0]}
    )
    throughput = {
        "commodity": "freight",
        "sources": ["dostyk"],
        "sinks": ["poti-port"],
        "value": 4.5,
        "cut": pd.DataFrame([{"id": bottleneck["id"], "layer": "edge", "capacity": 2.3, "capacity_unit": "Mt/yr"}]),
    }
    (gj,) = ex.export_geojson(run, tmp_path / "c.geojson", criticality=crit, throughput=throughput)
    props = {f["id"]: f["properties"] for f in _strict_json(gj)["features"]}
    assert props[bottleneck["id"]]["criticality_rank"] == 1 and props[node]["criticality_rank"] == 2
    assert props[bottleneck["id"]]["in_cut"] is True and props[node]["in_cut"] is False
    assert sum(p["criticality_rank"] is not None for p in props.values()) == 2
    (table,) = ex.export(run, "csv", tmp_path / "c.csv", criticality=crit, throughput=throughput)
    rows = {r["id"]: r for r in csv.DictReader(table.read_text(encoding="utf-8").splitlines())}
    assert rows[bottleneck["id"]]["criticality_rank"] == "1" and rows[bottleneck["id"]]["in_cut"] == "true"
    assert rows[node]["in_cut"] == "false" and rows[sorted(run.edges.index)[-1]]["criticality_rank"] == ""
    ex.export_gpkg(run, tmp_path / "c.gpkg", criticality=crit, throughput=throughput)
    edges = pyogrio.read_dataframe(tmp_path / "c.gpkg", layer="edges").set_index("id")
    assert edges.loc[bottleneck["id"], "criticality_rank"] == 1 and bool(edges.loc[bottleneck["id"], "in_cut"])
    _, md = ex.export_markdown(run, tmp_path / "c.md", criticality=crit, throughput=throughput)
    text = md.read_text(encoding="utf-8")
    assert "## Maximum throughput and its cut" in text and "4.50 Mt/yr" in text
    assert "## Criticality ranking (N-1)" in text
    crit_section = text.split("## Criticality ranking (N-1)")[1].split("\n## ")[0]
    assert f"| 1 | {bottleneck['id']} | {bottleneck['name']}" in crit_section
    with pytest.raises(CorridorError, match="criticality"):
        ex.export_geojson(run, tmp_path / "bad.geojson", criticality=pd.DataFrame({"id": ["x"]}))


# --------------------------------------------------------------------------- determinism, atomicity, safety


@pytest.mark.parametrize("fmt", list(ex.FORMATS))
def test_byte_identical_on_two_runs(run: Analysis, tmp_path: Path, fmt: str) -> None:
    first = ex.export(run, fmt, tmp_path / "a" / f"x.{fmt}")
    second = ex.export(run, fmt, tmp_path / "b" / f"x.{fmt}")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


_MAIN = "import sys; from corridor.cli import main; sys.exit(main())"


def _export_with_file_size_limit(folder: Path, fmt: str, target: Path, limit: int) -> subprocess.CompletedProcess:
    """``corridor export`` in a process that may write no file larger than ``limit`` bytes (RLIMIT_FSIZE): a
    write past it fails with EFBIG, as a full disk or quota would, in the middle of the file."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-c", _MAIN, "export", "--format", fmt, "-o", str(target)],
        cwd=folder,
        capture_output=True,
        text=True,
        preexec_fn=limited,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(("fmt", "limit"), [("geojson", 200_000), ("gpkg", 200_000), ("csv", 20_000), ("md", 20_000)])
def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, fmt: str, limit: int) -> None:
    target = tmp_path / f"x.{fmt}"
    outputs = [target, target.with_suffix(".png")] if fmt == "md" else [target]
    for p in outputs:
        p.write_bytes(b"old complete file\n")
    done = _export_with_file_size_limit(tmp_path, fmt, target, limit)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    for p in outputs:  # every old file is whole: nothing half-written replaced it
        assert p.read_bytes() == b"old complete file\n", p.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in outputs)  # no temp file left


def test_new_file_appears_only_when_complete(tmp_path: Path) -> None:
    done = _export_with_file_size_limit(tmp_path, "geojson", tmp_path / "new.geojson", 100_000)
    assert done.returncode == 2, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_write_into_geodata(run: Analysis, tmp_path: Path) -> None:
    for fmt in ex.FORMATS:
        target = DEFAULT_GEODATA / f"export-test.{fmt}"
        with pytest.raises(CorridorError, match="bundled geodata") as info:
            ex.export(run, fmt, target)
        assert "\n" not in str(info.value)
        assert not target.exists()
    with pytest.raises(CorridorError, match="bundled geodata"):
        ex.export(run, "csv", DEFAULT_GEODATA / "scenarios" / "x.csv")
    # a user's geodata folder: its files are never overwritten (new files beside them are fine)
    folder = tmp_path / "mydata"
    (folder / "scenarios").mkdir(parents=True)
    for name in ("nodes.geojson", "edges.geojson", "scenarios/s.toml"):
        (folder / name).write_text("data\n")
    mine = dataclasses.replace(run, geodata=Geodata(run.nodes, run.edges, folder))
    for name, fmt in (("nodes.geojson", "geojson"), ("edges.geojson", "csv"), ("scenarios/s.toml", "md")):
        with pytest.raises(CorridorError, match="input geodata"):
            ex.export(mine, fmt, folder / name)
        assert (folder / name).read_text() == "data\n"
    ex.export(mine, "csv", folder / "results.csv")
    # a GeoPackage input is never overwritten either
    gpkg = tmp_path / "net.gpkg"
    gpkg.write_bytes(b"gpkg")
    with pytest.raises(CorridorError, match="input geodata"):
        ex.export(dataclasses.replace(run, geodata=Geodata(run.nodes, run.edges, gpkg)), "gpkg", gpkg)
    assert gpkg.read_bytes() == b"gpkg"


def test_unknown_format_and_options(run: Analysis, tmp_path: Path) -> None:
    with pytest.raises(CorridorError, match="unknown export format 'shp'"):
        ex.export(run, "shp", tmp_path / "x.shp")
    with pytest.raises(CorridorError, match="layers"):
        ex.export(run, "geojson", tmp_path / "x.geojson", layers="both")
    with pytest.raises(CorridorError, match=r"\.md"):
        ex.export(run, "md", tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- CLI hooks


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from corridor.cli import main

    assert main(["export", "--format", "geojson", "-o", str(tmp_path / "a.geojson"), "--layers", "separate"]) == 0
    assert (tmp_path / "a.nodes.geojson").is_file() and (tmp_path / "a.edges.geojson").is_file()
    with pytest.raises(SystemExit):
        main(["export", "--format", "shp"])
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--format", "csv"]) == 0
    assert (tmp_path / "out" / "baseline-2024.csv").is_file()
    assert "out/baseline-2024.csv" in capsys.readouterr().out
    assert main(["export", "--format", "md", "--criticality", "--throughput", "-o", str(tmp_path / "r.md")]) == 0
    report = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "riticality" in report and "cut" in report.lower()
    bundled = REPO / "geodata" / "x.geojson"
    assert main(["export", "--format", "geojson", "-o", str(bundled)]) == 2
    assert not bundled.exists()


def test_exports_carry_the_data_attribution(tmp_path: Path) -> None:
    """ODbL and CC BY 4.0 ask every derived map and database to credit its sources: the GeoJSON's provenance, the
    GeoPackage's layer descriptions' source (the analysis document) and the Markdown report carry the credit."""
    import corridor

    run = corridor.analyze("baseline-2024")
    assert "OpenStreetMap" in run.provenance["attribution"] and "Global Energy Monitor" in run.provenance["attribution"]
    geojson = tmp_path / "r.geojson"
    ex.export(run, "geojson", geojson)
    doc = json.loads(geojson.read_text(encoding="utf-8"))
    assert doc["corridor"]["attribution"] == run.provenance["attribution"]
    report = tmp_path / "r.md"
    ex.export(run, "md", report)
    assert "Data: Rail geometry © OpenStreetMap contributors (ODbL)" in report.read_text(encoding="utf-8")
