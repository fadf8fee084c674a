"""Read and validate the corridor geodata (stage 1 of the pipeline).

``load_geodata`` reads ``nodes.geojson`` and ``edges.geojson`` (or a GeoPackage with
``nodes`` and ``edges`` layers) into GeoDataFrames in EPSG:4326, checks them against
the schema (``corridor/data/schema.csv``) and returns them with typed columns.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import os
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from corridor._errors import (
    FieldError,
    FileFormatError,
    GeometryError,
    ReferenceError_,
    ValidationError,
    ValidationErrors,
    did_you_mean,
)
from corridor._untrusted import web_url
from corridor.io import schema
from corridor.io.paths import bundled_geodata

__all__ = [
    "DEFAULT_GEODATA",
    "Geodata",
    "data_as_of",
    "data_attribution",
    "geodesic_length_km",
    "load_basemap",
    "load_geodata",
    "topology_warnings",
    "validate",
]

#: The bundled geodata folder (``$CORRIDOR_GEODATA`` if set; see :mod:`corridor.io.paths`).
DEFAULT_GEODATA = bundled_geodata()

#: The corridor's region (lon_min, lat_min, lon_max, lat_max): Constanța to the Chinese border.
REGION = (25.0, 35.0, 90.0, 50.0)
#: Edge end points must lie within this distance of their nodes.
ENDPOINT_TOLERANCE_KM = 1.0
#: ``length_km`` may differ from the geometry's geodesic length by this fraction (or 0.5 km).
LENGTH_TOLERANCE = 0.01
#: A node may lie this far outside its country's outline (coasts are simplified in the basemap).
COUNTRY_TOLERANCE_KM = 25.0
#: Years accepted in year fields.
YEARS = (1850, 2100)

_GEOD = Geod(ellps="WGS84")
_log = logging.getLogger(__name__)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# a URI scheme other than http(s) or doi, e.g. javascript:, data:, vbscript:, file:
_NOT_WEB = re.compile(r"^\s*(?!(?:https?|doi):)[a-z][a-z0-9+.-]*:\S", re.IGNORECASE)
_GEOMETRY = {"nodes": "Point", "edges": "LineString"}


class _NaN:
    """Stands for a NaN/Infinity literal found in a JSON file, so it can be reported by field."""

    def __repr__(self) -> str:
        return "NaN"


_NAN_LITERAL = _NaN()


class _Object(dict):
    """A JSON object that remembers the keys it held more than once (``json`` keeps only the last value)."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        obj.duplicates = tuple(dict.fromkeys(k for i, k in enumerate(keys) if k in keys[:i]))
    return obj


def _duplicate_keys(obj: Any, name: str, fid: str | None, where: str, problems: _Problems) -> None:
    """Report each key that ``obj`` (a parsed JSON object) held more than once."""
    for key in getattr(obj, "duplicates", ()):
        problems.add(
            FileFormatError(
                f"key '{key}' appears more than once in the {where} (JSON keeps only the last value)",
                file=name,
                feature=fid,
                field=key,
                fix=f"keep one '{key}' per object",
            )
        )


@dataclass(frozen=True)
class Geodata:
    """The validated network data: node and edge GeoDataFrames (EPSG:4326) and where they came from."""

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    path: Path
    #: Problems that do not stop the analysis (e.g. a source that is not an http(s) link).
    warnings: tuple[ValidationError, ...] = ()

    def __iter__(self) -> Iterator[gpd.GeoDataFrame]:
        return iter((self.nodes, self.edges))

    def asset(self, element: str, *, node: bool | None = None) -> tuple[pd.Series, str, str]:
        """The record of node or edge ``element``, its layer ("node"/"edge") and its type (kind or mode).

        Parameters
        ----------
        element : str
            A node or edge id.
        node : bool, optional
            Which layer to look in where the caller knows it (True for a node's internal arc);
            by default edges first, then nodes.

        Returns
        -------
        (Series, str, str)
            The asset's row, ``"node"`` or ``"edge"``, and its ``kind`` (nodes) or ``mode`` (edges).

        Raises
        ------
        KeyError
            No node or edge has that id.

        Examples
        --------
        >>> import corridor
        >>> record, layer, kind = corridor.load_geodata().asset("aktau-port")
        >>> layer, kind, record["country"]
        ('node', 'port', 'KAZ')
        """
        if not node and element in self.edges.index:
            rec = self.edges.loc[element]
            return rec, "edge", rec["mode"]
        rec = self.nodes.loc[element]
        return rec, "node", rec["kind"]


