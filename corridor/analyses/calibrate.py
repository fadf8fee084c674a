"""Check the model against what was observed: counts per asset and year (``geodata/counts.csv``).

A count is a published annual volume on one asset (a port's throughput, a border crossing's trains, a
pipeline's flow), on several assets together (``id`` = ``a+b``: e.g. the Caspian crossings), or a corridor
total (``id`` = ``total:freight``). The model's figure for an asset is everything on it: the corridor's own
flow in both directions plus the scenario's background traffic (:mod:`corridor.io.scenario`), so a count is
comparable with what the asset carried.

Each count has a ``role``: ``calibration`` where the count was used to set a model input (a background
figure or the demand itself: reproducing it checks the arithmetic, not the model), ``validation`` where it
was not (the model's test). :func:`calibrate` reports both, and the summary gives the median absolute
relative error of each.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridor._errors import CorridorError, FieldError, FileFormatError
from corridor.analyses.assign import Assignment
from corridor.io.geodata import Geodata

__all__ = ["COUNT_FIELDS", "Calibration", "calibrate", "load_counts"]

#: The columns of ``counts.csv``.
COUNT_FIELDS = ("id", "year", "commodity", "observed", "unit", "role", "source_url", "note")
#: A modelled figure further than this from its count must be explained (its ``note`` says why).
EXPLAIN_BEYOND = 0.30
_ROLES = ("calibration", "validation")
_UNITS = {"Mt": "Mt/yr", "Mt/yr": "Mt/yr", "MW": "MW", "Tbps": "Tbps", "bcm": "bcm/yr", "bcm/yr": "bcm/yr"}


@dataclass(frozen=True)
class Calibration:
    """The comparison of a scenario's results with the counts of its year."""

    scenario: str
    year: int
    rows: pd.DataFrame  # one row per count: id, name, year, observed, modelled, unit, ratio, error, role, …
    summary: dict[str, Any]

    def to_document(self) -> dict[str, Any]:
        """The JSON document of ``corridor calibrate --json``.

        Returns
        -------
        dict
            ``scenario``, ``year``, ``rows`` (one dict per count; NaN as None) and ``summary``.

        Examples
        --------
        >>> import corridor
        >>> run = corridor.analyze("baseline-2024")
        >>> doc = calibrate(run.geodata, run.result, load_counts(run.geodata.path / "counts.csv")).to_document()
        >>> sorted(doc), doc["year"]
        (['rows', 'scenario', 'summary', 'year'], 2024)
        """

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return round(float(v), 6) if math.isfinite(v) else None
            return v.item() if isinstance(v, np.generic) else v

        return {
            "scenario": self.scenario,
            "year": self.year,
            "rows": [{k: clean(v) for k, v in r.items()} for r in self.rows.to_dict("records")],
            "summary": self.summary,
        }


