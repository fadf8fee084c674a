"""Interactive map of an analysis: an offline, self-contained folium/Leaflet page.

:func:`make_map` draws the network of a :class:`~corridor.pipeline.Analysis`: one toggleable layer per
mode and per node kind, line width by flow (scaled per capacity unit), colour by utilisation (with a
legend marking 0.5, the bottleneck threshold and 1.0), arrows in the direction of flow, assets not in
service in the scenario year faint and dashed with their start year, bottlenecks outlined and numbered,
and a summary panel (scenario, totals, top bottlenecks; clicking one zooms to it). With ``compare`` the
second scenario is a switchable layer set and a layer shows the change in utilisation.
:func:`write_map` saves it with every asset inline (:func:`corridor.offline.render_offline`), so the
page works from disk with no network; the base layer is the bundled Natural Earth outlines.

Untrusted text stays data. folium and branca compile the output of every template they render as a
template again, so a string from the geodata that reached one (a name, a note, a scenario name) would be
run as Jinja. Here no text from the data reaches folium: the features, their facts and the panel are one
JSON document in a ``<script type="application/json">`` element, written as a template *value* (never
compiled) with ``<``, ``>`` and ``&`` escaped, and drawn by ``corridor/_assets/map.js``, which puts text into
the page only through ``textContent`` and makes a link only of an ``http(s)`` URL. folium draws the map
object, the colour legends and the full-screen button, which carry no data text.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import branca.colormap
import folium
import folium.plugins
import pandas as pd
import shapely
from branca.element import Element, Figure
from folium.elements import JSCSSMixin
from folium.template import Template

from ._errors import CorridorError
from .geodata import load_basemap
from .offline import render_offline

if TYPE_CHECKING:
    import geopandas as gpd

    from .pipeline import Analysis

__all__ = ["make_map", "map_data", "write_map"]

#: Edge modes in drawing (and layer-control) order, with their labels.
MODES = {
    "rail": "Rail",
    "road": "Road",
    "sea": "Sea lanes",
    "pipeline": "Oil pipelines",
    "power_cable": "Power cables",
    "fiber": "Fibre-optic cables",
    "transfer": "Transfers (port, gauge, border)",
}
#: Node kinds in layer-control order, with labels and marker radius (px).
KINDS = {
    "port": ("Ports", 7),
    "oil_terminal": ("Oil terminals", 6),
    "border_crossing": ("Border crossings", 6),
    "rail_station": ("Rail stations", 4),
    "junction": ("Junctions", 3),
    "cable_landing": ("Cable landings", 5),
    "converter_station": ("Converter stations", 6),
    "city": ("Cities and hubs", 6),
}
TILES = ("none", "online")
_KEEP_JS = {"leaflet"}
_KEEP_CSS = {"leaflet_css"}
#: How many bottlenecks the summary panel lists (per scenario).
TOP_BOTTLENECKS = 8
_TOP_COMPARE = 4  # per scenario, when two are shown

_SEA = "#d5e5f0"
_LAND = "#ebeae6"
_INACTIVE = "#8a8a8a"
_MAX_WEIGHT = 12.0
_MIN_WEIGHT = 2.5
_IDLE_WEIGHT = 1.6
_DASH = "7 6"
_DIGITS = 5
_ASSETS = Path(__file__).resolve().parent / "_assets"
_OSM = {
    "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "attribution": "© OpenStreetMap contributors",
    "name": "OpenStreetMap (online)",
}


# --------------------------------------------------------------------------------------------
# text helpers: every value becomes plain text (the page shows it with textContent)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def _num(value: Any, digits: int = 2) -> str:
    if _missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"


def _pct(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):.0%}"


def _year(value: Any) -> str:
    return "" if _missing(value) else str(int(value))


def _token(value: Any) -> str:
    """``value`` reduced to a CSS class token (letters, digits, ``-`` and ``_``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", _text(value))


def _round(x: float) -> float:
    return round(float(x), _DIGITS)


def _latlngs(geom: Any) -> list[list[float]] | list[list[list[float]]]:
    """A (multi)line as Leaflet ``[lat, lon]`` lists, rounded to 5 decimals."""
    if geom.geom_type == "MultiLineString":
        return [[[_round(y), _round(x)] for x, y, *_ in part.coords] for part in geom.geoms]
    return [[_round(y), _round(x)] for x, y, *_ in geom.coords]


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, float):
        return _round(obj)
    if isinstance(obj, (list, tuple)):
        return [_round_coords(v) for v in obj]
    return obj


