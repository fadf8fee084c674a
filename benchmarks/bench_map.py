"""Benchmark: the interactive map's size, load time and panning frame time (issue 15's budgets).

    python benchmarks/bench_map.py [--edges 10000] [--years 2024:2035] [--repeat 3]

Reports the default map (baseline-2024; budget ≤ 2.5 MB), a twelve-year timeline map (≤ 5 MB), each one's
load time in headless Chromium (≤ 1.5 s: navigation start until the script has drawn the map) and a
synthetic grid map with about ``--edges`` edges (size, load time, and the mean and 95th-percentile frame
time while the map is dragged with the mouse and redrawn at the end; such a map is drawn on a canvas). Debian's
chromium (/usr/bin/chromium) is used offline: every http(s) request is aborted. Not a test: the figures depend
on the machine. ``--grid-only`` skips the bundled scenarios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.netbuild builds the synthetic network

from corridor.analyses.assign import assign
from corridor.analyses.bottlenecks import flag_bottlenecks
from corridor.render.maps import parse_years, timeline, write_map
from corridor.results import Analysis, analyze, result_document

CHROMIUM = "/usr/bin/chromium"

_RECORD = """() => {
    window.__frames = [];
    let last = performance.now();
    const tick = now => {
        window.__frames.push(now - last);
        last = now;
        if (window.__frames.length < 2000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""


def synthetic(folder: Path, n_edges: int) -> Analysis:
    """A jittered grid with about ``n_edges`` rail edges in Kazakhstan, some demand, assigned all-or-nothing."""
    from tests.netbuild import make_geodata, scenario

    side = max(3, round((n_edges / 2) ** 0.5))
    nodes = {f"n{i}-{j}": (i * 0.12, j * 0.12) for i in range(side) for j in range(side)}
    edges = []
    for i in range(side):
        for j in range(side):
            if i + 1 < side:
                edges.append({"id": f"h{i}-{j}", "a": f"n{i}-{j}", "b": f"n{i + 1}-{j}", "capacity": 5.0})
            if j + 1 < side:
                edges.append({"id": f"v{i}-{j}", "a": f"n{i}-{j}", "b": f"n{i}-{j + 1}", "capacity": 5.0})
    data = make_geodata(folder, nodes, edges)
    last = side - 1
    sc = scenario([("n0-0", f"n{last}-{last}", 8.0), (f"n0-{last}", f"n{last}-0", 3.0), ("n0-0", f"n{last}-0", 2.0)])
    result = assign(data, sc, method="aon")
    nodes_t, edges_t = flag_bottlenecks(data, result, threshold=0.9)
    return Analysis(data, sc, result, nodes_t, edges_t, result_document(data, result, nodes_t, edges_t))


def measure(browser: Any, path: Path, repeat: int, *, pan: bool = False) -> dict[str, float]:
    loads, frames = [], []
    for _ in range(repeat):
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route("http*://**", lambda route: route.abort())
        page.goto(path.as_uri())
        page.wait_for_function("() => window.corridorMap !== undefined")
        loads.append(page.evaluate("() => performance.now()") / 1000)
        if pan:  # drag the map with the mouse, as a user pans, and record the frame times meanwhile
            page.evaluate(_RECORD)
            page.mouse.move(700, 450)
            page.mouse.down()
            for step in range(1, 61):
                page.mouse.move(700 - 5 * step, 450 - 2 * step)
            page.mouse.up()
            page.wait_for_timeout(300)  # the redraw once the drag ends
            frames += page.evaluate("() => window.__frames")[3:]
        page.close()
    out = {"load_s": statistics.median(loads)}
    if frames:
        frames.sort()
        out["frame_ms_mean"] = statistics.fmean(frames)
        out["frame_ms_p95"] = frames[int(0.95 * (len(frames) - 1))]
        out["frame_ms_max"] = frames[-1]  # the redraw once the drag ends
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", type=int, default=10_000)
    parser.add_argument("--years", default="2024:2035")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--grid-only", action="store_true", help="only the synthetic grid map")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    maps: list[tuple[str, float | None, bool, Any]] = []  # name, budget (MB), pan?, build() -> path
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if not args.grid_only:
            base = analyze("baseline-2024")
            maps.append(("default map (baseline-2024)", 2.5, False, lambda: write_map(base, out / "default.html")))
            maps.append(
                (
                    f"timeline {args.years}",
                    5.0,
                    False,
                    lambda: write_map(base, out / "timeline.html", years=timeline(base, parse_years(args.years))),
                )
            )
        maps.append(
            (
                f"synthetic grid, ~{args.edges:,} edges",
                None,
                True,
                lambda: write_map(synthetic(out / "grid", args.edges), out / "grid.html"),
            )
        )
        built = []
        for name, budget, pan, build in maps:
            t0 = time.perf_counter()
            path = build()
            built.append((name, budget, pan, path, time.perf_counter() - t0))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            rows = [
                (name, path.stat().st_size, seconds, measure(browser, path, args.repeat, pan=pan), budget)
                for name, budget, pan, path, seconds in built
            ]
            browser.close()
    print(f"{'map':<36}{'size MB':>9}{'budget':>8}{'build s':>9}{'load s':>8}{'drag frame ms (mean / p95 / max)':>34}")
    for name, path, build, m, budget in rows:
        size = path / 1e6
        pan = (
            f"{m['frame_ms_mean']:.1f} / {m['frame_ms_p95']:.1f} / {m['frame_ms_max']:.0f}"
            if "frame_ms_mean" in m
            else "–"
        )
        limit = f"≤ {budget:g}" if budget else "–"
        print(f"{name:<36}{size:>9.2f}{limit:>8}{build:>9.1f}{m['load_s']:>8.2f}{pan:>34}")


if __name__ == "__main__":
    main()