class _Problems:
    """Collects validation errors: raises the first one when strict, else keeps them all."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.errors: list[ValidationError] = []
        self.warnings: list[ValidationError] = []

    def warn(self, warning: ValidationError) -> None:
        self.warnings.append(warning)

    def add(self, error: ValidationError) -> None:
        if self.strict:
            raise error
        self.errors.append(error)

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ValidationErrors(self.errors)


def geodesic_length_km(geometry: shapely.Geometry) -> float:
    """Length of a lon/lat line on the WGS84 ellipsoid, in km.

    Parameters
    ----------
    geometry : shapely.Geometry
        A line (or any geometry) in lon/lat degrees (EPSG:4326).

    Returns
    -------
    float
        Its geodesic length in km.

    Examples
    --------
    >>> import shapely
    >>> round(geodesic_length_km(shapely.LineString([(49.9, 40.4), (44.8, 41.7)])), 1)  # Baku-Tbilisi
    452.3
    """
    return _GEOD.geometry_length(geometry) / 1000.0


def _geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return _GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


# --------------------------------------------------------------------------- reading


def _read_geojson(path: Path, layer: str, problems: _Problems) -> gpd.GeoDataFrame:
    """Parse one GeoJSON layer file into a GeoDataFrame with raw (object) attribute columns."""
    name = str(path)
    if path.exists() and not path.is_file():
        raise FileFormatError(
            "not a regular file (a folder, FIFO or device is never read)",
            file=name,
            fix=f"give {layer}.geojson as a file",
        )
    if not path.is_file():
        raise FileFormatError(
            "file not found", file=name, fix=f"give a folder holding {layer}.geojson, or a .gpkg with a '{layer}' layer"
        )
    try:
        doc = json.loads(
            path.read_text(encoding="utf-8"), parse_constant=lambda _: _NAN_LITERAL, object_pairs_hook=_object
        )
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"not UTF-8 text ({exc.reason})", file=name, fix="save the file as UTF-8 GeoJSON"
        ) from None
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            file=name,
            fix="repair the JSON (e.g. check it with `python -m json.tool`)",
        ) from None
    except RecursionError:
        raise FileFormatError(
            "JSON nested too deep to be GeoJSON", file=name, fix="a FeatureCollection nests a few levels, not thousands"
        ) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise FileFormatError(
            "not a GeoJSON FeatureCollection", file=name, fix='write {"type": "FeatureCollection", "features": [...]}'
        )
    if doc.duplicates:
        _duplicate_keys(doc, name, None, "FeatureCollection", _Problems(strict=True))
    crs = doc.get("crs")
    if crs is not None:
        props = crs.get("properties") if isinstance(crs, dict) else None
        crs_name = str(props.get("name", "")) if isinstance(props, dict) else str(crs)
        if not re.search(r"(4326|CRS84)$", crs_name):
            raise GeometryError(
                f"declares CRS {crs_name!r}, but GeoJSON must be WGS84 lon/lat",
                file=name,
                fix="reproject to EPSG:4326, e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`",
            )
    records: list[dict[str, Any]] = []
    geometries: list[shapely.Geometry | None] = []
    for index, feature in enumerate(doc["features"]):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise FileFormatError(
                f"item {index} of 'features' is not a GeoJSON Feature",
                file=name,
                fix='each item needs "type": "Feature"',
            )
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise FileFormatError(
                f"feature {index} has non-object properties", file=name, fix="make properties an object"
            )
        fid = props.get("id", feature.get("id", f"#{index}"))
        _duplicate_keys(feature, name, str(fid), "feature", problems)
        _duplicate_keys(props, name, str(fid), "properties", problems)
        _duplicate_keys(feature.get("geometry"), name, str(fid), "geometry", problems)
        record = dict(props)
        record.setdefault("id", fid)
        for key, value in props.items():
            if value is _NAN_LITERAL:
                problems.add(
                    FieldError(
                        "NaN/Infinity is not a number GeoJSON allows",
                        file=name,
                        feature=str(fid),
                        field=key,
                        fix="write a finite number, or null where unknown",
                    )
                )
                record[key] = None
        records.append(record)
        geometries.append(_parse_geometry(feature.get("geometry"), name, str(fid), problems))
    columns = list(dict.fromkeys([*schema.field_names(layer), *(k for r in records for k in r)]))
    frame = pd.DataFrame.from_records(records, columns=columns).astype(object)
    frame = frame.where(frame.notna(), None) if len(frame) else frame
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs="EPSG:4326"))
    gdf.attrs["source"] = name
    return gdf


def _parse_geometry(geom: Any, name: str, fid: str, problems: _Problems) -> shapely.Geometry | None:
    if geom is None:
        return None
    try:
        coords = np.asarray(geom.get("coordinates"), dtype=float)
        if np.isnan(coords).any() or np.isinf(coords).any():
            raise ValueError("non-finite coordinate")
        return shapely.geometry.shape(geom)
    except Exception as exc:  # any malformed geometry object
        problems.add(
            GeometryError(
                f"malformed geometry ({type(exc).__name__}: {exc})",
                file=name,
                feature=fid,
                fix="give a valid GeoJSON geometry with numeric [lon, lat] positions",
            )
        )
        return None


def _read_gpkg(path: Path, layer: str) -> gpd.GeoDataFrame:
    import pyogrio

    name = f"{path}:{layer}"
    try:
        layers = [row[0] for row in pyogrio.list_layers(path)]
    except Exception as exc:
        raise FileFormatError(
            f"cannot open GeoPackage ({exc})", file=str(path), fix="give a valid .gpkg file"
        ) from None
    if layer not in layers:
        raise FileFormatError(
            f"no layer '{layer}' (layers: {', '.join(layers)})", file=str(path), fix=f"add a '{layer}' layer"
        )
    gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    if gdf.crs is None:
        raise GeometryError("layer has no CRS", file=name, fix="assign EPSG:4326 (or the layer's real CRS) in your GIS")
    if not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    frame = frame.where(frame.notna(), None)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(gdf.geometry.values, crs="EPSG:4326"))
    out.attrs["source"] = name
    return out


def _read_layers(path: Path, problems: _Problems) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    if path.exists() and not path.is_dir() and not path.is_file():
        raise FileFormatError(
            "not a regular file or folder (a FIFO or device is never read)",
            file=str(path),
            fix="give a folder with nodes.geojson and edges.geojson, or a .gpkg file",
        )
    if path.suffix == ".gpkg":
        return _read_gpkg(path, "nodes"), _read_gpkg(path, "edges")
    if not path.is_dir():
        raise FileFormatError(
            "no such folder", file=str(path), fix="give the folder that holds nodes.geojson and edges.geojson"
        )
    gpkgs = sorted(path.glob("*.gpkg"))
    if not (path / "nodes.geojson").exists() and len(gpkgs) == 1:
        return _read_layers(gpkgs[0], problems)
    return (
        _read_geojson(path / "nodes.geojson", "nodes", problems),
        _read_geojson(path / "edges.geojson", "edges", problems),
    )


def load_geodata(path: str | os.PathLike[str] | None = None, *, strict: bool = True) -> Geodata:
    """Read and validate the geodata in ``path`` (default: the bundled ``geodata/``).

    Parameters
    ----------
    path
        A folder with ``nodes.geojson`` and ``edges.geojson``, or a GeoPackage with
        ``nodes`` and ``edges`` layers.
    strict
        Raise the first problem found; when False, raise :class:`ValidationErrors`
        listing all of them.

    Returns
    -------
    Geodata
        Validated node and edge GeoDataFrames in EPSG:4326 with typed columns.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> g.nodes.crs.to_string(), g.edges.loc["pipe-btc-aze", ["mode", "capacity_unit"]].tolist()
    ('EPSG:4326', ['pipeline', 'Mt/yr'])
    """
    from corridor.io import _validate as check

    check.path_like(path, "path", optional=True)
    check.instance(strict, bool, "strict", "True or False")
    folder = Path(path) if path is not None else DEFAULT_GEODATA
    problems = _Problems(strict=strict)
    nodes, edges = _read_layers(folder, problems)
    _validate(nodes, edges, problems, basemap_dir=folder if folder.is_dir() else folder.parent)
    problems.raise_if_any()
    _log.info("read %d nodes and %d edges from %s", len(nodes), len(edges), folder)
    return Geodata(_coerce(nodes, "nodes"), _coerce(edges, "edges"), folder, tuple(problems.warnings))


# --------------------------------------------------------------------------- validation


def validate(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, *, strict: bool = True) -> list[ValidationError]:
    """Check node and edge GeoDataFrames against the schema and each other.

    Parameters
    ----------
    nodes, edges
        GeoDataFrames with the schema's fields (``DataFrame.attrs["source"]``, if set,
        names the file in messages).
    strict
        Raise the first problem as a :class:`ValidationError`; when False, return the
        list of all problems found (empty when the data is valid).

    Returns
    -------
    list of ValidationError
        The problems found (empty when the data is valid; with ``strict`` the first is raised instead).

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> validate(g.nodes, g.edges)
    []
    >>> edges = g.edges.copy()
    >>> edges.loc[edges.index[0], "to_id"] = "nowhere"
    >>> problem = validate(g.nodes, edges, strict=False)[0]
    >>> problem.field, problem.problem, problem.fix
    ('to_id', "names no node 'nowhere'", 'add the node or fix the id')
    """
    from corridor.io import _validate as check

    check.instance(nodes, gpd.GeoDataFrame, "nodes", "a GeoDataFrame")
    check.instance(edges, gpd.GeoDataFrame, "edges", "a GeoDataFrame")
    problems = _Problems(strict=strict)
    _validate(nodes, edges, problems, basemap_dir=None)
    return problems.errors


def _finite(value: Any) -> bool:
    """A real number that is finite as a float (an integer beyond any float is not)."""
    try:
        return math.isfinite(float(value))
    except (OverflowError, TypeError, ValueError):
        return False


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _validate(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, problems: _Problems, *, basemap_dir: Path | None
) -> None:
    for layer, gdf in (("nodes", nodes), ("edges", edges)):
        ids = _check_ids(gdf, layer, problems)
        for row_id, row in zip(ids, gdf.itertuples(index=False), strict=True):
            record = row._asdict()
            _check_fields(record, row_id, layer, gdf.attrs.get("source", f"{layer}.geojson"), problems)
        _check_geometries(gdf, ids, layer, problems)
        _check_text(gdf, ids, layer, problems)
    _check_ids_across_layers(nodes, edges, problems)
    _check_weights(edges, problems)
    node_ids = [str(v) for v in nodes["id"]] if "id" in nodes else []
    _check_countries(nodes, node_ids, problems, basemap_dir)
    _check_topology(nodes, edges, problems)
    _check_status_dates(nodes, edges, problems, data_as_of(basemap_dir))
    _check_ranges(nodes, edges, problems)


def _check_ids_across_layers(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, problems: _Problems) -> None:
    """A node and an edge may not share an id: scenarios, outages and results name assets by id alone."""
    node_ids = {str(v) for v in nodes.get("id", []) if not _missing(v)}
    source = edges.attrs.get("source", "edges.geojson")
    reported: set[str] = set()
    for v in edges.get("id", []):
        fid = str(v)
        if not _missing(v) and fid in node_ids and fid not in reported:
            reported.add(fid)
            problems.add(
                ReferenceError_(
                    "the id is also a node's id (ids must be unique across nodes and edges)",
                    file=source,
                    feature=fid,
                    field="id",
                    fix="rename the edge (e.g. prefix it with its mode: 'rail-…')",
                )
            )


def _text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored and written back faithfully (NUL, lone surrogates), or None."""
    if "\x00" in text:
        return "holds a NUL character (\\u0000), which GeoPackage, CSV and C programs cut the text at"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds a lone surrogate (\\u{ord(text[exc.start]):04x}), which is not Unicode text"
    return None


