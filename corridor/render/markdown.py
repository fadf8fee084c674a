"""The Markdown report of an analysis (text from the data escaped), for the Markdown export."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from corridor import __version__
from corridor._untrusted import markdown_text, terminal_text, web_url
from corridor.io.geodata import DEFAULT_GEODATA

if TYPE_CHECKING:  # pragma: no cover
    from corridor.results import Analysis

from corridor._values import _LAYERS, _criticality_ranks, _dumps, _is_scalar, _value

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


def report(
    analysis: Analysis,
    chart_name: str,
    utilised: pd.DataFrame,
    *,
    criticality: pd.DataFrame | None,
    throughput: dict[str, Any] | None,
    top: int,
) -> str:
    """The Markdown report of ``analysis`` (what :func:`corridor.export.markdown.export_markdown` writes).

    Parameters
    ----------
    analysis : Analysis
        The results (:func:`corridor.analyze`).
    chart_name : str
        The file name of the chart beside the report, linked from it.
    utilised : DataFrame
        The most utilised assets (:func:`corridor.render.chart.most_utilised`).
    criticality : DataFrame or None
        An N-1 criticality table to list (its ``top`` rows), if any.
    throughput : dict or None
        A maximum-throughput result to list (its entries and its cut), if any.
    top : int
        How many criticality rows to list.

    Returns
    -------
    str
        The Markdown text (data escaped).

    Examples
    --------
    >>> import corridor
    >>> from corridor.render.chart import most_utilised
    >>> run = corridor.analyze("baseline-2024")
    >>> text = report(run, "chart.png", most_utilised(run, 3), criticality=None, throughput=None, top=3)
    >>> print(text.splitlines()[0])
    # Middle Corridor analysis: baseline-2024 (2024)
    >>> "![Utilisation of the 3 most utilised assets](chart.png)" in text
    True
    """
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

    lines += ["", "## Sources", ""]
    if p.get("attribution"):
        lines += [f"Data: {_cell(p['attribution'])}", ""]
    lines += ["Of the assets listed above:", ""]
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
