"""Export an analysis: RFC 7946 GeoJSON, a styled GeoPackage, CSV and a Markdown report (stage 5).

Every writer takes a :class:`corridor.pipeline.Analysis` and a path, and returns the paths it wrote.
Outputs are deterministic (same inputs → byte-identical files) and written atomically: each file is
written to a temporary file in the target folder and moved over the target with :func:`os.replace`
only when complete, so a failure never leaves a half-written file. Writing into the bundled geodata
folder, or over a file of the input geodata, is refused.

Formats
-------
GeoJSON (RFC 7946)
    A ``FeatureCollection`` in WGS84 longitude/latitude, no ``crs`` member, no NaN/Infinity (``null``
    instead), coordinates rounded to :data:`COORDINATE_PRECISION` (6) decimals (~0.1 m), floats in
    properties to 6 decimals. One feature per line; nodes first, then edges, each sorted by id
    (``layers="combined"``, the default), or one file per layer, ``<stem>.nodes.geojson`` and
    ``<stem>.edges.geojson`` (``layers="separate"``). Each feature has a top-level ``id`` and the
    properties: the schema fields of its layer, the result fields (:data:`RESULT_FIELDS`), ``layer``
    (``"node"``/``"edge"``), and ``criticality_rank`` / ``in_cut`` when a criticality table /
    throughput result is given. The foreign member ``corridor`` holds the provenance. Lines crossing
    the antimeridian are split into a ``MultiLineString`` (RFC 7946 §3.1.9, :func:`split_antimeridian`).
GeoPackage
    Layers ``nodes`` and ``edges`` (same fields and rounding as the GeoJSON) and a ``layer_styles``
    table with QGIS styles used as default: edges graduated by utilisation with a line width
    data-defined by flow (scaled per unit), nodes rule-based with bottlenecks highlighted.
CSV
    One file, one row per asset: ``layer`` and ``id`` first, then the union of the node and edge
    schema fields, the result fields, and ``lon``/``lat`` for nodes; nodes first, then edges, by id.
Markdown
    A report (scenario, provenance, totals, bottlenecks, reported schedules, OD table, throughput cut
    and criticality ranking when given, the most utilised assets, sources) and a PNG bar chart of the
    most utilised assets beside it (``<stem>.png``).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import math
import os
import re
import sqlite3
import uuid
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString, shape

from . import __version__, _output, schema
from ._errors import CorridorError, OutputError
from ._untrusted import csv_cell, markdown_text, one_line, terminal_text, web_url
from .bottlenecks import RESULT_FIELDS, UNCERTAINTY_FIELDS
from .geodata import DEFAULT_GEODATA

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Analysis

__all__ = [
    "COORDINATE_PRECISION",
    "FORMATS",
    "check_output",
    "edge_style_qml",
    "export",
    "export_csv",
    "export_geojson",
    "export_gpkg",
    "export_markdown",
    "node_style_qml",
    "split_antimeridian",
]

#: Decimals kept in coordinates (1e-6° ≈ 0.11 m) and in float properties.
COORDINATE_PRECISION = 6
#: Format name → file extension.
FORMATS = {"geojson": "geojson", "gpkg": "gpkg", "csv": "csv", "md": "md"}
#: Colours of the severities (chart, QGIS styles).
SEVERITY_COLOURS = {
    "ok": "#2b83ba",
    "busy": "#e6b800",
    "near-capacity": "#f46d43",
    "binding": "#d7191c",
    "over-capacity": "#67000d",
}
_LAYERS = (("node", "nodes"), ("edge", "edges"))
_STAMP_DEFAULT = 0  # 1970-01-01T00:00:00Z, unless SOURCE_DATE_EPOCH is set


# --------------------------------------------------------------------------- values and geometry


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


def _as_throughput(throughput: Any) -> dict[str, Any] | None:
    """A throughput result as a dict: a :class:`corridor.throughput.Throughput` or a mapping.

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
            "(fix: pass corridor.throughput.max_throughput(...))"
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
    }


