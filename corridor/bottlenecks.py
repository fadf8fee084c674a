"""Flag the assets that limit the corridor (stage 4).

Every edge and node gets ``flow``, ``capacity``, ``utilization`` (flow / capacity in the busier
direction), ``shadow_price``, a ``severity`` and a ``bottleneck`` flag, by this rule
(``threshold`` defaults to the scenario's ``bottleneck_threshold``, 0.9):

=================  ==========================================================================
severity           rule
=================  ==========================================================================
``ok``             utilization < 0.5
``busy``           0.5 <= utilization < threshold
``near-capacity``  threshold <= utilization < 1
``binding``        at capacity (utilization >= 1 − 1e-6) or a positive shadow price
``over-capacity``  utilization > 1 + 1e-6 (only methods that ignore capacities, e.g. ``aon``)
=================  ==========================================================================

``bottleneck`` is true for ``near-capacity``, ``binding`` and ``over-capacity``.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd

from .assignment import Assignment
from .geodata import Geodata
from .network import COMMODITIES

__all__ = ["RESULT_FIELDS", "SEVERITIES", "classify", "flag_bottlenecks"]

SEVERITIES = ("ok", "busy", "near-capacity", "binding", "over-capacity")
#: Result columns added to the node and edge tables, in order.
RESULT_FIELDS = (
    "active",
    "flow",
    "flow_forward",
    "flow_reverse",
    "capacity_effective",
    "utilization",
    "shadow_price",
    "severity",
    "bottleneck",
    "reason",
)
_AT = 1e-6


def classify(utilization: float, shadow_price: float, *, threshold: float = 0.9) -> str:
    """Severity of one asset (see the module docstring for the rule)."""
    if not math.isnan(utilization) and utilization > 1 + _AT:
        return "over-capacity"
    if shadow_price > _AT:  # capacity has a value: binding, whatever the utilisation reads (e.g. zero capacity)
        return "binding"
    if math.isnan(utilization):
        return "ok"
    if utilization >= 1 - _AT:
        return "binding"
    if utilization >= threshold:
        return "near-capacity"
    if utilization >= 0.5:
        return "busy"
    return "ok"


def _reason(severity: str, flow: float, cap: float, unit: str, price: float) -> str:
    if severity == "ok" or math.isnan(cap):
        return ""
    text = f"{flow:.2f} of {cap:.2f} {unit} ({flow / cap:.0%})" if cap > 0 else f"{flow:.2f} {unit} on zero capacity"
    if severity == "over-capacity":
        return f"demand exceeds capacity: {text}"
    if severity == "binding":
        value = f"; one more {unit} saves {price:,.0f} USD per unit of flow-year" if price > _AT else ""
        return f"at capacity: {text}{value}"
    return f"{severity}: {text}"


def flag_bottlenecks(
    geodata: Geodata, result: Assignment, *, threshold: float = 0.9
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Node and edge GeoDataFrames: the geodata's fields plus the result fields (:data:`RESULT_FIELDS`).

    Assets not in service in the scenario's year have ``active`` false and zero flow. ``threshold``
    lies in (0, 1].
    """
    from . import _validate

    _validate.number(threshold, "threshold", low=0.0, high=1.0, low_open=True)
    arcs = result.arcs
    flow = result.flow
    frame = pd.DataFrame(
        {
            "element": arcs.element,
            "direction": arcs.direction,
            "flow": flow,
            "capacity": arcs.capacity,
            "shadow_price": result.shadow_price,
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["utilization"] = np.where(np.isfinite(frame["capacity"]), frame["flow"] / frame["capacity"], math.nan)
    edges = geodata.edges.copy()
    nodes = geodata.nodes.copy()
    for gdf in (edges, nodes):
        gdf["active"] = False
        gdf["flow"] = 0.0
        gdf["flow_forward"] = 0.0
        gdf["flow_reverse"] = 0.0
        gdf["capacity_effective"] = math.nan
        gdf["utilization"] = math.nan
        gdf["shadow_price"] = 0.0
    edge_arcs = frame[frame["direction"] != 0]
    for eid, group in edge_arcs.groupby("element", sort=False):
        fwd = group[group["direction"] == 1]
        rev = group[group["direction"] == -1]
        busiest = group.loc[group["utilization"].fillna(-1).idxmax()]
        edges.loc[eid, ["active", "flow", "flow_forward", "flow_reverse"]] = [
            True,
            float(busiest["flow"]),
            float(fwd["flow"].sum()),
            float(rev["flow"].sum()),
        ]
        edges.loc[eid, ["capacity_effective", "utilization", "shadow_price"]] = [
            float(busiest["capacity"]),
            float(busiest["utilization"]),
            float(group["shadow_price"].max()),
        ]
    node_arcs = frame[frame["direction"] == 0].set_index("element")
    active_nodes = {n for n in (result.graph.nodes if result.graph is not None else []) if not str(n).endswith(":out")}
    nodes.loc[sorted(active_nodes & set(nodes.index)), "active"] = True
    throughput = pd.Series(0.0, index=nodes.index)
    inflow = np.bincount(arcs.head, weights=flow, minlength=arcs.n_nodes)
    for name, value in zip(arcs.nodes, inflow, strict=True):
        if name in throughput.index:
            throughput[name] += value
    served_from = result.od.groupby("origin")["served"].sum()
    throughput = throughput.add(served_from.reindex(throughput.index).fillna(0.0))
    nodes["flow"] = throughput
    for nid, row in node_arcs.iterrows():
        cap = float(row["capacity"])
        nodes.loc[nid, "flow"] = float(row["flow"])
        nodes.loc[nid, "flow_forward"] = float(row["flow"])
        if math.isfinite(cap):
            nodes.loc[nid, ["capacity_effective", "utilization", "shadow_price"]] = [
                cap,
                float(row["utilization"]),
                float(row["shadow_price"]),
            ]
    for gdf in (edges, nodes):
        gdf["severity"] = [
            classify(u, p, threshold=threshold) for u, p in zip(gdf["utilization"], gdf["shadow_price"], strict=True)
        ]
        gdf["bottleneck"] = gdf["severity"].isin(["near-capacity", "binding", "over-capacity"])
        gdf["reason"] = [
            _reason(s, f, c, u or "", p)
            for s, f, c, u, p in zip(
                gdf["severity"],
                gdf["flow"],
                gdf["capacity_effective"],
                gdf["capacity_unit"],
                gdf["shadow_price"],
                strict=True,
            )
        ]
    for gdf in (edges, nodes):
        gdf.attrs.update(
            scenario=result.scenario, method=result.method, solver_status=result.solver_status, threshold=threshold
        )
    return nodes, edges


def commodity_flows(result: Assignment) -> pd.DataFrame:
    """Flow per edge and commodity (rows: edge ids; columns: commodities), both directions summed."""
    frame = pd.DataFrame(result.arc_flow.T, columns=list(COMMODITIES))
    frame["element"] = result.arcs.element
    frame = frame[result.arcs.direction != 0]
    return frame.groupby("element").sum()