def _bounds(geoms: Iterable[Any], pad: float = 0.0) -> list[list[float]]:
    xs0, ys0, xs1, ys1 = zip(*(g.bounds for g in geoms if g is not None and not g.is_empty), strict=True)
    return [
        [_round(min(ys0) - pad), _round(min(xs0) - pad)],
        [_round(max(ys1) + pad), _round(max(xs1) + pad)],
    ]


# --------------------------------------------------------------------------------------------
# styling


def _colormap(threshold: float) -> branca.colormap.LinearColormap:
    """Utilisation colours: blue (slack) → amber (0.5) → orange (threshold) → red (1.0) → dark red."""
    thr = min(max(float(threshold), 0.51), 0.99)
    cm = branca.colormap.LinearColormap(
        ["#2f5f9e", "#5fa3c7", "#f2c200", "#f07c00", "#d7191c", "#5e0014"],
        index=[0.0, 0.4999, 0.5, thr, 1.0, 1.25],
        vmin=0.0,
        vmax=1.25,
        caption=f"Utilisation (flow / capacity); bottleneck ≥ {thr:.2f}",
        tick_labels=[0.0, 0.5, thr, 1.0, 1.25],
    )
    cm.width = 380
    return cm


def _delta_colormap(span: float) -> branca.colormap.LinearColormap:
    span = max(0.05, min(1.0, span))
    cm = branca.colormap.LinearColormap(
        ["#1f5fa8", "#f4f4f4", "#c0161b"],
        index=[-span, 0.0, span],
        vmin=-span,
        vmax=span,
        caption="Change in utilisation (scenario − comparison)",
        tick_labels=[-span, 0.0, span],
    )
    cm.width = 380
    return cm


def _weight(flow: float, scale: float) -> float:
    if not flow or flow <= 0 or not scale:
        return _IDLE_WEIGHT
    return round(_MIN_WEIGHT + (_MAX_WEIGHT - _MIN_WEIGHT) * math.sqrt(min(flow / scale, 1.0)), 2)


def _flow_scales(edges: gpd.GeoDataFrame) -> dict[str, float]:
    """Largest edge flow per capacity unit (each unit gets its own width scale)."""
    out: dict[str, float] = {}
    for unit, flows in edges.groupby("capacity_unit", sort=True)["flow"]:
        out[str(unit)] = float(flows.max()) if len(flows) else 0.0
    return out


# --------------------------------------------------------------------------------------------
# the facts shown on hover and click: plain text rows


def _status(row: Any, year: int) -> str:
    status = _text(row["status"])
    start = _year(row.get("start_year"))
    text = status + (f", start {start}" if start and row["status"] != "operating" else "")
    if not bool(row["active"]):
        text += f" — not in service in {year}"
    return text


def _capacity(row: Any) -> str:
    unit = _text(row["capacity_unit"])
    eff = row["capacity_effective"]
    nominal = row.get("capacity")
    if _missing(eff) and _missing(nominal):
        return "–"
    if _missing(eff):
        return f"{_num(nominal)} {unit}"
    text = f"{_num(eff)} {unit}"
    if not _missing(nominal) and abs(float(nominal) - float(eff)) > 1e-9:
        text += f" (nominal {_num(nominal)})"
    return text


def _info(title: Any, rows: list[list[str]], label: str = "") -> dict[str, Any]:
    return {"title": _text(title), "set": label, "rows": rows}