def _check_text(gdf: gpd.GeoDataFrame, ids: list[str], layer: str, problems: _Problems) -> None:
    """No text field (nor field name) may hold a NUL character or a lone surrogate."""
    source = gdf.attrs.get("source", f"{layer}.geojson")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    for column in columns:
        why = _text_problem(str(column))
        if why:
            problems.add(FieldError(f"a field name {why}", file=source, field=str(column), fix="rename the field"))
    for fid, row in zip(ids, gdf[columns].itertuples(index=False, name=None), strict=True):
        for column, value in zip(columns, row, strict=True):
            if isinstance(value, str) and (why := _text_problem(value)):
                problems.add(
                    FieldError(
                        f"text {why}",
                        file=source,
                        feature=fid,
                        field=str(column),
                        fix="remove the character; write plain UTF-8 text",
                    )
                )


def _check_weights(edges: gpd.GeoDataFrame, problems: _Problems) -> None:
    """Every weight a shortest-path search adds up must be >= 0: ``length_km`` (the default time and tariff
    derive from it; ``time_h`` and ``tariff_usd`` are checked by the schema)."""
    source = edges.attrs.get("source", "edges.geojson")
    for v, length in zip(edges.get("id", []), edges.get("length_km", [None] * len(edges)), strict=True):
        if isinstance(length, int | float | np.integer | np.floating) and not isinstance(length, bool):
            if _finite(length) and length < 0:
                problems.add(
                    FieldError(
                        f"{length} is negative",
                        file=source,
                        feature=str(v),
                        field="length_km",
                        fix="a length is >= 0: give the geodesic length of the line",
                    )
                )


