"""Markdown: the report and, beside it, a PNG chart of the most utilised assets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from corridor._errors import CorridorError

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis

from corridor.export._features import _as_throughput, _atomic, _check_target, _write_lines
from corridor.render.chart import chart_png, most_utilised
from corridor.render.markdown import report


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
        The result of :func:`corridor.results.analyze`.
    path
        Output ``.md`` file; the chart goes to the same name with ``.png``.
    criticality
        Optional N-1 criticality table (columns ``id``, ``rank``, optional ``layer``, ``name`` and any
        measures): its ``top`` rows are listed.
    throughput
        Optional maximum-throughput result (:class:`corridor.analyses.throughput.Throughput`, or a dict with the
        same keys): its scalar entries (commodity, value, …) and node lists are listed, and its ``cut``
        (a DataFrame or records with ``id`` and optional ``layer``, ``name``, ``capacity``,
        ``source_url``; or plain ids) as a table.
    top
        How many assets the chart and the criticality table show.

    Returns
    -------
    list[Path]
        The PNG and the Markdown file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = export_markdown(run, Path(folder) / "baseline.md", top=5)
    ...     title = written[1].read_text(encoding="utf-8").splitlines()[0]
    >>> [p.name for p in written], title
    (['baseline.png', 'baseline.md'], '# Middle Corridor analysis: baseline-2024 (2024)')
    """
    path = Path(path)
    chart = path.with_suffix(".png")
    if chart == path:
        raise CorridorError(f"{path}: the report needs a .md name (fix: e.g. -o out/report.md)")
    _check_target(path, analysis)
    _check_target(chart, analysis)
    utilised = most_utilised(analysis, top)
    threshold = analysis.threshold
    title = f"Most utilised assets — {analysis.document['scenario']} ({analysis.document['method']})"
    png = chart_png(utilised, threshold=threshold, title=title)
    text = report(
        analysis, chart.name, utilised, criticality=criticality, throughput=_as_throughput(throughput), top=top
    )

    def write_png(tmp: Path) -> None:
        with open(tmp, "xb") as fh:
            fh.write(png)

    return [_atomic(chart, write_png), _atomic(path, lambda tmp: _write_lines(tmp, [text]))]
