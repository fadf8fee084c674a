"""The least-cost set of capacity expansions that lets the network carry a target.

The scenario's demand for ``commodity`` is scaled so that it adds up to ``target``; one
expansion variable per capacitated edge (both directions together) and node says how much
capacity to add, at a cost per unit from the geodata (``expansion_cost_musd``) or, where no
source gives one, the mode's default in ``corridor/data/modes.csv`` (nodes use the ``transfer``
default) — flagged as an assumption in the output. The LP minimises the capital cost of the
expansions (MUSD), with the yearly transport cost as a small tie-break (weight 1e-3), and is
solved by the same column-generation master as the assignment, with the expansions as columns.
Assets already planned by the scenario's year are in the network at no cost. Expansions are
continuous (an LP), not blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from corridor._errors import ScenarioError, SolverError
from corridor.io import schema
from corridor.io.geodata import Geodata
from corridor.io.scenario import Scenario
from corridor.model.network import COMMODITIES
from corridor.model.problem import Problem, prepare
from corridor.solve.master import Expansion, MasterLP

__all__ = ["Plan", "plan_expansion", "scale_demand"]

ROUTING_WEIGHT = 1e-3
TARGET_PENALTY = 1e7
#: The largest target accepted (in the commodity's unit: Mt/yr, MW, Tbps): far above any corridor's, low enough
#: for the LP's numbers (penalty x demand) to stay well inside double precision.
MAX_TARGET = 1e6


@dataclass(frozen=True)
class Plan:
    """The expansions that carry ``target`` and the scenario that has them (to re-run and check)."""

    scenario: str
    year: int
    commodity: str
    target: float
    served: float
    total_cost_musd: float
    expansions: pd.DataFrame
    planned_in_use: pd.DataFrame
    expanded_scenario: Scenario
    solver_status: str


def scale_demand(scenario: Scenario, *, commodity: str, target: float) -> Scenario:
    """The scenario with its ``commodity`` demand scaled so that it adds up to ``target``.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose demand pattern to keep.
    commodity : str
        The commodity to scale (the others are left as they are).
    target : float
        The total demand of ``commodity`` wanted, in its unit.

    Returns
    -------
    Scenario
        A copy with every ``commodity`` demand multiplied by the same factor.

    Raises
    ------
    ScenarioError
        The scenario has no demand for ``commodity``.

    Examples
    --------
    >>> from corridor.io.scenario import Demand
    >>> sc = Scenario(name="demo", year=2030, description="", demand=(
    ...     Demand("a", "b", "freight", 1.0), Demand("a", "c", "freight", 3.0), Demand("a", "b", "oil", 5.0)))
    >>> [d.amount for d in scale_demand(sc, commodity="freight", target=8.0).demand]
    [2.0, 6.0, 5.0]
    """
    total = sum(d.amount for d in scenario.demand if d.commodity == commodity)
    if total <= 0:
        raise ScenarioError(
            f"scenario '{scenario.name}' has no {commodity} demand to scale to {target:g}",
            file=scenario.path,
            fix="pick a scenario with demand for it, or another commodity",
        )
    f = target / total
    demand = tuple(replace(d, amount=d.amount * f) if d.commodity == commodity else d for d in scenario.demand)
    return replace(scenario, demand=demand)


def plan_expansion(geodata: Geodata, scenario: Scenario, *, target: float, commodity: str = "freight") -> Plan:
    """Least-cost expansions so that ``target`` units of ``commodity`` are carried (see the module docstring).

    Parameters
    ----------
    geodata, scenario
        The data and the scenario whose demand pattern is scaled to ``target``.
    target : float
        Total demand of ``commodity`` to carry, in its unit, in (0, :data:`MAX_TARGET`].
    commodity : str
        One of freight, oil, gas, electricity, data.

    Returns
    -------
    Plan
        ``expansions`` (asset, capacity added, cost in MUSD and its basis), ``served``, ``total_cost_musd`` and
        the planned assets the plan uses.

    Raises
    ------
    SolverError
        The LP ended without an optimum (unbounded, infeasible, iteration limit): a plan is only reported
        when optimal.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> plan = plan_expansion(g, corridor.load_scenario("target-2030", g), target=10.0)
    >>> plan.served, plan.solver_status
    (10.0, 'Optimal')
    >>> list(plan.expansions.columns[:6])
    ['id', 'name', 'layer', 'type', 'capacity_before', 'added']
    >>> bool(abs(plan.total_cost_musd - plan.expansions["cost_musd"].sum()) < 1e-9)
    True
    """
    from corridor.io import _validate

    _validate.instance(geodata, Geodata, "geodata", "a Geodata (from load_geodata)")
    _validate.instance(scenario, Scenario, "scenario", "a Scenario (from load_scenario)")
    if commodity not in COMMODITIES:
        raise ScenarioError(
            f"unknown commodity '{commodity}'", field="commodity", fix=f"use one of {', '.join(COMMODITIES)}"
        )
    target = _validate.number(target, "target", low=0.0, high=MAX_TARGET, low_open=True)
    sc = scale_demand(scenario, commodity=commodity, target=target)
    ready = prepare(geodata, sc)
    arcs, problem = ready.arcs, ready.problem
    c = COMMODITIES.index(commodity)
    penalty = np.where(problem.commodity == c, TARGET_PENALTY, problem.penalty * ROUTING_WEIGHT)
    lp = Problem(
        arcs=arcs,
        origin=problem.origin,
        destination=problem.destination,
        commodity=problem.commodity,
        demand=problem.demand,
        cost=problem.cost * ROUTING_WEIGHT,
        penalty=penalty,
    )
    modes = schema.modes()
    elements = sorted({e for e, cap in zip(arcs.element, arcs.capacity, strict=True) if math.isfinite(cap)})
    group_of = {e: g for g, e in enumerate(elements)}
    group = np.array(
        [group_of.get(e, -1) if math.isfinite(cap) else -1 for e, cap in zip(arcs.element, arcs.capacity, strict=True)]
    )
    unit_cost, basis = [], []
    for e in elements:
        if e in geodata.edges.index:
            rec = geodata.edges.loc[e]
            value = rec["expansion_cost_musd"]
            if value is not None and not pd.isna(value):
                unit_cost.append(float(value))
                basis.append(f"source: {rec['source_url']}")
                continue
            unit_cost.append(modes[rec["mode"]].expansion_cost_musd)
            basis.append(f"assumption: default for mode '{rec['mode']}' (modes.csv)")
        else:
            unit_cost.append(modes["transfer"].expansion_cost_musd)
            basis.append("assumption: node default (the 'transfer' mode's, modes.csv)")
    master = MasterLP(lp, expansion=Expansion(group=group, cost=np.array(unit_cost)))
    try:
        sol = master.solve()
        status = sol.status
    except SolverError as exc:
        status = exc.status or "failed"
    if status != "Optimal":  # no optimum, no plan: never report one as if it were
        raise SolverError(
            f"the expansion LP for a target of {target:g} {commodity} ended '{status}', not optimal: no plan to "
            "report (fix: ask for a smaller target, or check the scenario's demand and the assets' costs)",
            status=status,
        )
    added = sol.expansion if sol.expansion is not None else np.zeros(len(elements))
    flow = sol.arc_flow.sum(axis=0)
    served = float(sol.served[problem.commodity == c].sum())
    out, overrides = [], {}
    for g, e in enumerate(elements):
        if added[g] <= 1e-7:
            continue
        a = np.flatnonzero(group == g)
        # capacities as the data states them (before other traffic takes its share): the expanded scenario
        # overrides these, and the background loads are subtracted from them again when it runs
        before = float(arcs.capacity_total[a].min())
        after = before + float(added[g])
        rec, layer, kind = geodata.asset(e)
        out.append(
            {
                "id": e,
                "name": rec["name"],
                "layer": layer,
                "type": kind,
                "capacity_before": before,
                "added": float(added[g]),
                "capacity_after": after,
                "capacity_unit": rec["capacity_unit"],
                "unit_cost_musd": unit_cost[g],
                "cost_musd": unit_cost[g] * float(added[g]),
                "utilization_after": float(
                    ((flow[a] + arcs.background_load[a]) / (arcs.capacity_total[a] + added[g])).max()
                ),
                "cost_basis": basis[g],
            }
        )
        # the scenario's own figure for the asset, before its derates: scaled so that, derated again, it is `after`
        stated = scenario.capacity.get(e, rec["capacity"])
        overrides[e] = float(stated) * after / before if before > 0 and not pd.isna(stated) else after
    expansions = pd.DataFrame(
        out,
        columns=[
            "id",
            "name",
            "layer",
            "type",
            "capacity_before",
            "added",
            "capacity_after",
            "capacity_unit",
            "unit_cost_musd",
            "cost_musd",
            "utilization_after",
            "cost_basis",
        ],
    ).sort_values(["cost_musd", "id"], ascending=[False, True], ignore_index=True)
    planned = []
    status = {**geodata.edges["status"].to_dict(), **geodata.nodes["status"].to_dict()}
    for e in sorted(set(arcs.element)):
        if status.get(e, "operating") != "operating":
            a = [i for i, x in enumerate(arcs.element) if x == e]
            if flow[a].max() > 1e-9:
                rec = geodata.asset(e)[0]
                planned.append(
                    {
                        "id": e,
                        "name": rec["name"],
                        "status": rec["status"],
                        "start_year": rec["start_year"],
                        "flow": float(flow[a].max()),
                    }
                )
    expanded = replace(sc, name=f"{scenario.name}+plan{target:g}", capacity={**sc.capacity, **overrides})
    return Plan(
        scenario=scenario.name,
        year=scenario.year,
        commodity=commodity,
        target=target,
        served=served,
        total_cost_musd=float(expansions["cost_musd"].sum()),
        expansions=expansions,
        planned_in_use=pd.DataFrame(planned, columns=["id", "name", "status", "start_year", "flow"]),
        expanded_scenario=expanded,
        solver_status=sol.status,
    )
