"""The schema table is the one list of fields: code, docs and data agree with it."""

from __future__ import annotations

import re

from corridor.cli import main
from corridor.io import schema

from .conftest import REPO


def test_readme_section_is_generated_from_the_table(capsys) -> None:
    main(["schema"])
    generated = capsys.readouterr().out
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"<!-- schema:start -->\n(.*)<!-- schema:end -->", readme, re.S)
    assert section is not None, "README lacks the schema markers"
    assert section.group(1) == generated, "README's data schema is stale: paste the output of `corridor schema`"


def test_every_field_used_in_code_is_in_the_table() -> None:
    """Any field read from a node or edge record (``rec[...]``, ``e[...]``, ``n[...]``, ``record.get(...)``,
    ``nodes[...]``, ``edges[...]``) in the package must be a field of the table (or a result field)."""
    known = set(schema.field_names("nodes")) | set(schema.field_names("edges"))
    used: set[str] = set()
    for path in (REPO / "corridor").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\b(?:record|props|rec|e|n|nodes|edges)(?:\.get\(|\[)["']([a-z_]+)["']""", text))
    from corridor.analyses.bottlenecks import RESULT_FIELDS

    derived = {"geometry", "commodity", "capacity", "direction", "element"}
    assert used - known - set(RESULT_FIELDS) - derived == set()


def test_every_commodity_and_mode_is_consistent() -> None:
    units = schema.commodity_units()
    modes = schema.modes()
    (edge_modes,) = [f.allowed for f in schema.fields("edges") if f.name == "mode"]
    assert set(edge_modes) == set(modes)
    for mode in modes.values():
        assert set(mode.commodities) <= set(units)
    (commodities,) = [f.allowed for f in schema.fields("edges") if f.name == "commodities"]
    assert set(commodities) == set(units)


def test_statuses_table_is_the_status_vocabulary():
    """One list of statuses: the schema's allowed values are the rows of data/statuses.csv, in order."""
    table = schema.statuses()
    for layer in ("nodes", "edges"):
        (status,) = [f for f in schema.fields(layer) if f.name == "status"]
        assert status.allowed == tuple(table)
    assert {s for s, row in table.items() if row.can_run} == {
        "operating",
        "construction",
        "pre-construction",
        "proposed",
    }


def test_severity_colours_are_shared_by_the_map_qgis_and_the_chart():
    """The map's utilisation ramp, its badges, the QGIS styles and the chart use the colours of data/severities.csv."""
    import re
    from pathlib import Path

    from corridor._values import SEVERITY_COLOURS
    from corridor.analyses.bottlenecks import BOTTLENECK_SEVERITIES, SEVERITIES
    from corridor.render import maps

    table = schema.severities()
    assert SEVERITIES == tuple(table) and [r.rank for r in table.values()] == list(range(len(table)))
    assert BOTTLENECK_SEVERITIES == ("near-capacity", "binding", "over-capacity")
    assert SEVERITY_COLOURS == {s: r.colour for s, r in table.items()}
    ramp = maps._colormap(0.9)
    for s, level in (("busy", 0.5), ("near-capacity", 0.9), ("binding", 1.0), ("over-capacity", 1.25)):
        assert ramp(level)[:7].lower() == table[s].colour.lower(), s
    css = (Path(maps.__file__).parent / "assets" / "map.css").read_text(encoding="utf-8")
    for s in BOTTLENECK_SEVERITIES:
        (colour,) = re.findall(rf"\.cx-sev-{s} \{{ background: (#[0-9a-f]{{6}}); \}}", css)
        assert colour == table[s].colour, s