def _check_ids(gdf: gpd.GeoDataFrame, layer: str, problems: _Problems) -> list[str]:
    source = gdf.attrs.get("source", f"{layer}.geojson")
    ids = [
        str(v) if not _missing(v) else f"#{i}" for i, v in enumerate(gdf["id"] if "id" in gdf else [None] * len(gdf))
    ]
    seen: set[str] = set()
    for fid in ids:
        if fid in seen:
            problems.add(
                ReferenceError_(
                    "duplicate id", file=source, feature=fid, field="id", fix="give every feature its own id"
                )
            )
        seen.add(fid)
    return ids


def _check_fields(record: dict[str, Any], fid: str, layer: str, source: str, problems: _Problems) -> None:
    def bad(problem: str, field: str, fix: str, cls: type[ValidationError] = FieldError) -> None:
        problems.add(cls(problem, file=source, feature=fid, field=field, fix=fix))

    status = record.get("status")
    for f in schema.fields(layer):
        value = record.get(f.name)
        if _missing(value):
            needed = (
                f.required == "yes"
                or (f.required == "planned" and status not in (None, "operating"))
                or (f.required == "with_capacity" and not _missing(record.get("capacity")))
            )
            if needed:  # NaN counts as missing here: typed frames hold NaN for empty floats
                why = {"planned": f" (status is '{status}')", "with_capacity": " (a capacity is given)"}.get(
                    f.required, ""
                )
                bad(f"required field is missing{why}", f.name, f"add '{f.name}': {f.description}")
            continue
        _check_value(f, value, record, bad)
        if f.check == "source" and isinstance(value, str) and _NOT_WEB.match(value) and web_url(value) is None:
            problems.warn(
                FieldError(
                    f"'{value[:40]}' is not an http(s) URL: it is shown as text, never as a link",
                    file=source,
                    feature=fid,
                    field=f.name,
                    fix="give the source's http(s) address or a plain publication reference",
                )
            )


