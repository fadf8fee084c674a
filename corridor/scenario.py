"""Scenarios: which year's network, what demand, which capacities change (read from TOML).

A scenario file (``geodata/scenarios/<name>.toml``)::

    name = "baseline-2024"
    year = 2024                      # assets with start_year <= year are in the network
    description = "..."

    [parameters]                     # optional; see DEFAULT_PARAMETERS
    value_of_time = { freight = 0.5 }

    [[demand]]
    origin = "alashankou"            # node ids
    destination = "poti-port"
    commodity = "freight"
    amount = 1.2                     # in the commodity's unit (Mt/yr, MW, Tbps)
    source_url = "https://..."
    note = "..."

    [[capacity]]                     # override a node's or edge's capacity (0: the asset is out, an outage)
    id = "rail-btk"
    capacity = 1.0
    source_url = "..."

    [[outage]]                       # take an asset out
    id = "rail-btk"

    [[derate]]                       # multiply capacities, by mode (edges), node kind, or id
    mode = "sea"
    factor = 0.75
    reason = "Caspian Sea level ..."

    [[schedule]]                     # a reported door-to-door time to check the model against
    origin = "altynkol"
    destination = "alat-port"
    days = [8, 10]                   # reported range (or one number)
    source_url = "..."

A scenario may start from another with ``extends = "target-2030"``: it inherits the other's
demand (unless it lists its own), parameters, capacities, outages, derates and schedules, and
adds its own.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import schema
from ._errors import ArgumentTypeError, ScenarioError, did_you_mean
from .geodata import Geodata

__all__ = ["DEFAULT_PARAMETERS", "Demand", "Scenario", "Schedule", "apply_scenario", "list_scenarios", "load_scenario"]

#: Parameters a scenario may set under ``[parameters]``; the defaults are documented assumptions.
DEFAULT_PARAMETERS: dict[str, Any] = {
    # USD per unit per hour in transit (freight: inventory and schedule cost of ~USD 0.5/t/h, an assumption
    # between the inventory cost of containerised goods and shippers' stated values of time).
    "value_of_time": {"freight": 0.5, "oil": 0.05, "electricity": 0.0, "data": 0.0},
    # Cost of a unit of demand left unserved (USD per unit): set above the cost of every route in the network, so
    # that the LP serves whatever the capacities allow. The shadow price of a capacity that leaves demand unserved
    # is then this penalty less the route's cost: read it as "the value of carrying one more unit", not a tariff.
    "unserved_penalty": {"freight": 1000.0, "oil": 500.0, "electricity": 1000.0, "data": 1000.0},
    # Utilisation at which an asset counts as a bottleneck (binding assets with a positive shadow price always do).
    "bottleneck_threshold": 0.9,
}


@dataclass(frozen=True)
class Demand:
    """One origin–destination demand."""

    origin: str
    destination: str
    commodity: str
    amount: float
    source_url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Schedule:
    """A reported door-to-door transit time between two nodes, in days (min, max)."""

    origin: str
    destination: str
    commodity: str
    days: tuple[float, float]
    source_url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    """A parsed, validated scenario (see the module docstring for the file format)."""

    name: str
    year: int
    description: str
    demand: tuple[Demand, ...]
    capacity: dict[str, float] = field(default_factory=dict)
    outages: tuple[str, ...] = ()
    derates: tuple[dict[str, Any], ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: tuple[Schedule, ...] = ()
    path: str = ""
    extends: str = ""

    def parameter(self, name: str) -> Any:
        """A parameter's value: the scenario's own, merged over the defaults."""
        default = DEFAULT_PARAMETERS[name]
        value = self.parameters.get(name, default)
        return {**default, **value} if isinstance(default, dict) else value


def list_scenarios(geodata: Geodata) -> list[str]:
    """Names of the scenarios shipped with ``geodata`` (regular files in its ``scenarios/`` folder).

    Anything else named ``*.toml`` (a FIFO, a device, a folder) is skipped: reading it could block.
    """
    if not isinstance(geodata, Geodata):
        raise ArgumentTypeError(f"geodata must be a Geodata (from load_geodata), not {type(geodata).__name__}")
    return sorted(p.stem for p in (geodata.path / "scenarios").glob("*.toml") if p.is_file())


def _not_regular(path: Path) -> None:
    if path.exists() and not path.is_file():
        raise ScenarioError(
            "not a regular file (a folder, FIFO or device is never read)",
            file=str(path),
            fix="give the path of a scenario .toml file",
        )


def _locate(name: str | os.PathLike[str], geodata: Geodata) -> Path:
    path = Path(name)
    if path.suffix == ".toml":
        _not_regular(path)
        if not path.is_file():
            raise ScenarioError("file not found", file=str(path), fix="give the path of a scenario .toml file")
        return path
    folder = geodata.path / "scenarios"
    candidate = folder / f"{name}.toml"
    _not_regular(candidate)
    if not candidate.is_file():
        known = list_scenarios(geodata)
        hint = did_you_mean(str(name), known, f"known scenarios: {', '.join(known) or 'none'}")
        raise ScenarioError(f"no scenario '{name}'", file=str(folder), fix=hint)
    return candidate


def load_scenario(name: str | os.PathLike[str], geodata: Geodata) -> Scenario:
    """Read scenario ``name`` (a name in ``geodata/scenarios/`` or a path) and check it against ``geodata``.

    Raises
    ------
    ScenarioError
        One line naming the file, the entry and the fix, for any malformed or unknown entry.
    ArgumentError
        ``name`` is not a str or path, or ``geodata`` is not a :class:`~corridor.geodata.Geodata`.
    """
    if not isinstance(name, str | os.PathLike) or not str(name):
        raise ArgumentTypeError(f"scenario must be a scenario name or a .toml path, not {name!r}")
    if not isinstance(geodata, Geodata):
        raise ArgumentTypeError(f"geodata must be a Geodata (from load_geodata), not {type(geodata).__name__}")
    return _load(name, geodata, ())


def _load(name: str | os.PathLike[str], geodata: Geodata, chain: tuple[Path, ...]) -> Scenario:
    path = _locate(name, geodata)
    where = str(path)
    if path.resolve() in chain:
        raise ScenarioError(
            f"'extends' goes round in a circle: {' → '.join(p.stem for p in (*chain, path.resolve()))}",
            file=where,
            field="extends",
            fix="let one of them extend none of the others",
        )
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"invalid TOML: {exc}", file=where, fix="repair the TOML syntax") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not UTF-8 text ({exc.reason})", file=where, fix="save the file as UTF-8") from None
    except OSError as exc:
        raise ScenarioError(f"cannot read ({exc.strerror})", file=where, fix="check the file") from None
    scenario = _parse(doc, where)
    if scenario.extends:
        if scenario.extends == scenario.name:
            raise ScenarioError(
                "a scenario cannot extend itself", file=where, field="extends", fix="name another scenario"
            )
        parent = _load(
            scenario.extends if Path(scenario.extends).suffix != ".toml" else path.parent / scenario.extends,
            geodata,
            (*chain, path.resolve()),
        )
        scenario = Scenario(
            name=scenario.name,
            year=scenario.year,
            description=scenario.description,
            demand=scenario.demand or parent.demand,
            capacity={**parent.capacity, **scenario.capacity},
            outages=parent.outages + scenario.outages,
            derates=parent.derates + scenario.derates,
            parameters={**parent.parameters, **scenario.parameters},
            schedules=parent.schedules + scenario.schedules,
            path=where,
            extends=scenario.extends,
        )
    _check_against(scenario, geodata, where)
    return scenario


#: The largest number a scenario may give (amounts, capacities, penalties, days): far above any real figure, and
#: small enough for the LP's arithmetic (a demand of 1e308 overflows it).
MAX_NUMBER = 1e9


def _number(
    value: Any,
    where: str,
    entry: str,
    field_name: str,
    *,
    minimum: float = 0.0,
    strict: bool = False,
    maximum: float = MAX_NUMBER,
) -> float:
    x = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            x = float(value)
        except OverflowError:  # an integer beyond any float
            x = math.inf
    if not (math.isfinite(x) and minimum <= x <= maximum) or (strict and x == minimum):
        rel = ">" if strict else ">="
        raise ScenarioError(
            f"'{value}' is not a number {rel} {minimum:g} and <= {maximum:g}",
            file=where,
            feature=entry,
            field=field_name,
            fix="give a valid amount",
        )
    return x


def _entries(doc: dict[str, Any], section: str, where: str) -> list[dict[str, Any]]:
    """The tables of an array of tables (``[[demand]]``); anything else is an error, not a crash."""
    items = doc.get(section, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ScenarioError(
            f"'{section}' is not an array of tables",
            file=where,
            field=section,
            fix=f"write each entry under its own [[{section}]] header",
        )
    return items


def _text(value: Any, where: str, entry: str, field_name: str) -> str:
    """An id, mode or kind: a TOML string (``id = 123`` would silently match nothing)."""
    if not isinstance(value, str) or not value:
        raise ScenarioError(
            f"{value!r} is not a non-empty string",
            file=where,
            feature=entry,
            field=field_name,
            fix=f'write {field_name} = "..." in quotes',
        )
    return value


def _check_strings(value: Any, where: str, path: str = "") -> None:
    """No text in a scenario may hold a NUL character (it would be cut short in every output)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ScenarioError(
                "text holds a NUL character (\\u0000)",
                file=where,
                field=path or None,
                fix="remove the \\u0000 escape",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, where, path)
            _check_strings(item, where, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_strings(item, where, f"{path}[{i}]")


def _check_parameters(params: dict[str, Any], where: str) -> None:
    """Values of time >= 0 and unserved penalties > 0 (per commodity), a threshold in (0, 1].

    A negative value of time makes route costs negative (a shortest-path search then never ends); a
    penalty of 0 or less makes leaving all demand unserved the cheapest answer.
    """
    units = schema.commodity_units()
    for key, strict in (("value_of_time", False), ("unserved_penalty", True)):
        if key not in params:
            continue
        table = params[key]
        if not isinstance(table, dict):
            raise ScenarioError(
                f"{key} is not a table of commodity = number",
                file=where,
                field=f"parameters.{key}",
                fix=f"e.g. {key} = {{ freight = {DEFAULT_PARAMETERS[key]['freight']} }}",
            )
        for commodity, value in table.items():
            if commodity not in units:
                raise ScenarioError(
                    f"unknown commodity '{commodity}'",
                    file=where,
                    field=f"parameters.{key}",
                    fix=f"use one of {', '.join(units)}",
                )
            _number(value, where, "parameters", f"{key}.{commodity}", strict=strict)
    if "bottleneck_threshold" in params:
        value = params["bottleneck_threshold"]
        _number(value, where, "parameters", "bottleneck_threshold", strict=True)
        if value > 1:
            raise ScenarioError(
                f"bottleneck_threshold {value} > 1",
                file=where,
                field="parameters.bottleneck_threshold",
                fix="a utilisation threshold lies in (0, 1], e.g. 0.9",
            )


def _parse(doc: dict[str, Any], where: str) -> Scenario:
    for key in ("name", "year"):
        if key not in doc:
            raise ScenarioError(f"missing top-level '{key}'", file=where, fix=f"add {key} = ... at the top of the file")
    sections = (
        "name",
        "year",
        "description",
        "extends",
        "parameters",
        "demand",
        "capacity",
        "outage",
        "derate",
        "schedule",
    )
    unknown = set(doc) - set(sections)
    if unknown:
        raise ScenarioError(f"unknown section(s) {sorted(unknown)}", file=where, fix=f"use {', '.join(sections)}")
    year = doc["year"]
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise ScenarioError(
            f"year '{year}' is not a plausible year", file=where, field="year", fix="give e.g. year = 2030"
        )
    _check_strings(doc, where)
    params = doc.get("parameters", {})
    if not isinstance(params, dict):
        raise ScenarioError(
            "[parameters] is not a table",
            file=where,
            field="parameters",
            fix="write [parameters] with key = value lines",
        )
    for key in params:
        if key not in DEFAULT_PARAMETERS:
            raise ScenarioError(
                f"unknown parameter '{key}'",
                file=where,
                field="parameters",
                fix=f"use one of {', '.join(DEFAULT_PARAMETERS)}",
            )
    _check_parameters(params, where)
    demand = []
    for i, d in enumerate(_entries(doc, "demand", where)):
        entry = f"demand #{i + 1}"
        missing = [k for k in ("origin", "destination", "commodity", "amount") if k not in d]
        if missing:
            raise ScenarioError(
                f"missing {', '.join(missing)}",
                file=where,
                feature=entry,
                fix="give origin, destination, commodity, amount",
            )
        demand.append(
            Demand(
                origin=str(d["origin"]),
                destination=str(d["destination"]),
                commodity=str(d["commodity"]),
                amount=_number(d["amount"], where, entry, "amount"),
                source_url=str(d.get("source_url", "")),
                note=str(d.get("note", "")),
            )
        )
    capacity = {}
    for i, c in enumerate(_entries(doc, "capacity", where)):
        entry = f"capacity #{i + 1}"
        if "id" not in c or "capacity" not in c:
            raise ScenarioError(
                "needs 'id' and 'capacity'", file=where, feature=entry, fix="give id = ... and capacity = ..."
            )
        _text(c["id"], where, entry, "id")
        capacity[c["id"]] = _number(c["capacity"], where, f"{entry} ({c['id']})", "capacity")
    outages = []
    for i, o in enumerate(_entries(doc, "outage", where)):
        if "id" not in o:
            raise ScenarioError(
                "needs 'id'", file=where, feature=f"outage #{i + 1}", fix="give id = ... of a node or edge"
            )
        outages.append(_text(o["id"], where, f"outage #{i + 1}", "id"))
    derates = []
    for i, d in enumerate(_entries(doc, "derate", where)):
        entry = f"derate #{i + 1}"
        keys = [k for k in ("mode", "kind", "id") if k in d]
        if len(keys) != 1 or "factor" not in d:
            raise ScenarioError(
                "needs 'factor' and one of 'mode', 'kind' or 'id'",
                file=where,
                feature=entry,
                fix='e.g. mode = "sea", factor = 0.8',
            )
        _text(d[keys[0]], where, entry, keys[0])
        _number(d["factor"], where, entry, "factor", strict=True)
        if d["factor"] > 1:
            raise ScenarioError(
                f"factor {d['factor']} > 1",
                file=where,
                feature=entry,
                field="factor",
                fix="a derate factor lies in (0, 1]",
            )
        derates.append(dict(d))
    schedules = []
    for i, d in enumerate(_entries(doc, "schedule", where)):
        entry = f"schedule #{i + 1}"
        if "origin" not in d or "destination" not in d or "days" not in d:
            raise ScenarioError(
                "needs origin, destination and days", file=where, feature=entry, fix="e.g. days = [8, 10]"
            )
        days = d["days"] if isinstance(d["days"], list) else [d["days"], d["days"]]
        if len(days) != 2:
            raise ScenarioError(
                "days must be one number or [min, max]",
                file=where,
                feature=entry,
                field="days",
                fix="e.g. days = [8, 10]",
            )
        lo, hi = (_number(v, where, entry, "days", strict=True) for v in days)
        schedules.append(
            Schedule(
                str(d["origin"]),
                str(d["destination"]),
                str(d.get("commodity", "freight")),
                (lo, hi),
                str(d.get("source_url", "")),
                str(d.get("note", "")),
            )
        )
    return Scenario(
        name=str(doc["name"]),
        year=year,
        description=str(doc.get("description", "")),
        demand=tuple(demand),
        capacity=capacity,
        outages=tuple(outages),
        derates=tuple(derates),
        parameters=dict(params),
        schedules=tuple(schedules),
        path=where,
        extends=str(doc.get("extends", "")),
    )


def _check_against(s: Scenario, geodata: Geodata, where: str) -> None:
    nodes, edges = geodata.nodes, geodata.edges
    ids = set(nodes.index) | set(edges.index)

    def known(ref: str, entry: str, field_name: str, pool: set[str]) -> None:
        if ref not in pool:
            hint = did_you_mean(ref, pool, "use the id of a node or edge in the geodata")
            raise ScenarioError(f"unknown id '{ref}'", file=where, feature=entry, field=field_name, fix=hint)

    units = schema.commodity_units()
    carried = {c for cs in edges["commodities"] for c in cs.split(";")}
    for i, d in enumerate(s.demand):
        entry = f"demand #{i + 1}"
        known(d.origin, entry, "origin", set(nodes.index))
        known(d.destination, entry, "destination", set(nodes.index))
        if d.commodity not in units:
            raise ScenarioError(
                f"unknown commodity '{d.commodity}'",
                file=where,
                feature=entry,
                field="commodity",
                fix=f"use one of {', '.join(units)}",
            )
        if d.commodity not in carried:
            raise ScenarioError(
                f"no edge carries '{d.commodity}'",
                file=where,
                feature=entry,
                field="commodity",
                fix="add edges that carry it, or drop the demand",
            )
        if d.origin == d.destination:
            raise ScenarioError("origin equals destination", file=where, feature=entry, fix="give two different nodes")
    for i, d in enumerate(s.schedules):
        known(d.origin, f"schedule #{i + 1}", "origin", set(nodes.index))
        known(d.destination, f"schedule #{i + 1}", "destination", set(nodes.index))
        if d.commodity not in units:
            raise ScenarioError(
                f"unknown commodity '{d.commodity}'",
                file=where,
                feature=f"schedule #{i + 1}",
                field="commodity",
                fix=f"use one of {', '.join(units)}",
            )
    for ref in s.capacity:
        known(ref, f"capacity '{ref}'", "id", ids)
    for ref in s.outages:
        known(ref, f"outage '{ref}'", "id", ids)
    modes, kinds = set(schema.modes()), set(nodes["kind"])
    for i, d in enumerate(s.derates):
        entry = f"derate #{i + 1}"
        if "id" in d:
            known(str(d["id"]), entry, "id", ids)
        elif "mode" in d and d["mode"] not in modes:
            raise ScenarioError(
                f"unknown mode '{d['mode']}'",
                file=where,
                feature=entry,
                field="mode",
                fix=f"use one of {', '.join(sorted(modes))}",
            )
        elif "kind" in d and d["kind"] not in kinds:
            raise ScenarioError(
                f"no node of kind '{d['kind']}'",
                file=where,
                feature=entry,
                field="kind",
                fix=f"use one of {', '.join(sorted(kinds))}",
            )


def apply_scenario(geodata: Geodata, scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables as the scenario sees them: active in its year, overrides, outages and derates applied.

    Returns copies with an ``active`` column and the effective ``capacity`` / ``capacity_reverse``.
    """
    nodes = geodata.nodes.copy()
    edges = geodata.edges.copy()
    for frame in (nodes, edges):
        start = frame["start_year"].astype("Float64").fillna(-math.inf).astype(float)
        live = frame["status"].isin(["operating", "construction", "pre-construction", "proposed"])
        frame["active"] = live & (start <= scenario.year)
        frame.loc[list(set(scenario.outages) & set(frame.index)), "active"] = False
        for ref, cap in scenario.capacity.items():
            if ref in frame.index and cap == 0:  # no capacity at all: the asset is out (an outage)
                frame.loc[ref, "active"] = False
            elif ref in frame.index:
                frame.loc[ref, "capacity"] = cap
                if "capacity_reverse" in frame:
                    frame.loc[ref, "capacity_reverse"] = math.nan
    for d in scenario.derates:
        factor = float(d["factor"])
        if "id" in d:
            targets = [(f, [d["id"]]) for f in (nodes, edges) if d["id"] in f.index]
        elif "mode" in d:
            targets = [(edges, list(edges.index[edges["mode"] == d["mode"]]))]
        else:
            targets = [(nodes, list(nodes.index[nodes["kind"] == d["kind"]]))]
        for frame, rows in targets:
            frame.loc[rows, "capacity"] *= factor
            if "capacity_reverse" in frame:
                frame.loc[rows, "capacity_reverse"] *= factor
    return nodes, edges
