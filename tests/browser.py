"""Helpers for the browser tests: a page opened offline in Debian's chromium, and the map's data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_DATA = re.compile(r'<script type="application/json" id="corridor-data">(.*?)</script>', re.DOTALL)


def page_data(page: str) -> dict[str, Any]:
    """The map's data, as the page's script reads it."""
    (text,) = _DATA.findall(page)
    return json.loads(text)


class Page:
    """A page opened offline, recording console errors, network attempts and dialogs."""

    def __init__(self, browser: Any, path: Path, viewport: dict[str, int] | None = None) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = page = browser.new_page(viewport=viewport or {"width": 1400, "height": 900})
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", self._dialog)
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else self.requests.append(r.url))

        def abort(route: Any) -> None:
            self.requests.append(route.request.url)
            route.abort()

        page.route("http*://**", abort)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.wait_for_function("() => window.corridorMap !== undefined && !corridorMap._animatingZoom")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def count(self, selector: str) -> int:
        return int(self.page.evaluate("s => document.querySelectorAll(s).length", selector))

    def view(self) -> dict[str, float]:
        return self.page.evaluate(
            "() => { const c = corridorMap.getCenter(); return {lat: c.lat, lng: c.lng, zoom: corridorMap.getZoom()}; }"
        )

    def mark(self, name: str) -> str:
        """Tag the path of the layer whose tooltip shows ``name``; return a selector for it."""
        found = self.page.evaluate(
            """name => {
                let n = 0;
                corridorMap.eachLayer(l => {
                    if (!l.cxItem || !l._path || !l.getTooltip()) { return; }
                    if (l.cxItem.info.title === name) { l._path.setAttribute('data-probe', 'yes'); n++; }
                });
                return n;
            }""",
            name,
        )
        assert found == 1, f"{found} paths named {name!r}"
        return "path[data-probe='yes']"

    def hover_path(self, selector: str) -> None:
        """Move the mouse onto the path, at a point along it where nothing else lies on top."""
        xy = self.page.evaluate(
            """s => {
                const p = document.querySelector(s);
                const m = p.getScreenCTM();
                for (const at of [0.3, 0.4, 0.2, 0.6, 0.7, 0.15, 0.85, 0.1, 0.9]) {
                    const pt = p.getPointAtLength(p.getTotalLength() * at);
                    const x = pt.x * m.a + pt.y * m.c + m.e, y = pt.x * m.b + pt.y * m.d + m.f;
                    if (document.elementFromPoint(x, y) === p) { return [x, y]; }
                }
                return null;
            }""",
            selector,
        )
        assert xy is not None, f"no free point on {selector}"
        self.page.mouse.move(xy[0], xy[1])

    def close(self) -> None:
        self.page.close()
