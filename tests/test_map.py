"""The interactive map: layers, escaping, determinism, offline output, and a real (offline) browser."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pytest

from corridor import CorridorError
from corridor.assignment import assign
from corridor.bottlenecks import flag_bottlenecks
from corridor.cli import main
from corridor.maps import MODES, TOP_BOTTLENECKS, make_map, map_data, write_map
from corridor.offline import render_offline
from corridor.pipeline import Analysis, analyze
from corridor.report import result_document

from .browser import page_data
from .netbuild import make_geodata, scenario

PROBE = "<img src=x onerror=alert(1)>"
EDGE_PROBE = '"><svg onload=alert(2)>'
NOTE_PROBE = "`${alert(4)}` \\` </script><script>alert(5)</script>"
REMOTE_TAG = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# fixtures: the tiny probe network, the bundled baseline and the comparison


def _tiny_analysis(folder: Path) -> Analysis:
    """a → b over the probe node (capacity 1, binding) or via c; a planned a–b link; hostile strings."""
    data = make_geodata(
        folder,
        {
            "a": (0, 0),
            "p": {"xy": (2, 0), "name": PROBE, "capacity": 1.0, "kind": "port", "note": NOTE_PROBE},
            "b": (4, 0),
            "c": (2, 2),
        },
        [
            {"id": "a-p", "a": "a", "b": "p"},
            {"id": "p-b", "a": "p", "b": "b", "mode": "sea"},
            {"id": "a-c", "a": "a", "b": "c", "name": EDGE_PROBE, "source_url": "javascript:alert(3)"},
            {"id": "c-b", "a": "c", "b": "b", "tariff_usd": 50.0},
            {"id": "a-b-new", "a": "a", "b": "b", "status": "construction", "start_year": 2030},
        ],
    )
    sc = scenario([("a", "b", 3.0)])
    result = assign(data, sc, method="system-optimal")
    nodes, edges = flag_bottlenecks(data, result, threshold=0.9)
    return Analysis(data, sc, result, nodes, edges, result_document(data, result, nodes, edges))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    return _tiny_analysis(tmp_path_factory.mktemp("tiny") / "geodata")


@pytest.fixture(scope="module")
def baseline() -> Analysis:
    return analyze("baseline-2024")


@pytest.fixture(scope="module")
def target() -> Analysis:
    return analyze("target-2030")


@pytest.fixture(scope="module")
def pages(
    tmp_path_factory: pytest.TempPathFactory, tiny: Analysis, baseline: Analysis, target: Analysis
) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("maps")
    return {
        "tiny": write_map(tiny, out / "tiny.html"),
        "baseline": write_map(baseline, out / "baseline-2024.html"),
        "compare": write_map(target, out / "target-2030-vs-baseline-2024.html", compare=baseline),
    }


def _children(m: folium.Map, cls: type) -> list[Any]:
    return [c for c in m._children.values() if isinstance(c, cls)]


def _items(layers: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for layer in layers for item in layer.get(kind, [])]


# --------------------------------------------------------------------------------------------
# unit tests


def test_layers_present(baseline: Analysis) -> None:
    data = map_data(baseline)
    layers = {layer["name"]["text"]: layer for layer in data["sets"][0]}
    modes = set(baseline.edges["mode"])
    assert {MODES[mode] for mode in modes} <= set(layers)
    assert {"Nodes: ports", "Nodes: rail stations", "Nodes: border crossings", "Bottleneck markers"} <= set(layers)
    # one line per edge, classed by mode; one marker per node; a badge per bottleneck
    edges = _items(data["sets"][0], "edges")
    assert sorted(e["id"] for e in edges) == sorted(baseline.edges.index)
    assert all(e["cls"].startswith("cx-edge cx-set-0 cx-mode-") for e in edges)
    assert len(_items(data["sets"][0], "nodes")) == len(baseline.nodes)
    assert len(_items(data["sets"][0], "badges")) == len(baseline.document["bottlenecks"])
    assert data["tiles"] is None and len(data["sets"]) == 1
    m = make_map(baseline)
    assert not _children(m, folium.TileLayer) and not _children(m, folium.GeoJson)  # all drawn from the data
    assert page_data(render_offline(m)) == json.loads(json.dumps(data))


def test_online_tiles_opt_in(tiny: Analysis) -> None:
    offline = render_offline(make_map(tiny))
    assert "tile.openstreetmap.org" not in offline
    tiles = map_data(tiny, tiles="online")["tiles"]
    assert tiles is not None and tiles["url"].startswith("https://tile.openstreetmap.org/")
    assert "tile.openstreetmap.org" in render_offline(make_map(tiny, tiles="online"))
    with pytest.raises(CorridorError, match="tiles"):
        make_map(tiny, tiles="osm")


def test_planned_dashed_and_faint(tiny: Analysis) -> None:
    data = page_data(render_offline(make_map(tiny)))
    (planned,) = [e for e in _items(data["sets"][0], "edges") if e["dash"]]
    assert planned["id"] == "a-b-new" and planned["dash"] == "7 6"
    assert planned["opacity"] < 0.6  # not in service in 2024: faint
    assert planned["year"] == "2030"  # labelled with its start year
    assert ["status", "construction, start 2030 — not in service in 2024"] in planned["info"]["rows"]


def test_escaping(tiny: Analysis) -> None:
    page = render_offline(make_map(tiny))
    for probe in (PROBE, EDGE_PROBE, "<script>alert(5)"):  # no tag from the data
        assert probe not in page
    data = page_data(page)
    nodes = {n["id"]: n for n in _items(data["sets"][0], "nodes")}
    edges = {e["id"]: e for e in _items(data["sets"][0], "edges")}
    assert nodes["p"]["info"]["title"] == PROBE  # the text itself, for the page to show as text
    assert ["data note", NOTE_PROBE] in nodes["p"]["more"]
    assert edges["a-c"]["info"]["title"] == EDGE_PROBE
    assert ["source", "javascript:alert(3)"] in edges["a-c"]["more"]
    assert 'href="javascript:' not in page


def test_deterministic(tiny: Analysis, baseline: Analysis, tmp_path: Path) -> None:
    assert render_offline(make_map(tiny)) == render_offline(make_map(tiny))
    a = write_map(baseline, tmp_path / "a.html").read_bytes()
    b = write_map(baseline, tmp_path / "b" / "b.html").read_bytes()
    assert a == b
    assert not re.search(rb"_[0-9a-f]{32}\b", a)  # no random folium ids
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.html", "b", "b.html"]  # no temp files left


def test_offline_page(pages: dict[str, Path]) -> None:
    for path in pages.values():
        page = path.read_text(encoding="utf-8")
        assert REMOTE_TAG.findall(page) == []
        assert "Bootstrap  v" not in page and "Font Awesome Free" not in page  # unused assets are left out
        assert "MiniMap" not in page
    size = pages["baseline"].stat().st_size
    assert size < 2.5e6, f"baseline map is {size / 1e6:.2f} MB"


def test_compare_layers(baseline: Analysis, target: Analysis) -> None:
    data = map_data(target, compare=baseline)
    shown, other, (delta,) = data["sets"]  # the page shows the first set; the others are switched to
    assert {layer["name"]["prefix"] for layer in shown} == {"target-2030"}
    assert {layer["name"]["prefix"] for layer in other} == {"baseline-2024"}
    assert delta["name"]["text"].startswith("Δ utilisation") and len(delta["edges"]) == len(target.edges)
    assert data["panel"]["switch"] == ["target-2030", "baseline-2024", "Δ utilisation"]
    assert data["delta_span"] is not None


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        main(["map", "--tiles", "google"])
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    assert main(["map", "--method", "aon"]) == 0
    assert capsys.readouterr().out.strip() == str(Path("maps") / "baseline-2024.html")
    assert (tmp_path / "maps" / "baseline-2024.html").stat().st_size > 100_000
    assert main(["map", "--method", "aon", "--compare", "baseline-2024", "--tiles", "online"]) == 0
    assert capsys.readouterr().out.strip() == str(Path("maps") / "baseline-2024-vs-baseline-2024.html")
    assert main(["map", "--method", "aon", "-o", "out/m.html"]) == 0
    assert (tmp_path / "out" / "m.html").is_file()
    assert main(["map", "--scenario", "baselin-2024"]) == 2
    assert "did you mean 'baseline-2024'" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# real browser (Debian chromium, every http(s) request aborted)


def _expected(run: Analysis) -> dict[str, int]:
    return {
        "edges": len(run.edges),
        "nodes": len(run.nodes),
        "badges": len(run.document["bottlenecks"]),
    }


@pytest.mark.browser
@pytest.mark.parametrize("name", ["baseline", "compare", "tiny"])
def test_browser_loads_offline(
    name: str, pages: dict[str, Path], open_page: Any, tiny: Analysis, baseline: Analysis, target: Analysis
) -> None:
    pg = open_page(pages[name])
    run = {"baseline": baseline, "compare": target, "tiny": tiny}[name]
    want = _expected(run)
    state = pg.page.evaluate(
        """() => ({
            L: typeof window.L === 'object' && typeof L.map === 'function',
            edges: document.querySelectorAll('path.cx-edge.cx-set-0').length,
            nodes: document.querySelectorAll('path.cx-node.cx-set-0').length,
            badges: document.querySelectorAll('.cx-badge-icon').length,
            hidden: document.querySelectorAll('.cx-set-1, .cx-set-2').length,
            legend: document.querySelectorAll('.legend svg').length,
            layers: document.querySelectorAll('.leaflet-control-layers-overlays input').length,
            arrows: document.querySelectorAll('textPath').length,
        })"""
    )
    assert pg.errors == [] and pg.requests == [] and pg.dialogs == []
    assert state["L"]
    assert (state["edges"], state["nodes"], state["badges"]) == (want["edges"], want["nodes"], want["badges"])
    assert state["hidden"] == 0  # the comparison set and the delta layer start hidden
    assert state["legend"] == (2 if name == "compare" else 1)
    assert state["layers"] >= 4 and state["arrows"] >= 1


@pytest.mark.browser
def test_browser_toggle_layer(pages: dict[str, Path], open_page: Any, baseline: Analysis) -> None:
    pg = open_page(pages["baseline"])
    rail = int((baseline.edges["mode"] == "rail").sum())
    assert pg.count("path.cx-mode-rail") == rail > 0
    pg.page.hover(".leaflet-control-layers")  # expands the control
    box = pg.page.get_by_role("checkbox", name=MODES["rail"], exact=True)
    box.click()
    assert pg.count("path.cx-mode-rail") == 0
    assert pg.count("path.cx-edge") == len(baseline.edges) - rail
    box.click()
    assert pg.count("path.cx-mode-rail") == rail
    assert pg.errors == []


@pytest.mark.browser
def test_browser_tooltip_and_bottleneck_zoom(pages: dict[str, Path], open_page: Any, baseline: Analysis) -> None:
    pg = open_page(pages["baseline"])
    worst = baseline.document["bottlenecks"][0]
    assert worst["layer"] == "edge"
    # the bottleneck list: clicking an entry moves the map
    entries = pg.page.locator(".cx-panel button.cx-bn")
    assert entries.count() == min(TOP_BOTTLENECKS, len(baseline.document["bottlenecks"]))
    assert worst["name"] in entries.first.inner_text()
    before = pg.view()
    entries.first.click()
    pg.page.wait_for_function(
        """v => {
            const c = corridorMap.getCenter();
            const moved = corridorMap.getZoom() !== v.zoom || c.lat !== v.lat || c.lng !== v.lng;
            return moved && !corridorMap._animatingZoom;
        }""",
        arg=before,
        timeout=5000,
    )
    after = pg.view()
    assert after != before
    assert after["zoom"] >= before["zoom"]
    # hovering an edge shows its tooltip
    pg.hover_path(pg.mark(worst["name"]))
    tip = pg.page.locator(".leaflet-tooltip", has_text=worst["name"])
    tip.wait_for(state="visible", timeout=3000)
    text = tip.inner_text()
    assert worst["name"] in text
    assert "flow" in text and "utilisation" in text and "shadow price" in text
    assert f"{worst['utilization']:.0%}" in text and worst["severity"] in text
    assert pg.errors == []


@pytest.mark.browser
def test_browser_xss_probe_inert(pages: dict[str, Path], open_page: Any) -> None:
    pg = open_page(pages["tiny"])
    panel = pg.page.locator(".cx-panel").inner_text()
    assert PROBE in panel  # the probe node is the bottleneck: listed literally
    box = pg.page.locator("path.cx-node.cx-kind-port").bounding_box()
    pg.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
    tip = pg.page.locator(".leaflet-tooltip")
    tip.wait_for(state="visible", timeout=3000)
    assert PROBE in tip.inner_text()
    # the popups of the probe node (hostile note) and of the edge with the hostile name and javascript: source
    for needle, shown in (
        ("alert(4)", [PROBE, NOTE_PROBE]),
        ("javascript:alert(3)", [EDGE_PROBE, "javascript:alert(3)"]),
    ):
        opened = pg.page.evaluate(
            """needle => {
                let n = 0;
                corridorMap.eachLayer(l => {
                    if (l.cxItem && l.getPopup() && JSON.stringify(l.cxItem).includes(needle) && !n) {
                        l.openPopup();
                        n++;
                    }
                });
                return n;
            }""",
            needle,
        )
        assert opened == 1
        popup = pg.page.locator(".leaflet-popup-content").last.inner_text()
        assert all(text in popup for text in shown), popup
    state = pg.page.evaluate(
        """() => ({
            imgs: document.querySelectorAll('img[src="x"]').length,
            svgs: document.querySelectorAll('.leaflet-popup svg, .leaflet-tooltip svg, .cx-panel svg[onload]').length,
            jsLinks: Array.from(document.querySelectorAll('a')).filter(a => a.href.startsWith('javascript')).length,
            scripts: Array.from(document.scripts).filter(s => s.text.includes('alert(5)')).length,
        })"""
    )
    assert pg.dialogs == [] and pg.errors == [] and pg.requests == []
    assert state["imgs"] == 0 and state["svgs"] == 0 and state["jsLinks"] == 0


@pytest.mark.browser
def test_browser_compare_switch(pages: dict[str, Path], open_page: Any, baseline: Analysis, target: Analysis) -> None:
    pg = open_page(pages["compare"])
    panel = pg.page.locator(".cx-panel").inner_text()
    assert "target-2030" in panel and "baseline-2024" in panel and panel.count("demand") == 2
    pg.page.locator(".cx-switch button", has_text="Δ").click()
    assert pg.count("path.cx-delta") == len(target.edges)
    assert pg.count("path.cx-set-0") == 0
    pg.page.locator(".cx-switch button", has_text="baseline-2024").click()
    assert pg.count("path.cx-edge.cx-set-1") == len(baseline.edges)
    assert pg.count("path.cx-set-0") == 0 and pg.count("path.cx-delta") == 0
    assert pg.errors == [] and pg.requests == []


@pytest.mark.browser
def test_browser_screenshot_not_blank(pages: dict[str, Path], open_page: Any, tmp_path: Path) -> None:
    from PIL import Image

    pg = open_page(pages["baseline"])
    shot = tmp_path / "baseline-2024.png"
    pg.page.screenshot(path=str(shot))
    img = Image.open(shot).convert("RGB")
    assert img.size == (1400, 900)
    # the basemap is grey and pale blue; flows, nodes and badges are saturated colours
    rgb = np.asarray(img).astype(int)
    coloured = int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())
    assert coloured > 5000, f"only {coloured} coloured pixels"
