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
from corridor.analyses.assign import assign
from corridor.analyses.bottlenecks import flag_bottlenecks
from corridor.cli import main
from corridor.render.maps import (
    COMMODITIES,
    MODES,
    PRICE_UNITS,
    TOP_BOTTLENECKS,
    Overlay,
    make_map,
    map_data,
    parse_years,
    timeline,
    write_map,
)
from corridor.render.offline import render_offline
from corridor.results import Analysis, analyze, result_document

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


def test_planned_grey_and_faint(tiny: Analysis) -> None:
    data = page_data(render_offline(make_map(tiny)))
    (planned,) = [e for e in _items(data["sets"][0], "edges") if not e["active"]]
    assert planned["id"] == "a-b-new" and planned["color"] == "#9a9a9a"
    assert planned["opacity"] < 0.6  # not in service in 2024: faint
    assert planned["start"] == "2030"  # its start year: in its facts, not drawn on the line
    assert ["status", "construction, start 2030 — not in service in 2024"] in planned["info"]["rows"]
    # geometry is stored once and referred to
    assert planned["g"] == "e:a-b-new" and data["geom"]["e:a-b-new"][0] == [47.0, 66.0]


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
            legend: document.querySelectorAll('.cx-legend .cx-bar').length,
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
    # a commodity: lines that carry only data (the fibres) hide; rail carries freight and oil and stays
    fibre = int((baseline.edges["mode"] == "fiber").sum())
    pg.page.get_by_role("checkbox", name="Commodity Data (Tbps)").click()
    assert pg.count("path.cx-mode-fiber.cx-off") == fibre > 0
    assert pg.count("path.cx-mode-rail.cx-off") == 0
    pg.page.get_by_role("checkbox", name="Commodity Data (Tbps)").click()
    assert pg.count("path.cx-off") == 0
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
    pg.page.evaluate("() => corridorMap.closePopup()")
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


# --------------------------------------------------------------------------------------------
# issue 15: a map a planner can read


ARTIFACTS = Path(__file__).parent / "artifacts"  # git-ignored: screenshots to look at


def test_money_in_honest_units(baseline: Analysis) -> None:
    data = map_data(baseline)
    edges = {e["id"]: e for e in _items(data["sets"][0], "edges")}
    worst = baseline.document["bottlenecks"][0]
    rows = dict(map(tuple, edges[worst["id"]]["info"]["rows"]))
    # as the CLI prints it (shadow_price with one decimal), in USD per t, and what 1 Mt/yr more saves a year
    assert rows["shadow price"].startswith(f"{worst['shadow_price']:,.1f} USD/t")
    assert "MUSD/yr" in rows["shadow price"]
    assert not any("per unit of flow" in row[1] for e in edges.values() for row in e["info"]["rows"])
    assert set(PRICE_UNITS) >= {"Mt/yr", "bcm/yr", "MW", "Tbps"}
    first = data["panel"]["blocks"][0]["bottlenecks"][0]
    assert first["meta"].endswith(f" · {worst['shadow_price']:,.1f} USD/t")
    units = {
        row[1].split(" ", 1)[1].split(";")[0]
        for e in edges.values()
        for row in e["info"]["rows"]
        if row[0] == "shadow price"
    }
    assert units <= {"USD/t", "USD/MWh", "USD per Gbps-year", "USD per 1000 m³"}


def test_title_provenance_and_labels(baseline: Analysis, pages: dict[str, Path]) -> None:
    data = map_data(baseline)
    assert data["title"] == "corridor · baseline-2024 (2024)"
    as_of = baseline.document["provenance"]["data_as_of"]  # from the data (geodata/metadata.toml), not the clock
    assert data["provenance"].startswith("corridor ") and f"data as of {as_of}" in data["provenance"]
    page = pages["baseline"].read_text(encoding="utf-8")
    assert "<title>corridor · baseline-2024 (2024)</title>" in page
    labels = {label["t"]: label for label in data["labels"]}
    assert {"Caspian Sea", "Black Sea", "Mediterranean Sea", "Kazakhstan", "Georgia", "Aktau", "Baku"} <= set(labels)
    assert {"Poti", "Tbilisi", "Dostyk"} <= set(labels)
    assert len([t for t in labels if t == "Baku"]) == 1  # one label per place
    assert labels["Caspian Sea"]["p"] < labels["Aktau"]["p"]
    modes = [m[0] for m in data["legend"]["modes"]]
    assert modes == [m for m in MODES if m in set(baseline.edges["mode"])]  # no empty rows
    assert "road" in MODES and "gas" in COMMODITIES