def _edge_info(row: Any, names: dict[str, str], year: int, label: str = "") -> dict[str, Any]:
    unit = _text(row["capacity_unit"])
    a, b = names.get(row["from_id"], row["from_id"]), names.get(row["to_id"], row["to_id"])
    rows = [
        ["mode", MODES.get(row["mode"], _text(row["mode"]))],
        ["status", _status(row, year)],
        ["capacity", _capacity(row)],
        ["flow", f"{_num(row['flow'])} {unit}"],
        ["direction", f"{a} → {b}: {_num(row['flow_forward'])}; ← {_num(row['flow_reverse'])}"],
        ["utilisation", f"{_pct(row['utilization'])} ({_text(row['severity'])})"],
        ["shadow price", f"{_num(row['shadow_price'], 0)} USD per {unit}"],
    ]
    if row.get("reason"):
        rows.append(["note", _text(row["reason"])])
    return _info(row["name"], rows, label)


def _node_info(row: Any, year: int, label: str = "") -> dict[str, Any]:
    unit = _text(row["capacity_unit"])
    rows = [
        ["kind", KINDS.get(row["kind"], (_text(row["kind"]), 0))[0]],
        ["country", _text(row["country"])],
        ["status", _status(row, year)],
        ["capacity", _capacity(row)],
        ["throughput", f"{_num(row['flow'])} {unit}".strip()],
        ["utilisation", f"{_pct(row['utilization'])} ({_text(row['severity'])})"],
        ["shadow price", f"{_num(row['shadow_price'], 0)} USD" + (f" per {unit}" if unit else "")],
    ]
    if row.get("reason"):
        rows.append(["note", _text(row["reason"])])
    return _info(row["name"], rows, label)


def _more(row: Any, fid: str) -> list[list[str]]:
    """What the popup adds to the hover facts: id, source (a link only if http(s)), year and note."""
    rows = [["id", str(fid)], ["source", _text(row.get("source_url")).strip() or "–"]]
    rows.append(["source year", _year(row.get("source_year"))])
    if _text(row.get("note")).strip():
        rows.append(["data note", _text(row["note"])])
    return rows


# --------------------------------------------------------------------------------------------
# layers


def _layer_name(text: str, prefix: str) -> dict[str, str]:
    return {"prefix": prefix, "text": text}


def _badge_point(geom: Any, placed: list[list[float]]) -> list[float]:
    """Where a bottleneck marker goes: the middle of the line, or nearby if a marker is already there."""
    if geom.geom_type == "Point":
        return [_round(geom.y), _round(geom.x)]
    best: list[float] = []
    for at in (0.5, 0.35, 0.65, 0.2, 0.8):
        p = geom.interpolate(at, normalized=True)
        best = [_round(p.y), _round(p.x)]
        if all(math.hypot(best[0] - q[0], best[1] - q[1]) > 0.6 for q in placed):
            break
    return best


