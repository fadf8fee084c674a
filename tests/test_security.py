"""Untrusted text stays data: a corpus of hostile strings through every command and output.

Geodata and scenarios come from other people. Every text field of a copy of the bundled data (node and
edge names, notes and sources; the scenario's name, description and its entries' sources and notes) is
filled with hostile strings — Jinja expressions and statements, closing script tags, HTML event handlers,
``javascript:`` links, spreadsheet formulas, Markdown table breakers, ANSI escapes, bidi and zero-width
characters, a 1 MB string. Each command must exit 0, create no file but its output, run nothing, and
show every string literally (CSV: with the formula guard; terminal: without control characters).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from corridor._untrusted import csv_cell, markdown_text, one_line, terminal_text, web_url
from corridor.cli import main
from corridor.io.geodata import DEFAULT_GEODATA, load_geodata

from .test_map import page_data

#: Each a way text has been turned into code somewhere.
HOSTILE = [
    "{{ lipsum.__globals__.os.mkdir(dict(PROOF=1)|first) }}",
    "{% for i in range(3) %}LOOP{% endfor %} {{ 7*7 }}",
    "{# a Jinja comment #} hidden?",
    "{% endraw %}{% raw %} raw breaker",
    "unbalanced {% if and {{",
    "</script><script>document.title='pwned';alert('script')</script>",
    "<img src=x onerror=alert('img')>",
    "<svg onload=alert('svg')>",
    "javascript:alert('link')",
    "data:text/html,<script>alert('data')</script>",
    '=HYPERLINK("https://evil.example/","click")',
    "+SUM(1,1)",
    "-2+3 minus",
    "@SUM(A1:A2)",
    "\tTAB first",
    "\rCR first",
    "pipe | in | name\nand a new line | here",
    "\x1b[31mRED\x1b[0m\x1b]0;title\x07 ansi",
    "\u202eRTL override\u202c and zero\u200bwidth\u200d joiners",
    "`${alert('template literal')}` \\ backslash",
    "[link](javascript:alert('md')) **bold** # heading",
]
HUGE = "M" * 1_000_000  # 1 MB
JINJA_SCENARIO = "x{{ lipsum.__globals__.os.mkdir(dict(PROOF2=1)|first) }}"
BOTTLENECKS = ("sea-aktau-alat", "sea-kuryk-alat")  # named in the panel, the report and the terminal
ANSI = HOSTILE[17]
BOTTLENECK_NAMES = (HOSTILE[0], ANSI)


def _text_fields(i: int) -> dict[str, str]:
    """The hostile values of feature ``i`` (sources padded to the validator's minimum length)."""
    k = len(HOSTILE)
    return {
        "name": HOSTILE[i % k],
        "note": HOSTILE[(i + 7) % k],
        "source_url": HOSTILE[(i + 3) % k] + " — a source",
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the bundled data and a scenario with hostile text in every text field."""
    root = tmp_path_factory.mktemp("hostile")
    geo = root / "geodata"
    shutil.copytree(DEFAULT_GEODATA, geo, ignore=shutil.ignore_patterns("src", "*.md"))
    expected: dict[str, dict[str, str]] = {}
    i = 0
    for layer in ("nodes", "edges"):
        path = geo / f"{layer}.geojson"
        doc = json.loads(path.read_text(encoding="utf-8"))
        for feature in doc["features"]:
            props = feature["properties"]
            props.update(_text_fields(i))
            if props["id"] in BOTTLENECKS:
                props["name"] = BOTTLENECK_NAMES[BOTTLENECKS.index(props["id"])]
            if props["id"] == "poti-port":
                props["note"] = HUGE
            expected[props["id"]] = {k: props[k] for k in ("name", "note", "source_url")}
            i += 1
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    base = tomllib.loads((geo / "scenarios" / "baseline-2024.toml").read_text(encoding="utf-8"))
    lines = [
        f"name = {json.dumps(JINJA_SCENARIO)}",
        f"year = {base['year']}",
        f"description = {json.dumps(' '.join(HOSTILE))}",
        "[parameters]",
        "bottleneck_threshold = 0.05",  # flag many assets: their names reach every listing
    ]
    for k, d in enumerate(base["demand"]):
        entry = {**d, "source_url": HOSTILE[k % len(HOSTILE)] + " — a source", "note": HOSTILE[-1 - k % 5]}
        lines.append("[[demand]]")
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in entry.items()]
    scenario = root / "hostile.toml"
    scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
    work = root / "work"
    work.mkdir()
    return {"geodata": geo, "scenario": scenario, "expected": expected, "work": work}


def _run(hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.chdir(hostile["work"])
    code = main([*args, "--geodata", str(hostile["geodata"])])
    assert code == 0, args


def _nothing_ran(hostile: dict[str, Any]) -> None:
    for folder in (hostile["work"], hostile["geodata"].parent, Path.cwd()):
        assert not list(folder.rglob("PROOF*")), "a template from the data was executed"


def test_corpus_is_valid_data(hostile: dict[str, Any]) -> None:
    data = load_geodata(hostile["geodata"])
    assert data.nodes.loc["poti-port", "note"] == HUGE
    assert set(data.edges.loc[list(BOTTLENECKS), "name"]) == set(BOTTLENECK_NAMES)
    # javascript: and data: sources are kept (as text) and warned about
    warned = {w.feature for w in data.warnings}
    assert {fid for fid, e in hostile["expected"].items() if web_url(e["source_url"]) is None} >= warned
    assert any(hostile["expected"][fid]["source_url"].startswith("javascript:") for fid in warned)


def test_map_and_compare(hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = str(hostile["scenario"])
    _run(hostile, monkeypatch, "map", "--scenario", scenario, "-o", "map.html")
    _run(hostile, monkeypatch, "map", "--scenario", scenario, "--compare", "baseline-2024", "-o", "compare.html")
    _run(hostile, monkeypatch, "map", "--scenario", scenario, "--timeline", "2024:2025", "-o", "timeline.html")
    _nothing_ran(hostile)
    for name in ("map.html", "compare.html", "timeline.html"):
        page = (hostile["work"] / name).read_text(encoding="utf-8")
        assert "{{" not in page.split('id="corridor-data"')[0] or "lipsum" not in page.split('id="corridor-data"')[0]
        for probe in ("<script>document.title", "<img src=x", "<svg onload", "\x1b"):
            assert probe not in page
        data = page_data(page)
        items = {
            item["id"]: item
            for layers in data["sets"][:2]
            for layer in layers
            for item in [*layer.get("edges", []), *layer.get("nodes", [])]
        }
        for fid, want in hostile["expected"].items():
            assert items[fid]["info"]["title"] == want["name"]
            more = dict(map(tuple, items[fid]["more"]))
            assert more["source"] == want["source_url"].strip()
            assert more.get("data note", "") == want["note"]
        assert JINJA_SCENARIO in data["panel"]["title"]


def test_exports(hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = str(hostile["scenario"])
    for fmt in ("geojson", "gpkg", "csv", "md"):
        _run(hostile, monkeypatch, "export", "--scenario", scenario, "--format", fmt, "-o", f"out.{fmt}")
    _nothing_ran(hostile)
    work, expected = hostile["work"], hostile["expected"]

    features = json.loads((work / "out.geojson").read_text(encoding="utf-8"))["features"]
    for feature in features:  # GeoJSON: JSON strings, exactly the data
        props = feature["properties"]
        assert {k: props[k] for k in ("name", "note", "source_url")} == expected[props["id"]]

    for layer in ("nodes", "edges"):  # GeoPackage: the same, and styles that are well-formed XML
        table = pyogrio.read_dataframe(work / "out.gpkg", layer=layer)
        for _, row in table.iterrows():
            assert row["name"] == expected[row["id"]]["name"]
            assert row["note"] == expected[row["id"]]["note"]
    with sqlite3.connect(work / "out.gpkg") as db:
        for (qml,) in db.execute("SELECT styleQML FROM layer_styles"):
            ET.fromstring(qml.split("\n", 1)[1])

    csv.field_size_limit(2 * len(HUGE))
    with open(work / "out.csv", encoding="utf-8", newline="") as fh:  # CSV: no cell starts a formula
        rows = list(csv.DictReader(fh))
    assert {r["id"] for r in rows} == set(expected)
    for r in rows:
        for key in ("name", "note", "source_url"):
            assert r[key] == csv_cell(expected[r["id"]][key])
            assert not r[key].startswith(("=", "+", "-", "@", "\t", "\r"))

    report = (work / "out.md").read_text(encoding="utf-8")  # Markdown: literal, one line per table row
    assert JINJA_SCENARIO not in report and markdown_text(JINJA_SCENARIO) in report
    for probe in ("<img", "<svg", "<script", "](javascript:", "\x1b", "\r"):  # only escaped: \<img, \](
        assert not re.search(r"(?<!\\)" + re.escape(probe), report), probe
    for fid in BOTTLENECKS:
        assert markdown_text(expected[fid]["name"]) in report
    for block in re.split(r"\n\n", report):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:  # every row of a table has its header's number of cells
            cells = {len(re.split(r"(?<!\\)\|", line)) for line in rows}
            assert len(cells) == 1, block[:200]


def test_terminal(hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    scenario = str(hostile["scenario"])
    _run(hostile, monkeypatch, "analyze", "--scenario", scenario, "--top", "200")
    out, err = capsys.readouterr()
    for control in ("\x1b", "\x07", "\r", "\x9b", "\t"):
        assert control not in out + err
    assert JINJA_SCENARIO in out.splitlines()[0]
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+ ", line)]  # the bottleneck table
    assert rows[0].endswith(HOSTILE[0])  # Jinja: printed in full, not run
    assert rows[1].endswith("RED ansi")  # the escapes are gone, the text stays
    assert any("pipe | in | name and a new line" in row for row in rows)  # one line per row
    _run(hostile, monkeypatch, "analyze", "--scenario", scenario, "--json")
    doc = json.loads(capsys.readouterr().out)
    names = {item["id"]: item["name"] for item in doc["edges"] + doc["nodes"]}
    assert {fid: e["name"] for fid, e in hostile["expected"].items()} == names  # JSON keeps the data exactly
    _run(hostile, monkeypatch, "validate")
    out, err = capsys.readouterr()
    assert "warning" in err and "\x1b" not in err
    _nothing_ran(hostile)


def test_untrusted_helpers() -> None:
    assert terminal_text("a\x1b[2Jb\x1b]0;t\x07c\x00d\x9b31me\x85") == "abcde"
    assert one_line("a\tb\r\nc\x1b[1m") == "a b c"
    assert terminal_text("keep\ttab\nnewline") == "keep\ttab\nnewline"
    for bad in ("=1", "+1", "-1", "@a", "\tx", "\rx"):
        assert csv_cell(bad) == "'" + bad
    assert csv_cell("Aktau") == "Aktau"
    assert markdown_text("a|b\nc <x> [y](z)") == "a\\|b c \\<x\\> \\[y\\](z)"
    assert web_url("https://example.org/x (p. 3)") == "https://example.org/x"
    for bad in ("javascript:alert(1)", "data:text/html,x", " vbscript:x", "http:/x", "ftp://x", "https://"):
        assert web_url(bad) is None


# --------------------------------------------------------------------------------------------
# the pages in a real browser, offline: no script from the data runs, the text shows as it is


@pytest.mark.browser
def test_browser_hostile_map(
    hostile: dict[str, Any], monkeypatch: pytest.MonkeyPatch, open_page: Any, browser: Any
) -> None:
    scenario = str(hostile["scenario"])
    _run(hostile, monkeypatch, "map", "--scenario", scenario, "--compare", "baseline-2024", "-o", "browser.html")
    pg = open_page(hostile["work"] / "browser.html")
    assert pg.dialogs == [] and pg.errors == [] and pg.requests == []
    assert pg.page.title() != "pwned"
    panel = pg.page.locator(".cx-panel").inner_text()
    assert JINJA_SCENARIO in panel and HOSTILE[0] in panel  # the scenario and the first bottleneck, literally
    expected = hostile["expected"]
    for fid in ("sea-aktau-alat", "poti-port", *sorted(expected)[:12]):
        shown = pg.page.evaluate(
            """fid => {
                let text = null;
                corridorMap.eachLayer(l => {
                    if (text === null && l.cxItem && l.cxItem.id === fid && l.getPopup()) {
                        l.openPopup();
                        const content = l.getPopup().getElement().querySelector('.leaflet-popup-content');
                        text = {
                            title: content.querySelector('b').textContent,
                            cells: Array.from(content.querySelectorAll('tr')).map(
                                tr => [tr.cells[0].textContent, tr.cells[1].textContent]),
                            links: Array.from(content.querySelectorAll('a')).map(a => a.protocol),
                        };
                        l.closePopup();
                    }
                });
                return text;
            }""",
            fid,
        )
        assert shown is not None, fid
        assert shown["title"] == expected[fid]["name"]
        cells = dict(map(tuple, shown["cells"]))
        assert cells["source"] == expected[fid]["source_url"].strip()
        if expected[fid]["note"]:
            assert cells["data note"] == expected[fid]["note"]
        assert set(shown["links"]) <= {"https:", "http:"}
    state = pg.page.evaluate(
        """() => ({
            imgs: document.querySelectorAll('img[src="x"]').length,
            svgOnload: document.querySelectorAll('svg[onload]').length,
            jsLinks: Array.from(document.querySelectorAll('a')).filter(a => !/^(https?|about):/.test(a.href)
                && a.getAttribute('href') !== null && !a.getAttribute('href').startsWith('#')).length,
            injected: Array.from(document.scripts).filter(
                s => s.type !== 'application/json' && s.text.includes("alert('script')")).length,
            dataBlocks: document.querySelectorAll('script[type="application/json"]').length,
        })"""
    )
    assert state == {"imgs": 0, "svgOnload": 0, "jsLinks": 0, "injected": 0, "dataBlocks": 1}
    # switching to the comparison set and the delta layer runs nothing either
    pg.page.locator(".cx-switch button").nth(2).click()
    pg.page.locator(".cx-switch button").nth(1).click()
    assert pg.dialogs == [] and pg.errors == []
    _nothing_ran(hostile)
