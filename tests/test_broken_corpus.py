"""The broken-input corpus: one named case per class of bad input a user has sent us or might (issue #11).

Each case breaks one thing in a copy of the bundled data (or on the command line) and runs the command a user
would. Every case must end in exit 2 with one ``corridor: error:`` line (the validator: one line per problem and
a count) that names what is wrong — never a traceback, never a hang, never a file written. Cases marked
``works`` must instead succeed: the bad thing is beside the input, not in it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from corridor import cli
from corridor.io.geodata import DEFAULT_GEODATA

BASELINE = (DEFAULT_GEODATA / "scenarios" / "baseline-2024.toml").read_text(encoding="utf-8")
#: The top of a minimal scenario.
HEAD = 'name = "broken"\nyear = 2024\n'
DEMAND = '[[demand]]\norigin = "alashankou"\ndestination = "poti-port"\ncommodity = "freight"\n'


@dataclass(frozen=True)
class Case:
    """``build(data, tmp)`` breaks a copy of the data and returns the command's arguments."""

    name: str
    build: Callable[[Path, Path], list[str]]
    needles: tuple[str, ...] = ()
    works: bool = False  # the command must succeed despite the oddity


# --------------------------------------------------------------------------- helpers


def _doc(data: Path, layer: str) -> dict:
    return json.loads((data / f"{layer}.geojson").read_text(encoding="utf-8"))


def _save(data: Path, layer: str, doc: dict | str) -> None:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    (data / f"{layer}.geojson").write_text(text, encoding="utf-8")


def _edit_feature(layer: str, fid: str, edit: Callable[[dict], None]) -> Callable[[Path, Path], list[str]]:
    def build(data: Path, tmp: Path) -> list[str]:
        doc = _doc(data, layer)
        (feature,) = [f for f in doc["features"] if (f.get("properties") or {}).get("id") == fid]
        edit(feature)
        _save(data, layer, doc)
        return ["validate", "--geodata", str(data)]

    return build


def _set(key: str, value: object) -> Callable[[dict], None]:
    def edit(feature: dict) -> None:
        feature["properties"][key] = value

    return edit


def _raw_edges(transform: Callable[[str], str]) -> Callable[[Path, Path], list[str]]:
    def build(data: Path, tmp: Path) -> list[str]:
        path = data / "edges.geojson"
        path.write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8")
        return ["validate", "--geodata", str(data)]

    return build


def _scenario(text: str, *, command: str = "analyze", encoding: str = "utf-8") -> Callable[[Path, Path], list[str]]:
    def build(data: Path, tmp: Path) -> list[str]:
        path = data / "scenarios" / "broken.toml"
        path.write_bytes(text.encode(encoding))
        return [*command.split(), "--geodata", str(data), "--scenario", "broken"]

    return build


def _cli(*argv: str) -> Callable[[Path, Path], list[str]]:
    def build(data: Path, tmp: Path) -> list[str]:
        return [a.replace("{data}", str(data)).replace("{tmp}", str(tmp)) for a in argv]

    return build


def _nested(data: Path, tmp: Path) -> list[str]:
    _save(data, "nodes", "[" * 100_000 + "]" * 100_000)
    return ["validate", "--geodata", str(data)]


def _first_edge(data: Path) -> dict:
    return _doc(data, "edges")["features"][0]


def _id_clash(data: Path, tmp: Path) -> list[str]:
    nodes, edges = _doc(data, "nodes"), _doc(data, "edges")
    edges["features"][0]["properties"]["id"] = nodes["features"][0]["properties"]["id"]
    _save(data, "edges", edges)
    return ["validate", "--geodata", str(data)]


def _case_twin(data: Path, tmp: Path) -> list[str]:
    nodes = _doc(data, "nodes")
    twin = json.loads(json.dumps(nodes["features"][0]))
    twin["properties"]["id"] = twin["properties"]["id"].upper()
    nodes["features"].append(twin)
    _save(data, "nodes", nodes)
    return ["validate", "--geodata", str(data)]


def _self_loop(data: Path, tmp: Path) -> list[str]:
    edges = _doc(data, "edges")
    props = edges["features"][0]["properties"]
    props["to_id"] = props["from_id"]
    _save(data, "edges", edges)
    return ["validate", "--geodata", str(data)]