def _network(
    run: Analysis, cmap: branca.colormap.LinearColormap, *, prefix: str, set_index: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One scenario's layers (edges per mode, nodes per kind, bottleneck badges) and its bottleneck list."""
    doc = run.document
    year = int(doc["year"])
    label = f"{doc['scenario']} ({year})" if prefix else ""
    edges = run.edges.sort_index()
    nodes = run.nodes.sort_index()
    names = {str(k): str(v) for k, v in nodes["name"].items()}
    scales = _flow_scales(edges[edges["active"]])
    ranks = {(b["layer"], b["id"]): i for i, b in enumerate(doc["bottlenecks"], 1)}
    layers: list[dict[str, Any]] = []

    for mode in [*MODES, *sorted(set(edges["mode"]) - set(MODES))]:
        group = edges[edges["mode"] == mode]
        if group.empty:
            continue
        # inactive first (underneath), then by flow so busy lines are on top
        order = sorted(group.index, key=lambda i: (bool(group.at[i, "active"]), float(group.at[i, "flow"]), i))
        items = [
            _edge(eid, group.loc[eid], names, year, cmap, scales, label, set_index, ranks.get(("edge", eid)))
            for eid in order
        ]
        layers.append({"name": _layer_name(MODES.get(mode, str(mode)), prefix), "edges": items})

    for kind in [*KINDS, *sorted(set(nodes["kind"]) - set(KINDS))]:
        group = nodes[nodes["kind"] == kind]
        if group.empty:
            continue
        title = KINDS.get(kind, (str(kind), 4))[0]
        items = [
            _node(nid, group.loc[nid], year, cmap, label, set_index, ranks.get(("node", nid)))
            for nid in sorted(group.index)
        ]
        layers.append({"name": _layer_name(f"Nodes: {title.lower()}", prefix), "nodes": items})

    badges: list[dict[str, Any]] = []
    listed: list[dict[str, Any]] = []
    placed: list[list[float]] = []
    for rank, b in enumerate(doc["bottlenecks"], 1):  # every flagged asset gets a numbered marker
        table = edges if b["layer"] == "edge" else nodes
        if b["id"] not in table.index:
            continue
        row = table.loc[b["id"]]
        where = _badge_point(row.geometry, placed)
        placed.append(where)
        info = _edge_info(row, names, year, label) if b["layer"] == "edge" else _node_info(row, year, label)
        severity = _token(b["severity"])
        badges.append({"ll": where, "rank": rank, "severity": severity, "info": info, "more": _more(row, b["id"])})
        flow = f"{_num(b['flow'])} / {_num(b['capacity'])} {_text(b['capacity_unit'])}"
        listed.append(
            {
                "rank": rank,
                "set": set_index,
                "name": str(b["name"]),
                "severity": severity,
                "meta": f"{b['severity']} · {_pct(b['utilization'])} · {flow}",
                "bounds": _bounds([row.geometry], pad=0.0 if b["layer"] == "edge" else 0.4),
            }
        )
    layers.append({"name": _layer_name("Bottleneck markers", prefix), "badges": badges})
    return layers, listed


def _edge(
    eid: str,
    row: Any,
    names: dict[str, str],
    year: int,
    cmap: branca.colormap.LinearColormap,
    scales: dict[str, float],
    label: str,
    set_index: int,
    rank: int | None,
) -> dict[str, Any]:
    active = bool(row["active"])
    flow = float(row["flow"]) if active else 0.0
    planned = row["status"] != "operating"
    weight = _weight(flow, scales.get(str(row["capacity_unit"]), 0.0)) if active else _IDLE_WEIGHT
    util = row["utilization"]
    coords = _latlngs(row.geometry)
    if flow > 0:  # drawn in the direction of the (busier) flow, so the arrows point along it
        flip = float(row["flow_reverse"]) > float(row["flow_forward"])
    else:  # drawn west to east, so a year label reads upright
        xy = shapely.get_coordinates(row.geometry)
        flip = bool(xy[0][0] > xy[-1][0])
    if flip:
        coords = (
            [list(reversed(p)) for p in reversed(coords)]
            if row.geometry.geom_type == "MultiLineString"
            else list(reversed(coords))
        )
    start = _year(row.get("start_year")) if planned else ""
    return {
        "id": str(eid),
        "ll": coords,
        "color": cmap(min(float(util), 1.25))[:7] if active and not _missing(util) else _INACTIVE,
        "weight": weight,
        "opacity": 0.95 if active else 0.55,
        "dash": _DASH if planned else None,
        "cls": f"cx-edge cx-set-{set_index} cx-mode-{_token(row['mode'])}",
        "casing": rank is not None,  # a dark casing under the line
        "arrow": int(max(9, min(15, weight + 5))) if flow > 0 else 0,
        "year": start,
        "info": _edge_info(row, names, year, label),
        "more": _more(row, eid),
    }


def _node(
    nid: str,
    row: Any,
    year: int,
    cmap: branca.colormap.LinearColormap,
    label: str,
    set_index: int,
    rank: int | None,
) -> dict[str, Any]:
    active = bool(row["active"])
    util = row["utilization"]
    has_cap = active and not _missing(util)
    return {
        "id": str(nid),
        "ll": [_round(row.geometry.y), _round(row.geometry.x)],
        "radius": KINDS.get(row["kind"], ("", 4))[1] + (2 if rank is not None else 0),
        "color": "#1a1a1a" if active else _INACTIVE,
        "weight": 3 if rank is not None else 1.2,
        "opacity": 1.0 if active else 0.6,
        "fill": cmap(min(float(util), 1.25))[:7] if has_cap else "#ffffff",
        "fillOpacity": 0.95 if active else 0.5,
        "dash": "3 3" if row["status"] != "operating" else None,
        "cls": f"cx-node cx-set-{set_index} cx-kind-{_token(row['kind'])}",
        "info": _node_info(row, year, label),
        "more": _more(row, nid),
    }


def _delta(run: Analysis, other: Analysis, *, set_index: int) -> tuple[dict[str, Any], float]:
    """A layer of the change in edge utilisation (``run`` − ``other``), coloured by the delta."""
    a, b = run.edges.sort_index(), other.edges
    deltas: dict[str, float] = {}
    for eid in a.index:
        ua = a.at[eid, "utilization"] if bool(a.at[eid, "active"]) else 0.0
        ub = b.at[eid, "utilization"] if eid in b.index and bool(b.at[eid, "active"]) else 0.0
        if _missing(ua) or _missing(ub):
            continue
        deltas[eid] = float(ua) - float(ub)
    span = max([abs(v) for v in deltas.values()] or [0.0])
    cmap = _delta_colormap(span)
    scales = _flow_scales(a[a["active"]])
    mine, theirs = str(run.document["scenario"]), str(other.document["scenario"])
    items = []
    for eid in a.index:
        row = a.loc[eid]
        base = b.loc[eid] if eid in b.index else None
        d = deltas.get(eid)
        flow = float(row["flow"]) if bool(row["active"]) else 0.0
        unit = _text(row["capacity_unit"])
        rows = [
            ["mode", MODES.get(row["mode"], _text(row["mode"]))],
            ["status", _status(row, int(run.document["year"]))],
            [f"utilisation {mine}", _pct(row["utilization"])],
            [f"utilisation {theirs}", _pct(base["utilization"]) if base is not None else "–"],
            ["change", "–" if d is None else f"{d:+.0%}"],
            [f"flow {mine}", f"{_num(row['flow'])} {unit}"],
            [f"flow {theirs}", f"{_num(base['flow'])} {unit}" if base is not None else "–"],
        ]
        items.append(
            {
                "id": str(eid),
                "ll": _latlngs(row.geometry),
                "color": cmap(d)[:7] if d is not None else _INACTIVE,
                "weight": max(_weight(flow, scales.get(str(row["capacity_unit"]), 0.0)), 3.0),
                "opacity": 0.95 if d is not None else 0.4,
                "dash": None if d is not None else _DASH,
                "cls": f"cx-edge cx-delta cx-set-{set_index}",
                "casing": False,
                "arrow": 0,
                "year": "",
                "info": _info(row["name"], rows),
                "more": _more(row, eid),
            }
        )
    return {"name": _layer_name(f"Δ utilisation: {mine} − {theirs}", ""), "edges": items}, span


# --------------------------------------------------------------------------------------------
# summary panel


def _totals(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "commodity": str(c),
            "demand": _num(t["demand"]),
            "served": _num(t["served"]),
            "unserved": _num(t["unserved"]),
            "short": (t["unserved"] or 0) > 1e-6,
            "unit": _text(t["unit"]),
        }
        for c, t in doc["totals"].items()
    ]