def _check_value(f: schema.Field, value: Any, record: dict[str, Any], bad: Any) -> None:
    if f.type in ("float", "int"):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            bad(f"'{value}' is not a number", f.name, f"write {f.name} as a JSON number")
            return
        if not _finite(value):
            bad("value is not finite", f.name, "write a finite number")
            return
        if f.type == "int" and float(value) != int(value):
            bad(f"{value} is not a whole number", f.name, f"write {f.name} as an integer")
        if f.check == "positive" and value <= 0:
            bad(
                f"{value} is not positive",
                f.name,
                f"{f.name} must be > 0; leave it empty if the asset does not limit flow",
            )
        if f.check == "nonnegative" and value < 0:
            bad(f"{value} is negative", f.name, f"{f.name} must be >= 0")
        if f.check == "year" and not YEARS[0] <= value <= YEARS[1]:
            bad(f"{value} is not a plausible year", f.name, f"give a year between {YEARS[0]} and {YEARS[1]}")
        return
    if f.type == "bool":
        if not isinstance(value, bool | np.bool_):
            bad(f"'{value}' is not true/false", f.name, "write true or false (JSON booleans)")
        return
    if not isinstance(value, str):
        bad(f"'{value}' is not text", f.name, f"write {f.name} as a JSON string")
        return
    if f.type == "enum" and value not in f.allowed:
        bad(f"unknown value '{value}'", f.name, f"use one of: {', '.join(f.allowed)}")
    if f.type == "list":
        items = [v for v in value.split(";") if v]
        unknown = [v for v in items if v not in f.allowed]
        if unknown or not items:
            bad(f"unknown value(s) '{value}'", f.name, f"a ';'-separated list of: {', '.join(f.allowed)}")
            return
        if f.check == "mode_commodities":
            mode = schema.modes().get(str(record.get("mode")))
            if mode is not None:
                wrong = [c for c in items if c not in mode.commodities]
                if wrong:
                    bad(
                        f"mode '{mode.name}' cannot carry {', '.join(wrong)}",
                        f.name,
                        f"mode '{mode.name}' carries: {', '.join(mode.commodities)}",
                    )
    if f.check == "slug" and not _SLUG.match(value):
        bad(f"'{value}' is not a slug", f.name, "use lower-case letters, digits and single hyphens, e.g. 'aktau-port'")
    if f.check == "source" and len(value.strip()) < 8:
        bad(f"'{value}' is not a source", f.name, "give the URL or a full publication reference")
    if f.check == "unit_fits" or (f.name == "capacity_unit" and record.get("commodities")):
        units = schema.commodity_units()
        comms = [c for c in str(record.get("commodities") or "").split(";") if c in units]
        wrong = sorted({units[c] for c in comms} - {value})
        if wrong:
            bad(
                f"unit '{value}' does not fit the commodities '{record.get('commodities')}'",
                f.name,
                f"use {', '.join(wrong)} (the unit of {', '.join(c for c in comms if units[c] != value)})",
            )


def _check_geometries(gdf: gpd.GeoDataFrame, ids: list[str], layer: str, problems: _Problems) -> None:
    source = gdf.attrs.get("source", f"{layer}.geojson")
    want = _GEOMETRY[layer]
    lon0, lat0, lon1, lat1 = REGION
    for fid, geom in zip(ids, gdf.geometry, strict=True):

        def bad(problem: str, fix: str, fid: str = fid) -> None:
            problems.add(GeometryError(problem, file=source, feature=fid, field="geometry", fix=fix))

        if geom is None or geom.is_empty:
            bad("geometry is missing or empty", f"give a {want} with [lon, lat] positions")
            continue
        if geom.geom_type != want:
            bad(f"geometry is a {geom.geom_type}, expected a {want}", f"{layer} must be {want} features")
            continue
        xy = shapely.get_coordinates(geom)
        if layer == "edges" and (len(xy) < 2 or shapely.length(geom) == 0):
            bad(
                "line has fewer than two distinct positions", "give the line's vertices from its first node to its last"
            )
            continue
        x, y = xy[:, 0], xy[:, 1]
        if (np.abs(x) > 180).any() or (np.abs(y) > 90).any():
            if np.abs(xy).max() > 1000:
                bad(
                    "coordinates look like projected metres, not degrees",
                    "reproject to EPSG:4326 lon/lat, e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`",
                )
            else:
                bad("coordinates outside [-180, 180] x [-90, 90]", "give positions as [longitude, latitude] in degrees")
            continue
        inside = (x >= lon0) & (x <= lon1) & (y >= lat0) & (y <= lat1)
        swapped = (y >= lon0) & (y <= lon1) & (x >= lat0) & (x <= lat1)
        if (~inside & swapped).any():
            bad(
                "coordinates look like [lat, lon] (swapped): outside the corridor region, inside once swapped",
                "write GeoJSON positions as [longitude, latitude]",
            )


@cache
def _basemap(path: Path) -> gpd.GeoDataFrame | None:
    return gpd.read_file(path, engine="pyogrio") if path.is_file() else None


def load_basemap(geodata: str | os.PathLike[str] | None = None) -> gpd.GeoDataFrame:
    """Country outlines (Natural Earth) for the region: from ``geodata`` if it has a basemap, else the bundled one.

    Parameters
    ----------
    geodata : path, optional
        A geodata folder that may hold its own ``basemap.geojson``.

    Returns
    -------
    GeoDataFrame
        One row per country (``iso_a3``), EPSG:4326.

    Examples
    --------
    >>> countries = load_basemap()
    >>> list(countries.columns), "KAZ" in set(countries["iso_a3"])
    (['iso_a3', 'name', 'geometry'], True)
    """
    for folder in (Path(geodata) if geodata else None, DEFAULT_GEODATA):
        if folder is not None and (gdf := _basemap(folder / "basemap.geojson")) is not None:
            return gdf
    raise FileFormatError(
        "no basemap.geojson found", file=str(DEFAULT_GEODATA), fix="run `python tools/build_basemap.py`"
    )


