"""Warm re-solves (issue #16): N-1 from the base basis equals cold re-solves; the pricing shortcuts are exact."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from corridor.analyses.criticality import n_minus_1
from corridor.model.network import COMMODITIES, Arcs
from corridor.model.problem import Problem
from corridor.solve.master import MasterLP
from corridor.solve.paths import _price, _Router

FREIGHT = COMMODITIES.index("freight")


def grid(side: int = 6, n_od: int = 14, *, seed: int = 3, load: float = 1.0) -> Problem:
    """A ``side`` × ``side`` grid both ways, random capacities and tariffs, freight demand between random pairs."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    pairs = np.concatenate(
        [np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()], np.c_[idx[:-1, :].ravel(), idx[1:, :].ravel()]]
    )
    tail = np.concatenate([pairs[:, 0], pairs[:, 1]])
    head = np.concatenate([pairs[:, 1], pairs[:, 0]])
    m = len(tail)
    allows = np.zeros((len(COMMODITIES), m), dtype=bool)
    allows[FREIGHT] = True
    length = rng.uniform(50, 150, m)
    arcs = Arcs(
        nodes=[str(i) for i in range(side * side)],
        node_index={str(i): i for i in range(side * side)},
        tail=tail,
        head=head,
        keys=[str(i) for i in range(m)],
        element=[str(i) for i in range(m)],
        direction=np.ones(m, dtype=np.int8),
        capacity=rng.uniform(3, 12, m).round(1),
        time_h=np.zeros(m),
        tariff=(length * rng.uniform(0.03, 0.06, m)).round(2),
        length_km=length,
        dwell=np.zeros(m, dtype=bool),
        allows=allows,
        counts=allows.copy(),
    )
    origin = rng.integers(0, side * side, n_od)
    destination = (origin + rng.integers(1, side * side, n_od)) % (side * side)
    return Problem(
        arcs=arcs,
        origin=origin,
        destination=destination,
        commodity=np.full(n_od, FREIGHT),
        demand=rng.uniform(2, 9, n_od).round(1) * load,
        cost=arcs.cost({}),
        penalty=np.full(n_od, 200.0),
    )


def test_n_minus_1_from_the_base_basis_equals_cold_re_solves() -> None:
    problem = grid()
    table = n_minus_1(problem, jobs=1)
    resolved = table[table["resolved"]]
    assert len(resolved) >= 20
    base = MasterLP(problem).solve()
    changed = 0
    for eid in resolved.index:
        blocked = np.array([e == eid for e in problem.arcs.element])
        cold = MasterLP(problem).solve(blocked=blocked)
        assert resolved.loc[eid, "objective_change"] == pytest.approx(cold.objective - base.objective, abs=1e-6)
        np.testing.assert_allclose(resolved.loc[eid, "served_change"], cold.served - base.served, atol=1e-6)
        changed += abs(cold.objective - base.objective) > 1e-6
    assert changed >= 10  # the outages really change the optimum: the comparison is not vacuous


def test_start_from_the_base_basis_is_optimal_again_once_unblocked() -> None:
    problem = grid()
    master = MasterLP(problem)
    base = master.solve()
    mark = master.basis()
    loaded = np.flatnonzero(base.arc_flow.sum(axis=0) > 1e-9)
    for a in loaded[:8]:  # outages add columns and rows the stored basis does not know
        blocked = np.zeros(problem.arcs.n_arcs, dtype=bool)
        blocked[a] = True
        master.start_from(mark)
        master.solve(blocked=blocked, detail=False)
    assert master.h.getNumCol() > len(mark[0].col_status)
    master.start_from(mark)
    again = master.solve()
    assert master.h.getInfo().simplex_iteration_count == 0
    assert len(again.log) == 1
    assert again.objective == pytest.approx(base.objective, rel=1e-12)


@pytest.mark.parametrize("load", [0.3, 1.0, 2.5])
def test_pricing_floor_skips_rows_but_not_the_optimum(load: float, monkeypatch: pytest.MonkeyPatch) -> None:
    problem = grid(7, 20, seed=5, load=load)
    master = MasterLP(problem)
    filtered = master.solve()
    y = np.asarray(master.h.getSolution().row_dual)[: master.n_dem]
    arc_dual = np.zeros(problem.arcs.n_arcs)
    arc_dual[master.capped_rows] = np.asarray(master.h.getSolution().row_dual)[master.n_dem :]
    skipped = master.n_dem - len(master._to_price(y, arc_dual, 1e-9 * max(1.0, np.abs(y).max())))
    monkeypatch.setattr(MasterLP, "_to_price", lambda *_: None)
    full = MasterLP(problem).solve()
    assert filtered.objective == pytest.approx(full.objective, rel=1e-9)
    np.testing.assert_allclose(filtered.served, full.served, atol=1e-6)
    if load < 1:
        assert skipped > 0  # light demand: some rows provably need no pricing, so the floor was used


def test_reweighted_router_equals_a_router_built_without_the_blocked_arcs() -> None:
    problem = grid(8, 30, seed=11)
    arcs = problem.arcs
    rng = np.random.default_rng(0)
    cached: dict[int, _Router] = {}
    for _ in range(5):
        weights = problem.cost * rng.uniform(1.0, 3.0, problem.cost.shape)
        blocked = rng.random(arcs.n_arcs) < 0.1
        fresh = _price(problem, weights, blocked=blocked)
        again = _price(problem, weights, blocked=blocked, routers=cached)
        assert fresh == again
        assert sum(p is not None for p in fresh) > 20
        assert not any(blocked[p].any() for p in fresh if p)


@pytest.mark.parametrize("seed", [3, 8])
def test_a_star_bounds_change_no_optimum_and_no_n_minus_1_change(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The A* bounds the kept routers add (``BOUNDS_WORK``) give the same system optimum and the same N-1."""
    import corridor.solve.paths as paths

    problem = grid(8, 30, seed=seed, load=1.6)
    runs = {}
    for bounds in (False, True):
        monkeypatch.setattr(paths, "BOUNDS_WORK", 0 if bounds else 10**18)
        master = MasterLP(problem)
        runs[bounds] = (master.solve(), n_minus_1(problem, jobs=1))
        assert (master._routers[FREIGHT].bounds is not None) == bounds  # the switch really switches
    (plain, plain_n1), (a_star, a_star_n1) = runs[False], runs[True]
    assert a_star.objective == pytest.approx(plain.objective, rel=1e-9)
    np.testing.assert_allclose(a_star.served, plain.served, rtol=1e-7, atol=1e-7)
    assert (a_star.dual < 0).any()  # congested: pricing ran on weights above the costs, where A* prunes
    np.testing.assert_allclose(a_star_n1["objective_change"], plain_n1["objective_change"], rtol=1e-7, atol=1e-6)


def test_set_cost_finds_the_cheapest_paths_on_the_new_costs() -> None:
    """After set_cost, a solve reports the cheapest paths (and optimum) of the new costs, as a fresh master does."""
    problem = grid(6, 12, seed=11)
    master = MasterLP(problem)
    before = master.solve()
    cost = problem.cost.copy()
    cost[:, np.asarray(before.cheapest[0], dtype=np.int64)] *= 10.0  # the first demand's cheapest route gets dear
    master.set_cost(cost)
    after = master.solve()
    fresh = MasterLP(replace(problem, cost=cost)).solve()
    assert after.cheapest[0] != before.cheapest[0]  # the change moves that demand's cheapest route
    assert after.cheapest == fresh.cheapest
    assert after.objective == pytest.approx(fresh.objective, rel=1e-9)
    np.testing.assert_allclose(after.served, fresh.served, atol=1e-6)