def _block(doc: dict[str, Any], items: list[dict[str, Any]], *, title: str = "") -> dict[str, Any]:
    n = len(doc["bottlenecks"])
    return {
        "title": title,
        "scenario": str(doc["scenario"]),
        "meta": f"year {doc['year']} · {doc['method']} · solver {doc['solver_status']}",
        "totals": _totals(doc),
        "flagged": n,
        "bottlenecks": items,
        "more": max(0, n - len(items)),
    }


def _key(scales: dict[str, float], threshold: float) -> str:
    widths = ", ".join(f"{_num(v)} {u}" for u, v in sorted(scales.items()) if v > 0)
    return (
        f"Line width: flow (widest = {widths or 'no flow'}; each unit scaled separately); "
        "▶ direction of flow; colour: utilisation (legend, top right); "
        f"bottleneck: utilisation ≥ {threshold:.2f} or at capacity (dark outline, numbered). "
        "Dashed: planned / under construction / idle, labelled with its start year; grey = not in service. "
        "Click a feature for its source."
    )


def _basemap(analysis: Analysis) -> dict[str, Any]:
    path = Path(analysis.geodata.path)
    basemap = load_basemap(path if path.is_dir() else path.parent)
    x0, y0, x1, y1 = (float(v) for v in basemap.total_bounds)
    sea = [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]
    features: list[dict[str, Any]] = [
        {"type": "Feature", "properties": {"land": False}, "geometry": {"type": "Polygon", "coordinates": sea}}
    ]
    for _, geom in sorted(zip(basemap["iso_a3"], basemap.geometry, strict=True), key=lambda t: str(t[0])):
        if geom is None or geom.is_empty:
            continue
        gi = geom.__geo_interface__
        features.append(
            {
                "type": "Feature",
                "properties": {"land": True},
                "geometry": {"type": gi["type"], "coordinates": _round_coords(gi["coordinates"])},
            }
        )
    return {
        "name": "Countries (Natural Earth, offline)",
        "sea": _SEA,
        "land": _LAND,
        "border": "#a9a9a9",
        "features": {"type": "FeatureCollection", "features": features},
    }


