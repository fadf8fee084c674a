"""The whole pipeline in one call: geodata → scenario → assignment → bottlenecks → report."""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from corridor import __version__
from corridor._errors import ArgumentError
from corridor.analyses.assign import Assignment, assign
from corridor.analyses.bottlenecks import flag_bottlenecks
from corridor.io import schema
from corridor.io.geodata import Geodata, data_as_of, data_attribution, load_geodata
from corridor.io.scenario import Scenario, load_scenario

__all__ = ["Analysis", "analyze", "bottleneck_table", "compare_methods", "data_version", "dumps", "result_document"]


@dataclass(frozen=True)
class Analysis:
    """Everything one analysis produced: inputs, raw result, flagged tables and the report document.

    In a notebook it shows a short summary; :meth:`map` draws it (offline, inline) and
    :meth:`to_document` gives the JSON document of ``corridor analyze --json``.

    Examples
    --------
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> worst = run.bottlenecks[["id", "name", "utilization", "shadow_price", "shadow_price_unit"]]
    >>> run.threshold, list(run.totals.columns)
    (0.9, ['demand', 'served', 'unserved', 'background'])
    >>> run.map()
    <folium.folium.Map object at 0x...>
    """

    geodata: Geodata
    scenario: Scenario
    result: Assignment
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    document: dict[str, Any]

    @property
    def bottlenecks(self) -> pd.DataFrame:
        """The flagged assets, worst first (severity, then the value of relief), as the CLI lists them."""
        return bottleneck_table(self.nodes, self.edges)

    @property
    def totals(self) -> pd.DataFrame:
        """Per commodity: the corridor's demand, served and unserved, and the background traffic carried."""
        return self.result.totals()

    @property
    def threshold(self) -> float:
        """The utilisation that flags a bottleneck in this analysis."""
        return float(self.edges.attrs["threshold"])

    @property
    def provenance(self) -> dict[str, Any]:
        """What produced the results: corridor version, data version and date, geodata, parameters."""
        return self.document["provenance"]

    def to_document(self) -> dict[str, Any]:
        """The JSON document of ``corridor analyze --json`` (see the README for its keys).

        Returns
        -------
        dict
            :attr:`document` itself (:func:`result_document`); :func:`dumps` writes it as JSON text.

        Examples
        --------
        >>> import corridor
        >>> doc = corridor.analyze("baseline-2024").to_document()
        >>> doc["scenario"], doc["year"], doc["method"], doc["solver_status"]
        ('baseline-2024', 2024, 'system-optimal', 'Optimal')
        """
        return self.document

    def map(self, *, compare: Analysis | None = None, tiles: str = "none") -> Any:
        """The interactive map (a :class:`folium.Map`) that displays inline in a notebook with no internet.

        Parameters
        ----------
        compare : Analysis, optional
            A second scenario to compare with (see :func:`corridor.render.maps.make_map`).
        tiles : {"none", "online"}
            ``"online"`` adds OpenStreetMap tiles as an opt-in base layer.

        Returns
        -------
        folium.Map
            The map; in Jupyter it renders with every script inline. To save it, use
            :func:`corridor.render.maps.write_map` (``Map.save`` would link the scripts from the internet).

        Examples
        --------
        >>> import corridor
        >>> m = corridor.analyze("baseline-2024").map()
        >>> type(m).__name__, m._repr_html_().startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
        ('Map', True)
        """
        import html

        from corridor.render.maps import make_map
        from corridor.render.offline import render_offline

        m = make_map(self, compare=compare, tiles=tiles)

        def offline_html() -> str:
            page = html.escape(render_offline(m), quote=True)
            return f'<iframe srcdoc="{page}" style="width:100%;height:600px;border:none"></iframe>'

        m._repr_html_ = offline_html  # type: ignore[method-assign]
        return m

    def _repr_html_(self) -> str:
        from html import escape

        doc = self.document
        rows = "".join(
            f"<tr><td>{escape(str(c))}</td><td>{t['demand']:,.2f}</td><td>{t['served']:,.2f}</td>"
            f"<td>{t['unserved']:,.2f}</td><td>{escape(str(t['unit']))}</td></tr>"
            for c, t in doc["totals"].items()
        )
        worst = "".join(
            f"<tr><td>{i}</td><td>{escape(str(b['name']))}</td><td>{escape(str(b['severity']))}</td>"
            f"<td>{(b['utilization'] or 0):.0%}</td></tr>"
            for i, b in enumerate(doc["bottlenecks"][:5], 1)
        )
        return (
            f"<div><b>corridor</b> · {escape(str(doc['scenario']))} ({doc['year']}) · {escape(str(doc['method']))}"
            f" · solver {escape(str(doc['solver_status']))}"
            "<table><tr><th></th><th>demand</th><th>served</th><th>unserved</th><th></th></tr>"
            f"{rows}</table><div>{len(doc['bottlenecks'])} bottleneck(s); the worst:</div>"
            f"<table><tr><th>#</th><th>asset</th><th>severity</th><th>utilisation</th></tr>{worst}</table></div>"
        )


