"""Capacity-expansion plan: hand-checked optimum, and the plan's capacities really serve the target."""

from __future__ import annotations

import math

import pytest

from corridor._errors import ArgumentError, ArgumentTypeError, ScenarioError
from corridor.analyses.assign import assign
from corridor.analyses.plan import plan_expansion

from .netbuild import make_geodata, scenario


@pytest.fixture
def two_routes(tmp_path):
    """Cheap-to-expand rail versus dear-to-expand sea, in series with a port::

    a ──rail (cap 2, 10 MUSD per Mt/yr)──▶ [p: cap 3] ──▶ b
    a ──sea  (cap 1, 40 MUSD per Mt/yr, mode sea)──────▶ b
    """
    return make_geodata(
        tmp_path,
        {"a": (0, 0), "p": {"xy": (1, 0), "capacity": 3.0}, "b": (2, 0)},
        [
            {"id": "rail", "a": "a", "b": "p", "capacity": 2.0, "expansion_cost_musd": 10.0},
            {"id": "p-b", "a": "p", "b": "b", "capacity": 50.0},
            {"id": "sea", "a": "a", "b": "b", "mode": "sea", "capacity": 1.0, "expansion_cost_musd": 40.0},
        ],
    )


def test_cheapest_expansion_and_feasibility(two_routes):
    sc = scenario([("a", "b", 1.0)])
    plan = plan_expansion(two_routes, sc, target=6.0)
    added = plan.expansions.set_index("id")["added"].to_dict()
    # 6 = sea 1 + rail/port path 5: rail +3 (30 MUSD), port +2 (node default 20 MUSD per unit = 40 MUSD);
    # expanding the sea instead costs 40 per unit, more than rail + port (10 + 20 = 30 per unit).
    assert added == pytest.approx({"rail": 3.0, "p": 2.0})
    assert plan.total_cost_musd == pytest.approx(3 * 10 + 2 * 20)
    assert plan.served == pytest.approx(6.0)
    # re-running the system optimum with the plan's capacities serves the target
    after = assign(two_routes, plan.expanded_scenario)
    assert after.od["unserved"].sum() == pytest.approx(0.0, abs=1e-6)
    assert after.od["served"].sum() == pytest.approx(6.0)


def test_plan_with_background_and_a_derate_is_what_the_expanded_scenario_carries(two_routes):
    """The plan states capacities as the data does (before other traffic; its derates re-applied on re-run):
    the rail has 2 Mt/yr, derated to 1.5, of which a background load takes 1; the plan must add what the
    corridor needs on top, and the expanded scenario must carry the target when run again."""
    import dataclasses

    from corridor.io.scenario import Background

    sc = dataclasses.replace(
        scenario([("a", "b", 1.0)]),
        background=(Background(amount=1.0, id="rail"),),
        derates=({"id": "rail", "factor": 0.75},),
    )
    plan = plan_expansion(two_routes, sc, target=4.0)
    row = plan.expansions.set_index("id").loc["rail"]
    assert row["capacity_before"] == pytest.approx(1.5)  # 2 × 0.75, the background not subtracted
    assert row["utilization_after"] == pytest.approx(1.0)  # corridor flow + background fill it
    after = assign(two_routes, plan.expanded_scenario)
    assert after.od["served"].sum() == pytest.approx(4.0, abs=1e-6)


def test_bad_target(two_routes):
    for bad in (-1, 0, math.nan, math.inf, 1e12, 1e300):
        with pytest.raises(ArgumentError, match=r"target must be a finite number in \(0, "):
            plan_expansion(two_routes, scenario([("a", "b", 1.0)]), target=bad)
    with pytest.raises(ArgumentTypeError):
        plan_expansion(two_routes, scenario([("a", "b", 1.0)]), target="10")
    with pytest.raises(ScenarioError, match="no oil demand"):
        plan_expansion(two_routes, scenario([("a", "b", 1.0)]), target=5, commodity="oil")
