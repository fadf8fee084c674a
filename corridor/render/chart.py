"""A bar chart of the most utilised assets (PNG, deterministic), for the Markdown report."""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from corridor._untrusted import one_line

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis

from corridor._values import _LAYERS, SEVERITY_COLOURS, _value


def most_utilised(analysis: Analysis, top: int) -> pd.DataFrame:
    """The ``top`` assets in service with the highest utilisation, most utilised first (ties: by id).

    Parameters
    ----------
    analysis : Analysis
        The results (:func:`corridor.analyze`).
    top : int
        How many assets to keep.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``id``, ``name``, ``flow``, ``capacity`` (effective), ``capacity_unit``,
        ``utilization``, ``severity`` and ``source_url``; assets without flow are left out.

    Examples
    --------
    >>> import corridor
    >>> table = most_utilised(corridor.analyze("baseline-2024"), 3)
    >>> len(table), list(table.columns[:3]), table["utilization"].is_monotonic_decreasing
    (3, ['layer', 'id', 'name'], True)
    """
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


def chart_png(table: pd.DataFrame, *, threshold: float, title: str) -> bytes:
    """A horizontal bar chart of utilisation (PNG bytes, deterministic: fixed size and dpi, no metadata).

    Parameters
    ----------
    table : DataFrame
        The assets to draw, top bar first (:func:`most_utilised`); empty: a chart that says so.
    threshold : float
        The bottleneck threshold, drawn as a dashed line.
    title : str
        The chart's title (text, not mathtext).

    Returns
    -------
    bytes
        The PNG file.

    Examples
    --------
    >>> import corridor
    >>> run = corridor.analyze("baseline-2024")
    >>> png = chart_png(most_utilised(run, 3), threshold=run.threshold, title="baseline-2024")
    >>> png[1:4] == b"PNG", png == chart_png(most_utilised(run, 3), threshold=run.threshold, title="baseline-2024")
    (True, True)
    """
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