def analyze(
    scenario: str | os.PathLike[str] = "baseline-2024",
    *,
    geodata: Geodata | str | os.PathLike[str] | None = None,
    method: str = "system-optimal",
    threshold: float | None = None,
) -> Analysis:
    """Load the data, assign the scenario's demand and flag bottlenecks.

    Parameters
    ----------
    scenario
        A scenario name in ``geodata/scenarios/`` or a path to a scenario file.
    geodata
        Loaded geodata, or a folder/GeoPackage to load (default: the bundled ``geodata/``).
    method
        ``"system-optimal"`` (capacities bind) or ``"aon"`` (all-or-nothing).
    threshold
        Utilisation that flags a bottleneck, in (0, 1] (default: the scenario's ``bottleneck_threshold``).

    Returns
    -------
    Analysis
        The inputs, the assignment, the flagged node and edge tables and the report document.

    Raises
    ------
    ArgumentError
        An argument of the wrong type or out of range (also a ``TypeError`` / ``ValueError``).

    Examples
    --------
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> run.scenario.year, run.result.method, run.threshold
    (2024, 'system-optimal', 0.9)
    >>> bool(run.edges.loc[run.bottlenecks.loc[0, "id"], "bottleneck"])  # the worst flagged asset
    True
    """
    from corridor.analyses.assign import METHODS
    from corridor.io import _validate

    _validate.path_like(scenario, "scenario")
    if not isinstance(geodata, Geodata):
        _validate.path_like(geodata, "geodata", optional=True)
    if method not in METHODS:
        raise ArgumentError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if threshold is not None:
        _validate.number(threshold, "threshold", low=0.0, high=1.0, low_open=True)
    data = geodata if isinstance(geodata, Geodata) else load_geodata(Path(geodata) if geodata else None)
    sc = load_scenario(scenario, data)
    result = assign(data, sc, method=method)
    limit = float(threshold if threshold is not None else sc.parameter("bottleneck_threshold"))
    nodes, edges = flag_bottlenecks(data, result, threshold=limit)
    return Analysis(data, sc, result, nodes, edges, result_document(data, result, nodes, edges))


# --------------------------------------------------------------------------- the JSON document


_RANK = {s: row.rank for s, row in schema.severities().items()}
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
    """Short SHA-256 of the geodata files (nodes, edges, scenarios), to stamp results with.

    Parameters
    ----------
    geodata : Geodata
        Loaded geodata: the files of its folder (or its GeoPackage) are hashed, the basemap left out.

    Returns
    -------
    str
        The first 12 hex digits of the digest.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> version = data_version(g)
    >>> len(version), version == data_version(g)
    (12, True)
    """
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


def _root(geodata: Geodata) -> Path:
    return geodata.path if geodata.path.is_dir() else geodata.path.parent


def _data_as_of(geodata: Geodata) -> str | None:
    """ISO date the geodata's statuses were checked (``metadata.toml``), or None if not recorded."""
    date = data_as_of(_root(geodata))
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
    """All flagged assets, worst first (severity, then the value of relief in MUSD/yr, then utilisation).

    Parameters
    ----------
    nodes, edges : GeoDataFrame
        The tables of :func:`corridor.analyses.bottlenecks.flag_bottlenecks`.

    Returns
    -------
    DataFrame
        One row per flagged node or edge: ``layer``, ``id``, ``name``, ``type``, loads, ``capacity``
        (effective), ``utilization``, prices, ``severity``, ``reason`` and source.

    Examples
    --------
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> table = bottleneck_table(run.nodes, run.edges)
    >>> list(table.columns[:4]), table.equals(run.bottlenecks)
    (['layer', 'id', 'name', 'type'], True)
    """
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
    """The JSON document of ``corridor analyze --json`` (stable key and item order).

    Parameters
    ----------
    geodata : Geodata
        The data the assignment ran on (stamped in ``provenance``).
    result : Assignment
        The assignment.
    nodes, edges : GeoDataFrame
        The flagged tables (:func:`corridor.analyses.bottlenecks.flag_bottlenecks`).

    Returns
    -------
    dict
        JSON-ready (no NaN: ``None``), in the key order of the README.

    Examples
    --------
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> doc = result_document(run.geodata, run.result, run.nodes, run.edges)
    >>> list(doc)  # doctest: +NORMALIZE_WHITESPACE
    ['scenario', 'year', 'method', 'solver_status', 'objective_musd_per_year', 'provenance', 'totals',
     'bottlenecks', 'od', 'background_od', 'schedules', 'edges', 'nodes']
    >>> doc == run.document
    True
    """
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
            "attribution": data_attribution(_root(geodata)),
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
    edges whose flow differs most.

    Parameters
    ----------
    a, b : dict
        Result documents (:func:`result_document`); ``a`` is the one reported, ``b`` the other.

    Returns
    -------
    dict
        ``method``, ``other_method``, ``other_solver_status``, ``totals_other`` and ``edges``: the edges whose
        flow differs, largest difference first (``difference`` = flow in ``a`` − flow in ``b``).

    Examples
    --------
    >>> import corridor
    >>> so = corridor.analyze("baseline-2024").document
    >>> aon = corridor.analyze("baseline-2024", method="aon").document
    >>> diff = compare_methods(so, aon)
    >>> diff["method"], diff["other_method"], sorted(diff["edges"][0]) if diff["edges"] else []
    ('system-optimal', 'aon', ['capacity_unit', 'difference', 'flow', 'flow_other', 'id', 'name', 'utilization',
     'utilization_other'])
    >>> compare_methods(so, so)["edges"]
    []
    """
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


def dumps(doc: dict[str, Any]) -> str:
    """Deterministic JSON text (sorted nowhere but by construction; no NaN).

    Parameters
    ----------
    doc : dict
        A JSON-ready document (e.g. :func:`result_document`).

    Returns
    -------
    str
        Indented by one space, UTF-8 text as it is (no ``\\u`` escapes), ending in a newline.

    Raises
    ------
    ValueError
        The document holds a NaN or an infinity.

    Examples
    --------
    >>> print(dumps({"scenario": "baseline-2024", "route": ["Aktau", "Bakı"], "value": None}), end="")
    {
     "scenario": "baseline-2024",
     "route": [
      "Aktau",
      "Bakı"
     ],
     "value": null
    }
    """
    return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
