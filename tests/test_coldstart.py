"""Cold start: the package and the command line's help import none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("geopandas", "numba", "folium", "scipy", "matplotlib", "pandas", "networkx", "shapely", "pyproj")


def _imported(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.split()


def _cli(*args: str) -> str:
    """Code that runs ``corridor <args>`` in-process, quietly."""
    return (
        "import contextlib, io\nfrom corridor.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit): main({list(args)!r})"
    )


@pytest.mark.parametrize(
    "code",
    ["import corridor", "import corridor.cli", _cli("--help"), _cli("analyze", "--help"), _cli("--version")],
)
def test_no_heavy_imports(code: str) -> None:
    assert _imported(code) == []


def test_analyze_on_the_bundled_data_does_not_import_numba_or_folium() -> None:
    loaded = _imported(_cli("analyze"))
    assert "geopandas" in loaded and "numba" not in loaded and "folium" not in loaded, loaded


def test_public_api_resolves_lazily() -> None:
    import corridor

    for name in corridor.__all__:
        assert getattr(corridor, name) is not None, name
    assert corridor.load_network is corridor.build_network
    import corridor.analyses.criticality  # the submodule shares no name with the package's API any more

    assert callable(corridor.criticality) and corridor.criticality is corridor.analyses.criticality.criticality
    assert set(corridor.__all__) <= set(dir(corridor))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        corridor.nope  # noqa: B018


@pytest.mark.parametrize("module", ["corridor", "corridor.cli"])
def test_python_dash_m_runs_the_command_line(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "schema"], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.startswith("### Nodes")
