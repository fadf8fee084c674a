"""User equilibrium (conjugate Frank–Wolfe) against the analytic equilibrium of two parallel routes."""

from __future__ import annotations

import pytest
from scipy.optimize import brentq

from corridor.analyses.assign import assign
from corridor.solve.equilibrium import BPR_ALPHA, BPR_BETA

from .netbuild import make_geodata, scenario


def test_two_parallel_routes_reach_the_analytic_equilibrium(tmp_path):
    """Two links between a and b with BPR travel times::

        a ──fast: t0 10 h, cap 4──▶ b
        a ──slow: t0 15 h, cap 8──▶ b

    Demand 10: at equilibrium both are used and their times are equal (tariffs are zero).
    """
    g = make_geodata(
        tmp_path,
        {"a": (0, 0), "b": (1, 0)},
        [
            {"id": "fast", "a": "a", "b": "b", "capacity": 4.0, "time_h": 10.0, "tariff_usd": 0.0, "directed": True},
            {"id": "slow", "a": "a", "b": "b", "capacity": 8.0, "time_h": 15.0, "tariff_usd": 0.0, "directed": True},
        ],
    )
    r = assign(g, scenario([("a", "b", 10.0)]), method="equilibrium")

    def t(t0, v, c):
        return t0 * (1 + BPR_ALPHA * (v / c) ** BPR_BETA)

    v_fast = brentq(lambda v: t(10, v, 4) - t(15, 10 - v, 8), 0, 10)
    flow = dict(zip(r.arcs.element, r.flow, strict=True))
    gap = r.log[-1]["relative_gap"]
    assert r.solver_status == "Optimal" and gap <= 1e-4
    assert flow["fast"] == pytest.approx(v_fast, rel=1e-3)
    assert flow["slow"] == pytest.approx(10 - v_fast, rel=1e-3)
    assert r.od.loc[0, "time_h"] == pytest.approx(t(10, v_fast, 4), rel=1e-3)


def test_below_capacity_equilibrium_is_the_cheapest_path(tmp_path):
    g = make_geodata(
        tmp_path,
        {"a": (0, 0), "b": (1, 0)},
        [
            {"id": "fast", "a": "a", "b": "b", "capacity": 400.0, "time_h": 10.0, "tariff_usd": 0.0, "directed": True},
            {"id": "slow", "a": "a", "b": "b", "capacity": 800.0, "time_h": 15.0, "tariff_usd": 0.0, "directed": True},
        ],
    )
    r = assign(g, scenario([("a", "b", 1.0)]), method="equilibrium")
    flow = dict(zip(r.arcs.element, r.flow, strict=True))
    assert flow["fast"] == pytest.approx(1.0) and flow["slow"] == pytest.approx(0.0)
