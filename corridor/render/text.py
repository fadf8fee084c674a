"""The terminal report of an analysis: totals, the worst bottlenecks, transit times and schedules."""

from __future__ import annotations

from typing import Any

from corridor._untrusted import one_line
from corridor.analyses.bottlenecks import RELIEF_SHARE

__all__ = ["text_report"]


def text_report(doc: dict[str, Any], *, top: int = 10) -> str:
    """A readable report of a :func:`result_document`: totals, the worst bottlenecks and transit times.

    Parameters
    ----------
    doc : dict
        The result document (:func:`corridor.results.result_document`, ``Analysis.document``); with a
        ``compare`` entry (:func:`corridor.results.compare_methods`) the two methods are compared.
    top : int
        How many bottlenecks (and differing edges) to list.

    Returns
    -------
    str
        The report, lines joined by ``\\n`` (what ``corridor analyze`` prints).

    Examples
    --------
    >>> import corridor
    >>> text = text_report(corridor.analyze("baseline-2024").document, top=3)
    >>> print(text.splitlines()[0])
    Scenario baseline-2024 (year 2024) — method system-optimal, solver Optimal
    >>> print(text)
    Scenario ...
    commodity   unit       demand    served  unserved  other traffic
    freight     Mt/yr ...
    Bottlenecks (... flagged; worst 3 shown)
    ...
    """
    p = doc["provenance"]
    lines = [
        f"Scenario {one_line(doc['scenario'])} (year {doc['year']}) — method {doc['method']}, "
        f"solver {doc['solver_status']}",
        f"data {p['data_version']} from {p['geodata']}; corridor {p['corridor_version']}",
        "",
        f"{'commodity':<12}{'unit':<7}{'demand':>10}{'served':>10}{'unserved':>10}{'other traffic':>15}",
    ]
    for c, t in doc["totals"].items():
        other = f"{t['background']:>15.2f}" if t.get("background") else ""
        lines.append(f"{c:<12}{t['unit']:<7}{t['demand']:>10.2f}{t['served']:>10.2f}{t['unserved']:>10.2f}{other}")
    bottlenecks = doc["bottlenecks"]
    lines += ["", f"Bottlenecks ({len(bottlenecks)} flagged; worst {min(top, len(bottlenecks))} shown)"]
    if bottlenecks:
        lines.append(
            f"{'#':>3} {'id':<34}{'corridor + other / capacity':>32}{'util':>6}  {'severity':<14}"
            f"{'shadow price':>20}{'relief':>14}  name"
        )
        for i, b in enumerate(bottlenecks[:top], 1):
            fc = f"{b['flow']:.2f} + {b['background'] or 0:.2f} / {b['capacity']:.2f} {b['capacity_unit']}"
            util = f"{b['utilization']:.0%}" if b["utilization"] is not None else "-"
            price = f"{b['shadow_price']:,.1f} {b['shadow_price_unit'] or ''}" if b["shadow_price"] else "0"
            relief = f"{b['relief_musd_per_year']:,.1f} MUSD/yr" if b["relief_musd_per_year"] else "-"
            lines.append(
                f"{i:>3} {b['id']:<34}{fc:>32}{util:>6}  {b['severity']:<14}{price:>20}{relief:>14}  "
                f"{one_line(b['name'])}"
            )
    else:
        lines.append("  none: every asset is below the threshold")
    lines += ["", "Origin → destination (served, door-to-door time of the main route)"]
    for o in doc["od"]:
        days = f"{o['time_days']:.1f} d" if o["reachable"] else "no route"
        line = (
            f"  {o['origin']} → {o['destination']} [{o['commodity']}]: {o['served']:.2f} of {o['demand']:.2f}, {days}"
        )
        if o["unserved"] and o["unserved"] > 1e-6:
            line += f"; {o['unserved']:.2f} " + (f"diverted to {o['diverted_to']}" if o["diverted_to"] else "lost")
        lines.append(line)
    if doc["schedules"]:
        lines += ["", "Reported schedules vs the model (cheapest route; moving + dwell days)"]
        for r in doc["schedules"]:
            lo, hi = r["reported_min"], r["reported_max"]
            reported = f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
            if r["modelled_days"] is None:
                lines.append(f"  {r['origin']} → {r['destination']}: reported {reported} d, model: no route")
                continue
            lines.append(
                f"  {r['origin']} → {r['destination']}: reported {reported} d, model {r['modelled_days']:.1f} d "
                f"({r['moving_days']:.1f} moving + {r['dwell_days']:.1f} dwell) → {r['verdict']}"
            )
    if "compare" in doc:
        cmp = doc["compare"]
        lines += ["", f"{cmp['method']} vs {cmp['other_method']} ({cmp['other_solver_status']}): served"]
        for c, t in doc["totals"].items():
            other = cmp["totals_other"].get(c, {})
            lines.append(f"  {c:<12}{t['served']:>10.2f} vs {other.get('served', 0):>10.2f} {t['unit']}")
        lines.append(f"  edges whose flow differs most ({len(cmp['edges'])} differ):")
        for d in cmp["edges"][:top]:
            lines.append(
                f"    {one_line(d['name'])[:50]:<51}{d['flow']:>9.2f} vs {d['flow_other']:>9.2f} {d['capacity_unit']}"
            )
    lines.append("")
    lines.append(
        "Shadow price: cost saved per unit of flow by one more unit of capacity (against the cheapest alternative "
        f"route); relief: what {RELIEF_SHARE:.0%} more capacity saves a year at that price."
    )
    return "\n".join(lines)