def _three_d(data: Path, tmp: Path) -> list[str]:
    edges = _doc(data, "edges")
    for f in edges["features"]:
        if f["properties"]["id"] == "sea-aktau-alat":
            f["geometry"]["coordinates"] = [[*c, 25.0] for c in f["geometry"]["coordinates"]]
    _save(data, "edges", edges)
    return [
        "export",
        "--geodata",
        str(data),
        "--scenario",
        "baseline-2024",
        "--format",
        "geojson",
        "-o",
        str(tmp / "3d.geojson"),
    ]


def _swap_lat_lon(feature: dict) -> None:
    x, y = feature["geometry"]["coordinates"]
    feature["geometry"]["coordinates"] = [y, x]


def _web_mercator(data: Path, tmp: Path) -> list[str]:
    doc = _doc(data, "nodes")
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    for f in doc["features"]:
        x, y = f["geometry"]["coordinates"]
        f["geometry"]["coordinates"] = [x * 111_319.49, y * 111_319.49]
    _save(data, "nodes", doc)
    return ["validate", "--geodata", str(data)]


def _scenario_folder(data: Path, tmp: Path) -> list[str]:
    (data / "scenarios" / "x.toml").mkdir()
    return ["analyze", "--geodata", str(data), "--scenario", "baseline-2024"]


def _gpkg_without_scenarios(data: Path, tmp: Path) -> list[str]:
    import geopandas as gpd

    gpkg = tmp / "net.gpkg"
    for layer in ("nodes", "edges"):
        gpd.read_file(data / f"{layer}.geojson").to_file(gpkg, layer=layer, driver="GPKG")
    return ["analyze", "--geodata", str(gpkg), "--scenario", "baseline-2024"]


def _fifo_scenario(data: Path, tmp: Path) -> list[str]:
    os.mkfifo(data / "scenarios" / "pipe.toml")
    return ["analyze", "--geodata", str(data), "--scenario", "pipe"]


def _output(kind: str, fmt: str) -> Callable[[Path, Path], list[str]]:
    """``-o`` onto a place no file may be written: a folder, a read-only folder, /proc, /dev/full, a symlink."""

    def build(data: Path, tmp: Path) -> list[str]:
        name = f"out.{'html' if fmt == 'map' else fmt}"
        if kind == "folder":
            target = tmp / "a-folder"
            target.mkdir()
        elif kind == "read-only":
            if os.geteuid() == 0:  # root writes into any folder whose mode says read-only; sysfs refuses new files
                folder = Path("/sys/kernel")
            else:
                folder = tmp / "ro"
                folder.mkdir()
                folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
            target = folder / name
        elif kind == "proc":
            target = Path("/proc") / name
        elif kind == "dev-full":
            target = Path("/dev/full")
        else:  # a symlink to a file of the bundled data
            target = tmp / name
            target.symlink_to(DEFAULT_GEODATA / "edges.geojson")
        command = ["map"] if fmt == "map" else ["export", "--format", fmt]
        return [*command, "--scenario", "baseline-2024", "-o", str(target)]

    return build


# --------------------------------------------------------------------------- the corpus

