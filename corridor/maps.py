"""Interactive map of an analysis: an offline, self-contained folium/Leaflet page .

:func:`make_map` draws the network of a :class:`~corridor.pipeline.Analysis`: one toggleable layer per
mode and per node kind, line width by flow (scaled per capacity unit), colour by utilisation (with a
legend marking 0.5, the bottleneck threshold and 1.0), arrows in the direction of flow, assets not in
service in the scenario year faint and dashed with their start year, bottlenecks outlined and numbered,
and a summary panel (scenario, totals, top bottlenecks; clicking one zooms to it). With ``compare`` the
second scenario is a switchable layer set and a layer shows the change in utilisation.
:func:`write_map` saves it with every asset inline (:func:`corridor.offline.render_offline`), so the
page works from disk with no network; the base layer is the bundled Natural Earth outlines.

Every string from the data is HTML-escaped (and made inert inside JavaScript template literals)
before folium sees it: names are shown as text, never interpreted.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import branca.colormap
import folium
import folium.plugins
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from ._errors import CorridorError
from .geodata import load_basemap
from .offline import render_offline

if TYPE_CHECKING:
    import geopandas as gpd

    from .pipeline import Analysis

__all__ = ["make_map", "write_map"]

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
_KEEP_JS = {"leaflet", "jquery"}  # jQuery: folium's popups use it
_KEEP_CSS = {"leaflet_css"}
#: How many bottlenecks the summary panel lists (per scenario).
TOP_BOTTLENECKS = 8
_TOP_COMPARE = 4  # per scenario, when two are shown

_SEA = "#d5e5f0"
_OUTSIDE = "#e4e4e4"  # beyond the basemap's extent
_LAND = "#ebeae6"
_INACTIVE = "#8a8a8a"
_MAX_WEIGHT = 12.0
_MIN_WEIGHT = 2.5
_IDLE_WEIGHT = 1.6
_DASH = "7 6"
_DIGITS = 5


# --------------------------------------------------------------------------------------------
# text helpers


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _esc(value: Any) -> str:
    """``value`` as inert HTML text, also safe inside a JavaScript template literal.

    folium puts tooltip and popup HTML into backtick strings, where `` ` ``, ``${`` and ``\\``
    would still act, so these become character references too.
    """
    if _missing(value):
        return ""
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def _num(value: Any, digits: int = 2) -> str:
    if _missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"


def _pct(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):.0%}"


def _year(value: Any) -> str:
    return "" if _missing(value) else str(int(value))


def _link(url: Any) -> str:
    """The source as a link when it is an http(s) URL, as text otherwise (both escaped)."""
    if _missing(url) or not str(url).strip():
        return "–"
    text = str(url).strip()
    if text.lower().startswith(("http://", "https://")):
        return f'<a href="{_esc(text)}" target="_blank" rel="noopener noreferrer">{_esc(text)}</a>'
    return _esc(text)


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
# tooltips and popups


def _status(row: Any, year: int) -> str:
    status = _esc(row["status"])
    start = _year(row.get("start_year"))
    text = status + (f", start {start}" if start and row["status"] != "operating" else "")
    if not bool(row["active"]):
        text += f" — <i>not in service in {year}</i>"
    return text


def _capacity(row: Any) -> str:
    unit = _esc(row["capacity_unit"])
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


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in pairs)


def _edge_info(row: Any, names: dict[str, str], year: int, label: str = "") -> str:
    unit = _esc(row["capacity_unit"])
    a, b = names.get(row["from_id"], row["from_id"]), names.get(row["to_id"], row["to_id"])
    pairs = [
        ("mode", _esc(MODES.get(row["mode"], row["mode"]))),
        ("status", _status(row, year)),
        ("capacity", _capacity(row)),
        ("flow", f"{_num(row['flow'])} {unit}"),
        ("direction", f"{_esc(a)} → {_esc(b)}: {_num(row['flow_forward'])}; ← {_num(row['flow_reverse'])}"),
        ("utilisation", f"{_pct(row['utilization'])} ({_esc(row['severity'])})"),
        ("shadow price", f"{_num(row['shadow_price'], 0)} USD per {unit}"),
    ]
    if row.get("reason"):
        pairs.append(("note", _esc(row["reason"])))
    head = f"<b>{_esc(row['name'])}</b>" + (f" <span class='cx-set'>{_esc(label)}</span>" if label else "")
    return f"<div class='cx-tip'>{head}<table>{_rows(pairs)}</table></div>"


def _node_info(row: Any, year: int, label: str = "") -> str:
    unit = _esc(row["capacity_unit"]) if not _missing(row["capacity_unit"]) else ""
    pairs = [
        ("kind", _esc(KINDS.get(row["kind"], (row["kind"], 0))[0])),
        ("country", _esc(row["country"])),
        ("status", _status(row, year)),
        ("capacity", _capacity(row)),
        ("throughput", f"{_num(row['flow'])} {unit}".strip()),
        ("utilisation", f"{_pct(row['utilization'])} ({_esc(row['severity'])})"),
        ("shadow price", f"{_num(row['shadow_price'], 0)} USD" + (f" per {unit}" if unit else "")),
    ]
    if row.get("reason"):
        pairs.append(("note", _esc(row["reason"])))
    head = f"<b>{_esc(row['name'])}</b>" + (f" <span class='cx-set'>{_esc(label)}</span>" if label else "")
    return f"<div class='cx-tip'>{head}<table>{_rows(pairs)}</table></div>"


def _popup(info: str, row: Any, fid: str) -> folium.Popup:
    extra = [
        ("id", _esc(fid)),
        ("source", _link(row.get("source_url"))),
        ("source year", _year(row.get("source_year"))),
    ]
    if not _missing(row.get("note")) and str(row.get("note")).strip():
        extra.append(("data note", _esc(row["note"])))
    body = info.replace("</table></div>", _rows(extra) + "</table></div>")
    return folium.Popup(body, max_width=440)


# --------------------------------------------------------------------------------------------
# layers


@dataclass
class _Set:
    """The layers of one scenario on the map."""

    layers: list[folium.FeatureGroup] = field(default_factory=list)
    nodes: list[folium.FeatureGroup] = field(default_factory=list)
    bottlenecks: list[dict[str, Any]] = field(default_factory=list)


def _layer_name(text: str, prefix: str) -> str:
    return f"<span class='cx-layer-set'>{_esc(prefix)}</span> {_esc(text)}" if prefix else _esc(text)


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


def _add_network(
    m: folium.Map,
    run: Analysis,
    cmap: branca.colormap.LinearColormap,
    *,
    prefix: str,
    show: bool,
    set_index: int,
) -> _Set:
    """Draw one scenario's edges, nodes and bottleneck badges as toggleable layers."""
    doc = run.document
    year = int(doc["year"])
    label = f"{doc['scenario']} ({year})" if prefix else ""
    out = _Set()
    edges = run.edges.sort_index()
    nodes = run.nodes.sort_index()
    names = {str(k): str(v) for k, v in nodes["name"].items()}
    scales = _flow_scales(edges[edges["active"]])
    ranks = {(b["layer"], b["id"]): i for i, b in enumerate(doc["bottlenecks"], 1)}

    for mode in [*MODES, *sorted(set(edges["mode"]) - set(MODES))]:
        group = edges[edges["mode"] == mode]
        if group.empty:
            continue
        fg = folium.FeatureGroup(name=_layer_name(MODES.get(mode, mode), prefix), show=show)
        # inactive first (underneath), then by flow so busy lines are on top
        order = sorted(group.index, key=lambda i: (bool(group.at[i, "active"]), float(group.at[i, "flow"]), i))
        for eid in order:
            row = group.loc[eid]
            _add_edge(fg, eid, row, names, year, cmap, scales, label, set_index, ranks.get(("edge", eid)))
        fg.add_to(m)
        out.layers.append(fg)

    for kind in [*KINDS, *sorted(set(nodes["kind"]) - set(KINDS))]:
        group = nodes[nodes["kind"] == kind]
        if group.empty:
            continue
        title = KINDS.get(kind, (kind, 4))[0]
        fg = folium.FeatureGroup(name=_layer_name(f"Nodes: {title.lower()}", prefix), show=show)
        for nid in sorted(group.index):
            row = group.loc[nid]
            _add_node(fg, nid, row, year, cmap, label, set_index, ranks.get(("node", nid)))
        fg.add_to(m)
        out.layers.append(fg)
        out.nodes.append(fg)

    badges = folium.FeatureGroup(name=_layer_name("Bottleneck markers", prefix), show=show)
    placed: list[list[float]] = []
    for rank, b in enumerate(doc["bottlenecks"], 1):  # every flagged asset gets a numbered marker
        table = edges if b["layer"] == "edge" else nodes
        if b["id"] not in table.index:
            continue
        row = table.loc[b["id"]]
        geom = row.geometry
        where = _badge_point(geom, placed)
        placed.append(where)
        info = _edge_info(row, names, year, label) if b["layer"] == "edge" else _node_info(row, year, label)
        icon = folium.DivIcon(
            html=f"<div class='cx-badge cx-sev-{_esc(b['severity'])}'>{rank}</div>",
            icon_size=(22, 22),
            icon_anchor=(11, 11),
            class_name="cx-badge-icon",
        )
        folium.Marker(where, icon=icon, tooltip=folium.Tooltip(info, sticky=True)).add_to(badges)
        pad = 0.0 if b["layer"] == "edge" else 0.4
        out.bottlenecks.append(
            {
                "rank": rank,
                "set": set_index,
                "name": str(b["name"]),
                "type": str(b["type"]),
                "severity": str(b["severity"]),
                "utilization": b["utilization"],
                "flow": b["flow"],
                "capacity": b["capacity"],
                "unit": str(b["capacity_unit"] or ""),
                "bounds": _bounds([geom], pad=pad),
            }
        )
    badges.add_to(m)
    out.layers.append(badges)
    return out


def _add_edge(
    fg: folium.FeatureGroup,
    eid: str,
    row: Any,
    names: dict[str, str],
    year: int,
    cmap: branca.colormap.LinearColormap,
    scales: dict[str, float],
    label: str,
    set_index: int,
    rank: int | None,
) -> None:
    active = bool(row["active"])
    flow = float(row["flow"]) if active else 0.0
    planned = row["status"] != "operating"
    weight = _weight(flow, scales.get(str(row["capacity_unit"]), 0.0)) if active else _IDLE_WEIGHT
    util = row["utilization"]
    color = cmap(min(float(util), 1.25))[:7] if active and not _missing(util) else _INACTIVE
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
    info = _edge_info(row, names, year, label)
    if rank is not None:  # a dark casing under the line
        casing = folium.PolyLine(coords, color="#1a1a1a", weight=weight + 6, opacity=0.85, class_name="cx-casing")
        casing.options["interactive"] = False
        casing.add_to(fg)
    line = folium.PolyLine(
        coords,
        color=color,
        weight=weight,
        opacity=0.95 if active else 0.55,
        dash_array=_DASH if planned else None,
        class_name=f"cx-edge cx-set-{set_index} cx-mode-{row['mode']}",
        tooltip=folium.Tooltip(info, sticky=True),
        popup=_popup(info, row, eid),
    )
    line.add_to(fg)
    if flow > 0:
        size = int(max(9, min(15, weight + 5)))
        folium.plugins.PolyLineTextPath(
            line,
            "\u2002\u2002\u25b6\u2002\u2002\u2002\u2002",
            repeat=True,
            offset=round(size * 0.36, 1),
            attributes={"fill": "#1c1c1c", "font-size": str(size), "class": "cx-arrow"},
        ).add_to(fg)
    if planned and _year(row.get("start_year")):
        folium.plugins.PolyLineTextPath(
            line,
            _year(row["start_year"]),
            center=True,
            offset=-5,
            attributes={"fill": "#444", "font-size": "11", "font-weight": "bold", "class": "cx-year"},
        ).add_to(fg)


def _add_node(
    fg: folium.FeatureGroup,
    nid: str,
    row: Any,
    year: int,
    cmap: branca.colormap.LinearColormap,
    label: str,
    set_index: int,
    rank: int | None,
) -> None:
    active = bool(row["active"])
    radius = KINDS.get(row["kind"], ("", 4))[1]
    util = row["utilization"]
    has_cap = active and not _missing(util)
    info = _node_info(row, year, label)
    folium.CircleMarker(
        [_round(row.geometry.y), _round(row.geometry.x)],
        radius=radius + (2 if rank is not None else 0),
        color="#1a1a1a" if active else _INACTIVE,
        weight=3 if rank is not None else 1.2,
        opacity=1.0 if active else 0.6,
        fill=True,
        fill_color=cmap(min(float(util), 1.25))[:7] if has_cap else "#ffffff",
        fill_opacity=0.95 if active else 0.5,
        dash_array="3 3" if row["status"] != "operating" else None,
        class_name=f"cx-node cx-set-{set_index} cx-kind-{row['kind']}",
        tooltip=folium.Tooltip(info, sticky=True),
        popup=_popup(info, row, nid),
    ).add_to(fg)


def _add_delta(m: folium.Map, run: Analysis, other: Analysis, *, set_index: int) -> tuple[folium.FeatureGroup, float]:
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
    fg = folium.FeatureGroup(
        name=_esc(f"Δ utilisation: {run.document['scenario']} − {other.document['scenario']}"), show=False
    )
    scales = _flow_scales(a[a["active"]])
    for eid in a.index:
        row = a.loc[eid]
        base = b.loc[eid] if eid in b.index else None
        d = deltas.get(eid)
        flow = float(row["flow"]) if bool(row["active"]) else 0.0
        weight = max(_weight(flow, scales.get(str(row["capacity_unit"]), 0.0)), 3.0)
        pairs = [
            ("mode", _esc(MODES.get(row["mode"], row["mode"]))),
            ("status", _status(row, int(run.document["year"]))),
            (f"utilisation {_esc(run.document['scenario'])}", _pct(row["utilization"])),
            (
                f"utilisation {_esc(other.document['scenario'])}",
                _pct(base["utilization"]) if base is not None else "–",
            ),
            ("change", "–" if d is None else f"{d:+.0%}"),
            (f"flow {_esc(run.document['scenario'])}", f"{_num(row['flow'])} {_esc(row['capacity_unit'])}"),
            (
                f"flow {_esc(other.document['scenario'])}",
                f"{_num(base['flow'])} {_esc(row['capacity_unit'])}" if base is not None else "–",
            ),
        ]
        info = f"<div class='cx-tip'><b>{_esc(row['name'])}</b><table>{_rows(pairs)}</table></div>"
        folium.PolyLine(
            _latlngs(row.geometry),
            color=cmap(d)[:7] if d is not None else _INACTIVE,
            weight=weight,
            opacity=0.95 if d is not None else 0.4,
            dash_array=None if d is not None else _DASH,
            class_name=f"cx-edge cx-delta cx-set-{set_index}",
            tooltip=folium.Tooltip(info, sticky=True),
            popup=_popup(info, row, eid),
        ).add_to(fg)
    fg.add_to(m)
    return fg, span


# --------------------------------------------------------------------------------------------
# summary panel


def _totals_table(doc: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{_esc(c)}</th><td>{_num(t['demand'])}</td><td>{_num(t['served'])}</td>"
        f"<td class='{'cx-bad' if (t['unserved'] or 0) > 1e-6 else ''}'>{_num(t['unserved'])}</td>"
        f"<td>{_esc(t['unit'])}</td></tr>"
        for c, t in doc["totals"].items()
    )
    return (
        "<table class='cx-totals'><tr><th></th><th>demand</th><th>served</th><th>unserved</th><th></th></tr>"
        f"{rows}</table>"
    )


def _bottleneck_list(items: list[dict[str, Any]], total: int) -> str:
    if not items:
        return "<p class='cx-none'>No bottlenecks: every asset is below the threshold.</p>"
    lis = []
    for b in items:
        util = _pct(b["utilization"])
        flow = f"{_num(b['flow'])} / {_num(b['capacity'])} {_esc(b['unit'])}"
        lis.append(
            f"<li><button type='button' class='cx-bn' data-set='{int(b['set'])}' "
            f"data-bounds='{_esc(json.dumps(b['bounds']))}'>"
            f"<span class='cx-badge cx-sev-{_esc(b['severity'])}'>{int(b['rank'])}</span>"
            f"<span class='cx-bn-name'>{_esc(b['name'])}</span>"
            f"<span class='cx-bn-meta'>{_esc(b['severity'])} · {util} · {flow}</span></button></li>"
        )
    more = f"<p class='cx-more'>{total - len(items)} more are numbered on the map.</p>" if total > len(items) else ""
    return f"<ol class='cx-bns'>{''.join(lis)}</ol>{more}"


def _scenario_block(doc: dict[str, Any], items: list[dict[str, Any]], *, title: str = "") -> str:
    head = (
        f"<div class='cx-scn'>{_esc(title)}<b>{_esc(doc['scenario'])}</b> · year {_esc(doc['year'])} · "
        f"{_esc(doc['method'])} · solver {_esc(doc['solver_status'])}</div>"
    )
    n = len(doc["bottlenecks"])
    return (
        f"{head}{_totals_table(doc)}"
        f"<div class='cx-sub'>Bottlenecks ({n} flagged) — click to zoom</div>"
        f"{_bottleneck_list(items, n)}"
    )


class _Panel(MacroElement):
    """The summary panel (a Leaflet control) and the page's small scripts."""

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.leaflet-container { background: {{ this.outside }}; font: 12px/1.35 system-ui, -apple-system, "Segoe UI", Roboto,
  "DejaVu Sans", sans-serif; }
.cx-panel { background: rgba(255,255,255,.94); border-radius: 6px; box-shadow: 0 1px 6px rgba(0,0,0,.35);
  padding: 8px 10px; width: 340px; max-height: 44vh; overflow-y: auto; color: #1b1b1b; }
.cx-panel h1 { font-size: 14px; margin: 0 0 4px; }
.cx-panel summary { cursor: pointer; font-weight: 600; font-size: 14px; }
.cx-scn { margin: 6px 0 2px; }
.cx-panel table { border-collapse: collapse; width: 100%; margin: 2px 0 4px; }
.cx-panel th, .cx-panel td { padding: 1px 4px; text-align: right; font-weight: normal; }
.cx-panel th:first-child { text-align: left; font-weight: 600; }
.cx-totals tr:first-child th { color: #555; font-size: 11px; }
.cx-bad { color: #b00020; font-weight: 700; }
.cx-sub { margin-top: 4px; font-weight: 600; }
.cx-bns { list-style: none; margin: 2px 0; padding: 0; }
.cx-bn { display: flex; flex-wrap: wrap; align-items: center; gap: 0 6px; width: 100%; text-align: left;
  border: 0; background: none; padding: 3px 2px; cursor: pointer; border-radius: 4px; font: inherit; }
.cx-bn:hover, .cx-bn:focus { background: #eef3fb; }
.cx-bn-name { font-weight: 600; flex: 1 1 200px; }
.cx-bn-meta { color: #444; flex: 1 1 100%; padding-left: 28px; font-size: 11px; }
.cx-badge { display: inline-block; min-width: 22px; height: 22px; line-height: 18px; border-radius: 11px;
  border: 2px solid #fff; color: #fff; font-weight: 700; text-align: center; font-size: 12px;
  box-shadow: 0 0 0 1.5px #1a1a1a; box-sizing: border-box; }
.cx-badge-icon { background: none; border: 0; }
.cx-sev-near-capacity { background: #f07c00; } .cx-sev-binding { background: #d7191c; }
.cx-sev-over-capacity { background: #5e0014; } .cx-sev-busy, .cx-sev-ok { background: #2b6cb0; }
.cx-key { color: #333; font-size: 11px; margin-top: 6px; border-top: 1px solid #ddd; padding-top: 4px; }
.cx-key svg { vertical-align: middle; }
.cx-switch { display: flex; gap: 4px; margin: 4px 0; flex-wrap: wrap; }
.cx-switch button { font: inherit; border: 1px solid #999; background: #f7f7f7; border-radius: 4px;
  padding: 2px 6px; cursor: pointer; }
.cx-switch button.cx-on { background: #1b1b1b; color: #fff; border-color: #1b1b1b; }
.cx-tip { white-space: normal; width: max-content; max-width: 380px; }
.leaflet-popup-content .cx-tip { max-height: 340px; overflow-y: auto; width: 400px; max-width: 400px; }
.cx-tip table { border-collapse: collapse; margin-top: 2px; }
.cx-tip th { text-align: left; font-weight: 600; color: #444; padding: 0 6px 0 0; vertical-align: top;
  white-space: nowrap; }
.cx-tip td { padding: 0; overflow-wrap: break-word; word-break: break-word; }
.cx-set, .cx-layer-set { color: #555; font-weight: 600; }
.leaflet-pane text { pointer-events: none; }
.leaflet-control-layers-list { max-height: 60vh; overflow-y: auto; }
.legend { background: rgba(255,255,255,.9); border-radius: 4px; padding: 2px 6px; }
</style>
{% endmacro %}

{% macro html(this, kwargs) %}
<div id="{{ this.get_name() }}" class="cx-panel"><details open><summary>{{ this.title }}</summary>
{{ this.body }}
</details></div>
{% endmacro %}

{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var panel = document.getElementById({{ this.get_name()|tojson }});
    var control = L.control({position: "bottomright"});
    control.onAdd = function () { return panel; };
    control.addTo(map);
    L.DomEvent.disableClickPropagation(panel);
    L.DomEvent.disableScrollPropagation(panel);
    var sets = [
    {%- for layers in this.sets %}
        [{% for l in layers %}{{ l.get_name() }}, {% endfor %}],
    {%- endfor %}
    ];
    var nodeLayers = [{% for l in this.node_layers %}{{ l.get_name() }}, {% endfor %}];
    function nodesOnTop() {
        nodeLayers.forEach(function (l) { if (map.hasLayer(l)) { l.bringToFront(); } });
    }
    map.on("overlayadd", nodesOnTop);
    function showSet(k) {
        sets.forEach(function (layers, i) {
            layers.forEach(function (l) { if (i === k) { map.addLayer(l); } else { map.removeLayer(l); } });
        });
        panel.querySelectorAll(".cx-switch button").forEach(function (b) {
            b.classList.toggle("cx-on", Number(b.dataset.set) === k);
        });
        nodesOnTop();
    }
    panel.querySelectorAll(".cx-switch button").forEach(function (b) {
        b.addEventListener("click", function () { showSet(Number(b.dataset.set)); });
    });
    panel.querySelectorAll("button.cx-bn").forEach(function (b) {
        b.addEventListener("click", function () {
            var k = Number(b.dataset.set);
            if (sets.length > 1 && !sets[k].some(function (l) { return map.hasLayer(l); })) { showSet(k); }
            map.fitBounds(JSON.parse(b.dataset.bounds), {maxZoom: 8, padding: [60, 60]});
        });
    });
    // the first view: no animation, so that nothing the user clicks early is swallowed by it
    map.fitBounds({{ this.bounds|tojson }}, {paddingTopLeft: [20, 70], paddingBottomRight: [20, 40], animate: false});
    window.corridorMap = map;
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        *,
        title: str,
        body: str,
        sets: list[list[folium.FeatureGroup]],
        node_layers: list[folium.FeatureGroup],
        bounds: list[list[float]],
    ) -> None:
        super().__init__()
        self._name = "CorridorPanel"
        self.title = title
        self.body = body
        self.sets = sets
        self.node_layers = node_layers
        self.outside = _OUTSIDE
        self.bounds = bounds


def _key(scales: dict[str, float], threshold: float) -> str:
    widths = ", ".join(f"{_num(v)} {_esc(u)}" for u, v in sorted(scales.items()) if v > 0)
    dash = (
        "<svg width='34' height='8'><line x1='0' y1='4' x2='34' y2='4' stroke='#8a8a8a' stroke-width='2' "
        "stroke-dasharray='7 6'/></svg>"
    )
    return (
        "<div class='cx-key'>"
        f"Line width: flow (widest = {widths or 'no flow'}; each unit scaled separately); "
        "▶ direction of flow; colour: utilisation (legend, top right); "
        f"bottleneck: utilisation ≥ {threshold:.2f} or at capacity (dark outline, numbered). "
        f"{dash} planned / under construction / idle, labelled with its start year; grey = not in service. "
        "Click a feature for its source.</div>"
    )


# --------------------------------------------------------------------------------------------
# public API


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
    if tiles not in TILES:
        raise CorridorError(f"unknown tiles {tiles!r} (fix: use one of {', '.join(TILES)})")
    doc = analysis.document
    threshold = float(doc["provenance"].get("bottleneck_threshold") or 0.9)
    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25, zoom_delta=0.5)
    # only what the page uses: no Bootstrap, Font Awesome or awesome-markers (~1 MB inlined)
    m.default_js = [(n, u) for n, u in m.default_js if n in _KEEP_JS]
    m.default_css = [(n, u) for n, u in m.default_css if n in _KEEP_CSS]
    _add_basemap(m, analysis)
    if tiles == "online":
        folium.TileLayer(
            "OpenStreetMap", name="OpenStreetMap (online)", overlay=False, control=True, show=False
        ).add_to(m)

    cmap = _colormap(threshold)
    prefix = str(doc["scenario"]) if compare is not None else ""
    main = _add_network(m, analysis, cmap, prefix=prefix, show=True, set_index=0)
    sets = [main.layers]
    node_layers = list(main.nodes)
    items = list(main.bottlenecks)
    delta_span = None
    if compare is not None:
        other = _add_network(m, compare, cmap, prefix=str(compare.document["scenario"]), show=False, set_index=1)
        delta, delta_span = _add_delta(m, analysis, compare, set_index=2)
        sets += [other.layers, [delta]]
        node_layers += other.nodes
        items += other.bottlenecks

    cmap.add_to(m)
    if delta_span is not None:
        _delta_colormap(delta_span).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)

    geoms = [*analysis.edges.geometry, *analysis.nodes.geometry]
    if compare is not None:
        geoms += [*compare.edges.geometry, *compare.nodes.geometry]

    scales = _flow_scales(analysis.edges[analysis.edges["active"]])
    if compare is None:
        title = f"corridor · {doc['scenario']} ({doc['year']})"
        body = _scenario_block(doc, [b for b in items if b["set"] == 0][:TOP_BOTTLENECKS])
    else:
        cdoc = compare.document
        title = f"corridor · {doc['scenario']} vs {cdoc['scenario']}"
        switch = (
            "<div class='cx-switch'>Show: "
            f"<button type='button' data-set='0' class='cx-on'>{_esc(doc['scenario'])}</button>"
            f"<button type='button' data-set='1'>{_esc(cdoc['scenario'])}</button>"
            "<button type='button' data-set='2'>Δ utilisation</button></div>"
        )
        body = (
            switch
            + _scenario_block(doc, [b for b in items if b["set"] == 0][:_TOP_COMPARE])
            + _scenario_block(cdoc, [b for b in items if b["set"] == 1][:_TOP_COMPARE], title="compared with ")
        )
    body += _key(scales, threshold)
    _Panel(title=_esc(title), body=body, sets=sets, node_layers=node_layers, bounds=_bounds(geoms)).add_to(m)
    return m


def _add_basemap(m: folium.Map, analysis: Analysis) -> None:
    path = Path(analysis.geodata.path)
    basemap = load_basemap(path if path.is_dir() else path.parent)
    x0, y0, x1, y1 = (float(v) for v in basemap.total_bounds)
    sea = [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]
    features: list[dict[str, Any]] = [
        {"type": "Feature", "properties": {"iso": ""}, "geometry": {"type": "Polygon", "coordinates": sea}}
    ]
    for iso, geom in sorted(zip(basemap["iso_a3"], basemap.geometry, strict=True), key=lambda t: str(t[0])):
        if geom is None or geom.is_empty:
            continue
        gi = geom.__geo_interface__
        features.append(
            {
                "type": "Feature",
                "properties": {"iso": str(iso)},
                "geometry": {"type": gi["type"], "coordinates": _round_coords(gi["coordinates"])},
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="Countries (Natural Earth, offline)",
        overlay=False,
        control=True,
        style_function=_land_style,
        interactive=False,
    ).add_to(m)


def _land_style(feature: dict[str, Any]) -> dict[str, Any]:
    if not feature["properties"]["iso"]:  # the water inside the basemap's extent
        return {"fillColor": _SEA, "fillOpacity": 1.0, "stroke": False}
    return {"fillColor": _LAND, "fillOpacity": 1.0, "color": "#a9a9a9", "weight": 0.7}


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
