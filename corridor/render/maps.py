"""Interactive map of an analysis: an offline, self-contained folium/Leaflet page.

:func:`make_map` draws the network of a :class:`~corridor.results.Analysis`: one toggleable layer per
mode, per commodity and per node kind; a line style per mode (rail solid, roads double, sea lanes dashed,
pipelines cased, power cables dash-dot, fibre thin dotted) and a colour by utilisation; line width by flow
(scaled per capacity unit), arrows in the direction of flow, assets not yet in service grey and faint,
bottlenecks outlined and numbered; place labels (seas, countries, ports, cities, border crossings) placed
by zoom without overlaps; a heading with the scenario, year, corridor version and the data's date; a legend
and a summary panel (totals, bottlenecks; clicking one zooms to it and opens its facts). With ``compare``
the second scenario is a switchable layer set and a layer shows the change in utilisation; with
``timeline`` (see :func:`timeline`) one solve per year and a year slider.
:func:`write_map` saves it with every asset inline (:func:`corridor.render.offline.render_offline`), so the
page works from disk with no network; the base layer is the bundled Natural Earth outlines.

Untrusted text stays data. folium and branca compile the output of every template they render as a
template again, so a string from the geodata that reached one (a name, a note, a scenario name) would be
run as Jinja. Here no text from the data reaches folium: the features, their facts and the panel are one
JSON document in a ``<script type="application/json">`` element, written as a template *value* (never
compiled) with ``<``, ``>`` and ``&`` escaped, and drawn by ``corridor/render/assets/map.js``, which puts text into
the page only through ``textContent`` and makes a link only of an ``http(s)`` URL. folium draws the map
object and the full-screen button, which carry no data text.

The document shares geometry: every line and point is stored once in ``geom`` and the layers (one list per
scenario or per year) refer to it by key, so a twelve-year timeline stores the network once and per year
only what changes (colours, widths, facts, bottlenecks).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import branca.colormap
import folium
import folium.plugins
import pandas as pd
from branca.element import Element, Figure
from folium.elements import JSCSSMixin
from folium.template import Template

from corridor import __version__, settings
from corridor._errors import CorridorError
from corridor.analyses.bottlenecks import PRICE_UNITS, RELIEF_SHARE  # noqa: F401  (PRICE_UNITS: one table, re-exported)
from corridor.io import schema
from corridor.io.geodata import load_basemap
from corridor.render.offline import render_offline

if TYPE_CHECKING:
    import geopandas as gpd

    from corridor.results import Analysis

__all__ = ["Overlay", "make_map", "map_data", "parse_years", "timeline", "write_map"]

#: Edge modes in drawing (and layer-control) order, with their labels.
MODES = {
    "rail": "Rail",
    "road": "Road",
    "sea": "Sea lanes",
    "pipeline": "Pipelines (oil, gas)",
    "power_cable": "Power cables",
    "fiber": "Fibre-optic cables",
    "transfer": "Transfers (port, gauge, border)",
}
#: How each mode is drawn (``map.js`` has the same table): the legend explains it.
MODE_STYLES = {
    "rail": "solid line",
    "road": "double line",
    "sea": "dashed",
    "pipeline": "cased (dark edges)",
    "power_cable": "dash-dot",
    "fiber": "thin, dotted",
    "transfer": "short, thin",
}
#: Commodities with their labels and units (``gas`` in bcm/yr; a ``pipeline`` may carry oil or gas).
COMMODITIES = {
    "freight": ("Freight", "Mt/yr"),
    "oil": ("Oil", "Mt/yr"),
    "gas": ("Gas", "bcm/yr"),
    "electricity": ("Electricity", "MW"),
    "data": ("Data", "Tbps"),
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
#: Place labels from nodes: kind → (priority, first zoom). Lower priority numbers are placed first.
LABEL_KINDS = {"port": (2, 5), "city": (3, 5), "border_crossing": (4, 6), "rail_station": (5, 7)}
#: Seas (fixed positions) and their label zooms.
SEAS = (
    ("Caspian Sea", 42.0, 50.6, 0, 3),
    ("Black Sea", 43.2, 34.5, 0, 3),
    ("Mediterranean Sea", 34.6, 19.0, 0, 3),
    ("Sea of Azov", 46.1, 36.6, 6, 6),
    ("Aral Sea", 45.2, 59.9, 6, 6),
)
TILES = ("none", "online")
_KEEP_JS = {"leaflet"}
_KEEP_CSS = {"leaflet_css"}
#: How many bottlenecks the summary panel lists per scenario (it scrolls; the rest are numbered on the map).
TOP_BOTTLENECKS = 8
_TOP_COMPARE = 200

_SEA = "#d5e5f0"
_LAND = "#ebeae6"
_INACTIVE = "#9a9a9a"
_MAX_WEIGHT = 12.0
_MIN_WEIGHT = 2.5
_IDLE_WEIGHT = 1.6
_DIGITS = 5
_ASSETS = Path(__file__).resolve().parent / "assets"
_OSM = {
    "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "attribution": "© OpenStreetMap contributors",
    "name": "OpenStreetMap (online)",
}
#: Utilisation colours: the severities' colours (data/severities.csv, shared with the QGIS styles and the chart) at
#: the levels where each severity starts, with a lighter blue shading the slack range below "busy"; and the change
#: palette: neutral mid-grey, not the basemap's.
_SEVERITY_COLOUR = {s: row.colour for s, row in schema.severities().items()}
_UTIL_COLOURS = [
    _SEVERITY_COLOUR["ok"],
    "#5fa3c7",
    _SEVERITY_COLOUR["busy"],
    _SEVERITY_COLOUR["near-capacity"],
    _SEVERITY_COLOUR["binding"],
    _SEVERITY_COLOUR["over-capacity"],
]
_DELTA_COLOURS = ["#1a4f9c", "#6f97c9", "#8c8c8c", "#d9774a", "#b3000c"]
_SEVERE = ("binding", "over-capacity")


@dataclasses.dataclass(frozen=True)
class Overlay:
    """An extra per-asset layer (e.g. the probability of being the bottleneck): a value in [0, 1] per id.

    Drawn over the network in its own colour scale (light to dark purple), with its own legend row and
    layer-control entry; the facts of an asset show ``label``: value.
    """

    name: str
    values: Mapping[str, float]
    label: str = "value"
    fmt: str = "{:.0%}"


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


def _price(row: Any) -> str:
    """The shadow price as :func:`corridor.flag_bottlenecks` states it (already in USD/t, USD/MWh, …) and what
    :data:`~corridor.analyses.bottlenecks.RELIEF_SHARE` more capacity would save a year."""
    value = row.get("shadow_price")
    if _missing(value):
        return "–"
    text = f"{float(value):,.1f} {_text(row.get('shadow_price_unit'))}".strip()
    relief = row.get("relief_musd_per_year")
    if float(value) > 0 and not _missing(relief):
        text += f"; {RELIEF_SHARE:.0%} more capacity saves ≈ {float(relief):,.1f} MUSD/yr"
    return text


def _price_short(b: dict[str, Any]) -> str:
    """ " · 1.4 USD/t" for a bottleneck with a positive shadow price (as the CLI's column), else ""."""
    value = b.get("shadow_price")
    if _missing(value) or float(value) <= 0:
        return ""
    return f" · {float(value):,.1f} {_text(b.get('shadow_price_unit'))}".rstrip()


# --------------------------------------------------------------------------------------------
# styling


def _colormap(threshold: float) -> branca.colormap.LinearColormap:
    """Utilisation colours: blue (slack) → amber (0.5) → orange (threshold) → red (1.0) → dark red."""
    busy = settings.BUSY_UTILISATION
    thr = min(max(float(threshold), busy + 0.01), 0.99)
    return branca.colormap.LinearColormap(
        _UTIL_COLOURS, index=[0.0, busy - 1e-4, busy, thr, 1.0, 1.25], vmin=0.0, vmax=1.25
    )


def _delta_colormap(span: float) -> branca.colormap.LinearColormap:
    span = max(0.05, min(1.0, span))
    return branca.colormap.LinearColormap(
        _DELTA_COLOURS, index=[-span, -span / 2, 0.0, span / 2, span], vmin=-span, vmax=span
    )


def _scale(cmap: branca.colormap.LinearColormap, caption: str, ticks: Sequence[float], fmt: str) -> dict[str, Any]:
    """A colour scale for the legend: gradient stops (offset 0–1, colour) and labelled ticks."""
    lo, hi = float(cmap.vmin), float(cmap.vmax)
    return {
        "caption": caption,
        "stops": [[_round((v - lo) / (hi - lo)), cmap.rgb_hex_str(v)[:7]] for v in cmap.index],
        "ticks": [[_round((t - lo) / (hi - lo)), fmt.format(t)] for t in ticks],
    }


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


def _commodities(value: Any) -> list[str]:
    return sorted({c.strip() for c in _text(value).replace(",", ";").split(";") if c.strip()})


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
        ["shadow price", _price(row)],
    ]
    # not the flag's "reason": its facts are the rows above, and its price is rounded to whole USD per unit
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
        ["shadow price", _price(row)],
    ]
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