# --------------------------------------------------------------------------------------------
# the page: data as JSON, drawn by our script


def map_data(analysis: Analysis, *, compare: Analysis | None = None, tiles: str = "none") -> dict[str, Any]:
    """Everything the map draws, as plain JSON-ready data (no HTML).

    Parameters
    ----------
    analysis, compare, tiles
        As for :func:`make_map`.

    Returns
    -------
    dict
        ``title``, ``bounds``, ``basemap``, ``tiles`` (``None`` or the online layer), ``sets`` (per scenario
        a list of layers, each with ``edges``, ``nodes`` or ``badges``), ``panel`` and ``delta_span`` (the
        largest change in utilisation, with ``compare``).
    """
    if tiles not in TILES:
        raise CorridorError(f"unknown tiles {tiles!r} (fix: use one of {', '.join(TILES)})")
    doc = analysis.document
    threshold = float(doc["provenance"].get("bottleneck_threshold") or 0.9)
    cmap = _colormap(threshold)
    prefix = str(doc["scenario"]) if compare is not None else ""
    layers, listed = _network(analysis, cmap, prefix=prefix, set_index=0)
    sets = [layers]
    geoms = [*analysis.edges.geometry, *analysis.nodes.geometry]
    scales = _flow_scales(analysis.edges[analysis.edges["active"]])
    if compare is None:
        panel = {
            "title": f"corridor · {doc['scenario']} ({doc['year']})",
            "switch": None,
            "blocks": [_block(doc, listed[:TOP_BOTTLENECKS])],
        }
    else:
        cdoc = compare.document
        other, other_listed = _network(compare, cmap, prefix=str(cdoc["scenario"]), set_index=1)
        delta, span = _delta(analysis, compare, set_index=2)
        sets += [other, [delta]]
        geoms += [*compare.edges.geometry, *compare.nodes.geometry]
        panel = {
            "title": f"corridor · {doc['scenario']} vs {cdoc['scenario']}",
            "switch": [str(doc["scenario"]), str(cdoc["scenario"]), "Δ utilisation"],
            "blocks": [
                _block(doc, listed[:_TOP_COMPARE]),
                _block(cdoc, other_listed[:_TOP_COMPARE], title="compared with "),
            ],
        }
    panel["key"] = _key(scales, threshold)
    return {
        "title": panel["title"],
        "bounds": _bounds(geoms),
        "delta_span": span if compare is not None else None,
        "basemap": _basemap(analysis),
        "tiles": dict(_OSM) if tiles == "online" else None,
        "sets": sets,
        "panel": panel,
    }


def _json_for_html(data: Any) -> str:
    """JSON that is inert inside ``<script type="application/json">`` (no ``<``, ``>`` or ``&``)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def _asset(name: str) -> str:
    path = _ASSETS / name
    if not path.is_file():
        raise CorridorError(f"{path}: the map's script is missing from the installation (fix: reinstall corridor)")
    return path.read_text(encoding="utf-8")


class _Text(Element):
    """Text placed into the page as a template *value*: rendered as is, never compiled as a template."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "CorridorText"
        self.text = text


