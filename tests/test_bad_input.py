"""Bad input never loses data, never hangs and never gives a silently wrong answer (issue #17).

Each test feeds one hostile or careless input, as a user would, to a copy of the bundled data and checks
for the one-line error (exit 2) or the correct answer.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import corridor
from corridor import cli
from corridor._errors import ArgumentError, ArgumentTypeError, CorridorError, ScenarioError
from corridor.analyses.bottlenecks import classify
from corridor.io.geodata import DEFAULT_GEODATA
from corridor.io.scenario import Scenario

from .conftest import REPO

BASELINE = (DEFAULT_GEODATA / "scenarios" / "baseline-2024.toml").read_text(encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A writable copy of the bundled geodata."""
    out = tmp_path / "geodata"
    shutil.copytree(DEFAULT_GEODATA, out, ignore=shutil.ignore_patterns("src"))
    return out


@pytest.fixture(scope="module")
def bundled() -> corridor.Geodata:
    return corridor.load_geodata()


def _features(folder: Path, layer: str) -> dict:
    return json.loads((folder / f"{layer}.geojson").read_text(encoding="utf-8"))


def _save(folder: Path, layer: str, doc: dict) -> None:
    (folder / f"{layer}.geojson").write_text(json.dumps(doc), encoding="utf-8")