def _dumps(obj: Any) -> str:
    """Compact, deterministic JSON (no NaN/Infinity)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


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


# --------------------------------------------------------------------------- GeoJSON


def _collection_lines(provenance: dict[str, Any], features: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield '{"type":"FeatureCollection","corridor":' + _dumps(provenance) + ',"features":[\n'
    first = True
    for feature in features:
        yield ("" if first else ",\n") + _dumps(feature)
        first = False
    yield ("" if first else "\n") + "]}\n"


def export_geojson(
    analysis: Analysis,
    path: str | os.PathLike[str],
    *,
    layers: str = "combined",
    criticality: pd.DataFrame | None = None,
    throughput: Any = None,
) -> list[Path]:
    """Write the nodes and edges with their results as RFC 7946 GeoJSON.

    Parameters
    ----------
    analysis
        The result of :func:`corridor.pipeline.analyze`.
    path
        Output file. With ``layers="separate"``: ``<stem>.nodes.geojson`` and ``<stem>.edges.geojson``
        are written beside it instead.
    layers
        ``"combined"`` (one FeatureCollection, nodes then edges, each by id) or ``"separate"``.
    criticality, throughput
        Optional results of the criticality and throughput analyses: features get
        ``criticality_rank`` and ``in_cut``.

    Returns
    -------
    list[Path]
        The files written.
    """
    path = Path(path)
    if layers not in ("combined", "separate"):
        raise CorridorError(f"unknown layers option '{layers}' (fix: use 'combined' or 'separate')")
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    targets = (
        [(path, ("node", "edge"))]
        if layers == "combined"
        else [(path.with_name(f"{stem}.{name}.geojson"), (lay,)) for lay, name in _LAYERS]
    )
    for target, _ in targets:
        _check_target(target, analysis)
    provenance = _provenance(analysis)
    summary = _as_throughput(throughput)
    if summary is not None:
        provenance["throughput"] = {
            k: [_value(x) for x in v] if isinstance(v, list | tuple) else _value(v)
            for k, v in summary.items()
            if k != "cut" and (_is_scalar(v) or (isinstance(v, list | tuple) and all(map(_is_scalar, v))))
        }
    out = []
    for target, lays in targets:

        def features(lays: tuple[str, ...] = lays) -> Iterator[dict[str, Any]]:
            for lay in lays:
                yield from _features(analysis, lay, criticality=criticality, throughput=throughput)

        out.append(_atomic(target, lambda tmp, f=features: _write_lines(tmp, _collection_lines(provenance, f()))))
    return out


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float | np.generic)


# --------------------------------------------------------------------------- GeoPackage and QGIS styles


def _stamp() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch) if epoch.isdigit() else _STAMP_DEFAULT, tz=UTC)


def _frame(analysis: Analysis, layer: str, criticality: Any, throughput: Any):  # -> gpd.GeoDataFrame
    """The features of one layer as a GeoDataFrame with the schema's dtypes (for the GeoPackage)."""
    import geopandas as gpd

    src = analysis.nodes if layer == "node" else analysis.edges
    feats = list(_features(analysis, layer, criticality=criticality, throughput=throughput))
    columns = list(feats[0]["properties"]) if feats else _columns(layer, None, None)
    data: dict[str, Any] = {}
    for c in columns:
        values = [f["properties"].get(c) for f in feats]
        dtype = src[c].dtype if c in src.columns else None
        if c == "criticality_rank" or (dtype is not None and str(dtype) == "Int64"):
            data[c] = pd.array(values, dtype="Int64")
        elif dtype is not None and pd.api.types.is_float_dtype(dtype):
            data[c] = pd.array([np.nan if v is None else v for v in values], dtype="float64")
        elif c in ("in_cut",) or (dtype is not None and pd.api.types.is_bool_dtype(dtype)):
            data[c] = pd.array(values, dtype="bool")
        else:
            data[c] = pd.array(values, dtype=object)
    geoms = [shape(f["geometry"]) for f in feats]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))


def export_gpkg(
    analysis: Analysis,
    path: str | os.PathLike[str],
    *,
    criticality: pd.DataFrame | None = None,
    throughput: Any = None,
) -> list[Path]:
    """Write a GeoPackage with ``nodes`` and ``edges`` layers (with results) and QGIS layer styles.

    Parameters
    ----------
    analysis
        The result of :func:`corridor.pipeline.analyze`.
    path
        Output ``.gpkg`` file.
    criticality, throughput
        As in :func:`export_geojson`.

    Returns
    -------
    list[Path]
        The file written.
    """
    import pyogrio
    import pyogrio.errors

    path = Path(path)
    _check_target(path, analysis)
    stamp = _stamp()
    prov = _provenance(analysis)
    description = (
        f"corridor {prov['corridor_version']}: scenario {prov['scenario']} ({prov['year']}), method {prov['method']}, "
        f"data {prov['data_version']}"
    )
    frames = {name: _frame(analysis, lay, criticality, throughput) for lay, name in _LAYERS}
    styles = [
        (
            "edges",
            "corridor utilisation and flow",
            edge_style_qml(analysis),
            "Edges coloured by utilisation, width by flow",
        ),
        ("nodes", "corridor bottlenecks", node_style_qml(analysis), "Nodes, bottlenecks highlighted"),
    ]

    def write(tmp: Path) -> None:
        try:
            write_layers(tmp)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.DatabaseError) as exc:
            # GDAL and SQLite report a full disk or a lost file as their own errors, not as OSError
            raise OutputError(
                f"{path}: cannot write the GeoPackage: {one_line(exc)} (fix: check the folder's free space and rights)"
            ) from None

    def write_layers(tmp: Path) -> None:
        previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
        try:
            for name, frame in frames.items():
                multi = bool((frame.geom_type == "MultiLineString").any())
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    promote_to_multi=multi or None,
                    # GeoPackage 1.2: opens in older GDAL/QGIS too (GDAL >= 3.7 would write 1.4)
                    dataset_options={"VERSION": "1.2"},
                    layer_options={"DESCRIPTION": f"{name} — {description}", "IDENTIFIER": name},
                )
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
        _write_layer_styles(tmp, styles, stamp=stamp)

    return [_atomic(path, write)]


