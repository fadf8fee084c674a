"""JSON-ready values shared by the exports and the reports: rounding, layers, severity colours, criticality ranks."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from corridor._errors import CorridorError
from corridor.io import schema

#: Decimals kept in coordinates (1e-6° ≈ 0.11 m) and in float properties.
COORDINATE_PRECISION = 6


#: Colours of the severities (chart, QGIS styles; the map's too): data/severities.csv.
SEVERITY_COLOURS = {s: row.colour for s, row in schema.severities().items()}


_LAYERS = (("node", "nodes"), ("edge", "edges"))


def _value(value: Any) -> Any:
    """A JSON-ready scalar: None for missing/non-finite, floats rounded, numpy types unwrapped."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return round(value, COORDINATE_PRECISION) + 0.0 if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    return str(value)


def _criticality_ranks(criticality: pd.DataFrame | None) -> dict[tuple[str | None, str], int | None] | None:
    if criticality is None:
        return None
    if not isinstance(criticality, pd.DataFrame) or not {"id", "rank"} <= set(criticality.columns):
        raise CorridorError("criticality table needs the columns 'id' and 'rank' (fix: pass the criticality result)")
    ranks: dict[tuple[str | None, str], int | None] = {}
    has_layer = "layer" in criticality.columns
    for entry in criticality.to_dict("records"):
        rank = _value(entry["rank"])
        key = (str(entry["layer"]) if has_layer else None, str(entry["id"]))
        ranks.setdefault(key, int(rank) if isinstance(rank, int | float) else None)
    return ranks


def _dumps(obj: Any) -> str:
    """Compact, deterministic JSON (no NaN/Infinity)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float | np.generic)