class _Geometry:
    """Every line and point once, by key (``e:<id>`` or ``n:<id>``), shared by all sets and years."""

    def __init__(self) -> None:
        self.table: dict[str, Any] = {}

    def edge(self, eid: str, geom: Any) -> str:
        key = f"e:{eid}"
        if key not in self.table:
            self.table[key] = _latlngs(geom)
        return key

    def node(self, nid: str, geom: Any) -> str:
        key = f"n:{nid}"
        if key not in self.table:
            self.table[key] = [_round(geom.y), _round(geom.x)]
        return key


def _network(
    run: Analysis,
    cmap: branca.colormap.LinearColormap,
    geo: _Geometry,
    *,
    prefix: str,
    set_index: int,
    overlays: Sequence[Overlay] = (),
    scales: dict[str, float] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One scenario's layers (edges per mode, nodes per kind, bottleneck badges) and its bottleneck list.

    ``scales``: the flow that gets the widest line, per capacity unit (default: this scenario's largest)."""
    doc = run.document
    year = int(doc["year"])
    label = f"{doc['scenario']} ({year})" if prefix else ""
    edges = run.edges.sort_index()
    nodes = run.nodes.sort_index()
    names = {str(k): str(v) for k, v in nodes["name"].items()}
    scales = scales if scales is not None else _flow_scales(edges[edges["active"]])
    ranks = {(b["layer"], b["id"]): i for i, b in enumerate(doc["bottlenecks"], 1)}
    layers: list[dict[str, Any]] = []

    for mode in [*MODES, *sorted(set(edges["mode"]) - set(MODES))]:
        group = edges[edges["mode"] == mode]
        if group.empty:
            continue
        # inactive first (underneath), then by flow so busy lines are on top
        order = sorted(group.index, key=lambda i: (bool(group.at[i, "active"]), float(group.at[i, "flow"]), i))
        items = [
            _edge(eid, group.loc[eid], names, year, cmap, scales, geo, label, set_index, ranks.get(("edge", eid)))
            for eid in order
        ]
        layers.append({"name": _layer_name(MODES.get(mode, str(mode)), prefix), "edges": items})

    for kind in [*KINDS, *sorted(set(nodes["kind"]) - set(KINDS))]:
        group = nodes[nodes["kind"] == kind]
        if group.empty:
            continue
        title = KINDS.get(kind, (str(kind), 4))[0]
        items = [
            _node(nid, group.loc[nid], year, cmap, geo, label, set_index, ranks.get(("node", nid)))
            for nid in sorted(group.index)
        ]
        layers.append({"name": _layer_name(f"Nodes: {title.lower()}", prefix), "nodes": items})

    for k, overlay in enumerate(overlays):
        layers.append(_overlay_layer(overlay, k, edges, nodes, geo, prefix, set_index))

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
        badges.append(
            {
                "id": str(b["id"]),
                "ll": where,
                "rank": rank,
                "severity": severity,
                "info": info,
                "more": _more(row, b["id"]),
            }
        )
        flow = f"{_num(b['flow'])} / {_num(b['capacity'])} {_text(b['capacity_unit'])}"
        listed.append(
            {
                "id": str(b["id"]),
                "rank": rank,
                "set": set_index,
                "name": str(b["name"]),
                "severity": severity,
                "binding": str(b["severity"]) in _SEVERE,
                "meta": f"{b['severity']} · {_pct(b['utilization'])} · {flow}" + _price_short(b),
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
    geo: _Geometry,
    label: str,
    set_index: int,
    rank: int | None,
) -> dict[str, Any]:
    active = bool(row["active"])
    flow = float(row["flow"]) if active else 0.0
    weight = _weight(flow, scales.get(str(row["capacity_unit"]), 0.0)) if active else _IDLE_WEIGHT
    util = row["utilization"]
    # drawn in the direction of the (busier) flow, so that the arrows point along it
    reverse = flow > 0 and float(row["flow_reverse"]) > float(row["flow_forward"])
    return {
        "id": str(eid),
        "g": geo.edge(str(eid), row.geometry),
        "rev": reverse,
        "mode": _token(row["mode"]),
        "com": _commodities(row.get("commodities")),
        "color": cmap(min(float(util), 1.25))[:7] if active and not _missing(util) else _INACTIVE,
        "weight": weight,
        "opacity": 0.95 if active else 0.5,
        "active": active,
        "cls": f"cx-edge cx-set-{set_index} cx-mode-{_token(row['mode'])}",
        "casing": rank is not None,  # a dark outline under the line
        "arrow": int(max(9, min(15, weight + 5))) if flow > 0 else 0,
        "start": _year(row.get("start_year")) if row["status"] != "operating" else "",
        "info": _edge_info(row, names, year, label),
        "more": _more(row, eid),
    }


def _node(
    nid: str,
    row: Any,
    year: int,
    cmap: branca.colormap.LinearColormap,
    geo: _Geometry,
    label: str,
    set_index: int,
    rank: int | None,
) -> dict[str, Any]:
    active = bool(row["active"])
    util = row["utilization"]
    has_cap = active and not _missing(util)
    return {
        "id": str(nid),
        "g": geo.node(str(nid), row.geometry),
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


def _overlay_layer(
    overlay: Overlay,
    k: int,
    edges: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    geo: _Geometry,
    prefix: str,
    set_index: int,
) -> dict[str, Any]:
    """An extra per-asset layer: each asset with a value, coloured light → dark purple, drawn wide underneath."""
    ramp = branca.colormap.LinearColormap(["#efe6f5", "#9e6cc2", "#3f0071"], vmin=0.0, vmax=1.0)
    items = []
    for fid in sorted(overlay.values):
        value = float(overlay.values[fid])
        rows = [[overlay.label, overlay.fmt.format(value)]]
        if fid in edges.index:
            row = edges.loc[fid]
            key, kind = geo.edge(fid, row.geometry), "edge"
        elif fid in nodes.index:
            row = nodes.loc[fid]
            key, kind = geo.node(fid, row.geometry), "node"
        else:
            continue
        items.append(
            {
                "id": str(fid),
                "g": key,
                "kind": kind,
                "color": ramp(min(max(value, 0.0), 1.0))[:7],
                "cls": f"cx-overlay cx-overlay-{k} cx-set-{set_index}",
                "info": _info(row["name"], rows),
                "more": _more(row, fid),
            }
        )
    return {"name": _layer_name(overlay.name, prefix), "overlay": items}


def _delta(run: Analysis, other: Analysis, geo: _Geometry, *, set_index: int) -> tuple[dict[str, Any], float]:
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
                "g": geo.edge(str(eid), row.geometry),
                "rev": False,
                "mode": _token(row["mode"]),
                "com": _commodities(row.get("commodities")),
                "color": cmap(d)[:7] if d is not None else _INACTIVE,
                "weight": max(_weight(flow, scales.get(str(row["capacity_unit"]), 0.0)), 3.0),
                "opacity": 0.95 if d is not None else 0.4,
                "active": d is not None,
                "cls": f"cx-edge cx-delta cx-set-{set_index}",
                "casing": False,
                "arrow": 0,
                "start": "",
                "info": _info(row["name"], rows),
                "more": _more(row, eid),
            }
        )
    return {"name": _layer_name(f"Δ utilisation: {mine} − {theirs}", ""), "edges": items}, span


# --------------------------------------------------------------------------------------------
# summary panel, labels, legend, heading


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
        "year": int(doc["year"]),
        "meta": f"year {doc['year']} · {doc['method']} · solver {doc['solver_status']}",
        "totals": _totals(doc),
        "flagged": n,
        "bottlenecks": items,
        "more": max(0, n - len(items)),
    }


def _short(name: str) -> str:
    """A place label from a node name: "Port of Aktau (dry cargo, ...)" → "Aktau"."""
    text = re.split(r"\s+\(|,\s|\s+—\s", name.strip(), maxsplit=1)[0]
    text = re.sub(r"^(?:Port of|Port)\s+", "", text)
    text = re.sub(r"\s+(?:International\s+)?(?:Sea\s*port|Sea Port|Deep Sea Port|Port)$", "", text)
    text = re.sub(r"\s+(?:rail\s+|road\s+)?border (?:crossing|point)$", "", text)
    text = re.sub(r"\s+(?:port\s+)?rail(?:way)? station$", "", text)
    return text.strip() or name.strip()


def _labels(analysis: Analysis, basemap: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Place labels with a priority (lower first) and the zoom from which they show; map.js places them
    greedily without overlaps."""
    out: list[dict[str, Any]] = [
        {"t": name, "ll": [lat, lon], "p": 0, "z": z, "c": "sea"} for name, lat, lon, _, z in SEAS
    ]
    x0, y0, x1, y1 = analysis.nodes.total_bounds
    for _iso, name, geom in sorted(zip(basemap["iso_a3"], basemap["name"], basemap.geometry, strict=True)):
        if geom is None or geom.is_empty:
            continue
        part = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        if part.area < 0.5:
            continue
        at = part.representative_point()
        if not (x0 - 8 <= at.x <= x1 + 8 and y0 - 6 <= at.y <= y1 + 6):
            continue
        # countries up to zoom 7: closer in, the ports and towns matter more
        out.append({"t": _text(name), "ll": [_round(at.y), _round(at.x)], "p": 1, "z": 4, "x": 7, "c": "country"})
    nodes = analysis.nodes.sort_index()
    nodes = nodes[nodes["kind"].isin(list(LABEL_KINDS))]
    order = sorted(nodes.index, key=lambda i: (LABEL_KINDS[str(nodes.at[i, "kind"])][0], str(i)))
    seen: dict[str, list[Any]] = {}
    for nid in order:
        row = nodes.loc[nid]
        kind = str(row["kind"])
        # pipeline border points are not places a planner looks for
        carried = set(_commodities(row.get("commodities")))
        if kind == "border_crossing" and ((carried <= {"oil", "gas"} and carried) or "pipeline" in _text(row["name"])):
            continue
        priority, zoom = LABEL_KINDS[kind]
        text = _short(_text(row["name"]))
        near = seen.setdefault(text.casefold(), [])
        if any(abs(p.x - row.geometry.x) + abs(p.y - row.geometry.y) < 1.5 for p in near):
            continue  # one label per place (Baku's port, station and data hub are one "Baku")
        near.append(row.geometry)
        out.append(
            {
                "t": text,
                "ll": [_round(row.geometry.y), _round(row.geometry.x)],
                "p": priority,
                "z": zoom,
                "c": _token(kind),
                "id": str(nid),
            }
        )
    return out


def _as_of(analysis: Analysis) -> str:
    """The data's date: a ``data_as_of`` in the provenance, else the latest source year (never the clock)."""
    stated = analysis.document["provenance"].get("data_as_of")
    if stated:
        return _text(stated)
    years = [int(v) for frame in (analysis.nodes, analysis.edges) for v in frame["source_year"] if not _missing(v)]
    return str(max(years)) if years else "unknown"


def _legend(
    analysis: Analysis, threshold: float, scales: dict[str, float], delta: float | None, overlays: Sequence[Overlay]
) -> dict[str, Any]:
    edges = analysis.edges
    modes = [m for m in [*MODES, *sorted(set(edges["mode"]) - set(MODES))] if (edges["mode"] == m).any()]
    units = sorted({c for v in edges.get("commodities", []) for c in _commodities(v)})
    busy = settings.BUSY_UTILISATION
    thr = min(max(float(threshold), busy + 0.01), 0.99)
    out: dict[str, Any] = {
        "scales": [
            _scale(
                _colormap(threshold),
                f"Utilisation (flow / capacity): bottleneck from {thr:.0%}, red at capacity (100%)",
                [0.0, 0.5, thr, 1.25],
                "{:.0%}",
            )
        ],
        "modes": [[_token(m), MODES.get(m, str(m)), MODE_STYLES.get(m, "solid line")] for m in modes],
        "commodities": [[c, *COMMODITIES.get(c, (c, ""))] for c in units],
        "widths": ", ".join(f"{_num(v)} {u}" for u, v in sorted(scales.items()) if v > 0) or "no flow",
    }
    if delta is not None:
        span = max(0.05, min(1.0, delta))
        out["scales"].append(
            _scale(
                _delta_colormap(delta),
                "Change in utilisation (scenario − comparison)",
                [-span, 0.0, span],
                "{:+.0%}",
            )
        )
    for overlay in overlays:
        ramp = branca.colormap.LinearColormap(["#efe6f5", "#9e6cc2", "#3f0071"], vmin=0.0, vmax=1.0)
        out["scales"].append(_scale(ramp, overlay.name, [0.0, 0.5, 1.0], "{:.0%}"))
    return out


def _basemap(analysis: Analysis) -> tuple[dict[str, Any], gpd.GeoDataFrame]:
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
    }, basemap


# --------------------------------------------------------------------------------------------
# timeline: one solve per year


def parse_years(text: str) -> list[int]:
    """``"2024:2035"`` → 2024, 2025, ..., 2035 (also ``"2024:2035:2"`` and ``"2024,2027,2030"``).

    Parameters
    ----------
    text : str
        ``start:end`` (both included), ``start:end:step``, or years separated by commas.

    Returns
    -------
    list of int
        The years, ascending (at most 60, each in 1990–2100).

    Raises
    ------
    CorridorError
        ``text`` is not such a range.

    Examples
    --------
    >>> parse_years("2024:2030:3"), parse_years("2030,2024")
    ([2024, 2027, 2030], [2024, 2030])
    """
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            step = parts[2] if len(parts) == 3 else 1
            years = list(range(parts[0], parts[1] + 1, step))
        else:
            years = sorted({int(p) for p in text.split(",")})
    except ValueError:
        years = []
    if not years or len(years) > 60 or any(not 1990 <= y <= 2100 for y in years):
        raise CorridorError(f"'{text}' is not a range of years (fix: give e.g. --timeline 2024:2035)")
    return years


def timeline(analysis: Analysis, years: Iterable[int]) -> list[Analysis]:
    """The analysis re-run with its scenario's ``year`` set to each of ``years`` (same method and threshold):
    assets enter the network by their ``start_year``.

    Parameters
    ----------
    analysis : Analysis
        The analysis to re-run (:func:`corridor.analyze`).
    years : iterable of int
        The years (e.g. from :func:`parse_years`); the analysis's own year reuses it as it is.

    Returns
    -------
    list of Analysis
        One per year, in the order given (for :func:`make_map`'s ``years``).

    Examples
    --------
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> runs = timeline(run, [2024, 2026])
    >>> [r.scenario.year for r in runs], runs[0] is run
    ([2024, 2026], True)
    """
    from corridor.analyses.assign import assign
    from corridor.analyses.bottlenecks import flag_bottlenecks
    from corridor.results import Analysis, result_document

    threshold = analysis.threshold
    runs = []
    for year in years:
        if int(year) == int(analysis.document["year"]):
            runs.append(analysis)
            continue
        sc = dataclasses.replace(analysis.scenario, year=int(year))
        result = assign(analysis.geodata, sc, method=analysis.result.method)
        nodes, edges = flag_bottlenecks(analysis.geodata, result, threshold=threshold)
        runs.append(
            Analysis(
                analysis.geodata, sc, result, nodes, edges, result_document(analysis.geodata, result, nodes, edges)
            )
        )
    return runs


def _first_years(runs: Sequence[Analysis]) -> dict[str, tuple[int, bool]]:
    """Per bottleneck id: the first year it is flagged and whether it binds (at capacity) from then."""
    first: dict[str, tuple[int, bool]] = {}
    for run in runs:
        for b in run.document["bottlenecks"]:
            key = f"{b['layer']}:{b['id']}"
            binding = str(b["severity"]) in _SEVERE
            if key not in first or (binding and not first[key][1]):
                first[key] = (int(run.document["year"]), binding)
    return first


# --------------------------------------------------------------------------------------------
# the page: data as JSON, drawn by our script


def map_data(
    analysis: Analysis,
    *,
    compare: Analysis | None = None,
    tiles: str = "none",
    years: Sequence[Analysis] | None = None,
    overlays: Sequence[Overlay] = (),
) -> dict[str, Any]:
    """Everything the map draws, as plain JSON-ready data (no HTML).

    Parameters
    ----------
    analysis, compare, tiles, years, overlays
        As for :func:`make_map`.

    Returns
    -------
    dict
        ``title``, ``heading``, ``provenance``, ``bounds``, ``view``, ``basemap``, ``tiles`` (``None`` or the
        online layer), ``geom`` (every line and point by key), ``sets`` (per scenario or per year a list of
        layers, each with ``edges``, ``nodes``, ``badges`` or ``overlay`` items that refer to ``geom``),
        ``labels``, ``legend``, ``panel``, ``timeline`` (``None`` or the years and the first shown) and
        ``delta_span`` (the largest change in utilisation, with ``compare``).

    Examples
    --------
    >>> import corridor
    >>> data = map_data(corridor.analyze("baseline-2024"))
    >>> data["title"], data["tiles"], data["timeline"]
    ('corridor · baseline-2024 (2024)', None, None)
    """
    if tiles not in TILES:
        raise CorridorError(f"unknown tiles {tiles!r} (fix: use one of {', '.join(TILES)})")
    if years is not None and compare is not None:
        raise CorridorError("a map shows a timeline or a comparison, not both (fix: drop --compare or --timeline)")
    doc = analysis.document
    threshold = analysis.threshold
    cmap = _colormap(threshold)
    geo = _Geometry()
    prefix = str(doc["scenario"]) if compare is not None else ""
    layers, listed = _network(analysis, cmap, geo, prefix=prefix, set_index=0, overlays=overlays)
    sets = [layers]
    geoms = [*analysis.edges.geometry, *analysis.nodes.geometry]
    scales = _flow_scales(analysis.edges[analysis.edges["active"]])
    busy = analysis.edges[analysis.edges["active"] & (analysis.edges["flow"] > 0)]
    view = _bounds(busy.geometry if len(busy) else analysis.edges.geometry)
    span = None
    timeline_info = None
    heading = f"{doc['scenario']} · {doc['year']}"
    title = f"corridor · {doc['scenario']} ({doc['year']})"
    if compare is not None:
        cdoc = compare.document
        other, other_listed = _network(compare, cmap, geo, prefix=str(cdoc["scenario"]), set_index=1)
        delta, span = _delta(analysis, compare, geo, set_index=2)
        sets += [other, [delta]]
        geoms += [*compare.edges.geometry, *compare.nodes.geometry]
        title = f"corridor · {doc['scenario']} ({doc['year']}) vs {cdoc['scenario']} ({cdoc['year']})"
        heading = f"{doc['scenario']} · {doc['year']}  vs  {cdoc['scenario']} · {cdoc['year']}"
        panel = {
            "title": title,
            "switch": [str(doc["scenario"]), str(cdoc["scenario"]), "Δ utilisation"],
            "blocks": [
                _block(doc, listed[:_TOP_COMPARE]),
                _block(cdoc, other_listed[:_TOP_COMPARE], title="compared with "),
            ],
        }
    elif years:
        runs = list(years)
        first = _first_years(runs)
        names = {f"{b['layer']}:{b['id']}": str(b["name"]) for run in runs for b in run.document["bottlenecks"]}
        sets, blocks = [], []
        # one width scale for all years, so that a line's width compares across the slider
        for run in runs:
            for unit, value in _flow_scales(run.edges[run.edges["active"]]).items():
                scales[unit] = max(scales.get(unit, 0.0), value)
        for run in runs:
            run_layers, run_listed = _network(run, cmap, geo, prefix="", set_index=0, overlays=overlays, scales=scales)
            for item in run_listed:
                layer = "edge" if f"edge:{item['id']}" in first else "node"
                since, binding = first.get(f"{layer}:{item['id']}", (int(run.document["year"]), False))
                item["meta"] += f" · {'binds' if binding else 'flagged'} from {since}"
            sets.append(run_layers)
            blocks.append(_block(run.document, run_listed[:TOP_BOTTLENECKS]))
        years_list = [int(r.document["year"]) for r in runs]
        start = years_list.index(int(doc["year"])) if int(doc["year"]) in years_list else 0
        timeline_info = {
            "years": years_list,
            "start": start,
            # per bottleneck: id, first year flagged (or binding), whether it binds, name
            "first": sorted(
                [[key.split(":", 1)[1], since, binding, names[key]] for key, (since, binding) in first.items()],
                key=lambda t: (t[1], t[0]),
            ),
        }
        heading = f"{doc['scenario']} · {years_list[0]}–{years_list[-1]}"
        title = f"corridor · {doc['scenario']} ({years_list[0]}–{years_list[-1]})"
        panel = {"title": title, "switch": None, "blocks": blocks}
    else:
        panel = {"title": title, "switch": None, "blocks": [_block(doc, listed[:TOP_BOTTLENECKS])]}
    basemap, frame = _basemap(analysis)
    prov = doc["provenance"]
    return {
        "title": title,
        "heading": heading,
        "provenance": f"corridor {prov.get('corridor_version') or __version__} · data as of {_as_of(analysis)} "
        f"(version {_text(prov.get('data_version'))}) · threshold {threshold:.2f}",
        "bounds": _bounds(geoms),
        "view": view,
        "delta_span": span,
        "basemap": basemap,
        "tiles": dict(_OSM) if tiles == "online" else None,
        "geom": geo.table,
        "sets": sets,
        "labels": _labels(analysis, frame),
        "legend": _legend(analysis, threshold, scales, span, overlays),
        "timeline": timeline_info,
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
        self.title = str(data["title"])
        self.payload = _json_for_html(data)

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        assert isinstance(figure, Figure), "the corridor layer must be on a map in a figure"
        # the title as escaped text (a value, not a template; braces as entities, so no template delimiters)
        title = html.escape(self.title).replace("{", "&#123;").replace("}", "&#125;").replace("%", "&#37;")
        figure.header.add_child(_Text(f"<title>{title}</title>"), name="corridor_title")
        figure.header.add_child(_Text(f"<style>\n{_asset('map.css')}\n</style>"), name="corridor_css")
        figure.header.add_child(_Text(f"<script>\n{_asset('map.js')}\n</script>"), name="corridor_js")
        figure.html.add_child(
            _Text(f'<script type="application/json" id="corridor-data">{self.payload}</script>'),
            name="corridor_data",
        )
        super().render(**kwargs)


def make_map(
    analysis: Analysis,
    *,
    compare: Analysis | None = None,
    tiles: str = "none",
    years: Sequence[Analysis] | None = None,
    overlays: Sequence[Overlay] = (),
) -> folium.Map:
    """A folium map of an analysis (and optionally a second scenario to compare with, or a timeline).

    Parameters
    ----------
    analysis : corridor.results.Analysis
        The scenario to show (from :func:`corridor.results.analyze`).
    compare : corridor.results.Analysis, optional
        A second scenario: shown as a switchable layer set (hidden at first), with a layer of the
        change in utilisation (``analysis`` − ``compare``) and both totals in the panel.
    tiles : {"none", "online"}
        ``"none"`` (default): the bundled Natural Earth outlines only, no network use.
        ``"online"``: also an OpenStreetMap tile layer, as an opt-in base layer.
    years : list of corridor.results.Analysis, optional
        One analysis per year (from :func:`timeline`): a year slider shows each year's network, flows and
        bottlenecks, and the panel says from which year each bottleneck binds. Not with ``compare``.
    overlays : list of Overlay
        Extra per-asset layers (a value in [0, 1] per asset id), each with a legend scale.

    Returns
    -------
    folium.Map
        The map; render it offline with :func:`write_map` (or :func:`corridor.render.offline.render_offline`).

    Examples
    --------
    >>> import corridor
    >>> from corridor.render.offline import render_offline
    >>> m = make_map(corridor.analyze("baseline-2024"))
    >>> page = render_offline(m)
    >>> page.startswith("<!DOCTYPE html>"), "https://cdn" in page
    (True, False)
    """
    data = map_data(analysis, compare=compare, tiles=tiles, years=years, overlays=overlays)
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25, zoom_delta=0.5)
    # only what the page uses: no jQuery, Bootstrap, Font Awesome or awesome-markers
    m.default_js = [(n, u) for n, u in m.default_js if n in _KEEP_JS]
    m.default_css = [(n, u) for n, u in m.default_css if n in _KEEP_CSS]
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    _Corridor(data).add_to(m)
    return m


def write_map(
    analysis: Analysis,
    path: str | os.PathLike[str],
    *,
    compare: Analysis | None = None,
    tiles: str = "none",
    years: Sequence[Analysis] | None = None,
    overlays: Sequence[Overlay] = (),
) -> Path:
    """Write the map as one self-contained HTML file (atomically: a temporary file, then a rename).

    The target is checked like every output's (:func:`corridor._output.check_output`).

    Parameters
    ----------
    analysis, compare, tiles, years, overlays
        As for :func:`make_map`.
    path : path
        The HTML file to write (its folder is created).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import corridor
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_map(corridor.analyze("baseline-2024"), Path(folder) / "maps" / "baseline.html")
    ...     print(written.name, written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>"))
    baseline.html True
    """
    from corridor._output import atomic_write, check_output
    from corridor.io import _validate
    from corridor.results import Analysis

    _validate.instance(analysis, Analysis, "analysis", "an Analysis (from corridor.analyze)")
    if compare is not None:
        _validate.instance(compare, Analysis, "compare", "an Analysis (from corridor.analyze) or None")
    out = check_output(path, geodata=analysis.geodata.path)  # before the work: fail fast
    page = render_offline(make_map(analysis, compare=compare, tiles=tiles, years=years, overlays=overlays))
    data = page.encode("utf-8")

    def write(tmp: Path) -> None:
        with open(tmp, "xb") as fh:
            fh.write(data)

    # the writer every output shares: refuses the bundled and the input geodata, folders and devices
    return atomic_write(out, write, geodata=analysis.geodata.path)