def test_compare_lists_all_and_visible_delta(baseline: Analysis, target: Analysis) -> None:
    data = map_data(target, compare=baseline)
    first, second = data["panel"]["blocks"]
    assert len(first["bottlenecks"]) == len(target.document["bottlenecks"]) and first["more"] == 0
    assert len(second["bottlenecks"]) == len(baseline.document["bottlenecks"])
    delta_scale = data["legend"]["scales"][1]
    neutral = dict((o, c) for o, c in delta_scale["stops"])[0.5]
    assert neutral not in {data["basemap"]["land"], data["basemap"]["sea"], "#f4f4f4", "#ffffff"}
    assert len(data["legend"]["scales"]) == 2  # utilisation and change: no empty box
    # geometry is shared by both scenarios and the delta layer
    assert len(data["geom"]) == len(set(target.edges.index) | set(baseline.edges.index)) + len(
        set(target.nodes.index) | set(baseline.nodes.index)
    )


def test_timeline_data(baseline: Analysis) -> None:
    assert parse_years("2024:2027") == [2024, 2025, 2026, 2027]
    assert parse_years("2024,2030") == [2024, 2030]
    for bad in ("x:y", "2024:2200", "2030:2024"):
        with pytest.raises(CorridorError, match="timeline"):
            parse_years(bad)
    runs = timeline(baseline, [2024, 2030])
    assert [r.document["year"] for r in runs] == [2024, 2030] and runs[0] is baseline
    data = map_data(baseline, years=runs)
    assert data["timeline"]["years"] == [2024, 2030] and data["timeline"]["start"] == 0
    first = {f[0]: f for f in data["timeline"]["first"]}
    worst = baseline.document["bottlenecks"][0]
    assert first[worst["id"]][1:] == [2024, True, worst["name"]]
    assert len(data["sets"]) == 2 and len(data["panel"]["blocks"]) == 2
    active = [{e["id"] for e in _items(s, "edges") if e["active"]} for s in data["sets"]]
    assert active[0] < active[1]  # assets enter service
    assert all("g" in e and "ll" not in e for s in data["sets"] for e in _items(s, "edges"))  # geometry once
    metas = [b["meta"] for block in data["panel"]["blocks"] for b in block["bottlenecks"]]
    assert metas and all(re.search(r"(binds|flagged) from 20\d\d$", m) for m in metas)
    with pytest.raises(CorridorError, match="timeline or a comparison"):
        map_data(baseline, years=runs, compare=baseline)
    assert render_offline(make_map(baseline, years=runs)) == render_offline(make_map(baseline, years=runs))


def test_overlay_layer(tiny: Analysis) -> None:
    data = map_data(tiny, overlays=[Overlay("P(bottleneck)", {"p": 0.7, "a-c": 0.1, "nope": 1.0}, "probability")])
    (layer,) = [layer for layer in data["sets"][0] if "overlay" in layer]
    assert layer["name"]["text"] == "P(bottleneck)"
    assert sorted(i["id"] for i in layer["overlay"]) == ["a-c", "p"]
    assert ["probability", "70%"] in next(i for i in layer["overlay"] if i["id"] == "p")["info"]["rows"]
    assert data["legend"]["scales"][-1]["caption"] == "P(bottleneck)"


def test_cli_timeline(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["map", "--method", "aon", "--timeline", "2024:2026"]) == 0
    out = Path(capsys.readouterr().out.strip())
    assert out == Path("maps") / "baseline-2024-2024-2026.html"
    assert page_data((tmp_path / out).read_text(encoding="utf-8"))["timeline"]["years"] == [2024, 2025, 2026]
    assert main(["map", "--timeline", "2024:2026", "--compare", "baseline-2024"]) == 2
    assert main(["map", "--timeline", "soon"]) == 2


