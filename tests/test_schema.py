"""The schema table is the one list of fields: code, docs and data agree with it."""

from __future__ import annotations

import re

from corridor import schema
from corridor.cli import main

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
    from corridor.bottlenecks import RESULT_FIELDS

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