def load_counts(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check ``counts.csv`` (columns :data:`COUNT_FIELDS`).

    Parameters
    ----------
    path : path
        The counts file (``geodata/counts.csv`` for the bundled data).

    Returns
    -------
    DataFrame
        One row per count, ``year`` an int and ``observed`` a float.

    Raises
    ------
    CorridorError
        One line naming the file, the row and the field, for a missing column or a bad value.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "counts.csv"
    ...     _ = path.write_text(
    ...         "id,year,commodity,observed,unit,role,source_url,note\\n"
    ...         "aktau-port,2024,freight,5.1,Mt,validation,https://example.org/aktau,\\n"
    ...     )
    ...     counts = load_counts(path)
    >>> counts[["id", "year", "observed", "unit", "role"]]
               id  year  observed unit        role
    0  aktau-port  2024       5.1   Mt  validation
    """
    path = Path(path)
    if not path.is_file():
        raise FileFormatError("no counts file", file=str(path), fix="add counts.csv beside nodes.geojson")
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [f for f in COUNT_FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            raise FileFormatError(
                f"missing column(s) {', '.join(missing)}", file=str(path), fix=f"use {', '.join(COUNT_FIELDS)}"
            )
        rows = list(reader)
    out = []
    for i, r in enumerate(rows, 2):
        where = {"file": str(path), "feature": f"row {i} ({r['id']})"}
        try:
            year, observed = int(r["year"]), float(r["observed"])
        except ValueError:
            raise FieldError(
                "year or observed is not a number", field="observed", fix="write numbers", **where
            ) from None
        if not math.isfinite(observed) or observed <= 0:
            raise FieldError(f"observed {r['observed']} is not positive", field="observed", fix="a volume > 0", **where)
        if r["unit"] not in _UNITS:
            raise FieldError(f"unknown unit '{r['unit']}'", field="unit", fix=f"use {', '.join(_UNITS)}", **where)
        if r["role"] not in _ROLES:
            raise FieldError(f"unknown role '{r['role']}'", field="role", fix=f"use {' or '.join(_ROLES)}", **where)
        if len(r["source_url"].strip()) < 8:
            raise FieldError("no source", field="source_url", fix="give the URL of the published figure", **where)
        out.append({**r, "year": year, "observed": observed})
    return pd.DataFrame(out, columns=list(COUNT_FIELDS))


def _on_assets(result: Assignment) -> dict[str, float]:
    """Everything each element carries in the year: corridor flow (both directions) plus background."""
    arcs = result.arcs
    load = result.flow + result.background
    frame = pd.DataFrame({"element": arcs.element, "direction": arcs.direction, "load": load})
    totals = frame.groupby("element")["load"].sum().to_dict()
    # nodes without a capacity have no arc of their own: what flows into them (and starts there) passes them
    inflow = np.bincount(arcs.head, weights=load, minlength=arcs.n_nodes)
    for name, value in zip(arcs.nodes, inflow, strict=True):
        if ":" not in name and name not in totals:
            totals[name] = float(value)
    split = set(frame.loc[frame["direction"] == 0, "element"])  # nodes with an arc of their own count starts there
    for name, value in result.od.groupby("origin")["served"].sum().items():
        if name in totals and name not in split:
            totals[name] += float(value)
    return totals


def calibrate(geodata: Geodata, result: Assignment, counts: pd.DataFrame) -> Calibration:
    """Compare a scenario's results with the counts of its year.

    Parameters
    ----------
    geodata
        The geodata the scenario ran on (for names and units).
    result
        The assignment (:func:`corridor.analyses.assign.assign`).
    counts
        The counts (:func:`load_counts`); those of other years are left out.

    Returns
    -------
    Calibration
        ``rows`` (one per count of the year, worst first) and ``summary``: ``n``, the median absolute
        relative error overall (``median_abs_error``) and per role, and the ``worst`` count.

    Raises
    ------
    CorridorError
        No count of the result's year, a count naming no asset, or a count in another unit than its asset's.

    Examples
    --------
    >>> import corridor
    >>> import pandas as pd
    >>> run = corridor.analyze("baseline-2024")
    >>> counts = pd.DataFrame([{"id": "total:freight", "year": 2024, "commodity": "freight", "observed": 4.484,
    ...                         "unit": "Mt", "role": "calibration", "source_url": "https://example.org", "note": ""}])
    >>> cal = calibrate(run.geodata, run.result, counts)
    >>> cal.rows[["id", "name", "observed", "role"]]
                  id                     name  observed         role
    0  total:freight  corridor total, freight     4.484  calibration
    >>> cal.summary["n"], sorted(cal.summary["worst"])
    (1, ['error', 'id'])
    """
    year_counts = counts[counts["year"] == result.year]
    if year_counts.empty:
        raise CorridorError(
            f"no counts for {result.year} (fix: add rows for that year to counts.csv, or run a scenario of a "
            f"year that has them: {', '.join(map(str, sorted(set(counts['year']))))})"
        )
    on = _on_assets(result)
    totals = result.od.groupby("commodity")["served"].sum()
    records = []
    for _, c in year_counts.iterrows():
        parts = [p.strip() for p in str(c["id"]).split("+")]
        if parts[0].startswith("total:"):
            modelled = float(totals.get(parts[0].split(":", 1)[1], 0.0))
            name = f"corridor total, {parts[0].split(':', 1)[1]}"
            unit_ok = True
        else:
            unknown = [p for p in parts if p not in geodata.edges.index and p not in geodata.nodes.index]
            if unknown:
                raise CorridorError(f"counts.csv: unknown asset id '{unknown[0]}' (fix: use a node or edge id)")
            modelled = sum(on.get(p, 0.0) for p in parts)
            recs = [(geodata.edges if p in geodata.edges.index else geodata.nodes).loc[p] for p in parts]
            name = " + ".join(str(r["name"]) for r in recs)
            unit_ok = all(pd.isna(r["capacity_unit"]) or r["capacity_unit"] == _UNITS[c["unit"]] for r in recs)
        if not unit_ok:
            raise CorridorError(f"counts.csv: '{c['id']}' is counted in {c['unit']}, not in the asset's unit")
        observed = float(c["observed"])
        ratio = modelled / observed
        records.append(
            {
                "id": c["id"],
                "name": name,
                "year": int(c["year"]),
                "commodity": c["commodity"],
                "observed": observed,
                "modelled": modelled,
                "unit": c["unit"],
                "ratio": ratio,
                "error": ratio - 1.0,
                "role": c["role"],
                "explained": abs(ratio - 1.0) <= EXPLAIN_BEYOND or bool(str(c["note"]).strip()),
                "source_url": c["source_url"],
                "note": c["note"],
            }
        )
    rows = pd.DataFrame(records)
    rows = rows.assign(_abs=rows["error"].abs()).sort_values(["_abs", "id"], ascending=[False, True])
    rows = rows.drop(columns="_abs").reset_index(drop=True)
    summary: dict[str, Any] = {
        "n": len(rows),
        "median_abs_error": round(float(rows["error"].abs().median()), 6),
        "worst": {"id": rows.at[0, "id"], "error": round(float(rows.at[0, "error"]), 6)},
        "beyond_30_percent": int((rows["error"].abs() > EXPLAIN_BEYOND).sum()),
    }
    for role in _ROLES:
        part = rows[rows["role"] == role]
        summary[role] = {
            "n": len(part),
            "median_abs_error": round(float(part["error"].abs().median()), 6) if len(part) else None,
        }
    return Calibration(result.scenario, result.year, rows, summary)
