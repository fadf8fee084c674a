"""GeoPackage: ``nodes`` and ``edges`` layers and a ``layer_styles`` table that QGIS uses as default."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from shapely.geometry import shape

from corridor._errors import OutputError
from corridor._untrusted import one_line

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis

from corridor._values import _LAYERS
from corridor.export._features import _atomic, _check_target, _columns, _features, _provenance, _stamp
from corridor.export.qgis import edge_style_qml, node_style_qml


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
        The result of :func:`corridor.results.analyze`.
    path
        Output ``.gpkg`` file.
    criticality, throughput
        As in :func:`export_geojson`.

    Returns
    -------
    list[Path]
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pyogrio
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [written] = export_gpkg(run, Path(folder) / "baseline.gpkg")
    ...     layers = [str(name) for name, _ in pyogrio.list_layers(written)]
    >>> layers
    ['nodes', 'edges', 'layer_styles']
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
