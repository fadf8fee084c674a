"""Offline rendering: vendored assets, inlining, determinism, a real browser."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import branca.colormap  # noqa: E402
import folium  # noqa: E402
import folium.folium  # noqa: E402
import folium.plugins  # noqa: E402

from corridor.render.offline import VENDOR_DIR, MissingAssetError, inline_assets, render_offline, stable_ids  # noqa: E402

REMOTE_TAG = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


def build_map() -> folium.Map:
    """A map with every feature corridor uses."""
    m = folium.Map(location=[40.5, 50.0], zoom_start=6, tiles=None)
    countries = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Somewhere", "iso": "AZE"},
                "geometry": {"type": "Polygon", "coordinates": [[[48, 39], [50, 39], [50, 41], [48, 41], [48, 39]]]},
            }
        ],
    }
    folium.GeoJson(
        countries,
        name="Countries",
        tooltip=folium.GeoJsonTooltip(["name"]),
        popup=folium.GeoJsonPopup(["iso"]),
    ).add_to(m)
    line = folium.PolyLine([[40.4, 49.9], [43.6, 51.2]], weight=3).add_to(m)
    folium.plugins.PolyLineTextPath(line, "  ►  ", repeat=True, offset=5).add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    branca.colormap.LinearColormap(["#ffeeee", "#990000"], vmin=0, vmax=10, caption="Mt/yr").add_to(m)
    folium.Marker([40.4, 49.9], tooltip="Baku").add_to(m)
    folium.Marker([43.6, 51.2], icon=folium.Icon(icon="ship", prefix="fa")).add_to(m)
    folium.LayerControl().add_to(m)
    return m


@pytest.fixture(scope="module")
def offline_html() -> str:
    return render_offline(build_map())


def test_manifest_covers_folium_defaults() -> None:
    manifest = json.loads((VENDOR_DIR / "manifest.json").read_text(encoding="utf-8"))
    wanted = [u for _, u in folium.folium._default_js + folium.folium._default_css]
    for cls in (folium.plugins.PolyLineTextPath, folium.plugins.Fullscreen):
        wanted += [u for _, u in cls.default_js + cls.default_css]
    assert [u for u in wanted if u not in manifest["assets"]] == []
    for entry in manifest["assets"].values():
        assert (VENDOR_DIR / entry["file"]).is_file()
        assert entry["license"] and entry["version"]
    for pkg in manifest["packages"].values():
        assert (VENDOR_DIR / pkg["license_file"]).is_file()


def test_no_remote_script_or_link(offline_html: str) -> None:
    # the un-inlined page does reference CDNs ...
    assert REMOTE_TAG.search(build_map().get_root().render())
    # ... the offline page references none
    assert REMOTE_TAG.findall(offline_html) == []
    assert "<script>\n" in offline_html and "L.Icon.Default.mergeOptions" in offline_html
    assert "url(../webfonts" not in offline_html and "data:font/woff2;base64," in offline_html


def test_missing_asset_raises() -> None:
    html = '<html><head><script src="https://example.invalid/lib/x.js"></script></head></html>'
    with pytest.raises(MissingAssetError, match=r"https://example\.invalid/lib/x\.js.*tools/vendor_assets\.py"):
        inline_assets(html)
    m = folium.Map(tiles=None)
    folium.plugins.MiniMap().add_to(m)  # a plugin whose assets are not vendored
    with pytest.raises(MissingAssetError, match="leaflet-minimap"):
        render_offline(m)


def test_missing_stylesheet_raises() -> None:
    html = '<link rel="stylesheet" href="//example.invalid/x.css"/>'
    with pytest.raises(MissingAssetError, match=r"example\.invalid"):
        inline_assets(html)


def test_local_references_left_alone() -> None:
    html = '<script src="local.js"></script><link rel="stylesheet" href="a.css"/>'
    assert inline_assets(html) == html


def test_inlined_text_is_escaped(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text('var s = "</script><b>";', encoding="utf-8")
    (tmp_path / "a.css").write_text('b::after{content:"</style>"} i{background:url(p.png)}', encoding="utf-8")
    (tmp_path / "p.png").write_bytes(b"\x89PNG\r\n")
    manifest = {
        "assets": {
            "https://cdn.example/a.js": {"file": "a.js", "type": "js", "package": "a"},
            "https://cdn.example/a.css": {"file": "a.css", "type": "css", "package": "a"},
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    html = '<script src="https://cdn.example/a.js"></script><link rel="stylesheet" href="https://cdn.example/a.css">'
    out = inline_assets(html, vendor_dir=tmp_path)
    assert out.lower().count("</script") == 1 and out.lower().count("</style") == 1
    assert r'"<\/script><b>"' in out and r'"<\/style>"' in out
    assert 'url("data:image/png;base64,iVBORw0K")' in out


def test_deterministic() -> None:
    a = render_offline(build_map())
    b = render_offline(build_map())
    assert a == b
    m = build_map()
    assert render_offline(m) == render_offline(m) == a
    assert not re.search(r"_[0-9a-f]{32}\b", a)  # no random folium ids left


def test_stable_ids_resets_ids() -> None:
    m1, m2 = build_map(), build_map()
    assert m1.get_name() != m2.get_name()
    stable_ids(m1)
    stable_ids(m2)
    assert m1.get_name() == m2.get_name() == "map_0_0"
    assert m1.get_root().render() == m2.get_root().render()
    # children registries are re-keyed to the new names
    assert all(k == c.get_name() for k, c in m1._children.items())


def _chromium() -> str:
    """Debian's chromium: .ci/run installs it; a missing browser fails the test rather than skipping it."""
    exe = shutil.which("chromium")
    assert exe is not None, "Debian chromium is not installed: run `apt-get install chromium` (bash .ci/run does)"
    return exe


