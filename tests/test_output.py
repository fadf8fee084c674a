"""Where outputs may be written: one check and one atomic writer for every output (exports and the map)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corridor import cli
from corridor._errors import ArgumentError, ArgumentTypeError, OutputError
from corridor._output import TEMP_MARK, atomic_write, check_output, slug
from corridor.io.geodata import DEFAULT_GEODATA

from .conftest import REPO


def _write_text(text: str):
    def write(tmp: Path) -> None:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)

    return write


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("corridor: error: ")
    return err[0]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("baseline-2024", "baseline-2024"),
        ("target-2030+plan10", "target-2030+plan10"),
        ("../../x", "x"),
        ("/etc/passwd", "etc-passwd"),
        ("..", "scenario"),
        ("", "scenario"),
        ("a b\x00c\nd", "a-b-c-d"),
        ("C:\\Windows\\x", "C-Windows-x"),
    ],
)
def test_slug_keeps_names_from_data_under_the_output_folder(name: str, expected: str) -> None:
    assert slug(name, default="scenario") == expected
    assert "/" not in slug(name) and not slug(name).startswith(".")


def test_refuses_devices_fifos_and_symlinks_to_them(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    link = tmp_path / "null.csv"
    link.symlink_to(os.devnull)
    for target, kind in ((Path(os.devnull), "character device"), (fifo, "FIFO"), (link, "character device")):
        with pytest.raises(OutputError, match=kind) as info:
            atomic_write(target, _write_text("x"))
        assert "\n" not in str(info.value)
    assert fifo.exists() and not fifo.is_file()
    assert link.is_symlink() and os.readlink(link) == os.devnull
    with pytest.raises(OutputError, match="is a folder"):
        check_output(tmp_path)


def test_refuses_the_bundled_and_the_input_geodata(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="bundled geodata"):
        check_output(DEFAULT_GEODATA / "nodes.geojson")
    gpkg = tmp_path / "in.gpkg"
    gpkg.write_bytes(b"not really a gpkg")
    with pytest.raises(OutputError, match="input geodata"):
        check_output(gpkg, geodata=gpkg)
    check_output(tmp_path / "out.gpkg", geodata=gpkg)  # beside it is fine


def test_bad_path_arguments_are_argument_errors() -> None:
    with pytest.raises(ArgumentTypeError, match=r"str or os\.PathLike, not NoneType") as info:
        check_output(None)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    with pytest.raises(ArgumentError, match="NUL"):
        check_output("a\x00b.csv")


def test_os_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="Not a directory") as info:
        atomic_write(tmp_path / "file" / "out.csv", _write_text("x"))
    assert "\n" not in str(info.value)

    def full_disk(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(28, "No space left on device", str(tmp))

    with pytest.raises(OutputError, match=r"cannot write .*No space left") as info:
        atomic_write(tmp_path / "out.csv", full_disk)
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")

    def write(tmp: Path) -> None:
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, write)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_the_next_write_removes_the_temp_of_a_killed_one(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    # a process killed in the middle of its write (os._exit: no clean-up runs) leaves its temp file behind
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from corridor._output import atomic_write\n"
        "def write(tmp):\n"
        "    tmp.write_text('half')\n"
        "    os._exit(9)\n"
        "atomic_write(Path(sys.argv[1]), write)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(target)], cwd=REPO, check=False)
    assert killed.returncode == 9
    (stale,) = [p for p in tmp_path.iterdir() if TEMP_MARK in p.name]
    assert stale.name.startswith(".out.csv" + TEMP_MARK)
    # a temp file of a process that is still alive (our parent) is left alone
    live = tmp_path / f".out.csv{TEMP_MARK}{os.getppid()}-0000.csv"
    live.write_text("in progress")
    assert target.read_text() == "old"
    atomic_write(target, _write_text("new"))
    assert target.read_text() == "new"
    assert not stale.exists()
    assert live.exists()


def test_cli_map_refuses_the_bundled_data_and_the_input_geopackage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # a copy stands in for the bundled geodata: a regression must not destroy the real one
    bundled = tmp_path / "bundled"
    shutil.copytree(DEFAULT_GEODATA, bundled)
    monkeypatch.setattr("corridor.io.geodata.DEFAULT_GEODATA", bundled)
    nodes = bundled / "nodes.geojson"
    before = nodes.read_bytes()
    assert cli.main(["map", "-o", str(nodes)]) == 2
    assert "bundled geodata" in _one_error_line(capsys)
    assert nodes.read_bytes() == before
    gpkg = tmp_path / "in.gpkg"
    gpkg.write_bytes(b"input")
    assert cli.main(["map", "--geodata", str(gpkg), "-o", str(gpkg)]) == 2
    assert "input geodata" in _one_error_line(capsys)
    assert gpkg.read_bytes() == b"input"


@pytest.mark.parametrize("command", [["map"], ["export", "--format", "csv"]])
def test_cli_outputs_refuse_devices(command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "out"
    link.symlink_to(os.devnull)
    for target in (os.devnull, str(link)):
        assert cli.main([*command, "-o", target]) == 2
        assert "regular files only" in _one_error_line(capsys)
    assert Path(os.devnull).is_char_device()


def test_write_map_refuses_a_file_of_its_input_geodata(tmp_path: Path) -> None:
    from corridor.render.maps import write_map

    from .test_map import _tiny_analysis

    run = _tiny_analysis(tmp_path / "geodata")
    nodes = run.geodata.path / "nodes.geojson"
    before = nodes.read_bytes()
    with pytest.raises(OutputError, match="input geodata"):
        write_map(run, nodes)
    assert nodes.read_bytes() == before


def test_analyze_map_name_from_the_data_stays_under_maps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = (DEFAULT_GEODATA / "scenarios" / "baseline-2024.toml").read_text(encoding="utf-8")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for i, name in enumerate(["../../escaped", str(tmp_path / "absolute")]):
        scenario = work / f"s{i}.toml"
        scenario.write_text(base.replace('name = "baseline-2024"', f"name = {name!r}"), encoding="utf-8")
        assert f"name = {name!r}" in scenario.read_text(encoding="utf-8")
        assert cli.main(["analyze", "--scenario", str(scenario), "--map"]) == 0
    out = capsys.readouterr().out
    assert "map: maps/escaped.html" in out
    assert sorted(p.name for p in (work / "maps").iterdir()) == sorted(
        ["escaped.html", slug(str(tmp_path / "absolute")) + ".html"]
    )
    assert not (tmp_path / "escaped.html").exists() and not (tmp_path / "absolute").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