class _Corridor(JSCSSMixin):
    """Adds the data, the style and the drawing script to the page, and runs it on the map."""

    # the static call only: everything from the data stays in the JSON element
    _template = Template(
        """
{% macro script(this, kwargs) %}
window.corridorMap = corridorDraw({{ this._parent.get_name() }}, "corridor-data");
{% endmacro %}
"""
    )
    default_js: ClassVar[list[tuple[str, str]]] = [
        ("polylinetextpath", folium.plugins.PolyLineTextPath.default_js[0][1])
    ]

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self._name = "Corridor"
        self.payload = _json_for_html(data)

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        assert isinstance(figure, Figure), "the corridor layer must be on a map in a figure"
        figure.header.add_child(_Text(f"<style>\n{_asset('map.css')}\n</style>"), name="corridor_css")
        figure.header.add_child(_Text(f"<script>\n{_asset('map.js')}\n</script>"), name="corridor_js")
        figure.html.add_child(
            _Text(f'<script type="application/json" id="corridor-data">{self.payload}</script>'),
            name="corridor_data",
        )
        super().render(**kwargs)


def make_map(analysis: Analysis, *, compare: Analysis | None = None, tiles: str = "none") -> folium.Map:
    """A folium map of an analysis (and optionally a second scenario to compare with).

    Parameters
    ----------
    analysis : corridor.pipeline.Analysis
        The scenario to show (from :func:`corridor.pipeline.analyze`).
    compare : corridor.pipeline.Analysis, optional
        A second scenario: shown as a switchable layer set (hidden at first), with a layer of the
        change in utilisation (``analysis`` − ``compare``) and both totals in the panel.
    tiles : {"none", "online"}
        ``"none"`` (default): the bundled Natural Earth outlines only, no network use.
        ``"online"``: also an OpenStreetMap tile layer, as an opt-in base layer.

    Returns
    -------
    folium.Map
        The map; render it offline with :func:`write_map` (or :func:`corridor.offline.render_offline`).
    """
    data = map_data(analysis, compare=compare, tiles=tiles)
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25, zoom_delta=0.5)
    # only what the page uses: no jQuery, Bootstrap, Font Awesome or awesome-markers
    m.default_js = [(n, u) for n, u in m.default_js if n in _KEEP_JS]
    m.default_css = [(n, u) for n, u in m.default_css if n in _KEEP_CSS]
    threshold = float(analysis.document["provenance"].get("bottleneck_threshold") or 0.9)
    _colormap(threshold).add_to(m)
    if data["delta_span"] is not None:
        _delta_colormap(data["delta_span"]).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    _Corridor(data).add_to(m)
    return m


def write_map(
    analysis: Analysis, path: str | os.PathLike[str], *, compare: Analysis | None = None, tiles: str = "none"
) -> Path:
    """Write the map as one self-contained HTML file (atomically: a temporary file, then a rename).

    The target is checked like every output's (:func:`corridor._output.check_output`).

    Parameters
    ----------
    analysis, compare, tiles
        As for :func:`make_map`.
    path : path
        The HTML file to write (its folder is created).

    Returns
    -------
    Path
        ``path``.
    """
    from . import _validate
    from ._output import atomic_write, check_output
    from .pipeline import Analysis

    _validate.instance(analysis, Analysis, "analysis", "an Analysis (from corridor.analyze)")
    if compare is not None:
        _validate.instance(compare, Analysis, "compare", "an Analysis (from corridor.analyze) or None")
    out = check_output(path, geodata=analysis.geodata.path)  # before the work: fail fast
    page = render_offline(make_map(analysis, compare=compare, tiles=tiles)).encode("utf-8")

    def write(tmp: Path) -> None:
        with open(tmp, "xb") as fh:
            fh.write(page)

    # the writer every output shares: refuses the bundled and the input geodata, folders and devices
    return atomic_write(out, write, geodata=analysis.geodata.path)
