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
    amount_low = 1.0                 # optional: the range of an estimate (corridor uncertainty)
    amount_high = 1.5                # (also on [[background]]; low <= amount <= high)
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

    [[background]]                   # other traffic on shared assets, kept apart from the corridor's own:
    origin = "turkmenbashi-oil"      # either an origin-destination flow that competes for capacity
    destination = "ceyhan-terminal"  # (and is served before the corridor's demand: it is there today) ...
    commodity = "oil"
    amount = 4.1
    source_url = "..."

    [[background]]                   # ... or a fixed load on one asset, in the asset's unit
    id = "transfer-alashankou-dostyk"
    direction = "both"               # edges: "forward" (from_id → to_id), "reverse" or "both" (each way)
    amount = 9.0
    source_url = "..."

    [[alternative]]                  # where the corridor's demand goes when the corridor cannot carry it
    route = "Northern route (rail via Russia)"
    commodity = "freight"
    origins = ["alashankou"]         # optional: the demand it serves (default: every origin / destination)
    destinations = ["poti-port"]
    cost_usd_per_unit = 270.0        # door-to-door tariff, USD per unit (USD/t for Mt/yr)
    days = 18                        # door-to-door time
    premium_usd_per_unit = 60.0      # optional: the cost beyond tariff and time that shippers' choices reveal
    source_url = "..."               # the cheapest open alternative (tariff + value of time × time + premium)
                                     # is what diverting a unit costs: the LP's price of unserved demand

A scenario may start from another with ``extends = "target-2030"``: it inherits the other's
demand (unless it lists its own), parameters, capacities, outages, derates and schedules, and
adds its own (``background``, like ``demand``, is inherited unless the scenario lists its own;
``alternative`` entries are the scenario's own followed by the parent's: the cheapest open to a demand counts).
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from corridor import settings
from corridor._errors import ArgumentTypeError, ScenarioError, did_you_mean
from corridor.io import schema
from corridor.io.geodata import PLANNED_STATUSES, Geodata, data_as_of

__all__ = [
    "DEFAULT_PARAMETERS",
    "Alternative",
    "Background",
    "Demand",
    "Scenario",
    "Schedule",
    "apply_scenario",
    "list_scenarios",
    "load_scenario",
]

