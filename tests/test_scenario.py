"""Scenario files: bad input gets one clear line and exit code 2; extends and derates work."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.cli import main
from corridor.io.scenario import apply_scenario, load_scenario

from .netbuild import make_geodata

GOOD = """
name = "t"
year = 2024
[[demand]]
origin = "a"
destination = "b"
commodity = "freight"
amount = 1.0
source_url = "https://example.org/x"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """a ── ab ── b ── bc ── c (rail, freight only)."""
    make_geodata(
        tmp_path / "g",
        {"a": (0, 0), "b": (1, 0), "c": (2, 0)},
        [{"id": "ab", "a": "a", "b": "b", "capacity": 5.0}, {"id": "bc", "a": "b", "b": "c", "capacity": 5.0}],
    )
    (tmp_path / "g" / "scenarios").mkdir()
    return tmp_path / "g"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / "scenarios" / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


CASES = {
    "unknown-node": (
        GOOD.replace('destination = "b"', 'destination = "bb"'),
        ["demand #1", "'destination'", "did you mean 'b'"],
    ),
    "unknown-override": (
        GOOD + '[[capacity]]\nid = "abb"\ncapacity = 2.0\n',
        ["unknown id 'abb'", "did you mean 'ab'"],
    ),
    "unknown-outage": (GOOD + '[[outage]]\nid = "cd"\n', ["outage 'cd'", "unknown id 'cd'"]),
    "no-carrying-edge": (GOOD.replace('"freight"', '"electricity"'), ["no edge carries 'electricity'"]),
    "negative-demand": (
        GOOD.replace("amount = 1.0", "amount = -3.0"),
        ["demand #1", "'amount'", "'-3.0' is not a number >= 0"],
    ),
    "unknown-commodity": (GOOD.replace('"freight"', '"gold"'), ["unknown commodity 'gold'"]),
    "bad-toml": ("name = \n", ["invalid TOML"]),
    "missing-year": ('name = "t"\n', ["missing top-level 'year'"]),
    "bad-derate": (GOOD + '[[derate]]\nmode = "sea"\nfactor = 1.5\n', ["factor 1.5 > 1"]),
    "unknown-mode-derate": (GOOD + '[[derate]]\nmode = "zeppelin"\nfactor = 0.5\n', ["unknown mode 'zeppelin'"]),
    "unknown-section": (GOOD + "[[demnad]]\n", ["unknown section(s)"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_gets_one_clear_line(case: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, words = CASES[case]
    _write(folder, "s", text)
    code = main(["analyze", "--geodata", str(folder), "--scenario", "s"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0]
    assert "s.toml" in err[0]
    for w in words:
        assert w in err[0], (w, err[0])


def test_unknown_scenario_name(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder, "base", GOOD)
    assert main(["analyze", "--geodata", str(folder), "--scenario", "bsae"]) == 2
    assert "did you mean 'base'" in capsys.readouterr().err


def test_extends_inherits_and_adds(folder: Path) -> None:
    from corridor import load_geodata

    _write(folder, "base", GOOD + '[[capacity]]\nid = "ab"\ncapacity = 2.0\n')
    _write(folder, "child", 'name = "child"\nextends = "base"\nyear = 2024\n[[outage]]\nid = "bc"\n')
    g = load_geodata(folder)
    child = load_scenario("child", g)
    assert child.demand == load_scenario("base", g).demand
    assert child.capacity == {"ab": 2.0} and child.outages == ("bc",)
    _, edges = apply_scenario(g, child)
    assert edges.loc["ab", "capacity"] == 2.0 and not edges.loc["bc", "active"]


def test_extends_cycle_is_one_line_naming_the_cycle(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder, "a", 'name = "a"\nextends = "b"\nyear = 2024\n')
    _write(folder, "b", 'name = "b"\nextends = "c"\nyear = 2024\n')
    _write(folder, "c", GOOD.replace('name = "t"', 'name = "c"\nextends = "b"'))
    assert main(["analyze", "--geodata", str(folder), "--scenario", "a"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    assert "cycle: b.toml → c.toml → b.toml" in err[0] and "field 'extends'" in err[0], err[0]


def test_derate_by_mode_multiplies_capacity(folder: Path) -> None:
    from corridor import load_geodata

    _write(folder, "d", GOOD + '[[derate]]\nmode = "rail"\nfactor = 0.5\n')
    g = load_geodata(folder)
    _, edges = apply_scenario(g, load_scenario("d", g))
    assert list(edges["capacity"]) == [2.5, 2.5]