@pytest.fixture(scope="module")
def timeline_page(tmp_path_factory: pytest.TempPathFactory, baseline: Analysis) -> Path:
    runs = timeline(baseline, [2024, 2027, 2030, 2033])
    return write_map(baseline, tmp_path_factory.mktemp("timeline") / "timeline.html", years=runs)


_LABEL_BOXES = """() => Array.from(document.querySelectorAll('.cx-label'))
    .filter(e => e.style.display === 'block')
    .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, e.textContent]; })"""


@pytest.mark.browser
def test_browser_labels_do_not_overlap(pages: dict[str, Path], open_page: Any) -> None:
    pg = open_page(pages["baseline"])
    seen: set[str] = set()
    for zoom in (4, 6, 8, 10):
        for centre in ([41.5, 48.0], [41.7, 44.8], [43.0, 51.0], [44.0, 70.0], [41.0, 35.0]):
            pg.page.evaluate("([c, z]) => { corridorMap.setView(c, z, {animate: false}); }", [centre, zoom])
            boxes = pg.page.evaluate(_LABEL_BOXES)
            seen.update(b[4] for b in boxes)
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    overlap = min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5
                    assert not overlap, f"zoom {zoom} at {centre}: {a[4]!r} overlaps {b[4]!r}"
    assert {"Caspian Sea", "Black Sea", "Aktau", "Baku", "Tbilisi", "Poti", "GEORGIA".title()} <= {
        s.title() if s.isupper() else s for s in seen
    }
    assert pg.errors == []


@pytest.mark.browser
def test_browser_one_popup_no_tooltip(pages: dict[str, Path], open_page: Any, baseline: Analysis) -> None:
    pg = open_page(pages["baseline"])
    worst = baseline.document["bottlenecks"][0]
    pg.hover_path(pg.mark(worst["name"]))
    pg.page.locator(".leaflet-tooltip").first.wait_for(state="visible", timeout=3000)
    pg.page.mouse.down()
    pg.page.mouse.up()
    pg.page.locator(".leaflet-popup").wait_for(state="visible", timeout=3000)
    state = pg.page.evaluate(
        """() => ({
            popups: document.querySelectorAll('.leaflet-popup').length,
            tooltips: Array.from(document.querySelectorAll('.leaflet-tooltip')).filter(
                t => t.offsetParent !== null && getComputedStyle(t).opacity !== '0').length,
            text: document.querySelector('.leaflet-popup-content').innerText,
            outline: getComputedStyle(document.querySelector("path[data-probe='yes']")).outlineStyle,
        })"""
    )
    assert state["popups"] == 1 and state["tooltips"] == 0
    assert worst["name"] in state["text"] and "source" in state["text"] and "USD/t" in state["text"]
    assert state["outline"] == "none"
    pg.page.mouse.move(5, 450)  # moving over other lines opens no tooltip while the popup is open
    # a badge opens the popup of its asset
    pg.page.evaluate("() => corridorMap.closePopup()")
    pg.page.locator(".cx-badge-icon").first.click()
    pg.page.locator(".leaflet-popup").wait_for(state="visible", timeout=3000)
    assert pg.count(".leaflet-popup") == 1
    assert worst["name"] in pg.page.locator(".leaflet-popup-content").inner_text()
    assert pg.errors == []


@pytest.mark.browser
def test_browser_panel_zooms_and_opens(pages: dict[str, Path], open_page: Any, baseline: Analysis) -> None:
    pg = open_page(pages["baseline"])
    worst = baseline.document["bottlenecks"][0]
    pg.page.locator(".cx-panel button.cx-bn").first.click()
    pg.page.locator(".leaflet-popup").wait_for(state="visible", timeout=3000)
    assert worst["name"] in pg.page.locator(".leaflet-popup-content").inner_text()
    # the badge of the bottleneck is visible: inside the map and not under the panel or the legend
    hit = pg.page.evaluate(
        """() => {
            const b = document.querySelector('.cx-badge-icon').getBoundingClientRect();
            const x = b.left + b.width / 2, y = b.top + b.height / 2;
            const e = document.elementFromPoint(x, y);
            return {inside: x > 0 && y > 0 && x < innerWidth && y < innerHeight,
                    covered: !!(e && e.closest('.cx-panel, .cx-legend, .cx-heading'))};
        }"""
    )
    assert hit == {"inside": True, "covered": False}
    assert pg.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("size", [(844, 390), (1024, 420), (700, 330)])
