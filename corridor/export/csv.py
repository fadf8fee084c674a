"""CSV: one file, one row per asset (RFC 4180; cells that a spreadsheet would run as a formula are neutralised)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from corridor._untrusted import csv_cell
from corridor._values import _LAYERS, _criticality_ranks, _value
from corridor.analyses.bottlenecks import RESULT_FIELDS, UNCERTAINTY_FIELDS
from corridor.export._features import _as_throughput, _atomic, _check_target, _cut_ids, _lookup, _write_lines
from corridor.io import schema

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis


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

    Parameters
    ----------
    analysis : Analysis
        The result of :func:`corridor.results.analyze`.
    path : path
        Output ``.csv`` file.
    criticality, throughput
        As in :func:`corridor.export.geojson.export_geojson`: rows get ``criticality_rank`` and ``in_cut``.

    Returns
    -------
    list[Path]
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [written] = export_csv(run, Path(folder) / "baseline.csv")
    ...     header = written.read_text(encoding="utf-8").splitlines()[0]
    >>> header.split(",")[:4]
    ['layer', 'id', 'name', 'kind']
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
