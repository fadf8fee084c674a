"""The whole pipeline in one call: geodata → scenario → assignment → bottlenecks → report."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ._errors import ArgumentError
from .assignment import Assignment, assign
from .bottlenecks import flag_bottlenecks
from .geodata import Geodata, load_geodata
from .report import result_document
from .scenario import Scenario, load_scenario

__all__ = ["Analysis", "analyze"]


@dataclass(frozen=True)
class Analysis:
    """Everything one analysis produced: inputs, raw result, flagged tables and the report document.

    In a notebook it shows a short summary; :meth:`map` draws it (offline, inline) and
    :meth:`to_document` gives the JSON document of ``corridor analyze --json``.

    Examples
    --------
    >>> run = corridor.analyze("target-2030")  # doctest: +SKIP
    >>> run.bottlenecks[["id", "name", "utilization", "shadow_price", "shadow_price_unit"]]  # doctest: +SKIP
    >>> run.map()  # doctest: +SKIP
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
        from .report import bottleneck_table

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
        """The JSON document of ``corridor analyze --json`` (see the README for its keys)."""
        return self.document

    def map(self, *, compare: Analysis | None = None, tiles: str = "none") -> Any:
        """The interactive map (a :class:`folium.Map`) that displays inline in a notebook with no internet.

        Parameters
        ----------
        compare : Analysis, optional
            A second scenario to compare with (see :func:`corridor.maps.make_map`).
        tiles : {"none", "online"}
            ``"online"`` adds OpenStreetMap tiles as an opt-in base layer.

        Returns
        -------
        folium.Map
            The map; in Jupyter it renders with every script inline. To save it, use
            :func:`corridor.maps.write_map` (``Map.save`` would link the scripts from the internet).
        """
        import html

        from .maps import make_map
        from .offline import render_offline

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
    """
    from . import _validate
    from .assignment import METHODS

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
