"""The whole pipeline in one call: geodata → scenario → assignment → bottlenecks → report."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from ._errors import ArgumentError
from .assignment import Assignment, assign
from .bottlenecks import flag_bottlenecks
from .geodata import Geodata, load_geodata
from .report import result_document
from .scenario import Scenario, load_scenario

__all__ = ["Analysis", "analyze"]


@dataclass(frozen=True)
class Analysis:
    """Everything one analysis produced: inputs, raw result, flagged tables and the report document."""

    geodata: Geodata
    scenario: Scenario
    result: Assignment
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    document: dict[str, Any]


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