def _props(doc: dict, fid: str) -> dict:
    (props,) = [f["properties"] for f in doc["features"] if f["properties"]["id"] == fid]
    return props


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[str]]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def _error(argv: list[str], capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    """Run a command that must fail with exit 2 and one error line holding every needle."""
    code, out, err = _run(argv, capsys)
    assert code == 2, (out, err)
    assert len(err) == 1 and err[0].startswith("corridor: error: "), err
    assert "Traceback" not in out
    for needle in needles:
        assert needle in err[0], err[0]
    return err[0]


def _scenario(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- geodata validation


def test_ids_are_unique_across_nodes_and_edges(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edges = _features(data, "edges")
    edges["features"][0]["properties"]["id"] = "poti-port"  # a node's id
    _save(data, "edges", edges)
    _error(["validate", "--geodata", str(data), "--strict"], capsys, "feature 'poti-port'", "field 'id'", "unique")
    _error(["criticality", "--geodata", str(data)], capsys, "unique across nodes and edges")


@pytest.mark.parametrize(
    ("text", "needle"),
    [("Poti\x00port", "NUL character"), ("Poti\ud800", "lone surrogate (\\ud800)")],
)
def test_text_with_nul_or_a_lone_surrogate_is_refused(
    data: Path, text: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = _features(data, "nodes")
    _props(nodes, "poti-port")["name"] = text
    _save(data, "nodes", nodes)  # json.dumps writes \u0000 and \ud800 escapes
    _error(["validate", "--geodata", str(data)], capsys, "feature 'poti-port'", "field 'name'", needle)
    for command in (["analyze", "--json"], ["export", "--format", "gpkg", "-o", str(data.parent / "x.gpkg")]):
        _error([*command, "--geodata", str(data)], capsys, needle)
    assert not (data.parent / "x.gpkg").exists()


def test_duplicate_json_keys_are_refused(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (data / "edges.geojson").read_text(encoding="utf-8")
    text = text.replace('"capacity":', '"capacity":999,"capacity":', 1)
    assert text.count('"capacity":999') == 1
    (data / "edges.geojson").write_text(text, encoding="utf-8")
    line = _error(["validate", "--geodata", str(data)], capsys, "edges.geojson", "field 'capacity'", "more than once")
    assert "feature '" in line and "fix: keep one 'capacity'" in line


def test_negative_length_on_a_short_edge_is_refused_not_looped_on(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edges = _features(data, "edges")
    short = min(edges["features"], key=lambda f: f["properties"]["length_km"])["properties"]
    assert short["length_km"] < 0.5  # inside the geometry check's 0.5 km tolerance: only the sign check catches it
    short["length_km"] = -0.4
    short["time_h"] = 0
    _save(data, "edges", edges)
    _error(["validate", "--geodata", str(data)], capsys, f"feature '{short['id']}'", "field 'length_km'", "negative")
    _error(["analyze", "--geodata", str(data)], capsys, "length_km")


def test_an_integer_beyond_any_float_is_not_finite(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by tests/test_fuzz.py: math.isfinite(10**400) raises OverflowError."""
    text = (data / "edges.geojson").read_text(encoding="utf-8")
    text = text.replace('"capacity":', '"capacity":1' + "0" * 400 + ',"x":', 1)
    (data / "edges.geojson").write_text(text, encoding="utf-8")
    _error(["validate", "--geodata", str(data)], capsys, "field 'capacity'", "not finite")


def test_a_list_where_a_country_code_belongs_is_a_field_error(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by tests/test_fuzz.py: the country check looked the list up in the basemap (unhashable)."""
    nodes = _features(data, "nodes")
    _props(nodes, "poti-port")["country"] = []
    _save(data, "nodes", nodes)
    _error(["validate", "--geodata", str(data)], capsys, "feature 'poti-port'", "field 'country'", "is not text")


def test_blank_text_in_an_optional_number_is_missing_not_a_crash(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by tests/test_fuzz.py: validation read " " as missing, the typing step then failed on it."""
    edges = _features(data, "edges")
    first = edges["features"][0]["properties"]
    first["published_length_km"] = " "
    first["time_h"] = ""
    _save(data, "edges", edges)
    code, out, err = _run(["analyze", "--geodata", str(data), "--json"], capsys)
    assert code == 0, err
    edge = next(e for e in json.loads(out)["edges"] if e["id"] == first["id"])
    assert edge["flow"] >= 0


def _cli(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``corridor ARGV`` in a subprocess (with a time limit: a regression must fail, not hang the suite)."""
    code = "import sys; from corridor.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False
    )


def test_a_fifo_named_like_a_scenario_never_blocks(data: Path) -> None:
    os.mkfifo(data / "scenarios" / "pipe.toml")
    os.mkfifo(data.parent / "other.toml")
    ok = _cli("analyze", "--geodata", str(data))  # the data version hashes the scenarios: the FIFO is skipped
    assert ok.returncode == 0, ok.stderr
    for scenario in ("pipe", str(data.parent / "other.toml")):
        bad = _cli("analyze", "--geodata", str(data), "--scenario", scenario)
        assert bad.returncode == 2
        assert len(bad.stderr.strip().splitlines()) == 1
        assert "not a regular file" in bad.stderr
    assert "pipe" not in corridor.list_scenarios(corridor.load_geodata(data))


def test_a_fifo_as_geodata_never_blocks(data: Path) -> None:
    (data / "nodes.geojson").unlink()
    os.mkfifo(data / "nodes.geojson")
    os.mkfifo(data.parent / "in.gpkg")
    for geodata in (data, data.parent / "in.gpkg"):
        bad = _cli("validate", "--geodata", str(geodata))
        assert bad.returncode == 2
        assert len(bad.stderr.strip().splitlines()) == 1 and "not a regular file" in bad.stderr


# --------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize(
    ("parameters", "needle"),
    [
        ("value_of_time = { freight = -100.0 }", "value_of_time.freight"),
        ("value_of_time = { freight = nan }", "value_of_time.freight"),
        ("value_of_time = 5", "not a table"),
        ("value_of_time = { steel = 1.0 }", "unknown commodity 'steel'"),
        ("unserved_penalty = { freight = 0.0 }", "is not a number > 0"),
        ("unserved_penalty = { oil = -5.0 }", "unserved_penalty.oil"),
        ("bottleneck_threshold = nan", "bottleneck_threshold"),
        ("bottleneck_threshold = 1.5", "bottleneck_threshold 1.5 > 1"),
        ("bottleneck_threshold = 0", "bottleneck_threshold"),
    ],
)
def test_bad_parameters_are_scenario_errors(
    tmp_path: Path, parameters: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = BASELINE.replace("[[demand]]", f"[parameters]\n{parameters}\n\n[[demand]]", 1)
    path = _scenario(tmp_path, "bad", text)
    _error(["analyze", "--scenario", str(path)], capsys, "bad.toml", needle)


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ('[[derate]]\nid = 123\nfactor = 0.5\nreason = "x"', "123 is not a non-empty string"),
        ("[[derate]]\nmode = 7\nfactor = 0.5", "field 'mode'"),
        ("[[outage]]\nid = 5", "field 'id': 5 is not a non-empty string"),
        ("[[capacity]]\nid = true\ncapacity = 1.0", "field 'id': True is not a non-empty string"),
        ('name = "x"\nyear = 2024\ndemand = "lots"', "'demand' is not an array of tables"),
        ('name = "x"\nyear = 2024\ndescription = "a\\u0000b"', "NUL character"),
    ],
)
def test_entries_of_the_wrong_type_are_scenario_errors(
    tmp_path: Path, entry: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = entry if entry.startswith("name =") else BASELINE + "\n" + entry + "\n"
    path = _scenario(tmp_path, "bad", text)
    _error(["analyze", "--scenario", str(path)], capsys, needle)


@pytest.mark.parametrize("amount", ["1e308", "1e10", "123456789012345678901234567890123456789" * 11])
def test_huge_demand_is_a_scenario_error(tmp_path: Path, amount: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by tests/test_fuzz.py: a demand of 1e308 made the LP fail and the flows crash."""
    text = BASELINE.replace("amount = ", f"amount = {amount} # ", 1)
    path = _scenario(tmp_path, "huge", text)
    _error(["analyze", "--scenario", str(path)], capsys, "demand #1", "field 'amount'", "<= 1e+09")


def test_a_failed_lp_is_a_solver_error_not_a_crash(bundled: corridor.Geodata) -> None:
    """Past the scenario checks (a Scenario built in Python), the LP's own failure is one clear error."""
    from corridor._errors import SolverError
    from corridor.io.scenario import Demand

    sc = corridor.load_scenario("baseline-2024", bundled)
    huge = Scenario(**{**sc.__dict__, "demand": (Demand("alashankou", "poti-port", "freight", 1e308),)})
    with pytest.raises(SolverError, match="not optimal: no flows to report"):
        corridor.assign(bundled, huge)


def test_extends_in_a_circle_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _scenario(tmp_path, "a", 'name = "a"\nyear = 2030\nextends = "b.toml"\n')
    _scenario(tmp_path, "b", 'name = "b"\nyear = 2030\nextends = "a.toml"\n')
    _error(["analyze", "--scenario", str(tmp_path / "a.toml")], capsys, "round in a cycle", "a.toml → b.toml → a.toml")


def test_zero_capacity_is_an_outage(tmp_path: Path, bundled: corridor.Geodata) -> None:
    asset = "sea-aktau-alat"
    zero = _scenario(
        tmp_path, "zero", BASELINE + f'\n[[capacity]]\nid = "{asset}"\ncapacity = 0\nsource_url = "test"\n'
    )
    out = _scenario(tmp_path, "out", BASELINE + f'\n[[outage]]\nid = "{asset}"\n')
    a = corridor.analyze(zero, geodata=bundled)
    b = corridor.analyze(out, geodata=bundled)
    row = a.edges.loc[asset]
    assert not row["active"] and row["flow"] == 0 and row["shadow_price"] == 0
    assert a.document["edges"] == b.document["edges"]
    assert a.document["totals"] == b.document["totals"]


def test_an_asset_with_a_positive_shadow_price_is_binding() -> None:
    assert classify(math.nan, 526.0) == "binding"  # e.g. a capacity of zero: the utilisation is 0/0
    assert classify(0.2, 1.0) == "binding"
    assert classify(math.nan, 0.0) == "ok"
    assert classify(1.5, 3.0) == "over-capacity"


# --------------------------------------------------------------------------- command-line values


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1.5", "-inf"])
def test_threshold_must_be_a_utilisation(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    _error(["analyze", f"--threshold={value}"], capsys, "threshold must be a finite number in (0, 1]")


def test_counts_must_not_be_negative(capsys: pytest.CaptureFixture[str]) -> None:
    _error(["analyze", "--top", "-1"], capsys, "--top -1 is below 0")
    _error(["criticality", "--top", "-1"], capsys, "--top -1 is below 0")
    _error(["criticality", "--jobs", "0"], capsys, "--jobs 0 is below 1")


def test_throughput_from_a_node_to_itself_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    _error(["throughput", "--from", "poti-port", "--to", "poti-port"], capsys, "poti-port", "both a source and a sink")
    _error(["throughput", "--from", "alashankou,poti-port", "--to", "poti-port"], capsys, "both a source and a sink")


@pytest.mark.parametrize("target", ["1e12", "1e300", "nan", "inf", "-5", "0"])
def test_plan_target_out_of_range_is_an_error(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    _error(["plan", f"--target={target}"], capsys, "target must be a finite number in (0, ")


def test_plan_without_an_optimum_is_an_error_not_a_plan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("corridor.analyses.plan.MAX_TARGET", 1e13)  # let the huge target through to the LP
    code, out, err = _run(["plan", "--target", "1e12"], capsys)
    assert code == 2 and out == ""
    assert err == [err[0]] and "'Unbounded', not optimal: no plan to report" in err[0]


# --------------------------------------------------------------------------- the Python API


def test_api_arguments_are_checked_at_the_boundary(bundled: corridor.Geodata, tmp_path: Path) -> None:
    sc = corridor.load_scenario("baseline-2024", bundled)
    cases = [
        (lambda: corridor.load_geodata(123), TypeError, "path must be a str or os.PathLike or None, not int"),
        (lambda: corridor.load_geodata(strict="yes"), TypeError, "strict must be True or False"),
        (lambda: corridor.analyze(None), TypeError, "scenario must be a str or os.PathLike, not NoneType"),
        (lambda: corridor.analyze(geodata=1.5), TypeError, "geodata must be a str or os.PathLike or None"),
        (lambda: corridor.analyze(method="fastest"), ValueError, "method must be one of"),
        (lambda: corridor.analyze(threshold=math.nan), ValueError, "threshold must be a finite number in (0, 1]"),
        (lambda: corridor.load_scenario(None, bundled), TypeError, "scenario must be a scenario name"),
        (lambda: corridor.load_scenario("baseline-2024", "geodata"), TypeError, "geodata must be a Geodata"),
        (lambda: corridor.criticality(bundled, sc, jobs="2"), TypeError, "jobs must be an int, not str ('2')"),
        (lambda: corridor.criticality(bundled, sc, jobs=0), ValueError, "jobs must be >= 1, not 0"),
        (lambda: corridor.criticality(bundled, "baseline-2024"), TypeError, "scenario must be a Scenario"),
        (
            lambda: corridor.max_throughput(bundled, sc, sources="alashankou", sinks=["poti-port"]),
            TypeError,
            "sources must be a list of ids, not a single string: write ['alashankou']",
        ),
        (lambda: corridor.max_throughput(bundled, sc, sources=[], sinks=["poti-port"]), ValueError, "sources is empty"),
        (
            lambda: corridor.max_throughput(bundled, sc, sources=["alashankou"], sinks=[3]),
            TypeError,
            "sinks must hold id strings",
        ),
        (lambda: corridor.plan_expansion(bundled, sc, target=math.inf), ValueError, "target must be a finite number"),
        (lambda: corridor.assign(bundled, sc, method=None), CorridorError, "unknown assignment method"),
    ]
    for call, kind, message in cases:
        with pytest.raises(ArgumentError if kind is not CorridorError else CorridorError) as info:
            call()
        assert isinstance(info.value, kind) and isinstance(info.value, CorridorError)
        assert message in str(info.value), str(info.value)
        assert "--" not in str(info.value)  # the library names parameters, not command-line flags


def test_export_and_map_check_their_path_argument(tmp_path: Path) -> None:
    from corridor.export import export
    from corridor.render.maps import write_map

    from .test_map import _tiny_analysis

    run = _tiny_analysis(tmp_path / "geodata")
    for call in (lambda: export(run, "csv", None), lambda: write_map(run, None)):
        with pytest.raises(ArgumentTypeError, match=r"output path must be a str or os\.PathLike, not NoneType"):
            call()
    for call in (lambda: export(None, "csv", tmp_path / "x.csv"), lambda: write_map("run", tmp_path / "x.html")):
        with pytest.raises(ArgumentTypeError, match=r"analysis must be an Analysis \(from corridor\.analyze\)"):
            call()
    with pytest.raises(CorridorError, match="unknown export format"):
        export(run, ["csv"], tmp_path / "x.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["geodata"]


def test_shortest_paths_never_loop_on_a_negative_cycle(bundled: corridor.Geodata) -> None:
    """A negative weight never makes the kernel loop: settled nodes are never rewired (so no predecessor cycle
    forms; the walk also stops on one), and ``tree_paths`` refuses the weight by name (it used to spin for ever)."""
    from corridor.solve.kernels import _paths, tree_paths

    # 0 -1-> 1 -1-> 2, and 2 -(-5)-> 1: rewiring the settled 1's predecessor to 2 would make a cycle 1 <-> 2
    indptr = np.array([0, 1, 2, 3], dtype=np.int64)
    indices = np.array([1, 2, 1], dtype=np.int64)
    weights = np.array([1.0, 1.0, -5.0])
    row_of = np.array([0, 1, 2], dtype=np.int64)
    args = (np.array([0], dtype=np.int64), np.array([0, 1], dtype=np.int64), np.array([2], dtype=np.int64))
    started = time.perf_counter()
    no_bounds = (np.zeros((1, 3)), np.zeros(1, dtype=np.int64))
    lengths, _, flat = _paths(indptr, indices, weights, row_of, *args, *no_bounds)
    assert lengths.tolist() == [2] and flat.tolist() == [0, 1]  # 0 -> 1 -> 2, as settled
    assert time.perf_counter() - started < 60  # compiled on first use; the walk itself is instant
    with pytest.raises(ArgumentError, match="negative"):
        tree_paths(indptr, indices, weights, row_of, *args)
    # a scenario built in Python, past load_scenario's checks, with a negative value of time
    sc = corridor.load_scenario("baseline-2024", bundled)
    bad = Scenario(**{**sc.__dict__, "parameters": {"value_of_time": {"freight": -100.0}}})
    with pytest.raises(ArgumentError, match=r"route cost -[0-9.e+]+ of .* is not a finite number >= 0"):
        corridor.assign(bundled, bad)


def test_scenario_error_is_still_a_validation_error() -> None:
    assert issubclass(ScenarioError, CorridorError)


def test_json_nested_beyond_recursion_is_one_line(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file of 100,000 nested arrays made json.loads raise RecursionError (a traceback)."""
    (data / "nodes.geojson").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    _error(["validate", "--geodata", str(data)], capsys, "nodes.geojson", "nested too deep")


def test_a_crs_whose_properties_are_a_list_is_a_crs_error(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data / "nodes.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["crs"] = {"type": "name", "properties": ["EPSG:4326"]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    _error(["validate", "--geodata", str(data)], capsys, "nodes.geojson", "must be WGS84")
