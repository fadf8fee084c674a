"""Reports of an assignment: the bottleneck table, totals, transit times (text and JSON)."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import geopandas as gpd
import pandas as pd

from . import __version__, schema
from ._untrusted import one_line
from .assignment import Assignment
from .bottlenecks import RELIEF_SHARE
from .geodata import Geodata, data_as_of

__all__ = ["bottleneck_table", "data_version", "result_document", "text_report"]

_RANK = {"over-capacity": 4, "binding": 3, "near-capacity": 2, "busy": 1, "ok": 0}
_ITEM_FIELDS = (
    "id",
    "name",
    "flow",
    "background",
    "capacity",
    "capacity_unit",
    "utilization",
    "bottleneck",
    "severity",
    "shadow_price",
    "shadow_price_unit",
    "relief_musd_per_year",
)


def data_version(geodata: Geodata) -> str:
    """Short SHA-256 of the geodata files (nodes, edges, scenarios), to stamp results with."""
    digest = hashlib.sha256()
    root = geodata.path
    files = (
        [root]
        if root.is_file()
        else sorted(
            p  # regular files only: reading a FIFO named *.toml would block
            for p in (*root.glob("*.geojson"), *root.glob("*.gpkg"), *root.glob("scenarios/*.toml"))
            if p.is_file()
        )
    )
    for path in files:
        if path.name == "basemap.geojson":
            continue
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _data_as_of(geodata: Geodata) -> str | None:
    """ISO date the geodata's statuses were checked (``metadata.toml``), or None if not recorded."""
    root = geodata.path if geodata.path.is_dir() else geodata.path.parent
    date = data_as_of(root)
    return date.isoformat() if date else None


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6)
    if hasattr(value, "item"):
        return _clean(value.item())
    if value is pd.NA:
        return None
    return value