def _check_countries(nodes: gpd.GeoDataFrame, ids: list[str], problems: _Problems, basemap_dir: Path | None) -> None:
    """A node must lie in (or near) its country; if it lies there once lon/lat are swapped, say so."""
    try:
        basemap = load_basemap(basemap_dir)
    except FileFormatError:
        return
    if not {"country", "iso_a3"} <= set(nodes.columns) | set(basemap.columns):
        return
    outlines = basemap.set_index("iso_a3").geometry
    source = nodes.attrs.get("source", "nodes.geojson")
    for fid, country, geom in zip(ids, nodes.get("country", []), nodes.geometry, strict=True):
        if not isinstance(country, str) or country not in outlines.index:  # a wrong type is a field error
            continue
        if geom is None or geom.is_empty or geom.geom_type != "Point":
            continue
        if abs(geom.x) > 180 or abs(geom.y) > 90:
            continue
        shape = outlines.loc[country]
        if _distance_km(shape, geom.x, geom.y) <= COUNTRY_TOLERANCE_KM:
            continue
        if abs(geom.y) <= 180 and abs(geom.x) <= 90 and _distance_km(shape, geom.y, geom.x) <= COUNTRY_TOLERANCE_KM:
            problem, fix = (
                "position looks like [lat, lon] (swapped)",
                "write GeoJSON positions as [longitude, latitude]",
            )
        else:
            problem, fix = f"lies outside {country}", "check the coordinates and the 'country' code"
        problems.add(GeometryError(problem, file=source, feature=fid, field="geometry", fix=fix))


def _distance_km(shape: shapely.Geometry, lon: float, lat: float) -> float:
    point = shapely.Point(lon, lat)
    if shape.contains(point):
        return 0.0
    near = shapely.ops.nearest_points(shape, point)[0]
    return _geodesic_km(lon, lat, near.x, near.y)


