"""The wheel carries its data: build it, install it in a fresh venv, run the CLI from an empty folder.

The fresh venv gets the package from the wheel only (``--no-deps``); its dependencies come from
the running interpreter's site-packages through a ``.pth`` file. A ``.pth`` line that names a
folder only appends it to ``sys.path`` (the ``.pth`` files inside are not run), so the editable
install of the checkout, if any, stays invisible, and the venv's own site-packages come first.
Building needs the package registry (for setuptools), as ``pip install`` does; nothing else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

import corridor

from .conftest import REPO

#: Not part of a build, at the top of the checkout: VCS data, virtualenvs, caches and outputs.
_TOP = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", ".*_cache", ".hypothesis", "maps", "out")


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n == "__pycache__"}
    return skip | (_TOP(folder, names) if Path(folder) == REPO else set())


_REMOTE_ASSET = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout (so the build leaves nothing in it)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=_ignore)
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(tmp / "dist"), "-q"], cwd=tmp)
    (built,) = (tmp / "dist").glob("corridor-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the wheel installed; the dependencies are borrowed from this interpreter."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    venv.create(root, with_pip=False, symlinks=os.name != "nt")
    python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], cwd=root)
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root)
    ours = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    ours |= {p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")}
    deps = [p for p in sorted(ours) if Path(p).is_dir()]
    (Path(site.stdout.strip()) / "_corridor_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    return root


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CORRIDOR_GEODATA", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _bin(root: Path, name: str) -> str:
    return str(root / ("Scripts" if os.name == "nt" else "bin") / name)


def test_wheel_carries_geodata_and_every_vendored_asset(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads((REPO / "corridor" / "render" / "vendor" / "manifest.json").read_text(encoding="utf-8"))
    files = {a["file"] for a in manifest["assets"].values()} | set(manifest["leaflet_icons"].values())
    vendor = REPO / "corridor" / "render" / "vendor"
    files |= {p.relative_to(vendor).as_posix() for p in vendor.rglob("*") if p.is_file() and p.suffix != ".pyc"}
    missing = sorted(f for f in files if f"corridor/render/vendor/{f}" not in names)
    assert not missing, f"vendored assets not in the wheel: {missing}"
    geodata = REPO / "geodata"
    sources = geodata / "src"  # the curated sources the GeoJSON is built from (tools/): not shipped
    shipped = [
        p.relative_to(geodata).as_posix() for p in geodata.rglob("*") if p.is_file() and sources not in p.parents
    ]
    assert {"nodes.geojson", "edges.geojson", "basemap.geojson", "SOURCES.md", "LICENSE-basemap.md"} <= set(shipped)
    assert any(s.startswith("scenarios/") for s in shipped)
    missing = sorted(s for s in shipped if f"corridor/_geodata/{s}" not in names)
    assert not missing, f"geodata not in the wheel: {missing}"
    assert not [n for n in names if n.startswith("corridor/_geodata/src/")]


def test_installed_wheel_runs_offline_from_an_empty_folder(fresh_venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = _env()
    version = _run([_bin(fresh_venv, "corridor"), "--version"], cwd=work, env=env)
    assert version.stdout.strip() == f"corridor {corridor.__version__}"
    where = _run([_bin(fresh_venv, "python"), "-c", "import corridor; print(corridor.__file__)"], cwd=work, env=env)
    assert Path(where.stdout.strip()).is_relative_to(fresh_venv), "the wheel's corridor must be the one imported"
    data = Path(_run([_bin(fresh_venv, "corridor"), "--data-path"], cwd=work, env=env).stdout.strip())
    assert data.is_relative_to(fresh_venv) and (data / "nodes.geojson").is_file()
    assert sorted(p.name for p in (data / "scenarios").glob("*.toml")) == sorted(
        p.name for p in (REPO / "geodata" / "scenarios").glob("*.toml")
    )

    run = _run([_bin(fresh_venv, "corridor"), "analyze", "--map"], cwd=work, env=env)
    html = work / "maps" / "baseline-2024.html"
    assert html.is_file(), run.stdout
    assert "map: maps/baseline-2024.html" in run.stdout
    page = html.read_text(encoding="utf-8")
    assert "leaflet" in page.lower() and not _REMOTE_ASSET.search(page)
    assert sorted(p.name for p in work.rglob("*")) == ["baseline-2024.html", "maps"]


def test_wheel_ships_the_compiled_kernels_and_the_command_loads_them(wheel: Path, fresh_venv: Path, tmp_path: Path):
    """numba's cache of generic x86-64 code (setup.py) is in the wheel, and an installed ``corridor`` process
    loads every kernel copy from it: cache hits, no compile (the build and this test share Python and numba)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for kernel in ("_paths", "_paths_serial", "_nearest", "_nearest_serial"):
        assert any(re.fullmatch(rf"corridor/solve/__pycache__/kernels\.{kernel}-\d+\.py3\d+\.nbi", n) for n in names)
    probe = (
        "import contextlib\n"
        "from corridor.cli import main\n"
        "with contextlib.suppress(SystemExit):\n"
        "    main(['--version'])\n"  # as the command starts: it sets numba's CPU name before numba loads
        "from corridor.solve import kernels\n"
        "kernels.compile_all()\n"
        "copies = [kernels._compiled(parallel=p) for p in (False, True)]\n"
        "stats = [getattr(c, k).stats for c in copies for k in ('paths', 'nearest')]\n"
        "print(sum(len(s.cache_hits) for s in stats), sum(len(s.cache_misses) for s in stats))\n"
    )
    env = {k: v for k, v in _env().items() if not k.startswith("NUMBA_")}
    done = _run([_bin(fresh_venv, "python"), "-c", probe], cwd=tmp_path, env=env)
    hits, misses = map(int, done.stdout.split()[-2:])
    assert (hits, misses) == (4, 0), done.stdout