def bottleneck_table(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> pd.DataFrame:
    """All flagged assets, worst first (severity, then the value of relief in MUSD/yr, then utilisation)."""
    rows = []
    for layer, gdf in (("node", nodes), ("edge", edges)):
        flagged = gdf[gdf["bottleneck"]]
        for fid, r in flagged.iterrows():
            rows.append(
                {
                    "layer": layer,
                    "id": fid,
                    "name": r["name"],
                    "type": r["kind"] if layer == "node" else r["mode"],
                    "flow": r["flow"],
                    "background": r["background"],
                    "capacity": r["capacity_effective"],
                    "capacity_unit": r["capacity_unit"],
                    "utilization": r["utilization"],
                    "shadow_price": r["shadow_price"],
                    "shadow_price_unit": r["shadow_price_unit"],
                    "relief_musd_per_year": r["relief_musd_per_year"],
                    "severity": r["severity"],
                    "reason": r["reason"],
                    "source_url": r["source_url"],
                    "source_year": r["source_year"],
                }
            )
    table = pd.DataFrame(
        rows,
        columns=[
            "layer",
            "id",
            "name",
            "type",
            "flow",
            "background",
            "capacity",
            "capacity_unit",
            "utilization",
            "shadow_price",
            "shadow_price_unit",
            "relief_musd_per_year",
            "severity",
            "reason",
            "source_url",
            "source_year",
        ],
    )
    if table.empty:
        return table
    table["rank"] = table["severity"].map(_RANK)
    # worst first: severity, then what relief is worth a year (MUSD/yr: one unit for every commodity)
    table = table.sort_values(
        ["rank", "relief_musd_per_year", "utilization", "id"], ascending=[False, False, False, True]
    )
    return table.drop(columns="rank").reset_index(drop=True)


def _items(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """One JSON item per node or edge: :data:`_ITEM_FIELDS` first, then where it stands and its source."""
    columns = {"id": None, "capacity": "capacity_effective"}  # the id is the index; capacity the effective one
    extra = ("active", "flow_forward", "flow_reverse", "reason", "source_url", "source_year")
    out = []
    for fid, r in gdf.sort_index().iterrows():
        item = {k: fid if k == "id" else _clean(r[columns.get(k) or k]) for k in _ITEM_FIELDS}
        out.append(item | {k: _clean(r[k]) for k in extra})
    return out


def _od_item(r: pd.Series) -> dict[str, Any]:
    return {
        "origin": r["origin"],
        "destination": r["destination"],
        "commodity": r["commodity"],
        "demand": _clean(r["demand"]),
        "served": _clean(r["served"]),
    }


def result_document(
    geodata: Geodata, result: Assignment, nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame
) -> dict[str, Any]:
    """The JSON document of ``corridor analyze --json`` (stable key and item order)."""
    units = schema.commodity_units()
    totals = {
        c: {"unit": units[c], **{k: _clean(float(v)) for k, v in row.items()}} for c, row in result.totals().iterrows()
    }
    od = [
        {
            **_od_item(r),
            "unserved": _clean(r["unserved"]),
            "reachable": bool(r["reachable"]),
            "time_days": _clean(r["time_days"]),
            "cost_usd_per_unit": _clean(r["cost_usd_per_unit"]),
            "route": list(r["route"]),
            "diverted_to": r["alternative"] or None,
            "diversion_cost_usd_per_unit": _clean(r["penalty"]) if r["alternative"] else None,
        }
        for _, r in result.od.iterrows()
    ]
    others = result.background_od if result.background_od is not None else pd.DataFrame()
    background_od = [{**_od_item(r), "route": list(r["route"])} for _, r in others.iterrows()]
    schedules = []
    if result.schedules is not None:
        for _, r in result.schedules.iterrows():
            schedules.append({k: (list(v) if k == "route" else _clean(v)) for k, v in r.items()})
    return {
        "scenario": result.scenario,
        "year": result.year,
        "method": result.method,
        "solver_status": result.solver_status,
        "objective_musd_per_year": _clean(result.objective),
        "provenance": {
            "corridor_version": __version__,
            "data_version": data_version(geodata),
            "data_as_of": _data_as_of(geodata),
            "geodata": str(geodata.path),
            "parameters": result.parameters,
            "bottleneck_threshold": edges.attrs.get("threshold"),
        },
        "totals": totals,
        "bottlenecks": [
            {k: _clean(v) for k, v in row.items()} for row in bottleneck_table(nodes, edges).to_dict("records")
        ],
        "od": od,
        "background_od": background_od,
        "schedules": schedules,
        "edges": _items(edges),
        "nodes": _items(nodes),
    }


def compare_methods(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Compare two result documents of one scenario (e.g. equilibrium vs system-optimal): totals and the
    edges whose flow differs most."""
    flows_b = {e["id"]: e for e in b["edges"]}
    diffs = []
    for e in a["edges"]:
        o = flows_b.get(e["id"])
        if o is None or (e["flow"] or 0) == (o["flow"] or 0):
            continue
        diffs.append(
            {
                "id": e["id"],
                "name": e["name"],
                "capacity_unit": e["capacity_unit"],
                "flow": e["flow"],
                "flow_other": o["flow"],
                "difference": round((e["flow"] or 0) - (o["flow"] or 0), 6),
                "utilization": e["utilization"],
                "utilization_other": o["utilization"],
            }
        )
    diffs.sort(key=lambda d: (-abs(d["difference"]), d["id"]))
    return {
        "method": a["method"],
        "other_method": b["method"],
        "other_solver_status": b["solver_status"],
        "totals_other": b["totals"],
        "edges": diffs,
    }


def text_report(doc: dict[str, Any], *, top: int = 10) -> str:
    """A readable report of a :func:`result_document`: totals, the worst bottlenecks and transit times."""
    p = doc["provenance"]
    lines = [
        f"Scenario {one_line(doc['scenario'])} (year {doc['year']}) — method {doc['method']}, "
        f"solver {doc['solver_status']}",
        f"data {p['data_version']} from {p['geodata']}; corridor {p['corridor_version']}",
        "",
        f"{'commodity':<12}{'unit':<7}{'demand':>10}{'served':>10}{'unserved':>10}{'other traffic':>15}",
    ]
    for c, t in doc["totals"].items():
        other = f"{t['background']:>15.2f}" if t.get("background") else ""
        lines.append(f"{c:<12}{t['unit']:<7}{t['demand']:>10.2f}{t['served']:>10.2f}{t['unserved']:>10.2f}{other}")
    bottlenecks = doc["bottlenecks"]
    lines += ["", f"Bottlenecks ({len(bottlenecks)} flagged; worst {min(top, len(bottlenecks))} shown)"]
    if bottlenecks:
        lines.append(
            f"{'#':>3} {'id':<34}{'corridor + other / capacity':>32}{'util':>6}  {'severity':<14}"
            f"{'shadow price':>20}{'relief':>14}  name"
        )
        for i, b in enumerate(bottlenecks[:top], 1):
            fc = f"{b['flow']:.2f} + {b['background'] or 0:.2f} / {b['capacity']:.2f} {b['capacity_unit']}"
            util = f"{b['utilization']:.0%}" if b["utilization"] is not None else "-"
            price = f"{b['shadow_price']:,.1f} {b['shadow_price_unit'] or ''}" if b["shadow_price"] else "0"
            relief = f"{b['relief_musd_per_year']:,.1f} MUSD/yr" if b["relief_musd_per_year"] else "-"
            lines.append(
                f"{i:>3} {b['id']:<34}{fc:>32}{util:>6}  {b['severity']:<14}{price:>20}{relief:>14}  "
                f"{one_line(b['name'])}"
            )
    else:
        lines.append("  none: every asset is below the threshold")
    lines += ["", "Origin → destination (served, door-to-door time of the main route)"]
    for o in doc["od"]:
        days = f"{o['time_days']:.1f} d" if o["reachable"] else "no route"
        line = (
            f"  {o['origin']} → {o['destination']} [{o['commodity']}]: {o['served']:.2f} of {o['demand']:.2f}, {days}"
        )
        if o["unserved"] and o["unserved"] > 1e-6:
            line += f"; {o['unserved']:.2f} " + (f"diverted to {o['diverted_to']}" if o["diverted_to"] else "lost")
        lines.append(line)
    if doc["schedules"]:
        lines += ["", "Reported schedules vs the model (cheapest route; moving + dwell days)"]
        for r in doc["schedules"]:
            lo, hi = r["reported_min"], r["reported_max"]
            reported = f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
            if r["modelled_days"] is None:
                lines.append(f"  {r['origin']} → {r['destination']}: reported {reported} d, model: no route")
                continue
            lines.append(
                f"  {r['origin']} → {r['destination']}: reported {reported} d, model {r['modelled_days']:.1f} d "
                f"({r['moving_days']:.1f} moving + {r['dwell_days']:.1f} dwell) → {r['verdict']}"
            )
    if "compare" in doc:
        cmp = doc["compare"]
        lines += ["", f"{cmp['method']} vs {cmp['other_method']} ({cmp['other_solver_status']}): served"]
        for c, t in doc["totals"].items():
            other = cmp["totals_other"].get(c, {})
            lines.append(f"  {c:<12}{t['served']:>10.2f} vs {other.get('served', 0):>10.2f} {t['unit']}")
        lines.append(f"  edges whose flow differs most ({len(cmp['edges'])} differ):")
        for d in cmp["edges"][:top]:
            lines.append(
                f"    {one_line(d['name'])[:50]:<51}{d['flow']:>9.2f} vs {d['flow_other']:>9.2f} {d['capacity_unit']}"
            )
    lines.append("")
    lines.append(
        "Shadow price: cost saved per unit of flow by one more unit of capacity (against the cheapest alternative "
        f"route); relief: what {RELIEF_SHARE:.0%} more capacity saves a year at that price."
    )
    return "\n".join(lines)


def dumps(doc: dict[str, Any]) -> str:
    """Deterministic JSON text (sorted nowhere but by construction; no NaN)."""
    return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