_LAYER_STYLES_SQL = """
CREATE TABLE layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""


def _write_layer_styles(gpkg: Path, styles: list[tuple[str, str, str, str]], *, stamp: datetime) -> None:
    """Add QGIS's ``layer_styles`` table (registered as an attributes table) to a GeoPackage."""
    when = stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    con = sqlite3.connect(gpkg)
    try:
        with con:
            geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
            con.execute(_LAYER_STYLES_SQL)
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)",
                (when,),
            )
            for table, name, qml, description in styles:
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                    "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
                    (table, geom_cols.get(table, "geom"), name, qml, description, when),
                )
    finally:
        con.close()


def _key(*parts: str) -> str:
    """A deterministic QGIS key ``{uuid}`` (uuid5 of the parts)."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "corridor:" + "/".join(parts))) + "}"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _options(parent: ET.Element, values: Mapping[str, str]) -> ET.Element:
    node = ET.SubElement(parent, "Option", type="Map")
    for k, v in values.items():
        ET.SubElement(node, "Option", name=k, type="QString", value=v)
    return node


def _data_defined(parent: ET.Element, properties: Mapping[str, str]) -> None:
    """``<data_defined_properties>`` with one active expression per property (QgsProperty type 3)."""
    ddp = ET.SubElement(parent, "data_defined_properties")
    root = ET.SubElement(ddp, "Option", type="Map")
    ET.SubElement(root, "Option", name="name", type="QString", value="")
    props = ET.SubElement(root, "Option", name="properties")
    if properties:
        props.set("type", "Map")
    for name, expression in properties.items():
        prop = ET.SubElement(props, "Option", name=name, type="Map")
        ET.SubElement(prop, "Option", name="active", type="bool", value="true")
        ET.SubElement(prop, "Option", name="expression", type="QString", value=expression)
        ET.SubElement(prop, "Option", name="type", type="int", value="3")
    ET.SubElement(root, "Option", name="type", type="QString", value="collection")


def _line_symbol(parent: ET.Element, name: str, colour: str, *, width: str, style: str, width_expr: str) -> None:
    sym = ET.SubElement(parent, "symbol", type="line", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    _data_defined(sym, {})
    lay = ET.SubElement(sym, "layer", {"class": "SimpleLine", "enabled": "1", "locked": "0", "pass": "0"})
    _options(
        lay,
        {
            "capstyle": "round",
            "joinstyle": "round",
            "line_color": colour,
            "line_style": style,
            "line_width": width,
            "line_width_unit": "MM",
            "offset": "0",
            "offset_unit": "MM",
            "use_custom_dash": "0",
        },
    )
    _data_defined(lay, {"outlineWidth": width_expr} if width_expr else {})


def _marker_symbol(parent: ET.Element, name: str, fill: str, outline: str, *, size: str, shape_name: str) -> None:
    sym = ET.SubElement(parent, "symbol", type="marker", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    _data_defined(sym, {})
    lay = ET.SubElement(sym, "layer", {"class": "SimpleMarker", "enabled": "1", "locked": "0", "pass": "0"})
    _options(
        lay,
        {
            "angle": "0",
            "color": fill,
            "name": shape_name,
            "outline_color": outline,
            "outline_style": "solid",
            "outline_width": "0.3",
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "size": size,
            "size_unit": "MM",
        },
    )
    _data_defined(lay, {})


def _qml(renderer: ET.Element, geometry_type: int) -> str:
    root = ET.Element("qgis", version="3.28.0-Firenze", styleCategories="Symbology", labelsEnabled="0")
    root.append(renderer)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "layerGeometryType").text = str(geometry_type)
    ET.indent(root, space="  ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _num(x: float) -> str:
    return f"{x:.15g}"


def _qgis_string(text: str) -> str:
    """A string literal of a QGIS expression (quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def edge_style_qml(analysis: Analysis) -> str:
    """QGIS style (QML) of the edges: graduated colour by utilisation, line width by flow.

    The graduated renderer classifies ``coalesce("utilization", -1)`` (−1: no capacity or not in
    service, drawn thin and grey) in bands at 50 %, the bottleneck threshold and 100 %. The width is
    data-defined, ``0.4 + 3.6 * sqrt(flow / the largest flow in the same unit)`` mm, as flows in Mt/yr,
    MW and Tbps are not comparable.
    """
    threshold = float(analysis.edges.attrs.get("threshold") or 0.9)
    edges = analysis.edges
    top: dict[str, float] = {}
    for unit, flow in zip(edges["capacity_unit"], edges["flow"], strict=True):
        if isinstance(unit, str) and flow == flow:
            top[unit] = max(top.get(unit, 0.0), float(flow))
    scale = " ".join(f"WHEN {_qgis_string(u)} THEN {_num(top[u] if top[u] > 0 else 1.0)}" for u in sorted(top))
    width = f'0.4 + 3.6 * sqrt(coalesce("flow", 0) / (CASE "capacity_unit" {scale} ELSE 1 END))' if top else "0.6"

    breaks = sorted({0.0, 0.5, threshold, 1.0})
    bands = [(-1.0, -1.0, "#9e9e9e", "no capacity / not in service")]
    colours = {0.0: SEVERITY_COLOURS["ok"], 0.5: SEVERITY_COLOURS["busy"], threshold: SEVERITY_COLOURS["near-capacity"]}
    for lo, hi in itertools.pairwise(breaks):
        colour = colours.get(lo, SEVERITY_COLOURS["near-capacity"])
        bands.append((lo, hi, colour, f"{lo:.0%} – {hi:.0%}"))
    bands.append((1.0, 1e6, SEVERITY_COLOURS["over-capacity"], "over capacity (> 100%)"))

    renderer = ET.Element(
        "renderer-v2",
        type="graduatedSymbol",
        attr='coalesce("utilization", -1)',
        graduatedMethod="GraduatedColor",
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (lo, hi, colour, label) in enumerate(bands):
        ET.SubElement(
            ranges,
            "range",
            symbol=str(i),
            lower=f"{lo:.15f}",
            upper=f"{hi:.15f}",
            label=label,
            render="true",
            uuid=_key("edges", "range", str(i)),
        )
        if i == 0:
            _line_symbol(symbols, str(i), _rgba(colour), width="0.3", style="dash", width_expr="")
        else:
            _line_symbol(symbols, str(i), _rgba(colour), width="0.6", style="solid", width_expr=width)
    source = ET.SubElement(renderer, "source-symbol")
    _line_symbol(source, "0", _rgba(SEVERITY_COLOURS["ok"]), width="0.6", style="solid", width_expr=width)
    method = ET.SubElement(renderer, "classificationMethod", id="Fixed")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 - %2", labelprecision="2", trimtrailingzeroes="1")
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return _qml(renderer, geometry_type=1)


def node_style_qml(analysis: Analysis) -> str:
    """QGIS style (QML) of the nodes: rule-based, bottlenecks large and coloured by severity."""
    rules = [
        ('"bottleneck" AND "severity" = \'over-capacity\'', "bottleneck: over capacity", "over-capacity", "4.2"),
        ('"bottleneck" AND "severity" = \'binding\'', "bottleneck: binding", "binding", "3.8"),
        ('"bottleneck"', "bottleneck: near capacity", "near-capacity", "3.4"),
        ('NOT "active"', "not in service", None, "1.8"),
        ("ELSE", "node", "ok", "1.8"),
    ]
    renderer = ET.Element(
        "renderer-v2", type="RuleRenderer", symbollevels="0", enableorderby="0", forceraster="0", referencescale="-1"
    )
    root_rules = ET.SubElement(renderer, "rules", key=_key("nodes", "rules"))
    symbols = ET.SubElement(renderer, "symbols")
    previous: list[str] = []
    for i, (expr, label, severity, size) in enumerate(rules):
        # rules are exclusive: each excludes the ones above it (so a node is drawn once)
        full = expr if expr == "ELSE" else " AND ".join([*(f"NOT ({p})" for p in previous), f"({expr})"])
        if expr != "ELSE":
            previous.append(expr)
        ET.SubElement(root_rules, "rule", key=_key("nodes", "rule", str(i)), filter=full, label=label, symbol=str(i))
        if severity is None:
            _marker_symbol(symbols, str(i), "255,255,255,0", _rgba("#9e9e9e"), size=size, shape_name="circle")
        else:
            shape_name = "circle" if severity == "ok" else "diamond"
            _marker_symbol(
                symbols, str(i), _rgba(SEVERITY_COLOURS[severity]), "35,35,35,255", size=size, shape_name=shape_name
            )
    return _qml(renderer, geometry_type=0)


# --------------------------------------------------------------------------- CSV


_CSV_QUOTE = re.compile(r'[,"\r\n]')


def _csv_cell(value: Any) -> str:
    value = _value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else csv_cell(str(value))


def _csv_row(cells: Iterable[str]) -> str:
    """One RFC 4180 record: a cell with a comma, quote, CR or LF is quoted (the csv module misses a lone CR)."""
    return ",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' if _CSV_QUOTE.search(c) else c for c in cells) + "\n"


def export_csv(
    analysis: Analysis,
    path: str | os.PathLike[str],
    *,
    criticality: pd.DataFrame | None = None,
    throughput: Any = None,
) -> list[Path]:
    """Write the node and edge results as one CSV (a ``layer`` column tells them apart).

    Columns: ``layer``, ``id``, the union of the node and edge schema fields, the result fields,
    ``lon``/``lat`` (nodes only), and ``criticality_rank`` / ``in_cut`` when a criticality table /
    throughput result is given. Rows: nodes then edges, each sorted by id. UTF-8, ``\\n`` line ends,
    empty cells for missing values, ``true``/``false`` for booleans.
    """
    path = Path(path)
    _check_target(path, analysis)
    ranks, cut = _criticality_ranks(criticality), _cut_ids(_as_throughput(throughput))
    fields: list[str] = []
    for _, name in _LAYERS:
        fields += [f for f in schema.field_names(name) if f not in fields and f != "id"]
    optional = [c for c in UNCERTAINTY_FIELDS if c in analysis.edges.columns or c in analysis.nodes.columns]
    columns = ["layer", "id", *fields, *RESULT_FIELDS, *optional, "lon", "lat"]
    if ranks is not None:
        columns.append("criticality_rank")
    if cut is not None:
        columns.append("in_cut")

    def rows() -> Iterator[str]:
        yield _csv_row(columns)
        for layer, name in _LAYERS:
            gdf = getattr(analysis, name)
            for fid in sorted(gdf.index):
                r = gdf.loc[fid]
                point = r.geometry if layer == "node" and r.geometry is not None else None
                cells = {c: r[c] for c in (*fields, *RESULT_FIELDS, *optional) if c in gdf.columns}
                cells |= {"layer": layer, "id": fid}
                if point is not None:
                    cells |= {"lon": point.x, "lat": point.y}
                if ranks is not None:
                    cells["criticality_rank"] = _lookup(ranks, layer, fid)
                if cut is not None:
                    cells["in_cut"] = (layer, fid) in cut or (None, fid) in cut
                yield _csv_row([_csv_cell(cells.get(c)) for c in columns])

    return [_atomic(path, lambda tmp: _write_lines(tmp, rows()))]


# --------------------------------------------------------------------------- Markdown report and chart


class _Md(str):
    """Markdown that is already safe (written by us, data escaped): :func:`_cell` leaves it as it is."""


def _cell(value: Any) -> str:
    """A value as literal Markdown on one line (text from the data escaped)."""
    if isinstance(value, _Md):
        return value
    value = _value(value)
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"
    if isinstance(value, int):
        return str(value)
    return _Md(markdown_text(str(value)) or "–")


def _code(value: Any) -> str:
    """A code span of ``value`` where one holds it literally (one line, no backtick or pipe), else escaped text."""
    text = str(value)
    if "`" in text or "|" in text or terminal_text(text) != text or "\n" in text or not text.strip():
        return _cell(text)
    return _Md(f"`{text}`")


def _table(header: list[str], rows: Iterable[Iterable[Any]], *, align: str = "") -> list[str]:
    """A Markdown table; ``align`` is a string of ``l``/``r`` per column (default left)."""
    marks = [("---:" if a == "r" else "---") for a in align.ljust(len(header), "l")]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    for row in rows:
        out.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return out


def _pct(x: Any) -> str:
    x = _value(x)
    return "–" if x is None else f"{x:.0%}"


def _source(text: str) -> str:
    """A source as Markdown: its http(s) URL as a link (the rest as text), anything else as text."""
    url = web_url(text)
    if url is None:
        return _cell(text)
    rest = text.strip()[len(url) :].strip()
    return f"<{url}>" + (f" {_cell(rest)}" if rest else "")


def _most_utilised(analysis: Analysis, top: int) -> pd.DataFrame:
    rows = []
    for layer, name in _LAYERS:
        gdf = getattr(analysis, name)
        for fid, r in gdf.iterrows():
            u = _value(r["utilization"])
            if r["active"] and u is not None and u > 0:
                rows.append(
                    {
                        "layer": layer,
                        "id": fid,
                        "name": r["name"],
                        "flow": r["flow"],
                        "capacity": r["capacity_effective"],
                        "capacity_unit": r["capacity_unit"],
                        "utilization": u,
                        "severity": r["severity"],
                        "source_url": r["source_url"],
                    }
                )
    table = pd.DataFrame(
        rows,
        columns=["layer", "id", "name", "flow", "capacity", "capacity_unit", "utilization", "severity", "source_url"],
    )
    return table.sort_values(["utilization", "id"], ascending=[False, True]).head(top).reset_index(drop=True)


def _chart_png(table: pd.DataFrame, *, threshold: float, title: str) -> bytes:
    """A horizontal bar chart of utilisation (PNG bytes, deterministic: fixed size and dpi, no metadata)."""
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context({"svg.hashsalt": "corridor"}),
        warnings.catch_warnings(),
    ):
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)  # a box
        n = max(len(table), 1)
        fig = Figure(figsize=(9.0, 1.4 + 0.42 * n), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if table.empty:
            ax.text(0.5, 0.5, "no asset carries flow", ha="center", va="center", transform=ax.transAxes)
            ax.set_yticks([])
        else:
            labels = [(nm if len(nm) <= 48 else nm[:47] + "…") for nm in map(one_line, table["name"])]
            y = np.arange(len(table))[::-1]
            colours = [SEVERITY_COLOURS.get(s, "#777777") for s in table["severity"]]
            ax.barh(y, table["utilization"] * 100.0, color=colours, height=0.7)
            ax.set_yticks(y, labels, fontsize=8, parse_math=False)  # names are text, not mathtext
            for yi, u in zip(y, table["utilization"], strict=True):
                ax.text(u * 100.0 + 1.0, yi, f"{u:.0%}", va="center", fontsize=8)
            ax.axvline(threshold * 100.0, color="#555555", linestyle="--", linewidth=1, label="bottleneck threshold")
            ax.axvline(100.0, color="#000000", linewidth=1, label="capacity")
            ax.set_xlim(0, max(110.0, float(table["utilization"].max()) * 100.0 + 12.0))
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xlabel("utilisation (flow / effective capacity), %")
        ax.set_title(one_line(title), fontsize=10, parse_math=False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _generic_table(items: list[Mapping[str, Any]]) -> list[str]:
    """A Markdown table of records: the union of their keys as columns, numeric columns right-aligned."""
    header: list[str] = []
    for item in items:
        header += [k for k in item if k not in header]
    rows = [
        [", ".join(map(str, v)) if isinstance(v, list | tuple) else v for v in (item.get(k) for k in header)]
        for item in items
    ]

    def numeric(j: int) -> bool:
        values = [_value(r[j]) for r in rows if _value(r[j]) is not None]
        return bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)

    return _table(header, rows, align="".join("r" if numeric(j) else "l" for j in range(len(header))))


_CUT_COLUMNS = ("id", "name", "layer", "type", "direction", "capacity", "capacity_unit", "status", "source_year")
_CRITICALITY_COLUMNS = (
    "rank",
    "id",
    "name",
    "layer",
    "type",
    "flow",
    "capacity",
    "capacity_unit",
    "served_loss",
    "cost_change_musd",
    "throughput_change",
    "alt_od",
    "diff_time_days",
    "diff_cost",
    "detour",
)


def _pick(records: list[Mapping[str, Any]], preferred: tuple[str, ...]) -> list[dict[str, Any]]:
    """Keep the preferred columns when the records have them (all columns otherwise)."""
    present = [k for k in preferred if any(k in r for r in records)]
    if len(present) < 2:
        return [dict(r) for r in records]
    return [{k: r.get(k) for k in present} for r in records]


def _markdown(
    analysis: Analysis,
    chart_name: str,
    utilised: pd.DataFrame,
    *,
    criticality: pd.DataFrame | None,
    throughput: dict[str, Any] | None,
    top: int,
) -> str:
    doc = analysis.document
    p = doc["provenance"]
    names = {(lay, fid): n for lay, nm in _LAYERS for fid, n in getattr(analysis, nm)["name"].items()}
    sources: set[str] = set()
    bundled = Path(p["geodata"]).resolve() == DEFAULT_GEODATA.resolve()
    lines = [
        f"# Middle Corridor analysis: {_cell(doc['scenario'])} ({doc['year']})",
        "",
    ]
    if analysis.scenario.description:
        lines += [_cell(analysis.scenario.description), ""]
    lines += _table(
        ["", ""],
        [
            ["Scenario", _code(doc["scenario"])],
            ["Year", str(doc["year"])],
            ["Assignment method", _code(doc["method"])],
            ["Solver status", _cell(doc["solver_status"])],
            ["Objective", f"{_cell(doc.get('objective_musd_per_year'))} MUSD/yr"],
            ["Bottleneck threshold", _pct(p.get("bottleneck_threshold"))],
            ["Data version", _code(p["data_version"])],
            ["Geodata", _Md("bundled `geodata/`") if bundled else _code(Path(p["geodata"]).name)],
            ["corridor version", _code(p["corridor_version"])],
            ["Parameters", _code(_dumps(p.get("parameters") or {}))],
        ],
    )
    lines += ["", "## Totals per commodity", ""]
    lines += _table(
        ["Commodity", "Unit", "Demand", "Served", "Unserved"],
        ([c, t["unit"], t["demand"], t["served"], t["unserved"]] for c, t in doc["totals"].items()),
        align="llrrr",
    )

    lines += ["", "## Bottlenecks", ""]
    if doc["bottlenecks"]:
        lines += [
            f"{len(doc['bottlenecks'])} assets at or above {_pct(p.get('bottleneck_threshold'))} utilisation "
            "or with a positive shadow price, worst first. Shadow price: USD per unit of flow and year saved by "
            "one more unit of capacity.",
            "",
        ]
        lines += _table(
            ["#", "Asset", "Layer", "Type", "Flow", "Capacity", "Unit", "Utilisation", "Severity", "Shadow price"],
            (
                [
                    str(i),
                    _Md(f"{_cell(b['name'])} ({_code(b['id'])})"),
                    b["layer"],
                    b["type"],
                    b["flow"],
                    b["capacity"],
                    _cell(b["capacity_unit"]),
                    _pct(b["utilization"]),
                    b["severity"],
                    b["shadow_price"],
                ]
                for i, b in enumerate(doc["bottlenecks"], 1)
            ),
            align="rlllrrlrlr",
        )
        sources |= {str(b["source_url"]) for b in doc["bottlenecks"] if b.get("source_url")}
    else:
        lines.append("None: every asset is below the threshold.")

    lines += ["", "## Reported schedules vs the model", ""]
    if doc["schedules"]:
        lines += _table(
            ["Origin", "Destination", "Commodity", "Reported (days)", "Model (days)", "Moving", "Dwell", "Verdict"],
            (
                [
                    s["origin"],
                    s["destination"],
                    s["commodity"],
                    f"{s['reported_min']:g}"
                    if s["reported_min"] == s["reported_max"]
                    else f"{s['reported_min']:g}–{s['reported_max']:g}",
                    s["modelled_days"],
                    s["moving_days"],
                    s["dwell_days"],
                    _cell(s.get("verdict")) if s["modelled_days"] is not None else "no route",
                ]
                for s in doc["schedules"]
            ),
            align="lllrrrrl",
        )
    else:
        lines.append("The scenario lists no reported schedules.")

    lines += ["", "## Origin–destination demand", ""]
    lines += _table(
        [
            "Origin",
            "Destination",
            "Commodity",
            "Demand",
            "Served",
            "Unserved",
            "Diverted to",
            "Time (days)",
            "Cost (USD/unit)",
        ],
        (
            [
                o["origin"],
                o["destination"],
                o["commodity"],
                o["demand"],
                o["served"],
                o["unserved"],
                o.get("diverted_to") or "–",
                o["time_days"] if o["reachable"] else "no route",
                o["cost_usd_per_unit"],
            ]
            for o in doc["od"]
        ),
        align="lllrrrlrr",
    )

    if throughput is not None:
        lines += ["", "## Maximum throughput and its cut", ""]
        cut = throughput.get("cut") or []
        units = sorted({str(c["capacity_unit"]) for c in cut if isinstance(c.get("capacity_unit"), str)})
        labels = {
            "scenario": "Scenario",
            "year": "Year",
            "commodity": "Commodity",
            "sources": "From",
            "sinks": "To",
            "value": "Maximum throughput",
        }
        rows = []
        for k, v in throughput.items():
            if k == "cut" or not (_is_scalar(v) or (isinstance(v, list | tuple) and all(map(_is_scalar, v)))):
                continue
            text = ", ".join(_code(x) for x in v) if isinstance(v, list | tuple) else _cell(v)
            if k == "value" and len(units) == 1:
                text += f" {_cell(units[0])}"
            rows.append([labels.get(k, k), _Md(text)])
        lines += _table(["", ""], rows)
        if cut:
            table = _generic_table(_pick(cut, _CUT_COLUMNS))
            lines += ["", "Minimum cut (the assets whose capacities set the maximum):", ""]
            lines += table
            for c in cut:
                url = c.get("source_url") or _asset_source(analysis, c.get("layer"), str(c.get("id")))
                if url:
                    sources.add(str(url))

    if criticality is not None:
        _criticality_ranks(criticality)  # validates the columns
        lines += ["", "## Criticality ranking (N-1)", ""]
        ranked = criticality.sort_values(["rank", "id"]).head(top)
        records = []
        for entry in ranked.to_dict("records"):
            lay, fid = entry.get("layer"), entry["id"]
            if "name" not in entry:
                name = names.get((lay, fid)) or names.get(("edge", fid)) or names.get(("node", fid))
                entry = {"rank": entry["rank"], "id": fid, "name": name} | entry
            records.append(entry)
            url = entry.get("source_url") or _asset_source(analysis, lay, str(fid))
            if url:
                sources.add(str(url))
        lines += [f"The {len(records)} highest-ranked of {len(criticality)} assets.", ""]
        lines += _generic_table(_pick(records, _CRITICALITY_COLUMNS))

    stats = [gdf for gdf in (analysis.nodes, analysis.edges) if "p_binding" in gdf.columns]
    if stats:
        samples = stats[0].attrs.get("uncertainty_samples")
        table = pd.concat([gdf[gdf["p_binding"].notna()] for gdf in stats]).sort_values(
            ["p_binding", "p_bottleneck"], ascending=False
        )
        lines += ["", "## How sure: probability of being the bottleneck", ""]
        intro = f"Over {samples} samples of the estimates' ranges (`corridor uncertainty`), the assets most often"
        lines += [f"{intro} binding.", ""]
        lines += _table(
            ["Asset", "P(binding)", "P(bottleneck)", "Utilisation p05 / p50 / p95", "Shadow price p50 / p95", "Unit"],
            (
                [
                    _Md(f"{_cell(r['name'])} ({_code(fid)})"),
                    _pct(r["p_binding"]),
                    _pct(r["p_bottleneck"]),
                    f"{_pct(r['utilization_p05'])} / {_pct(r['utilization_p50'])} / {_pct(r['utilization_p95'])}",
                    f"{_cell(r['shadow_price_p50'])} / {_cell(r['shadow_price_p95'])}",
                    _cell(r.get("shadow_price_unit")),
                ]
                for fid, r in table.head(top).iterrows()
            ),
            align="lrrrrl",
        )
    lines += ["", "## Most utilised assets", ""]
    lines += [f"![Utilisation of the {len(utilised)} most utilised assets]({quote(chart_name)})", ""]
    if utilised.empty:
        lines.append("No asset carries flow.")
    else:
        lines += _table(
            ["#", "Asset", "Layer", "Flow", "Capacity", "Unit", "Utilisation", "Severity"],
            (
                [
                    str(i),
                    _Md(f"{_cell(r.name_)} ({_code(r.id)})"),
                    r.layer,
                    r.flow,
                    r.capacity,
                    _cell(r.capacity_unit),
                    _pct(r.utilization),
                    r.severity,
                ]
                for i, r in enumerate(utilised.rename(columns={"name": "name_"}).itertuples(), 1)
            ),
            align="rllrrlrl",
        )
        sources |= {str(u) for u in utilised["source_url"] if isinstance(u, str) and u}

    lines += ["", "## Sources", "", "Of the assets listed above:", ""]
    lines += [f"- {_source(u)}" for u in sorted(sources)] or ["- (none listed)"]
    scenario_sources = sorted(
        {d.source_url for d in analysis.scenario.demand if d.source_url}
        | {s.source_url for s in analysis.scenario.schedules if s.source_url}
    )
    if scenario_sources:
        lines += ["", "Of the scenario's demand and reported schedules:", ""]
        lines += [f"- {_source(u)}" for u in scenario_sources]
    lines += ["", f"_Generated by corridor {__version__}; data version `{p['data_version']}`._", ""]
    return "\n".join(lines)


def _asset_source(analysis: Analysis, layer: Any, fid: str) -> str | None:
    for lay, name in _LAYERS:
        gdf = getattr(analysis, name)
        if (layer in (None, lay)) and fid in gdf.index:
            url = gdf.at[fid, "source_url"]
            return url if isinstance(url, str) and url else None
    return None


def export_markdown(
    analysis: Analysis,
    path: str | os.PathLike[str],
    *,
    criticality: pd.DataFrame | None = None,
    throughput: Any = None,
    top: int = 10,
) -> list[Path]:
    """Write a Markdown report and, beside it, a PNG chart of the most utilised assets.

    Parameters
    ----------
    analysis
        The result of :func:`corridor.pipeline.analyze`.
    path
        Output ``.md`` file; the chart goes to the same name with ``.png``.
    criticality
        Optional N-1 criticality table (columns ``id``, ``rank``, optional ``layer``, ``name`` and any
        measures): its ``top`` rows are listed.
    throughput
        Optional maximum-throughput result (:class:`corridor.throughput.Throughput`, or a dict with the
        same keys): its scalar entries (commodity, value, …) and node lists are listed, and its ``cut``
        (a DataFrame or records with ``id`` and optional ``layer``, ``name``, ``capacity``,
        ``source_url``; or plain ids) as a table.
    top
        How many assets the chart and the criticality table show.

    Returns
    -------
    list[Path]
        The PNG and the Markdown file.
    """
    path = Path(path)
    chart = path.with_suffix(".png")
    if chart == path:
        raise CorridorError(f"{path}: the report needs a .md name (fix: e.g. -o out/report.md)")
    _check_target(path, analysis)
    _check_target(chart, analysis)
    utilised = _most_utilised(analysis, top)
    threshold = float(analysis.edges.attrs.get("threshold") or 0.9)
    title = f"Most utilised assets — {analysis.document['scenario']} ({analysis.document['method']})"
    png = _chart_png(utilised, threshold=threshold, title=title)
    text = _markdown(
        analysis, chart.name, utilised, criticality=criticality, throughput=_as_throughput(throughput), top=top
    )

    def write_png(tmp: Path) -> None:
        with open(tmp, "xb") as fh:
            fh.write(png)

    return [_atomic(chart, write_png), _atomic(path, lambda tmp: _write_lines(tmp, [text]))]


# --------------------------------------------------------------------------- dispatch and CLI


def export(analysis: Analysis, fmt: str, path: str | os.PathLike[str], **options: Any) -> list[Path]:
    """Write ``analysis`` in format ``fmt`` (``"geojson"``, ``"gpkg"``, ``"csv"`` or ``"md"``) to ``path``.

    Parameters
    ----------
    analysis : Analysis
        The results (:func:`corridor.analyze`; with :func:`corridor.uncertainty.with_uncertainty` the
        per-asset statistics are written too).
    fmt : str
        The format.
    path : path
        The file to write (checked and written atomically, like every output).
    **options
        Passed to the format's writer: e.g. ``layers="separate"`` (GeoJSON), ``criticality=``,
        ``throughput=``.

    Returns
    -------
    list of Path
        The files written.
    """
    writers: dict[str, Callable[..., list[Path]]] = {
        "geojson": export_geojson,
        "gpkg": export_gpkg,
        "csv": export_csv,
        "md": export_markdown,
    }
    from . import _validate
    from .pipeline import Analysis

    _validate.instance(analysis, Analysis, "analysis", "an Analysis (from corridor.analyze)")
    if not isinstance(fmt, str) or fmt not in writers:
        raise CorridorError(f"unknown export format {fmt!r} (fix: use one of {', '.join(FORMATS)})")
    _output.check_output(path)  # a str or os.PathLike naming a writable place (ArgumentError otherwise)
    return writers[fmt](analysis, path, **options)
