"""Flag the assets that limit the corridor (stage 4).

Every edge and node gets ``flow`` (the corridor's own), ``background`` (the other traffic on it: the
scenario's background loads and flows), ``capacity``, ``utilization`` ((flow + background) / capacity in the
busier direction), ``shadow_price``, a ``severity`` and a ``bottleneck`` flag, by this rule
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

Money is in honest units: ``shadow_price`` is what one more unit of capacity saves per unit of flow, in
``shadow_price_unit`` (USD/t for Mt/yr, USD per 1000 m³ for bcm/yr, USD/MWh for MW, USD per Gbps-year for
Tbps; see :data:`PRICE_UNITS`), and ``relief_musd_per_year`` is what 10 % more capacity would save a year at
that price (MUSD/yr, comparable across commodities: rankings use it, never prices in different units).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd

from corridor import settings
from corridor.analyses.assign import Assignment
from corridor.io import schema
from corridor.io.geodata import Geodata
from corridor.model.network import COMMODITIES

__all__ = [
    "PRICE_UNITS",
    "RELIEF_SHARE",
    "RESULT_FIELDS",
    "SEVERITIES",
    "UNCERTAINTY_FIELDS",
    "classify",
    "flag_bottlenecks",
]

SEVERITIES = tuple(schema.severities())  # mildest first (data/severities.csv)
#: The severities that flag a bottleneck.
BOTTLENECK_SEVERITIES = tuple(s for s, row in schema.severities().items() if row.bottleneck)
#: Result columns added to the node and edge tables, in order.
RESULT_FIELDS = (
    "active",
    "flow",
    "background",
    "flow_forward",
    "flow_reverse",
    "capacity_effective",
    "utilization",
    "shadow_price",
    "shadow_price_unit",
    "relief_musd_per_year",
    "severity",
    "bottleneck",
    "reason",
)
_AT = settings.BINDING_TOLERANCE
#: Per-asset statistics of a Monte Carlo run that an analysis may carry (``uncertainty.with_uncertainty``).
UNCERTAINTY_FIELDS = (
    "p_binding",
    "p_bottleneck",
    "utilization_p05",
    "utilization_p50",
    "utilization_p95",
    "shadow_price_p50",
    "shadow_price_p95",
    "relief_musd_per_year_p50",
)
#: Capacity unit -> (unit a shadow price is shown in, its factor from the LP's dual, MUSD per dual × unit).
#: The LP's costs are USD per unit of flow (USD/t for Mt/yr), so its duals are USD per unit of capacity-year.
PRICE_UNITS: dict[str, tuple[str, float, float]] = {
    "Mt/yr": ("USD/t", 1.0, 1.0),
    "bcm/yr": ("USD per 1000 m³", 1.0, 1.0),
    "MW": ("USD/MWh", 1.0 / 8760.0, 1e-6),
    "Tbps": ("USD per Gbps-year", 1.0 / 1000.0, 1e-6),
}
#: The relief of a bottleneck is valued for this share of more capacity (10 %).
RELIEF_SHARE = settings.RELIEF_SHARE


def classify(utilization: float, shadow_price: float, *, threshold: float = settings.BOTTLENECK_THRESHOLD) -> str:
    """Severity of one asset (see the module docstring for the rule).

    Parameters
    ----------
    utilization : float
        (flow + background) / capacity; NaN for an asset without a capacity.
    shadow_price : float
        The LP's dual of the asset's capacity (positive: more capacity would lower the cost).
    threshold : float
        Utilisation from which an asset is ``near-capacity``.

    Returns
    -------
    str
        One of :data:`SEVERITIES`.

    Examples
    --------
    >>> classify(0.3, 0.0), classify(0.95, 0.0), classify(1.0, 0.0), classify(1.3, 0.0)
    ('ok', 'near-capacity', 'binding', 'over-capacity')
    >>> classify(0.2, 5.0)  # a positive shadow price binds whatever the utilisation reads
    'binding'
    >>> classify(0.85, 0.0, threshold=0.8)
    'near-capacity'
    """
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
    if utilization >= settings.BUSY_UTILISATION:
        return "busy"
    return "ok"


def _reason(severity: str, flow: float, cap: float, unit: str, price: float, price_unit: str) -> str:
    if severity == "ok" or math.isnan(cap):
        return ""
    text = f"{flow:.2f} of {cap:.2f} {unit} ({flow / cap:.0%})" if cap > 0 else f"{flow:.2f} {unit} on zero capacity"
    if severity == "over-capacity":
        return f"demand exceeds capacity: {text}"
    if severity == "binding":
        value = f"; more capacity saves {price:,.1f} {price_unit} of flow it carries" if price > _AT else ""
        return f"at capacity: {text}{value}"
    return f"{severity}: {text}"


def flag_bottlenecks(
    geodata: Geodata, result: Assignment, *, threshold: float = settings.BOTTLENECK_THRESHOLD
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Node and edge GeoDataFrames: the geodata's fields plus the result fields (:data:`RESULT_FIELDS`).

    Assets not in service in the scenario's year have ``active`` false and zero flow.

    Parameters
    ----------
    geodata : Geodata
        The data the assignment ran on.
    result : Assignment
        The assignment (:func:`corridor.assign`).
    threshold : float
        Utilisation that flags a bottleneck, in (0, 1].

    Returns
    -------
    (GeoDataFrame, GeoDataFrame)
        The nodes and the edges with :data:`RESULT_FIELDS`; ``attrs`` holds the scenario, method, solver
        status and threshold.

    Examples
    --------
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> nodes, edges = flag_bottlenecks(run.geodata, run.result, threshold=0.8)
    >>> edges.attrs["threshold"], all(f in edges.columns for f in RESULT_FIELDS)
    (0.8, True)
    >>> flagged = edges[edges["bottleneck"]]
    >>> bool(flagged["severity"].isin(["near-capacity", "binding", "over-capacity"]).all())
    True
    """
    from corridor.io import _validate

    _validate.number(threshold, "threshold", low=0.0, high=1.0, low_open=True)
    arcs = result.arcs
    flow = result.flow
    frame = pd.DataFrame(
        {
            "element": arcs.element,
            "direction": arcs.direction,
            "flow": flow,
            "background": result.background,
            "capacity": arcs.capacity_total,
            "shadow_price": result.shadow_price,
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        load = frame["flow"] + frame["background"]
        frame["utilization"] = np.where(np.isfinite(frame["capacity"]), load / frame["capacity"], math.nan)
    edges = geodata.edges.copy()
    nodes = geodata.nodes.copy()
    for gdf in (edges, nodes):
        gdf["active"] = False
        gdf["flow"] = 0.0
        gdf["background"] = 0.0
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
        edges.loc[eid, ["active", "flow", "background", "flow_forward", "flow_reverse"]] = [
            True,
            float(busiest["flow"]),
            float(busiest["background"]),
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
        nodes.loc[nid, "background"] = float(row["background"])
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
        units = [PRICE_UNITS.get(str(u), ("USD per unit", 1.0, 1.0)) for u in gdf["capacity_unit"]]
        dual = gdf["shadow_price"].to_numpy(float)
        capacity = np.nan_to_num(gdf["capacity_effective"].to_numpy(float))
        gdf["relief_musd_per_year"] = [
            d * RELIEF_SHARE * c * scale for d, c, (_, _, scale) in zip(dual, capacity, units, strict=True)
        ]
        gdf["shadow_price"] = [d * factor for d, (_, factor, _) in zip(dual, units, strict=True)]
        gdf["shadow_price_unit"] = [
            name if isinstance(u, str) else None for u, (name, _, _) in zip(gdf["capacity_unit"], units, strict=True)
        ]
        gdf["bottleneck"] = gdf["severity"].isin(BOTTLENECK_SEVERITIES)
        gdf["reason"] = [
            _reason(s, f, c, u or "", p, pu or "")
            for s, f, c, u, p, pu in zip(
                gdf["severity"],
                gdf["flow"] + gdf["background"],
                gdf["capacity_effective"],
                gdf["capacity_unit"],
                gdf["shadow_price"],
                gdf["shadow_price_unit"],
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
