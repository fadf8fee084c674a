"""Property: whatever one hostile edit does to a copy of the bundled data, ``validate`` and ``analyze`` end in
exit 0, or in exit 2 with one ``corridor: error:`` line (``validate``: one per problem and a count), within a
time limit, never with a traceback and never writing a file (issue #17).

Each example copies the bundled geodata and sets one field of one random feature, or one value of one line of
a scenario, to a hostile value — negative, NaN, huge, of the wrong type, empty, NUL, a lone surrogate, an unknown
or a duplicated id — or appends one hostile entry to the scenario, and runs both commands in-process through
:func:`corridor.cli.main`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corridor import cli
from corridor.io import schema
from corridor.io.geodata import DEFAULT_GEODATA

#: Seconds one command may take on the bundled network (it takes about one).
TIME_LIMIT = 60.0

_NODES = json.loads((DEFAULT_GEODATA / "nodes.geojson").read_text(encoding="utf-8"))["features"]
_EDGES = json.loads((DEFAULT_GEODATA / "edges.geojson").read_text(encoding="utf-8"))["features"]
_IDS = [f["properties"]["id"] for f in _NODES + _EDGES]
_SCENARIO = (DEFAULT_GEODATA / "scenarios" / "baseline-2024.toml").read_text(encoding="utf-8")
_SCENARIO_VALUES = [i for i, line in enumerate(_SCENARIO.splitlines()) if re.match(r"^\s*\w+\s*=\s*\S", line)]

hostile_numbers = st.one_of(
    st.sampled_from([-1, -0.4, 0, 0.0, -0.0, 1e-300, 1e308, -1e308, 2**63, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**6),
)
hostile_text = st.one_of(
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "../../x", "/dev/null", "NaN", "1e999"]),
    st.sampled_from(_IDS),  # a duplicated or misplaced id
    st.text(max_size=20),
    st.just("x" * 10_000),
)
hostile_values = st.one_of(
    hostile_numbers,
    hostile_text,
    st.sampled_from([None, True, False, [], {}, [1, 2], {"a": 1}, [[0, 0]]]),
)
#: Whole entries appended to the scenario (each once broke a promise; see tests/test_bad_input.py).
hostile_entries = st.sampled_from(
    [
        '[[derate]]\nid = 123\nfactor = 0.5\nreason = "x"',
        '[[capacity]]\nid = "sea-aktau-alat"\ncapacity = 0\nsource_url = "x"',
        '[[capacity]]\nid = "poti-port"\ncapacity = 1e308\nsource_url = "x"',
        '[[outage]]\nid = "poti-port"',
        '[[outage]]\nid = "no-such-asset"',
        '[[demand]]\norigin = "poti-port"\ndestination = "poti-port"\ncommodity = "freight"\namount = 1.0',
        '[[demand]]\norigin = "alashankou"\ndestination = "poti-port"\ncommodity = "oil"\namount = 1.0',
        '[[schedule]]\norigin = "alashankou"\ndestination = "poti-port"\ndays = [10, 1]\ncommodity = "steel"',
        '[[derate]]\nkind = "port"\nfactor = 1e-300',
        '[[derate]]\nmode = "sea"\nfactor = 0',
        'extends = "baseline-2024"',
        "[parameters]\nvalue_of_time = { freight = -100.0 }",
        "[parameters]\nunserved_penalty = { freight = 0.0 }",
        "[parameters]\nbottleneck_threshold = nan",
        "[[demand]]\n[[demand]]",
        "[unknown]\nx = 1",
    ]
)
hostile_toml = st.sampled_from(
    [
        "-1",
        "-0.4",
        "0",
        "nan",
        "inf",
        "-inf",
        "1e308",
        "123",
        "true",
        '""',
        '"\\u0000"',
        '"poti-port"',
        '"../../x"',
        "[]",
        "[1, 2, 3]",
        "{}",
        "{ freight = -100.0 }",
        "{ freight = 0.0 }",
        '"unknown-id"',
        "[[[",
    ]
)


def _field_names(layer: str) -> list[str]:
    return [*schema.field_names(layer), "geometry", "properties", "extra_field"]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, Any, Any, Any]:
    """(target, where, field, value): one feature's field of nodes/edges, one scenario line, or an entry appended
    to the scenario."""
    target = draw(st.sampled_from(["nodes", "edges", "scenario", "entry"]))
    if target == "entry":
        return target, None, None, draw(hostile_entries)
    if target == "scenario":
        line = draw(st.sampled_from(_SCENARIO_VALUES))
        return target, line, None, draw(hostile_toml)
    features = _NODES if target == "nodes" else _EDGES
    index = draw(st.integers(0, len(features) - 1))
    return target, index, draw(st.sampled_from(_field_names(target))), draw(hostile_values)


def _apply(folder: Path, mutation: tuple[str, Any, Any, Any]) -> Path:
    """Write the mutated copy; return the scenario file to analyse."""
    target, where, field, value = mutation
    scenario = folder / "scenarios" / "baseline-2024.toml"
    if target == "entry":
        scenario.write_text(_SCENARIO + "\n" + value + "\n", encoding="utf-8")
        return scenario
    if target == "scenario":
        lines = _SCENARIO.splitlines()
        key = lines[where].split("=", 1)[0]
        lines[where] = f"{key}= {value}"
        text = "\n".join(lines) + "\n"
        assume(text != _SCENARIO)
        scenario.write_text(text, encoding="utf-8")
        return scenario
    path = folder / f"{target}.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    feature = doc["features"][where]
    if field == "geometry":
        old = feature["geometry"]
        feature["geometry"] = value if not isinstance(value, list) else {"type": old["type"], "coordinates": value}
    elif field == "properties":
        feature["properties"] = value
    else:
        assume(feature["properties"].get(field, object()) != value)
        feature["properties"][field] = value
    path.write_text(json.dumps(doc), encoding="utf-8")  # NaN/Infinity as literals; \ud800 as an escape
    return scenario


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def _run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    before = Path.cwd()
    os.chdir(cwd)
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)  # an uncaught exception fails the test with its traceback
    finally:
        os.chdir(before)
    assert time.perf_counter() - started < TIME_LIMIT, argv
    return code, out.getvalue(), err.getvalue()


def _check_outcome(command: str, code: int, out: str, err: str) -> None:
    assert code in (0, 2), (command, code, err)
    assert "Traceback" not in out + err
    lines = err.splitlines()
    if code == 0:
        return
    assert lines, (command, out)
    if len(lines) == 1:
        assert lines[0].startswith("corridor: error: "), lines
    else:  # the validator's list: one line per problem, then the count
        assert all(line.startswith("corridor: error: ") for line in lines[:-1]), lines
        assert re.fullmatch(rf"corridor: {len(lines) - 1} problem\(s\) found", lines[-1]), lines
    err.encode("utf-8")  # printable: no lone surrogate reaches the terminal


@pytest.fixture(scope="module")
def bundled_files() -> dict[str, tuple[int, int]]:
    return _files(DEFAULT_GEODATA)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=mutations())
def test_hostile_edits_give_exit_0_or_one_line_and_write_nothing(
    mutation: tuple[str, Any, Any, Any], bundled_files: dict[str, tuple[int, int]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "geodata"
        shutil.copytree(DEFAULT_GEODATA, folder, ignore=shutil.ignore_patterns("src"))
        work = root / "work"
        work.mkdir()
        scenario = _apply(folder, mutation)
        before = _files(root)
        code, out, err = _run(["validate", "--geodata", str(folder)], work)
        _check_outcome("validate", code, out, err)
        code, out, err = _run(["analyze", "--geodata", str(folder), "--scenario", str(scenario)], work)
        _check_outcome("analyze", code, out, err)
        if code == 0:
            assert out.startswith("Scenario "), out[:200]
        assert _files(root) == before  # nothing written, nothing changed, in the copy or the working folder
    assert _files(DEFAULT_GEODATA) == bundled_files