def test_browser_short_screen_controls_clear(pages: dict[str, Path], browser: Any, size: tuple[int, int]) -> None:
    from .browser import Page

    pg = Page(browser, pages["compare"], viewport={"width": size[0], "height": size[1]})
    try:
        hidden = pg.page.evaluate(
            """() => ['.leaflet-control-zoom-in', '.leaflet-control-zoom-out', '.leaflet-control-layers-toggle']
                .filter(sel => {
                    const el = document.querySelector(sel), r = el.getBoundingClientRect();
                    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                    return !(hit && (hit === el || el.contains(hit)));
                })"""
        )
        assert hidden == [] and pg.errors == []
    finally:
        pg.close()


@pytest.mark.browser
def test_browser_phone_layout(pages: dict[str, Path], browser: Any) -> None:
    from .browser import Page

    pg = Page(browser, pages["baseline"], viewport={"width": 390, "height": 844})
    try:
        state = pg.page.evaluate(
            """() => {
                const top = sel => {
                    const r = document.querySelector(sel).getBoundingClientRect();
                    const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                    return !!e && (e === document.querySelector(sel) || document.querySelector(sel).contains(e));
                };
                const area = sel => Array.from(document.querySelectorAll(sel)).reduce((s, e) => {
                    const r = e.getBoundingClientRect(); return s + r.width * r.height; }, 0);
                return {
                    zoomIn: top('.leaflet-control-zoom-in'), zoomOut: top('.leaflet-control-zoom-out'),
                    layers: top('.leaflet-control-layers-toggle'),
                    covered: area('.cx-panel, .cx-legend, .cx-heading') / (innerWidth * innerHeight),
                    panelOpen: document.querySelector('.cx-panel details').open,
                    zoom: corridorMap.getZoom(),
                };
            }"""
        )
        assert state["zoomIn"] and state["zoomOut"] and state["layers"]
        assert state["covered"] <= 0.35, state
        assert not state["panelOpen"] and state["zoom"] >= 4
        ARTIFACTS.mkdir(exist_ok=True)
        pg.page.screenshot(path=str(ARTIFACTS / "phone-390x844.png"))
        pg.page.locator(".cx-panel summary").click()  # the panel opens on demand
        assert pg.page.locator(".cx-panel details").evaluate("d => d.open")
        assert pg.errors == [] and pg.requests == []
    finally:
        pg.close()


@pytest.mark.browser
def test_browser_timeline_slider(timeline_page: Path, open_page: Any) -> None:
    pg = open_page(timeline_page)
    draw = """() => ({
        idle: document.querySelectorAll('path.cx-edge.cx-idle').length,
        edges: document.querySelectorAll('path.cx-edge').length,
        year: document.querySelector('.cx-year').textContent,
        heading: document.querySelector('.cx-heading h1').textContent,
        panel: document.querySelector('.cx-panel').innerText,
    })"""
    before = pg.page.evaluate(draw)
    slider = pg.page.locator("input.cx-slider")
    slider.fill("3")  # the last year
    after = pg.page.evaluate(draw)
    assert before["year"] == "2024" and after["year"] == "2033" and after["heading"].endswith("2033")
    assert before["edges"] == after["edges"] and after["idle"] < before["idle"]  # assets entered service
    assert "year 2033" in after["panel"] and "from 20" in after["panel"]
    assert "When each starts to bind (2024–2033)" in after["panel"]
    assert pg.errors == [] and pg.requests == []
    ARTIFACTS.mkdir(exist_ok=True)
    pg.page.screenshot(path=str(ARTIFACTS / "timeline-2033.png"))


@pytest.mark.browser
def test_browser_screenshots(pages: dict[str, Path], open_page: Any) -> None:
    """Desktop screenshots as test artefacts (tests/artifacts/, git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    for name in ("baseline", "compare"):
        pg = open_page(pages[name])
        pg.page.screenshot(path=str(ARTIFACTS / f"desktop-{name}.png"))
    print(f"screenshots in {ARTIFACTS}")