CORPUS = [
    # files that are not GeoJSON, or GeoJSON of the wrong shape
    Case("empty-file", _raw_edges(lambda t: ""), ("edges.geojson",)),
    Case("not-json", _raw_edges(lambda t: t[: len(t) // 2]), ("edges.geojson",)),
    Case("byte-order-mark", _raw_edges(lambda t: "\ufeff" + t), ("edges.geojson",)),
    Case("json-nested-100000-deep", _nested, ("nodes.geojson",)),
    Case("not-a-feature-collection", _raw_edges(lambda t: "[1, 2, 3]"), ("edges.geojson",)),
    Case(
        "duplicate-json-keys",
        _raw_edges(lambda t: t.replace('"properties":{"id":', '"properties":{"id":"x","id":', 1)),
        ("edges.geojson",),
    ),
    Case(
        "nan-literal",
        _raw_edges(lambda t: re.sub(r'"capacity":[0-9.]+', '"capacity":NaN', t, count=1)),
        ("capacity",),
    ),
    Case(
        "infinity-literal",
        _raw_edges(lambda t: re.sub(r'"capacity":[0-9.]+', '"capacity":Infinity', t, count=1)),
        ("capacity",),
    ),
    Case(
        "crs-properties-a-list",
        _raw_edges(lambda t: t.replace("{", '{"crs": {"type": "name", "properties": []},', 1)),
        ("crs",),
    ),
    Case("wrong-crs-web-mercator", _web_mercator, ("nodes.geojson",)),
    # one feature broken
    Case(
        "null-geometry",
        _edit_feature("edges", "sea-aktau-alat", lambda f: f.update(geometry=None)),
        ("sea-aktau-alat",),
    ),
    Case(
        "null-properties",
        _edit_feature("edges", "sea-aktau-alat", lambda f: f.update(properties=None)),
        ("edges.geojson",),
    ),
    Case(
        "multilinestring-edge",
        _edit_feature(
            "edges",
            "sea-aktau-alat",
            lambda f: f.update(geometry={"type": "MultiLineString", "coordinates": [f["geometry"]["coordinates"]]}),
        ),
        ("sea-aktau-alat",),
    ),
    # a 3-D line is a line: its heights are dropped, and the results are those of the 2-D line
    Case("3d-edge", _three_d, works=True),
    Case("swapped-lat-lon", _edit_feature("nodes", "poti-port", _swap_lat_lon), ("poti-port",)),
    Case(
        "negative-capacity",
        _edit_feature("edges", "sea-aktau-alat", _set("capacity", -5)),
        ("sea-aktau-alat", "capacity"),
    ),
    Case(
        "boolean-as-number",
        _edit_feature("edges", "sea-aktau-alat", _set("capacity", True)),
        ("sea-aktau-alat", "capacity"),
    ),
    Case(
        "text-as-number",
        _edit_feature("edges", "sea-aktau-alat", _set("capacity", "lots")),
        ("sea-aktau-alat", "capacity"),
    ),
    Case(
        "unknown-mode", _edit_feature("edges", "sea-aktau-alat", _set("mode", "teleport")), ("sea-aktau-alat", "mode")
    ),
    Case(
        "unknown-status",
        _edit_feature("edges", "sea-aktau-alat", _set("status", "dreaming")),
        ("sea-aktau-alat", "status"),
    ),
    Case(
        "missing-source",
        _edit_feature("edges", "sea-aktau-alat", _set("source_url", None)),
        ("sea-aktau-alat", "source"),
    ),
    Case("edge-to-unknown-node", _edit_feature("edges", "sea-aktau-alat", _set("to_id", "atlantis")), ("atlantis",)),
    Case("nul-in-text", _edit_feature("nodes", "poti-port", _set("name", "Poti\x00")), ("poti-port",)),
    Case("self-loop", _self_loop, ("itself",)),
    Case("node-edge-id-clash", _id_clash, ()),
    Case("ids-differing-only-by-case", _case_twin, ("case",)),
    # scenarios
    Case(
        "scenario-latin-1",
        _scenario(HEAD + 'description = "Tbilisi \xe9t\xe9"\n', encoding="latin-1"),
        ("broken.toml", "utf-8"),
    ),
    Case("scenario-not-toml", _scenario("year = = 2024\n"), ("broken.toml",)),
    Case("scenario-parameters-a-number", _scenario(HEAD + "parameters = 3\n"), ("parameters",)),
    Case("scenario-scalar-value-of-time", _scenario(HEAD + "[parameters]\nvalue_of_time = 3\n"), ("value_of_time",)),
    Case("scenario-integer-demand-entries", _scenario(HEAD + "demand = [1, 2]\n"), ("demand",)),
    Case(
        "scenario-threshold-a-word",
        _scenario(HEAD + '[parameters]\nbottleneck_threshold = "high"\n'),
        ("bottleneck_threshold",),
    ),
    Case("scenario-demand-row-missing-fields", _scenario(HEAD + DEMAND), ("amount",)),
    Case("scenario-unknown-edge", _scenario(HEAD + '[[outage]]\nid = "rail-atlantis"\n'), ("rail-atlantis",)),
    Case("scenario-negative-demand", _scenario(HEAD + DEMAND + 'amount = -1.0\nsource_url = "x"\n'), ("amount",)),
    Case(
        "scenario-demand-in-unknown-node",
        _scenario(HEAD + DEMAND.replace("alashankou", "atlantis") + "amount = 1.0\n"),
        ("atlantis",),
    ),
    Case(
        "scenario-unknown-commodity",
        _scenario(HEAD + DEMAND.replace("freight", "steel") + "amount = 1.0\n"),
        ("steel",),
    ),
    Case(
        "demand-at-a-node-not-yet-in-service-criticality",
        _scenario(HEAD + DEMAND.replace("poti-port", "anaklia-port") + "amount = 1.0\n", command="criticality"),
        ("anaklia-port", "not in service"),
    ),
    Case(
        "demand-at-a-node-not-yet-in-service-plan",
        _scenario(HEAD + DEMAND.replace("poti-port", "anaklia-port") + "amount = 1.0\n", command="plan --target 2"),
        ("anaklia-port", "not in service"),
    ),
    Case("scenario-extends-itself", _scenario('extends = "broken"\n' + HEAD), ("extends",)),
    Case("scenario-fifo", _fifo_scenario, ("pipe",)),
    Case("scenario-folder-named-x.toml", _scenario_folder, works=True),
    Case("geopackage-without-scenarios", _gpkg_without_scenarios, ("baseline-2024",)),
    # command-line arguments
    Case("scenario-path-escape", _cli("analyze", "--scenario", "../../x"), ("../../x",)),
    Case("scenario-name-1-mb", _cli("analyze", "--scenario", "x" * 1_000_000), ("scenario",)),
    Case("unknown-scenario", _cli("analyze", "--scenario", "baseline-2042"), ("baseline-2042",)),
    Case("jobs-zero", _cli("criticality", "--jobs", "0"), ("--jobs",)),
    Case("top-negative", _cli("analyze", "--top", "-1"), ("--top",)),
    Case("target-nan", _cli("plan", "--scenario", "target-2030", "--target", "nan"), ("target",)),
    Case("target-1e300", _cli("plan", "--scenario", "target-2030", "--target", "1e300"), ("target",)),
    Case("target-wrong-unit", _cli("plan", "--scenario", "target-2030", "--target", "10 MW"), ("target",)),
    Case("throughput-unknown-node", _cli("throughput", "--from", "atlantis", "--to", "poti-port"), ("atlantis",)),
    Case("geodata-missing-folder", _cli("analyze", "--geodata", "{tmp}/nowhere"), ("nowhere",)),
]
# -o onto places no file may be written, for every writer
for _kind in ("folder", "read-only", "proc", "dev-full", "symlink-to-bundled-data"):
    for _fmt in ("map", "csv", "gpkg", "md", "geojson"):
        CORPUS.append(Case(f"output-{_kind}-{_fmt}", _output(_kind, _fmt)))


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)  # an uncaught exception fails the test with its traceback
    return code, out.getvalue(), err.getvalue()


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_the_corpus_covers_at_least_40_classes() -> None:
    assert len({c.name for c in CORPUS}) == len(CORPUS)
    classes = {re.sub(r"-(map|csv|gpkg|md|geojson)$", "", c.name) for c in CORPUS}
    assert len(classes) >= 40, len(classes)


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_broken_input_gives_one_line_and_writes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "geodata"
    shutil.copytree(DEFAULT_GEODATA, data, ignore=shutil.ignore_patterns("src"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = case.build(data, tmp_path)
    before_data, before_tmp = _files(data), _files(tmp_path)
    code, out, err = _run(argv)
    assert "Traceback" not in out + err
    if case.works:
        assert code == 0, err
        for written in tmp_path.glob("*.geojson"):  # exports hold 2-D positions (RFC 7946 allows no mixed ones)
            coords = json.loads(written.read_text(encoding="utf-8"))["features"][-1]["geometry"]["coordinates"]
            assert all(len(c) == 2 for c in (coords if isinstance(coords[0], list) else [coords]))
        return
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("corridor: error: ") for line in lines[:-1]), lines
    if len(lines) > 1:
        assert re.fullmatch(rf"corridor: {len(lines) - 1} problem\(s\) found", lines[-1]), lines
    else:
        assert lines[0].startswith("corridor: error: "), lines
    for needle in case.needles:
        assert needle.lower() in err.lower(), (needle, err)
    assert _files(data) == before_data  # nothing written into the input
    assert _files(tmp_path) - before_tmp - _files(data) <= {"work"}  # and no output anywhere
    assert not (work / "maps").exists() or not any((work / "maps").iterdir())
