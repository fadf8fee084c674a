"""Export an analysis: RFC 7946 GeoJSON, a styled GeoPackage, CSV and a Markdown report (stage 5).

One module per format (:mod:`.geojson`, :mod:`.gpkg` with :mod:`.qgis` styles, :mod:`.csv`, :mod:`.markdown`),
registered in :data:`WRITERS`; :func:`export` dispatches on the format name.

Every writer takes a :class:`corridor.results.Analysis` and a path, and returns the paths it wrote.
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

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor import _output
from corridor._errors import CorridorError
from corridor._values import COORDINATE_PRECISION
from corridor.export._features import check_output, split_antimeridian
from corridor.export.csv import export_csv
from corridor.export.geojson import export_geojson
from corridor.export.gpkg import export_gpkg
from corridor.export.markdown import export_markdown
from corridor.export.qgis import edge_style_qml, node_style_qml

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis

__all__ = [
    "COORDINATE_PRECISION",
    "FORMATS",
    "WRITERS",
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

#: Format name → (file extension, writer). Every writer takes ``(analysis, path, **options)`` and returns the
#: paths it wrote.
WRITERS: dict[str, tuple[str, Callable[..., list[Path]]]] = {
    "geojson": ("geojson", export_geojson),
    "gpkg": ("gpkg", export_gpkg),
    "csv": ("csv", export_csv),
    "md": ("md", export_markdown),
}
#: Format name → file extension.
FORMATS = {name: ext for name, (ext, _) in WRITERS.items()}


def export(analysis: Analysis, fmt: str, path: str | os.PathLike[str], **options: Any) -> list[Path]:
    """Write ``analysis`` in format ``fmt`` (``"geojson"``, ``"gpkg"``, ``"csv"`` or ``"md"``) to ``path``.

    Parameters
    ----------
    analysis : Analysis
        The results (:func:`corridor.analyze`; with :func:`corridor.analyses.uncertainty.with_uncertainty` the
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

    Raises
    ------
    CorridorError
        An unknown format, or a target the writers refuse (the bundled data, an input file).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [p.name for p in export(run, "csv", Path(folder) / "baseline.csv")]
    ['baseline.csv']
    """
    from corridor.io import _validate
    from corridor.results import Analysis

    _validate.instance(analysis, Analysis, "analysis", "an Analysis (from corridor.analyze)")
    if not isinstance(fmt, str) or fmt not in WRITERS:
        raise CorridorError(f"unknown export format {fmt!r} (fix: use one of {', '.join(FORMATS)})")
    _output.check_output(path)  # a str or os.PathLike naming a writable place (ArgumentError otherwise)
    return WRITERS[fmt][1](analysis, path, **options)
