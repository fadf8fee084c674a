"""Background traffic, alternatives instead of a penalty, and the model against observed counts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from corridor import CorridorError, load_geodata, load_scenario
from corridor.analyses.assign import assign
from corridor.analyses.bottlenecks import flag_bottlenecks
from corridor.analyses.calibrate import EXPLAIN_BEYOND, calibrate, load_counts
from corridor.cli import main
from corridor.io.geodata import DEFAULT_GEODATA
from corridor.io.scenario import Alternative, Background

from .netbuild import make_geodata, scenario

COUNTS = DEFAULT_GEODATA / "counts.csv"


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory):
    """a ──(cap 5, 10 USD/t)── b ──(cap 100, 10 USD/t)── c"""
    return make_geodata(
        tmp_path_factory.mktemp("line"),
        {"a": (0, 0), "b": (2, 0), "c": (4, 0)},
        [
            {"id": "a-b", "a": "a", "b": "b", "capacity": 5.0, "tariff_usd": 10.0},
            {"id": "b-c", "a": "b", "b": "c", "tariff_usd": 10.0},
        ],
    )


def _with(sc, **changes):
    return dataclasses.replace(sc, **changes)


def test_background_load_takes_up_capacity(line) -> None:
    sc = _with(scenario([("a", "c", 4.0)]), background=(Background(amount=3.0, id="a-b"),))
    result = assign(line, sc)
    assert result.od.loc[0, "served"] == pytest.approx(2.0)  # 5 − 3 left for the corridor
    _, edges = flag_bottlenecks(line, result, threshold=0.9)
    ab = edges.loc["a-b"]
    assert ab["flow"] == pytest.approx(2.0) and ab["background"] == pytest.approx(3.0)
    assert ab["utilization"] == pytest.approx(1.0) and ab["severity"] == "binding"
    assert edges.loc["b-c", "background"] == 0.0  # a load sits on its asset only


def test_background_load_by_direction(line) -> None:
    # the load runs b → a only: the corridor's a → b direction keeps its whole capacity
    sc = _with(scenario([("a", "c", 4.0)]), background=(Background(amount=3.0, id="a-b", direction="reverse"),))
    result = assign(line, sc)
    assert result.od.loc[0, "served"] == pytest.approx(4.0)
    _, edges = flag_bottlenecks(line, result, threshold=0.9)
    assert edges.loc["a-b", "flow_forward"] == pytest.approx(4.0)


def test_background_flow_competes_and_keeps_its_capacity(line) -> None:
    other = Background(amount=3.0, origin="a", destination="b", commodity="freight")
    sc = _with(scenario([("a", "c", 4.0)]), background=(other,))
    result = assign(line, sc)
    assert len(result.od) == 1 and result.od.loc[0, "served"] == pytest.approx(2.0)  # the corridor's own rows
    assert result.background_od.loc[0, "served"] == pytest.approx(3.0)  # served first: it is there today
    assert result.totals().loc["freight", "background"] == pytest.approx(3.0)
    _, edges = flag_bottlenecks(line, result, threshold=0.9)
    assert edges.loc["a-b", "flow"] == pytest.approx(2.0) and edges.loc["a-b", "background"] == pytest.approx(3.0)
    assert edges.loc["b-c", "background"] == 0.0  # the background flow ends at b


def test_unserved_demand_diverts_at_the_alternative_cost(line) -> None:
    # route a → c costs 20 USD/t (+ tiny tie-breaks); the alternative 50 USD/t + 0.5 USD/t/h × 24 h = 62 USD/t
    alt = Alternative(route="Elsewhere", commodity="freight", cost_usd_per_unit=50.0, days=1.0)
    sc = _with(scenario([("a", "c", 8.0)]), alternatives=(alt,))
    result = assign(line, sc)
    od = result.od.iloc[0]
    assert od["served"] == pytest.approx(5.0) and od["unserved"] == pytest.approx(3.0)
    assert od["alternative"] == "Elsewhere" and od["penalty"] == pytest.approx(62.0)
    _, edges = flag_bottlenecks(line, result, threshold=0.9)
    # one more t/yr of a–b capacity saves the diversion cost less the route's cost
    assert edges.loc["a-b", "shadow_price"] == pytest.approx(62.0 - od["cost_usd_per_unit"], abs=1e-3)
    assert edges.loc["a-b", "shadow_price_unit"] == "USD/t"
    assert edges.loc["a-b", "relief_musd_per_year"] == pytest.approx(edges.loc["a-b", "shadow_price"] * 0.5)


def test_the_cheapest_alternative_counts(line) -> None:
    dear = Alternative(route="dear", commodity="freight", cost_usd_per_unit=90.0, days=0.0)
    cheap = Alternative(route="cheap", commodity="freight", cost_usd_per_unit=30.0, days=1.0, premium_usd_per_unit=5)
    closed = Alternative(route="closed", commodity="freight", cost_usd_per_unit=1.0, days=0.0, origins=("b",))
    sc = _with(scenario([("a", "c", 8.0)]), alternatives=(dear, cheap, closed))
    assert sc.alternative("a", "c", "freight").route == "cheap"
    assert assign(line, sc).od.loc[0, "penalty"] == pytest.approx(30.0 + 12.0 + 5.0)


# --------------------------------------------------------------------------------------------
# the bundled data


@pytest.fixture(scope="module")
def bundled():
    return load_geodata()


@pytest.fixture(scope="module")
def baseline(bundled):
    sc = load_scenario("baseline-2024", bundled)
    result = assign(bundled, sc)
    return sc, result, *flag_bottlenecks(bundled, result, threshold=0.9)


def test_counts_file_is_sourced_and_large_enough() -> None:
    counts = load_counts(COUNTS)
    assert len(counts) >= 15
    assert counts["source_url"].str.startswith("http").all()
    assert set(counts["role"]) == {"calibration", "validation"}
    assert (counts["role"] == "validation").sum() >= 8


def test_baseline_reproduces_the_counts(bundled, baseline) -> None:
    _, result, _, _ = baseline
    cal = calibrate(bundled, result, load_counts(COUNTS))
    assert cal.summary["n"] >= 12
    assert cal.summary["median_abs_error"] <= 0.15
    assert cal.summary["validation"]["median_abs_error"] <= 0.15
    far = cal.rows[cal.rows["error"].abs() > EXPLAIN_BEYOND]
    assert far["note"].str.len().gt(40).all()  # every count far off says why
    assert cal.rows["explained"].all()


def test_background_traffic_uses_shared_capacity(baseline) -> None:
    _, result, nodes, edges = baseline
    # the China border crossings carry Kazakhstan-China trade the corridor's cargo must share
    for asset in ("transfer-alashankou-dostyk", "transfer-khorgos-altynkol"):
        assert edges.loc[asset, "background"] > 5 * edges.loc[asset, "flow"]
        assert edges.loc[asset, "utilization"] > 0.8
    assert nodes.loc["alat-port", "background"] > 2.0  # Baku handled far more than the corridor's cargo
    assert result.background_od.loc[0, "served"] == pytest.approx(4.1)  # Turkmen oil through BTC


def test_no_shadow_price_exceeds_the_diversion_saving(baseline) -> None:
    _, result, nodes, edges = baseline
    od = result.od
    for commodity in ("freight", "oil"):
        rows = od[(od["commodity"] == commodity) & od["served"].gt(0)]
        bound = float((rows["penalty"] - rows["cost_usd_per_unit"]).max())
        for frame in (nodes, edges):
            prices = frame.loc[frame["capacity_unit"].eq("Mt/yr") & frame["commodities"].str.contains(commodity)]
            assert (prices["shadow_price"] <= bound + 1e-6).all()
    freight = od[od["commodity"] == "freight"]
    assert freight["alternative"].ne("").all()  # every freight demand has somewhere to go


def test_no_capacity_is_its_own_observed_flow(bundled) -> None:
    """A capacity is a design or fleet figure, unless a source says the asset runs at capacity."""
    counts = load_counts(COUNTS)
    for _, c in counts.iterrows():
        if "+" in c["id"] or c["id"].startswith("total:"):
            continue
        rec = (bundled.edges if c["id"] in bundled.edges.index else bundled.nodes).loc[c["id"]]
        if pd.isna(rec["capacity"]):
            continue
        if abs(float(rec["capacity"]) - c["observed"]) <= 0.02 * c["observed"]:
            assert "runs at capacity" in str(rec["note"]).lower(), c["id"]


def test_backcast_2025_and_calibrate_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", "--scenario", "baseline-2025", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["scenario"] == "baseline-2025" and doc["year"] == 2025
    row = next(r for r in doc["rows"] if r["id"] == "total:freight")
    assert set(row) >= {"id", "name", "year", "observed", "modelled", "unit", "ratio", "source_url"}
    assert abs(row["ratio"] - 1) <= 0.15  # capacities explain the fall to 4.12 Mt from a 5.2 Mt forecast
    assert doc["summary"]["n"] >= 5 and doc["summary"]["worst"]["id"]
    assert main(["calibrate"]) == 0
    out = capsys.readouterr().out
    assert "median absolute error" in out and "validation" in out


def test_analyze_json_carries_background(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    item = next(e for e in doc["edges"] if e["id"] == "transfer-alashankou-dostyk")
    assert list(item)[:4] == ["id", "name", "flow", "background"]
    assert item["utilization"] == pytest.approx((item["flow"] + item["background"]) / item["capacity"], abs=1e-5)
    assert set(doc["totals"]["oil"]) >= {"demand", "served", "unserved", "background"}
    assert doc["background_od"] and doc["od"][0]["diverted_to"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('[[background]]\nid = "no-such-asset"\namount = 1.0', "unknown id"),
        ('[[background]]\nid = "baku"\namount = 1.0', "has no capacity"),
        ('[[background]]\nid = "alat-port"\ndirection = "forward"\namount = 1.0', "a node has no direction"),
        ('[[background]]\nid = "sea-aktau-alat"\ndirection = "up"\namount = 1.0', "unknown direction"),
        ('[[background]]\norigin = "alat-port"\namount = 1.0', "either id"),
        ('[[background]]\nid = "sea-aktau-alat"\namount = -1.0', "not a number >= 0"),
        ('[[alternative]]\nroute = "x"\ncommodity = "freight"\ndays = 1', "missing cost_usd_per_unit"),
        ('[[alternative]]\nroute = "x"\ncommodity = "coal"\ncost_usd_per_unit = 1\ndays = 1', "unknown commodity"),
        (
            '[[alternative]]\nroute = "x"\ncommodity = "freight"\ncost_usd_per_unit = 1\ndays = 1\norigins = "poti"',
            "list",
        ),
        ('[[alternative]]\nroute = "x"\ncommodity = "freight"\ncost_usd_per_unit = 1\ndays = 1\ncolour = 1', "unknown"),
    ],
)
def test_bad_background_and_alternatives(tmp_path: Path, bundled, entry: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'name = "bad"\nyear = 2024\nextends = "baseline-2024"\n{entry}\n', encoding="utf-8")
    with pytest.raises(CorridorError, match=message):
        load_scenario(path, bundled)


def test_2035_carries_power_and_data(bundled) -> None:
    """The Caspian energy and data links in use: electricity and data flows on the cables and the fibre."""
    result = assign(bundled, load_scenario("corridor-2035", bundled))
    totals = result.totals()
    assert totals.loc["electricity", "served"] > 0 and totals.loc["data", "served"] > 0
    _, edges = flag_bottlenecks(bundled, result, threshold=0.9)
    assert edges.loc["power-blacksea-cable", "flow"] > 0
    assert edges.loc["fiber-aktau-sumgait", "flow"] > 0
