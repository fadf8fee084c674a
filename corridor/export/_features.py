"""What every writer shares: JSON-ready values, RFC 7946 geometry, the features of a layer, the provenance,
the checks and the atomic write of a target (one writer, :mod:`corridor._output`, shared with the map)."""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString

from corridor import _output
from corridor._errors import CorridorError
from corridor.analyses.bottlenecks import RESULT_FIELDS, UNCERTAINTY_FIELDS
from corridor.io import schema

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis
from corridor._values import COORDINATE_PRECISION, _criticality_ranks, _value

_STAMP_DEFAULT = 0  # 1970-01-01T00:00:00Z, unless SOURCE_DATE_EPOCH is set


# --------------------------------------------------------------------------- values and geometry


def _position(x: float, y: float) -> list[float]:
    return [round(float(x), COORDINATE_PRECISION) + 0.0, round(float(y), COORDINATE_PRECISION) + 0.0]


def split_antimeridian(line: LineString) -> LineString | MultiLineString:
    """Split a lon/lat line where it crosses the antimeridian (RFC 7946 §3.1.9).

    A segment whose longitudes differ by more than 180° is taken to cross ±180°; it is cut there
    (latitude interpolated linearly), the part before ends at ±180° and the part after starts at
    ∓180°. Lines that do not cross are returned unchanged.

    Parameters
    ----------
    line
        A LineString in longitude/latitude, longitudes within [-180, 180].

    Returns
    -------
    LineString | MultiLineString
        The line itself, or a MultiLineString of the parts on each side.
    """
    coords = [(float(c[0]), float(c[1])) for c in line.coords]
    if len(coords) < 2:
        return line
    parts: list[list[tuple[float, float]]] = [[coords[0]]]
    crossed = False
    for (x1, y1), (x2, y2) in itertools.pairwise(coords):
        if abs(x2 - x1) <= 180.0:
            parts[-1].append((x2, y2))
            continue
        crossed = True
        eastward = x1 > x2  # e.g. 179 → -179 goes east over +180
        edge = 180.0 if eastward else -180.0
        x2u = x2 + 360.0 if eastward else x2 - 360.0
        t = 0.0 if x2u == x1 else (edge - x1) / (x2u - x1)
        yc = y1 + t * (y2 - y1)
        if parts[-1][-1] != (edge, yc):
            parts[-1].append((edge, yc))
        parts.append([(-edge, yc)])
        if (x2, y2) != (-edge, yc):
            parts[-1].append((x2, y2))
    parts = [p for p in parts if len(p) >= 2]
    if not crossed or not parts:
        return line
    return LineString(parts[0]) if len(parts) == 1 else MultiLineString(parts)


def _geometry(geom: shapely.Geometry) -> dict[str, Any]:
    """RFC 7946 geometry object: rounded positions, antimeridian-split lines."""
    if geom is None or geom.is_empty:
        return None  # type: ignore[return-value]
    if geom.geom_type == "Point":
        return {"type": "Point", "coordinates": _position(geom.x, geom.y)}
    if geom.geom_type in ("LineString", "MultiLineString"):
        lines = [geom] if geom.geom_type == "LineString" else list(geom.geoms)
        parts: list[LineString] = []
        for line in lines:
            split = split_antimeridian(line)
            parts.extend(split.geoms if isinstance(split, MultiLineString) else [split])
        rings = [[_position(x, y) for x, y, *_ in p.coords] for p in parts]
        if len(rings) == 1:
            return {"type": "LineString", "coordinates": rings[0]}
        return {"type": "MultiLineString", "coordinates": rings}
    raise CorridorError(f"cannot export a {geom.geom_type} geometry (fix: nodes are Points, edges LineStrings)")


# --------------------------------------------------------------------------- features


