"""The geodata schema, read from the tables in ``corridor/data/``.

The field list lives in one place, ``data/schema.csv``; the loader, the validator,
the exporters and the README's data section all read it through this module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "Field",
    "Mode",
    "Severity",
    "Status",
    "commodity_units",
    "field_names",
    "fields",
    "markdown_table",
    "modes",
    "severities",
    "statuses",
]


@dataclass(frozen=True)
class Field:
    """One attribute of a node or edge feature (a row of ``schema.csv``)."""

    layer: str
    name: str
    type: str
    unit: str
    required: str
    allowed: tuple[str, ...]
    check: str
    description: str


@dataclass(frozen=True)
class Mode:
    """Defaults of one mode of transport or transmission (a row of ``modes.csv``)."""

    name: str
    commodities: tuple[str, ...]
    speed_kmh: float
    tariff_usd_per_unit_km: float
    expansion_cost_musd: float
    description: str


@dataclass(frozen=True)
class Status:
    """One life-cycle status of an asset (a row of ``statuses.csv``)."""

    name: str
    in_service: str  # "yes", "from_start_year" or "no"
    planned: bool
    description: str

    @property
    def can_run(self) -> bool:
        """Whether an asset with this status carries traffic in a year at or after its start year."""
        return self.in_service != "no"


@dataclass(frozen=True)
class Severity:
    """One severity of an asset's load (a row of ``severities.csv``): its order, flag and colour everywhere."""

    name: str
    rank: int
    bottleneck: bool
    colour: str
    rule: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("corridor").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(";") if v)


@cache
def fields(layer: str) -> tuple[Field, ...]:
    """Fields of ``layer`` ("nodes" or "edges"), in the order of the schema table.

    Parameters
    ----------
    layer : {"nodes", "edges"}
        The layer whose fields to list.

    Returns
    -------
    tuple of Field
        One per row of ``data/schema.csv`` for the layer.

    Raises
    ------
    ValueError
        ``layer`` is neither "nodes" nor "edges".

    Examples
    --------
    >>> f = fields("edges")[0]
    >>> f.name, f.type, f.required
    ('id', 'str', 'yes')
    """
    if layer not in ("nodes", "edges"):
        raise ValueError(f"unknown layer {layer!r}: use 'nodes' or 'edges'")
    return tuple(
        Field(
            layer=r["layer"],
            name=r["field"],
            type=r["type"],
            unit=r["unit"],
            required=r["required"],
            allowed=_split(r["allowed"]),
            check=r["check"],
            description=r["description"],
        )
        for r in _rows("schema.csv")
        if r["layer"] == layer
    )


def field_names(layer: str) -> list[str]:
    """Names of the fields of ``layer``, in schema order.

    Parameters
    ----------
    layer : {"nodes", "edges"}
        The layer whose fields to name.

    Returns
    -------
    list of str
        The field names.

    Examples
    --------
    >>> field_names("edges")[:5]
    ['id', 'name', 'from_id', 'to_id', 'mode']
    """
    return [f.name for f in fields(layer)]


@cache
def commodity_units() -> dict[str, str]:
    """Map each commodity to its unit, e.g. ``{"freight": "Mt/yr", ...}``.

    Returns
    -------
    dict[str, str]
        Commodity → unit of its capacities, demands and flows (``data/commodities.csv``).

    Examples
    --------
    >>> commodity_units()
    {'freight': 'Mt/yr', 'oil': 'Mt/yr', 'gas': 'bcm/yr', 'electricity': 'MW', 'data': 'Tbps'}
    """
    return {r["commodity"]: r["unit"] for r in _rows("commodities.csv")}


@cache
def modes() -> dict[str, Mode]:
    """Defaults per mode (speed, tariff, expansion cost), keyed by mode name.

    Returns
    -------
    dict[str, Mode]
        Mode name → its row of ``data/modes.csv``.

    Examples
    --------
    >>> list(modes())
    ['rail', 'sea', 'pipeline', 'power_cable', 'fiber', 'road', 'transfer']
    >>> modes()["rail"].commodities
    ('freight', 'oil')
    """
    return {
        r["mode"]: Mode(
            name=r["mode"],
            commodities=_split(r["commodities"]),
            speed_kmh=float(r["speed_kmh"]),
            tariff_usd_per_unit_km=float(r["tariff_usd_per_unit_km"]),
            expansion_cost_musd=float(r["expansion_cost_musd"]),
            description=r["description"],
        )
        for r in _rows("modes.csv")
    }


@cache
def statuses() -> dict[str, Status]:
    """The life-cycle statuses, in order (``data/statuses.csv``), used by the validator and the scenarios.

    Returns
    -------
    dict[str, Status]
        Status name → its row.

    Examples
    --------
    >>> [s for s, row in statuses().items() if row.planned]
    ['construction', 'pre-construction', 'proposed']
    """
    return {
        r["status"]: Status(r["status"], r["in_service"], r["planned"] == "yes", r["description"])
        for r in _rows("statuses.csv")
    }


@cache
def severities() -> dict[str, Severity]:
    """The severities, mildest first (``data/severities.csv``): shared by the bottleneck rule, the map and QGIS.

    Returns
    -------
    dict[str, Severity]
        Severity name → its row.

    Examples
    --------
    >>> [s for s, row in severities().items() if row.bottleneck]
    ['near-capacity', 'binding', 'over-capacity']
    """
    return {
        r["severity"]: Severity(r["severity"], int(r["rank"]), r["bottleneck"] == "yes", r["colour"], r["rule"])
        for r in _rows("severities.csv")
    }


_REQUIRED_TEXT = {
    "yes": "yes",
    "no": "",
    "planned": "unless operating",
    "with_capacity": "with capacity",
}


def markdown_table(layer: str) -> str:
    """Render the fields of ``layer`` as a Markdown table (used in the README).

    Parameters
    ----------
    layer : {"nodes", "edges"}
        The layer whose fields to list.

    Returns
    -------
    str
        A header, a separator and one row per field (no trailing newline).

    Examples
    --------
    >>> print(markdown_table("nodes"))
    | field | type | unit | required | allowed values | description |
    |---|---|---|---|---|---|
    | `id` | str |  | yes |  | Unique identifier: ...
    ...
    """
    lines = [
        "| field | type | unit | required | allowed values | description |",
        "|---|---|---|---|---|---|",
    ]
    for f in fields(layer):
        allowed = ", ".join(f"`{a}`" for a in f.allowed)
        lines.append(
            f"| `{f.name}` | {f.type} | {f.unit} | {_REQUIRED_TEXT[f.required]} | {allowed} | {f.description} |"
        )
    return "\n".join(lines)