@pytest.mark.browser
def test_browser_offline(offline_html: str, tmp_path: Path) -> None:
    exe = _chromium()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "map.html"
    page_file.write_text(offline_html, encoding="utf-8")
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))

            def route(r):  # type: ignore[no-untyped-def]
                requests.append(r.request.url)
                r.abort()

            page.route(re.compile(r"^(https?|wss?)://"), route)
            page.on(
                "request",
                lambda req: requests.append(req.url) if not req.url.startswith(("file:", "data:")) else None,
            )
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            page.wait_for_timeout(500)
            state = page.evaluate(
                """async () => {
                    await document.fonts.ready;
                    const icons = Array.from(document.querySelectorAll('img.leaflet-marker-icon'));
                    return {
                        L: typeof window.L === 'object',
                        d3: typeof window.d3 === 'object',
                        jquery: typeof window.jQuery === 'function',
                        icons: icons.map(i => i.complete && i.naturalWidth > 0),
                        faFont: document.fonts.check('900 16px "Font Awesome 6 Free"'),
                        legend: document.querySelectorAll('.legend svg').length,
                        textPath: document.querySelectorAll('textPath').length,
                        paths: document.querySelectorAll('path.leaflet-interactive').length,
                        fullscreen: !!document.querySelector('.leaflet-control-zoom-fullscreen'),
                        layers: !!document.querySelector('.leaflet-control-layers'),
                    };
                }"""
            )
        finally:
            browser.close()
    assert errors == []
    assert requests == []
    assert state["L"] and state["d3"] and state["jquery"]
    assert state["icons"] == [True]  # the default marker icon (data URI) loads
    assert state["faFont"]
    assert state["legend"] == 1 and state["textPath"] >= 1 and state["paths"] >= 2
    assert state["fullscreen"] and state["layers"]


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        ("unlisted", "corridor: error: no vendored copy of https://"),
        ("deleted", "corridor: error: vendored file "),
    ],
)
def test_missing_asset_is_one_line_and_exit_2_at_the_cli(
    break_it: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A map whose Leaflet has no vendored copy: the CLI's handler reports it (no traceback)."""
    import corridor.render.offline
    from corridor._errors import CorridorError
    from corridor.cli import main

    vendor = tmp_path / "vendor"
    shutil.copytree(VENDOR_DIR, vendor)
    manifest = json.loads((vendor / "manifest.json").read_text(encoding="utf-8"))
    leaflet = {url: a for url, a in manifest["assets"].items() if a["package"] == "leaflet"}
    if break_it == "unlisted":
        manifest["assets"] = {url: a for url, a in manifest["assets"].items() if url not in leaflet}
        (vendor / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    else:
        for a in leaflet.values():
            (vendor / a["file"]).unlink()
    monkeypatch.setattr(corridor.render.offline, "VENDOR_DIR", vendor)
    monkeypatch.chdir(tmp_path)
    assert issubclass(MissingAssetError, CorridorError)
    assert main(["analyze", "--map"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message), err
    assert "leaflet" in err[0]
