"""The OpenStreetMap traces kept in geodata/src/traces/ are sound lines, and the edges cut from them are reproducible.

The traces were copied from other repositories' stitched OpenStreetMap ways; a copying slip shows up as a spike
(a vertex where the line turns straight back) or a vertex count that no longer matches the file's own record.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
import tomllib

import pytest

from .conftest import REPO

TRACES = sorted((REPO / "geodata" / "src" / "traces").glob("*.geojson"))


def _turn_deg(a: list[float], b: list[float], c: list[float]) -> float:
    """How far the line turns at ``b`` (0: straight on, 180: straight back), in degrees."""
    k = math.cos(math.radians(b[1]))
    u, v = ((b[0] - a[0]) * k, b[1] - a[1]), ((c[0] - b[0]) * k, c[1] - b[1])
    nu, nv = math.hypot(*u), math.hypot(*v)
    return math.degrees(math.acos(max(-1.0, min(1.0, (u[0] * v[0] + u[1] * v[1]) / (nu * nv)))))


def test_every_trace_is_cited_by_an_edge() -> None:
    cited = {
        e["derive_trace"]
        for path in (REPO / "geodata" / "src").glob("*.toml")
        for e in tomllib.loads(path.read_text(encoding="utf-8")).get("edge", [])
        if "derive_trace" in e
    }
    assert TRACES, "no traces found"
    assert {f"traces/{p.name}" for p in TRACES} == cited


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.stem)
def test_trace_is_one_sourced_line_without_spikes(path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    (feature,) = data["features"]
    props, geometry = feature["properties"], feature["geometry"]
    assert props["source"].startswith("OpenStreetMap") and "ODbL" in props["licence"]
    assert geometry["type"] == "LineString"
    coords = geometry["coordinates"]
    assert props["vertices"] == len(coords) > 100
    assert all(20.0 < x < 90.0 and 30.0 < y < 56.0 for x, y in coords), "outside the region (lat/lon swapped?)"
    assert all(a != b for a, b in itertools.pairwise(coords)), "a repeated vertex"
    spikes = [(i, coords[i]) for i in range(1, len(coords) - 1) if _turn_deg(*coords[i - 1 : i + 2]) > 170.0]
    assert not spikes, f"the line turns straight back at {spikes[:3]}"


def test_edges_cut_from_traces_are_what_the_tool_derives() -> None:
    """`tools/derive_gem.py --check` re-cuts every trace edge from its trace: no via may differ."""
    edges = [
        e["id"]
        for path in sorted((REPO / "geodata" / "src").glob("*.toml"))
        for e in tomllib.loads(path.read_text(encoding="utf-8")).get("edge", [])
        if "derive_trace" in e
    ]
    args = [sys.executable, str(REPO / "tools" / "derive_gem.py"), "--check"]
    for eid in edges:
        args += ["--edge", eid]
    run = subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout.count("unchanged") == len(edges), run.stdout