#: Parameters a scenario may set under ``[parameters]``; the defaults are documented assumptions.
DEFAULT_PARAMETERS: dict[str, Any] = {
    # USD per unit per hour in transit (freight: inventory and schedule cost of ~USD 0.5/t/h, an assumption
    # between the inventory cost of containerised goods and shippers' stated values of time).
    "value_of_time": {"freight": 0.5, "oil": 0.05, "gas": 0.0, "electricity": 0.0, "data": 0.0},
    # Cost of a unit of demand left unserved (USD per unit) where the scenario gives it no [[alternative]]: set
    # above the cost of every route in the network, so that the LP serves whatever the capacities allow. Background
    # flows cost it too (so they keep the capacity they use today). A shadow price that comes from it is this
    # penalty less the route's cost: "the value of carrying one more unit", not money anyone pays.
    "unserved_penalty": {"freight": 1000.0, "oil": 500.0, "gas": 1000.0, "electricity": 1000.0, "data": 1000.0},
    # Utilisation at which an asset counts as a bottleneck (binding assets with a positive shadow price always do).
    "bottleneck_threshold": settings.BOTTLENECK_THRESHOLD,
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
    amount_low: float | None = None  # the range of an estimate (corridor uncertainty); None: not given
    amount_high: float | None = None


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
class Background:
    """Other traffic on the corridor's assets: an origin–destination flow, or a fixed load on one asset."""

    amount: float
    origin: str = ""
    destination: str = ""
    commodity: str = ""
    id: str = ""  # a preload on this node or edge (then origin/destination are empty)
    direction: str = "both"  # edges: forward, reverse or both
    source_url: str = ""
    note: str = ""
    amount_low: float | None = None  # the range of an estimate (corridor uncertainty); None: not given
    amount_high: float | None = None

    @property
    def is_preload(self) -> bool:
        """True for a fixed load on one asset, False for a flow between two nodes."""
        return bool(self.id)


@dataclass(frozen=True)
class Alternative:
    """A route outside the corridor that its demand can divert to, at a door-to-door cost and time."""

    route: str
    commodity: str
    cost_usd_per_unit: float
    days: float
    premium_usd_per_unit: float = 0.0  # what shippers' choices say it costs them beyond tariff and time
    origins: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    source_url: str = ""
    note: str = ""

    def serves(self, origin: str, destination: str, commodity: str) -> bool:
        """Whether the alternative is open to this demand.

        Parameters
        ----------
        origin, destination : str
            Node ids of the demand (an empty ``origins`` / ``destinations`` admits any).
        commodity : str
            The demand's commodity.

        Returns
        -------
        bool
            True when the commodity matches and the origin and destination are admitted.

        Examples
        --------
        >>> sea = Alternative(route="Sea via Suez", commodity="freight", cost_usd_per_unit=100.0, days=40.0,
        ...                   origins=("alashankou",))
        >>> sea.serves("alashankou", "poti-port", "freight"), sea.serves("khorgos-cn", "poti-port", "freight")
        (True, False)
        """
        return (
            commodity == self.commodity
            and (not self.origins or origin in self.origins)
            and (not self.destinations or destination in self.destinations)
        )

    def generalised_cost(self, value_of_time: float) -> float:
        """Tariff + value of time × door-to-door time + premium (USD per unit): what diverting one unit costs.

        Parameters
        ----------
        value_of_time : float
            USD per unit per hour in transit (the scenario's ``value_of_time`` for the commodity).

        Returns
        -------
        float
            USD per unit.

        Examples
        --------
        >>> sea = Alternative(route="Sea via Suez", commodity="freight", cost_usd_per_unit=100.0, days=40.0)
        >>> sea.generalised_cost(0.5)  # 100 + 0.5 USD/h x 960 h
        580.0
        """
        return self.cost_usd_per_unit + value_of_time * self.days * 24.0 + self.premium_usd_per_unit


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
    background: tuple[Background, ...] = ()
    alternatives: tuple[Alternative, ...] = ()

    def parameter(self, name: str) -> Any:
        """A parameter's value: the scenario's own, merged over the defaults.

        Parameters
        ----------
        name : str
            A key of :data:`DEFAULT_PARAMETERS` (e.g. ``"value_of_time"``, ``"bottleneck_threshold"``).

        Returns
        -------
        Any
            The value; a per-commodity table is the defaults updated with the scenario's entries.

        Raises
        ------
        KeyError
            ``name`` is not a known parameter.

        Examples
        --------
        >>> sc = Scenario(name="demo", year=2030, description="", demand=(),
        ...               parameters={"value_of_time": {"freight": 1.0}})
        >>> sc.parameter("value_of_time")
        {'freight': 1.0, 'oil': 0.05, 'gas': 0.0, 'electricity': 0.0, 'data': 0.0}
        >>> sc.parameter("bottleneck_threshold")
        0.9
        """
        default = DEFAULT_PARAMETERS[name]
        value = self.parameters.get(name, default)
        return {**default, **value} if isinstance(default, dict) else value

    def alternative(self, origin: str, destination: str, commodity: str) -> Alternative | None:
        """The cheapest alternative open to this demand, or None (its unserved part then costs the penalty).

        Parameters
        ----------
        origin, destination, commodity : str
            The demand.

        Returns
        -------
        Alternative or None
            The open alternative of least :meth:`Alternative.generalised_cost` (ties: by route name).

        Examples
        --------
        >>> sea = Alternative(route="Sea via Suez", commodity="freight", cost_usd_per_unit=100.0, days=40.0,
        ...                   origins=("alashankou",))
        >>> north = Alternative(route="Rail north", commodity="freight", cost_usd_per_unit=150.0, days=8.0)
        >>> sc = Scenario(name="demo", year=2030, description="", demand=(), alternatives=(sea, north),
        ...               parameters={"value_of_time": {"freight": 0.0}})
        >>> sc.alternative("alashankou", "poti-port", "freight").route
        'Sea via Suez'
        >>> sc.alternative("khorgos-cn", "poti-port", "freight").route
        'Rail north'
        >>> sc.alternative("khorgos-cn", "poti-port", "oil") is None
        True
        """
        vot = float(self.parameter("value_of_time").get(commodity, 0.0))
        open_ = [a for a in self.alternatives if a.serves(origin, destination, commodity)]
        return min(open_, key=lambda a: (a.generalised_cost(vot), a.route), default=None)


def list_scenarios(geodata: Geodata) -> list[str]:
    """Names of the scenarios shipped with ``geodata`` (regular files in its ``scenarios/`` folder).

    Anything else named ``*.toml`` (a FIFO, a device, a folder) is skipped: reading it could block.

    Parameters
    ----------
    geodata : Geodata
        Loaded geodata; its folder holds ``scenarios/``.

    Returns
    -------
    list of str
        The scenario names, sorted.

    Examples
    --------
    >>> import corridor
    >>> names = list_scenarios(corridor.load_geodata())
    >>> "baseline-2024" in names, names == sorted(names)
    (True, True)
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


def _short(name: object, limit: int = 60) -> str:
    text = str(name)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _locate(name: str | os.PathLike[str], geodata: Geodata) -> Path:
    try:
        return _find(name, geodata)
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise ScenarioError(
            f"cannot read scenario '{_short(name)}': {exc.strerror or exc}",
            file=_short(geodata.path / "scenarios", 200),
            fix="give a scenario name from `corridor analyze --help` or the path of a .toml file",
        ) from None


def _find(name: str | os.PathLike[str], geodata: Geodata) -> Path:
    path = Path(name)
    if path.suffix == ".toml":
        _not_regular(path)
        if not path.is_file():
            raise ScenarioError("file not found", file=str(path), fix="give the path of a scenario .toml file")
        return path
    folder = geodata.path / "scenarios"
    if isinstance(name, str) and (os.sep in name or "/" in name or name.startswith(".")):
        raise ScenarioError(
            f"'{_short(name)}' is neither a scenario name nor a .toml path",
            file=str(folder),
            fix="give a name from the scenarios folder (no '/'), or the path of a .toml file",
        )
    candidate = folder / f"{name}.toml"
    _not_regular(candidate)
    if not candidate.is_file():
        known = list_scenarios(geodata)
        hint = did_you_mean(str(name), known, f"known scenarios: {', '.join(known) or 'none'}")
        raise ScenarioError(f"no scenario '{_short(name)}'", file=str(folder), fix=hint)
    return candidate


def load_scenario(name: str | os.PathLike[str], geodata: Geodata) -> Scenario:
    """Read scenario ``name`` (a name in ``geodata/scenarios/`` or a path) and check it against ``geodata``.

    Parameters
    ----------
    name : str or path
        A scenario name in ``geodata/scenarios/`` (e.g. ``"target-2030"``) or the path of a ``.toml`` file.
    geodata : Geodata
        The geodata its ids must name (:func:`corridor.load_geodata`).

    Returns
    -------
    Scenario
        The parsed scenario, with ``extends`` resolved.

    Raises
    ------
    ScenarioError
        One line naming the file, the entry and the fix, for any malformed or unknown entry.
    ArgumentError
        ``name`` is not a str or path, or ``geodata`` is not a :class:`~corridor.io.geodata.Geodata`.

    Examples
    --------
    >>> import corridor
    >>> sc = load_scenario("btk-outage-2030", corridor.load_geodata())
    >>> sc.year, sc.extends, sc.outages
    (2030, 'target-2030', ('rail-marabda-akhalkalaki',))
    """
    if not isinstance(name, str | os.PathLike) or not str(name):
        raise ArgumentTypeError(f"scenario must be a scenario name or a .toml path, not {name!r}")
    if not isinstance(geodata, Geodata):
        raise ArgumentTypeError(f"geodata must be a Geodata (from load_geodata), not {type(geodata).__name__}")
    return _load(name, geodata, ())


def _load(name: str | os.PathLike[str], geodata: Geodata, chain: tuple[Path, ...]) -> Scenario:
    """:func:`load_scenario`; ``chain`` holds the files that extend this one (to report an ``extends`` cycle)."""
    path = _locate(name, geodata)
    where = str(path)
    if path.resolve() in chain:
        cycle = " → ".join(p.name for p in (*chain[chain.index(path.resolve()) :], path))
        raise ScenarioError(
            f"'extends' goes round in a cycle: {cycle}",
            file=str(chain[-1]),
            field="extends",
            fix="make one of these scenarios extend none of the others",
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
            background=scenario.background or parent.background,
            alternatives=scenario.alternatives + parent.alternatives,
        )
    _check_against(scenario, geodata, where)
    _check_status_year(scenario, geodata, where)
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
        "background",
        "alternative",
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
                **_amount_range(d, where, entry),
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
        background=_parse_background(_entries(doc, "background", where), where),
        alternatives=_parse_alternatives(_entries(doc, "alternative", where), where),
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


def _optional_text(entry: dict[str, Any], key: str, where: str, label: str) -> str:
    """``entry[key]`` if it is text, "" if it is missing; anything else is an error."""
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise ScenarioError(f"'{value}' is not text", file=where, feature=label, field=key, fix=f'write {key} = "..."')
    return value


def _parse_background(entries: list[dict[str, Any]], where: str) -> tuple[Background, ...]:
    out = []
    for i, d in enumerate(entries):
        entry = f"background #{i + 1}"
        od = [k for k in ("origin", "destination", "commodity") if k in d]
        if "amount" not in d or ("id" in d) == bool(od) or (od and len(od) != 3):
            raise ScenarioError(
                "needs amount and either id (a load on one asset) or origin, destination and commodity",
                file=where,
                feature=entry,
                fix='e.g. id = "rail-tbilisi-khashuri", amount = 8.0',
            )
        direction = _optional_text(d, "direction", where, entry) or "both"
        if direction not in ("both", "forward", "reverse"):
            raise ScenarioError(
                f"unknown direction '{direction}'",
                file=where,
                feature=entry,
                field="direction",
                fix="use both, forward or reverse",
            )
        out.append(
            Background(
                amount=_number(d["amount"], where, entry, "amount"),
                origin=_optional_text(d, "origin", where, entry),
                destination=_optional_text(d, "destination", where, entry),
                commodity=_optional_text(d, "commodity", where, entry),
                id=_optional_text(d, "id", where, entry),
                direction=direction,
                source_url=_optional_text(d, "source_url", where, entry),
                note=_optional_text(d, "note", where, entry),
                **_amount_range(d, where, entry),
            )
        )
    return tuple(out)


def _amount_range(d: dict[str, Any], where: str, entry: str) -> dict[str, float]:
    """The optional ``amount_low``/``amount_high`` of an entry: numbers with low <= amount <= high."""
    out = {k: _number(d[k], where, entry, k) for k in ("amount_low", "amount_high") if k in d}
    amount = _number(d["amount"], where, entry, "amount")
    if out.get("amount_low", amount) > amount or out.get("amount_high", amount) < amount:
        raise ScenarioError(
            f"the range [{out.get('amount_low', amount):g}, {out.get('amount_high', amount):g}] does not hold "
            f"the amount {amount:g}",
            file=where,
            feature=entry,
            field="amount_low" if out.get("amount_low", amount) > amount else "amount_high",
            fix="give amount_low <= amount <= amount_high",
        )
    return out


def _parse_alternatives(entries: list[dict[str, Any]], where: str) -> tuple[Alternative, ...]:
    out = []
    for i, d in enumerate(entries):
        entry = f"alternative #{i + 1}"
        missing = [k for k in ("route", "commodity", "cost_usd_per_unit", "days") if k not in d]
        unknown = set(d) - {
            "route",
            "commodity",
            "cost_usd_per_unit",
            "days",
            "premium_usd_per_unit",
            "origins",
            "destinations",
            "source_url",
            "note",
        }
        if unknown:
            raise ScenarioError(
                f"unknown field(s) {sorted(unknown)}", file=where, feature=entry, fix="see the scenario format"
            )
        if missing:
            raise ScenarioError(
                f"missing {', '.join(missing)}",
                file=where,
                feature=entry,
                fix="give route, commodity, cost_usd_per_unit and days",
            )
        lists = {}
        for key in ("origins", "destinations"):
            value = d.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ScenarioError(
                    f"'{value}' is not a list of node ids",
                    file=where,
                    feature=entry,
                    field=key,
                    fix=f'e.g. {key} = ["poti-port"]',
                )
            lists[key] = tuple(value)
        out.append(
            Alternative(
                route=_optional_text(d, "route", where, entry),
                commodity=_optional_text(d, "commodity", where, entry),
                cost_usd_per_unit=_number(d["cost_usd_per_unit"], where, entry, "cost_usd_per_unit"),
                days=_number(d["days"], where, entry, "days"),
                premium_usd_per_unit=_number(d.get("premium_usd_per_unit", 0.0), where, entry, "premium_usd_per_unit"),
                origins=lists["origins"],
                destinations=lists["destinations"],
                source_url=_optional_text(d, "source_url", where, entry),
                note=_optional_text(d, "note", where, entry),
            )
        )
    return tuple(out)


def _check_against(s: Scenario, geodata: Geodata, where: str) -> None:
    nodes, edges = geodata.nodes, geodata.edges
    ids = set(nodes.index) | set(edges.index)
    node_ids = set(nodes.index)
    units = schema.commodity_units()

    def known(ref: str, entry: str, field_name: str, pool: set[str]) -> None:
        if ref not in pool:
            hint = did_you_mean(ref, pool, "use the id of a node or edge in the geodata")
            raise ScenarioError(f"unknown id '{ref}'", file=where, feature=entry, field=field_name, fix=hint)

    def commodity(name: str, entry: str) -> None:
        if name not in units:
            raise ScenarioError(
                f"unknown commodity '{name}'",
                file=where,
                feature=entry,
                field="commodity",
                fix=f"use one of {', '.join(units)}",
            )

    def flow(origin: str, destination: str, name: str, entry: str, *, distinct: bool = True) -> None:
        """An origin-destination entry: known nodes, a known commodity, two different ends."""
        known(origin, entry, "origin", node_ids)
        known(destination, entry, "destination", node_ids)
        commodity(name, entry)
        if distinct and origin == destination:
            raise ScenarioError("origin equals destination", file=where, feature=entry, fix="give two different nodes")

    carried = {c for cs in edges["commodities"] for c in cs.split(";")}
    for i, d in enumerate(s.demand):
        entry = f"demand #{i + 1}"
        flow(d.origin, d.destination, d.commodity, entry, distinct=False)
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
        flow(d.origin, d.destination, d.commodity, f"schedule #{i + 1}", distinct=False)
    for i, b in enumerate(s.background):
        entry = f"background #{i + 1}"
        if not b.is_preload:
            flow(b.origin, b.destination, b.commodity, entry)
            continue
        known(b.id, entry, "id", ids)
        if pd.isna((nodes if b.id in nodes.index else edges).at[b.id, "capacity"]):
            raise ScenarioError(
                f"'{b.id}' has no capacity for the load to take up",
                file=where,
                feature=entry,
                field="id",
                fix="put the load on an asset with a capacity",
            )
        if b.id in nodes.index and b.direction != "both":
            raise ScenarioError(
                "a node has no direction", file=where, feature=entry, field="direction", fix="leave direction out"
            )
    for i, a in enumerate(s.alternatives):
        entry = f"alternative #{i + 1}"
        commodity(a.commodity, entry)
        for key, refs in (("origins", a.origins), ("destinations", a.destinations)):
            for ref in refs:
                known(ref, entry, key, node_ids)
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


def _check_status_year(s: Scenario, geodata: Geodata, where: str) -> None:
    """A scenario set in a year the data has already seen (at or before ``data_as_of``) cannot switch on an
    asset that was still planned on that date: its status contradicts the scenario's year."""
    root = geodata.path if geodata.path.is_dir() else geodata.path.parent
    as_of = data_as_of(root)
    if as_of is None or s.year > as_of.year:
        return
    for frame in (geodata.nodes, geodata.edges):
        start = frame["start_year"].astype("Float64").fillna(-math.inf).astype(float)
        wrong = frame[frame["status"].isin(PLANNED_STATUSES) & (start <= s.year)]
        for ref, rec in wrong.iterrows():
            raise ScenarioError(
                f"'{ref}' is {rec['status']} as of {as_of.isoformat()} but would be in service in {s.year}",
                file=where,
                field="year",
                fix=f"correct the asset's status or start_year in the geodata (start after {as_of.year})",
            )


def apply_scenario(geodata: Geodata, scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables as the scenario sees them: active in its year, overrides, outages and derates applied.

    Parameters
    ----------
    geodata : Geodata
        The network data.
    scenario : Scenario
        Its year, capacity overrides, outages and derates.

    Returns
    -------
    (DataFrame, DataFrame)
        Copies of the nodes and the edges with an ``active`` column and the effective ``capacity`` /
        ``capacity_reverse``.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> nodes, edges = apply_scenario(g, load_scenario("btk-outage-2030", g))
    >>> bool(edges.loc["rail-marabda-akhalkalaki", "active"])
    False
    """
    nodes = geodata.nodes.copy()
    edges = geodata.edges.copy()
    for frame in (nodes, edges):
        start = frame["start_year"].astype("Float64").fillna(-math.inf).astype(float)
        live = frame["status"].isin([s for s, row in schema.statuses().items() if row.can_run])
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
