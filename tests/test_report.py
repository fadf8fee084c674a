"""`corridor analyze` on the bundled data: the acceptance findings, the JSON contract, byte-identical reports."""

from __future__ import annotations

import json

import pytest

from corridor.cli import main

ITEM_KEYS = {"id", "name", "flow", "capacity", "capacity_unit", "utilization", "bottleneck", "severity", "shadow_price"}


def _json(capsys, *args: str) -> tuple[dict, str]:
    assert main(["analyze", "--json", *args]) == 0
    out = capsys.readouterr().out
    return json.loads(out), out


def test_baseline_serves_the_reported_2024_volumes(capsys):
    doc, first = _json(capsys)
    assert doc["scenario"] == "baseline-2024" and doc["solver_status"] == "Optimal"
    assert doc["totals"]["freight"]["demand"] == pytest.approx(4.48, abs=0.01)
    assert doc["totals"]["freight"]["unserved"] == pytest.approx(0.0, abs=1e-6)
    assert doc["totals"]["oil"]["unserved"] == pytest.approx(0.0, abs=1e-6)
    for item in doc["edges"] + doc["nodes"]:
        assert ITEM_KEYS <= set(item)
    assert {"corridor_version", "data_version", "parameters"} <= set(doc["provenance"])
    _, second = _json(capsys)
    assert first == second, "the same inputs must give a byte-identical report"


def test_target_2030_names_binding_bottlenecks_with_shadow_prices(capsys):
    doc, _ = _json(capsys, "--scenario", "target-2030")
    binding = [b for b in doc["bottlenecks"] if b["severity"] == "binding" and b["shadow_price"] > 0]
    assert binding, "target-2030 should leave freight unserved behind priced bottlenecks"
    assert any(b["type"] == "sea" for b in binding), "the Caspian crossings bind in 2030"
    assert doc["totals"]["freight"]["unserved"] > 0


def test_text_report_and_method_comparison(capsys):
    assert (
        main(["analyze", "--scenario", "target-2030", "--method", "equilibrium", "--compare-method", "system-optimal"])
        == 0
    )
    out = capsys.readouterr().out
    assert "equilibrium vs system-optimal" in out and "Bottlenecks" in out
    assert main(["analyze"]) == 0
    assert "Reported schedules vs the model" in capsys.readouterr().out