def _as_throughput(throughput: Any) -> dict[str, Any] | None:
    """A throughput result as a dict: a :class:`corridor.analyses.throughput.Throughput` or a mapping.

    ``cut`` becomes a list of records (from a DataFrame, or dicts/ids as given); ``arc_flow`` is dropped.
    """
    if throughput is None:
        return None
    if isinstance(throughput, Mapping):
        out = dict(throughput)
    elif dataclasses.is_dataclass(throughput) and not isinstance(throughput, type):
        out = {f.name: getattr(throughput, f.name) for f in dataclasses.fields(throughput)}
    else:
        raise CorridorError(
            f"throughput must be a Throughput result or a dict, not {type(throughput).__name__} "
            "(fix: pass corridor.analyses.throughput.max_throughput(...))"
        )
    out.pop("arc_flow", None)
    cut = out.get("cut")
    if isinstance(cut, pd.DataFrame):
        out["cut"] = cut.to_dict("records")
    elif cut is not None:
        out["cut"] = [c if isinstance(c, Mapping) else {"id": str(c)} for c in cut]
    return out


def _cut_ids(throughput: dict[str, Any] | None) -> set[tuple[str | None, str]] | None:
    if throughput is None:
        return None
    out: set[tuple[str | None, str]] = set()
    for item in throughput.get("cut") or ():
        if isinstance(item, Mapping) and "id" in item:
            out.add((str(item["layer"]) if item.get("layer") else None, str(item["id"])))
        elif isinstance(item, str):
            out.add((None, item))
    return out


def _lookup(table: Mapping[tuple[str | None, str], Any], layer: str, fid: str) -> Any:
    return table.get((layer, fid), table.get((None, fid)))


def _columns(layer: str, ranks: Any, cut: Any) -> list[str]:
    cols = [*schema.field_names(f"{layer}s"), *RESULT_FIELDS, *UNCERTAINTY_FIELDS, "layer"]
    if ranks is not None:
        cols.append("criticality_rank")
    if cut is not None:
        cols.append("in_cut")
    return cols


def _features(
    analysis: Analysis, layer: str, *, criticality: pd.DataFrame | None = None, throughput: Any = None
) -> Iterator[dict[str, Any]]:
    """The GeoJSON features of one layer (``"node"`` or ``"edge"``), sorted by id."""
    gdf = analysis.nodes if layer == "node" else analysis.edges
    ranks, cut = _criticality_ranks(criticality), _cut_ids(_as_throughput(throughput))
    fields = [c for c in _columns(layer, ranks, cut) if c in gdf.columns]
    for fid in sorted(gdf.index):
        row = gdf.loc[fid]
        properties = {c: _value(row[c]) for c in fields} | {"layer": layer}
        if ranks is not None:
            properties |= {"criticality_rank": _lookup(ranks, layer, fid)}
        if cut is not None:
            properties |= {"in_cut": (layer, fid) in cut or (None, fid) in cut}
        yield {"type": "Feature", "id": str(fid), "geometry": _geometry(row.geometry), "properties": properties}


def _provenance(analysis: Analysis) -> dict[str, Any]:
    doc = analysis.document
    p = doc["provenance"]
    return {
        "scenario": doc["scenario"],
        "year": doc["year"],
        "method": doc["method"],
        "solver_status": doc["solver_status"],
        "bottleneck_threshold": _value(p.get("bottleneck_threshold")),
        "data_version": p["data_version"],
        "corridor_version": p["corridor_version"],
        "coordinate_precision": COORDINATE_PRECISION,
        "attribution": p.get("attribution"),
    }


# --------------------------------------------------------------------------- atomic writes and safety


def check_output(path: Path, *, geodata: str | os.PathLike[str] | None = None) -> None:
    """Raise a one-line error unless ``path`` may be written (see :func:`corridor._output.check_output`):
    never in the bundled geodata, over a file of the input ``geodata``, on a folder or on a non-regular file."""
    _output.check_output(path, geodata=geodata)


def _check_target(path: Path, analysis: Analysis) -> None:
    """Refuse targets in the bundled geodata, over the input geodata, on a folder or a non-regular file."""
    _output.check_output(path, geodata=analysis.geodata.path)


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary file beside ``path``, then move it over ``path`` (the shared writer)."""
    return _output.atomic_write(path, write)


def _write_lines(tmp: Path, lines: Iterable[str]) -> None:
    with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(line)


# --------------------------------------------------------------------------- GeoPackage and QGIS styles


def _stamp() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch) if epoch.isdigit() else _STAMP_DEFAULT, tz=UTC)