def _check_topology(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, problems: _Problems) -> None:
    source = edges.attrs.get("source", "edges.geojson")
    where = {
        str(i): g
        for i, g in zip(nodes.get("id", []), nodes.geometry, strict=True)
        if g is not None and g.geom_type == "Point"
    }
    known = set(str(i) for i in nodes.get("id", []))
    for row in edges.itertuples(index=False):
        rec = row._asdict()
        fid, geom = str(rec.get("id")), rec.get("geometry")
        ok_geom = geom is not None and not geom.is_empty and geom.geom_type == "LineString" and len(geom.coords) >= 2
        ends = rec.get("from_id"), rec.get("to_id")
        if not _missing(ends[0]) and str(ends[0]) == str(ends[1]):
            problems.add(
                ReferenceError_(
                    f"runs from node '{ends[0]}' to itself (a self-loop carries nothing)",
                    file=source,
                    feature=fid,
                    field="to_id",
                    fix="give the edge the node at its other end, or delete it",
                )
            )
            continue
        for field, at in (("from_id", 0), ("to_id", -1)):
            ref = rec.get(field)
            if _missing(ref):
                continue
            if str(ref) not in known:
                hint = did_you_mean(str(ref), known, "add the node or fix the id")
                problems.add(ReferenceError_(f"names no node '{ref}'", file=source, feature=fid, field=field, fix=hint))
                continue
            node = where.get(str(ref))
            if ok_geom and node is not None:
                lon, lat = geom.coords[at][:2]
                if abs(lon) <= 180 and abs(lat) <= 90:
                    gap = _geodesic_km(lon, lat, node.x, node.y)
                    if gap > ENDPOINT_TOLERANCE_KM:
                        problems.add(
                            GeometryError(
                                f"{'first' if at == 0 else 'last'} vertex is {gap:.1f} km from node '{ref}'",
                                file=source,
                                feature=fid,
                                field="geometry",
                                fix=f"snap the line's end to the node (tolerance {ENDPOINT_TOLERANCE_KM} km)",
                            )
                        )
        length = rec.get("length_km")
        if ok_geom and isinstance(length, int | float) and not isinstance(length, bool) and _finite(length):
            xy = shapely.get_coordinates(geom)
            if (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all():
                actual = geodesic_length_km(geom)
                if abs(actual - length) > max(LENGTH_TOLERANCE * actual, 0.5):
                    problems.add(
                        FieldError(
                            f"{length} km disagrees with the geometry's geodesic length {actual:.1f} km",
                            file=source,
                            feature=fid,
                            field="length_km",
                            fix=f"set length_km to {actual:.1f} (or fix the geometry)",
                        )
                    )
        _check_published_length(rec, where, source, problems)


def _check_published_length(
    rec: dict[str, Any], where: dict[str, shapely.Geometry], source: str, problems: _Problems
) -> None:
    """Warn when ``published_length_km`` is shorter than the straight line between the edge's end nodes.

    No route is shorter than that line, so the figure is rounded, covers part of the route only, or the end nodes
    are misplaced; the model charges it all the same (default times and tariffs).
    """
    published = rec.get("published_length_km")
    a, b = where.get(str(rec.get("from_id"))), where.get(str(rec.get("to_id")))
    if a is None or b is None or isinstance(published, bool) or not isinstance(published, int | float):
        return
    if not _finite(published) or published <= 0 or max(abs(a.x), abs(b.x)) > 180 or max(abs(a.y), abs(b.y)) > 90:
        return
    straight = _geodesic_km(a.x, a.y, b.x, b.y)
    if published < straight - max(0.005 * straight, 0.5):
        problems.warn(
            FieldError(
                f"{published:g} km is shorter than the straight line between its end nodes ({straight:.1f} km)",
                file=source,
                feature=str(rec.get("id")),
                field="published_length_km",
                fix="check the figure (rounded? part of the route?) and the end nodes; the model charges it",
            )
        )


#: Statuses of assets that are not (yet) in service but are meant to be.
PLANNED_STATUSES = tuple(s for s, row in schema.statuses().items() if row.planned)


def _metadata(folder: str | os.PathLike[str] | None, key: str) -> tuple[object, Path | None]:
    """``key`` of ``<folder>/metadata.toml`` and the file's path; (None, None) without a folder or a file."""
    if folder is None:
        return None, None
    path = Path(folder) / "metadata.toml"
    if not path.is_file():
        return None, None
    return tomllib.loads(path.read_text(encoding="utf-8")).get(key), path


def data_attribution(folder: str | os.PathLike[str] | None) -> str | None:
    """What results made from the geodata must credit (``attribution`` in ``<folder>/metadata.toml``).

    Parameters
    ----------
    folder : path or None
        A geodata folder.

    Returns
    -------
    str or None
        The text (data, shown escaped wherever it goes); None when ``folder`` is None or records none.

    Raises
    ------
    FileFormatError
        ``attribution`` is set but is not a string.

    Examples
    --------
    >>> from corridor.io.paths import bundled_geodata
    >>> "OpenStreetMap" in data_attribution(bundled_geodata()), "Global Energy Monitor" in data_attribution(
    ...     bundled_geodata())
    (True, True)
    """
    value, path = _metadata(folder, "attribution")
    if value is None or isinstance(value, str):
        return value
    raise FileFormatError(
        f"attribution = {value!r} is not a string", file=str(path), fix='write e.g. attribution = "© …"'
    )


def data_as_of(folder: str | os.PathLike[str] | None) -> datetime.date | None:
    """The date the geodata's statuses were last checked (``data_as_of`` in ``<folder>/metadata.toml``).

    Parameters
    ----------
    folder : path or None
        A geodata folder.

    Returns
    -------
    datetime.date or None
        The date; None when ``folder`` is None or has no metadata file (user data need not have one).

    Raises
    ------
    FileFormatError
        ``data_as_of`` is set but is not a TOML date.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     print(data_as_of(folder))
    ...     _ = (Path(folder) / "metadata.toml").write_text("data_as_of = 2025-12-31")
    ...     print(data_as_of(folder))
    None
    2025-12-31
    """
    value, path = _metadata(folder, "data_as_of")
    if path is None:
        return None
    if isinstance(value, datetime.date):
        return value
    raise FileFormatError(
        f"data_as_of = {value!r} is not a date", file=str(path), fix="write e.g. data_as_of = 2025-12-31"
    )


def _check_status_dates(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, problems: _Problems, as_of: datetime.date | None
) -> None:
    """Statuses as of the data date: a planned asset starts after the data year, an operating one by then."""
    if as_of is None:
        return
    for layer, gdf in (("nodes", nodes), ("edges", edges)):
        if not {"id", "status", "start_year"} <= set(gdf.columns):
            continue
        source = gdf.attrs.get("source", f"{layer}.geojson")
        for fid, status, start in zip(gdf["id"], gdf["status"], gdf["start_year"], strict=True):
            if _missing(start) or not isinstance(start, int | float | np.integer | np.floating):
                continue
            if status in PLANNED_STATUSES and start <= as_of.year:
                problem = f"status '{status}' with start_year {int(start)}, at or before the data year {as_of.year}"
                fix = "it is in service by now (status 'operating') or its start year is later: check the source"
            elif status == "operating" and start > as_of.year:
                problem = f"status 'operating' with start_year {int(start)}, after the data year {as_of.year}"
                fix = "give the status it has on the data date (e.g. 'construction') or the year it opened"
            else:
                continue
            problems.add(FieldError(problem, file=source, feature=str(fid), field="status", fix=fix))


#: Fields that may carry a range for an estimate: ``<field>_low`` <= ``<field>`` <= ``<field>_high``.
RANGED_FIELDS = ("capacity", "tariff_usd", "dwell_h")


def _check_ranges(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, problems: _Problems) -> None:
    """An estimate's range holds its value: low <= value <= high, and a range needs the value it brackets."""

    def num(v: Any) -> float | None:
        ok = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        return float(v) if ok and _finite(v) else None

    for layer, gdf in (("nodes", nodes), ("edges", edges)):
        source = gdf.attrs.get("source", f"{layer}.geojson")
        for base in RANGED_FIELDS:
            lo_f, hi_f = f"{base}_low", f"{base}_high"
            if base not in gdf.columns or not ({lo_f, hi_f} & set(gdf.columns)):
                continue
            for fid, v, lo, hi in zip(
                gdf["id"], gdf[base], gdf.get(lo_f, [None] * len(gdf)), gdf.get(hi_f, [None] * len(gdf)), strict=True
            ):
                v, lo, hi = num(v), num(lo), num(hi)
                if lo is None and hi is None:
                    continue
                field = lo_f if lo is not None else hi_f
                if v is None:
                    problem, fix = (
                        f"a range is given but '{base}' is empty",
                        f"give '{base}', the value the range brackets",
                    )
                elif (lo is not None and lo > v) or (hi is not None and hi < v):
                    span = f"{'' if lo is None else f'{lo:g}'}-{'' if hi is None else f'{hi:g}'}"
                    problem = f"range {span} does not hold {base} {v:g}"
                    fix = f"make {lo_f} <= {base} <= {hi_f}"
                    field = lo_f if lo is not None and lo > v else hi_f
                else:
                    continue
                problems.add(FieldError(problem, file=source, feature=str(fid), field=field, fix=fix))


def topology_warnings(geodata: Geodata, demand: Iterable[tuple[str, str, str]] = ()) -> list[str]:
    """Warnings about the network's shape (not errors: the data may be incomplete on purpose).

    - a port that only sea edges reach (no rail, road or pipeline behind it, also through transfers);
    - a border crossing that a single rail line runs into with nothing beyond it (a dead end at a border);
    - a junction where a single line ends and no demand starts or ends (e.g. a new line whose far end joins nothing);
    - a node that no demand can reach: for every commodity its edges carry, it lies in no connected part of
      that commodity's network that holds an origin or destination of ``demand``. Statuses and years are
      ignored: the whole network.

    Parameters
    ----------
    geodata : Geodata
        The network (only the nodes' ``kind`` and the edges' ends, ``mode`` and ``commodities`` are read).
    demand : iterable of (str, str, str)
        (origin, destination, commodity) triples, e.g. from the shipped scenarios.

    Returns
    -------
    list of str
        One line per warning, starting with the node id.

    Examples
    --------
    >>> from pathlib import Path
    >>> import geopandas as gpd
    >>> nodes = gpd.GeoDataFrame({"kind": ["port", "port", "junction"]}, index=["a", "b", "c"])
    >>> edges = gpd.GeoDataFrame(
    ...     {"from_id": ["a"], "to_id": ["b"], "mode": ["sea"], "commodities": ["freight"]}, index=["ferry"]
    ... )
    >>> for line in topology_warnings(Geodata(nodes, edges, Path(".")), [("a", "b", "freight")]):
    ...     print(line)
    a: port reachable only by sea (no rail, road or pipeline connects to it)
    b: port reachable only by sea (no rail, road or pipeline connects to it)
    c: no demand can reach this node (no scenario's origin or destination shares its network)
    """
    import networkx as nx

    nodes, edges = geodata.nodes, geodata.edges
    out: list[str] = []
    land = nx.Graph()
    land.add_nodes_from(nodes.index)
    for eid, e in edges.iterrows():
        if e["mode"] != "sea":
            land.add_edge(e["from_id"], e["to_id"], mode=e["mode"], id=eid)
    for nid in nodes.index[nodes["kind"] == "port"]:
        modes = {d["mode"] for _, _, d in land.subgraph(nx.node_connected_component(land, nid)).edges(data=True)}
        if not modes - {"transfer"}:
            out.append(f"{nid}: port reachable only by sea (no rail, road or pipeline connects to it)")
    for nid in nodes.index[nodes["kind"] == "border_crossing"]:
        touching = edges[(edges["from_id"] == nid) | (edges["to_id"] == nid)]
        if len(touching) == 1 and touching["mode"].iloc[0] == "rail":
            out.append(f"{nid}: rail line {touching.index[0]} dead-ends at the border (no crossing beyond it)")
    demand = list(demand)
    named = {n for o, d, _ in demand for n in (o, d)}
    for nid in nodes.index[nodes["kind"] == "junction"]:
        touching = edges[(edges["from_id"] == nid) | (edges["to_id"] == nid)]
        if len(touching) == 1 and nid not in named:
            out.append(f"{nid}: junction where only {touching.index[0]} ends (a line that stops short of the network?)")
    ends: dict[str, set[str]] = {}
    for o, d, c in demand:
        ends.setdefault(c, set()).update((o, d))
    reached: set[str] = set()
    for c, points in ends.items():
        g = nx.Graph()
        for _, e in edges[edges["commodities"].str.split(";").apply(lambda cs, c=c: c in cs)].iterrows():
            g.add_edge(e["from_id"], e["to_id"])
        for part in nx.connected_components(g):
            if part & points:
                reached |= part
    for nid in nodes.index:
        if nid not in reached:
            out.append(f"{nid}: no demand can reach this node (no scenario's origin or destination shares its network)")
    return out


# --------------------------------------------------------------------------- typing


def _coerce(gdf: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Give validated raw columns their schema types (floats, nullable ints, bools, strings)."""
    out = gdf.copy()
    for f in schema.fields(layer):
        if f.name not in out:
            out[f.name] = None
        col = out[f.name]
        if f.type == "float":  # empty or blank text counts as missing (as in validation): NaN
            out[f.name] = pd.to_numeric(col.map(lambda v: None if _missing(v) else v), errors="raise").astype(float)
        elif f.type == "int":
            out[f.name] = pd.array([None if _missing(v) else int(v) for v in col], dtype="Int64")
        elif f.type == "bool":
            out[f.name] = col.astype(bool)
        else:
            out[f.name] = [None if _missing(v) else str(v) for v in col]
    out = out.set_index(out["id"].rename(None), drop=False)
    out.attrs = dict(gdf.attrs)
    return out
