"""The bundled GeoJSON is exactly what tools/build_geodata.py makes from geodata/src/*.toml (reproducible data)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import REPO


def test_build_reproduces_the_committed_geojson(tmp_path):
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_geodata.py"), "--out", str(tmp_path), "--quiet"],
        check=True,
        capture_output=True,
    )
    for name in ("nodes.geojson", "edges.geojson"):
        built = (tmp_path / name).read_bytes()
        committed = (REPO / "geodata" / name).read_bytes()
        assert built == committed, f"geodata/{name} differs from a fresh build: run `python tools/build_geodata.py`"
