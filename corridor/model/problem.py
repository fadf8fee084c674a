"""The solver-ready problem of a scenario: its arcs, its demand rows (corridor demand, then other traffic), costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor.model.network import (
    COMMODITIES,
    Arcs,
    arcs_from_graph,
    build_network,
    check_demand_nodes,
    in_node,
    out_node,
)

if TYPE_CHECKING:  # imported where used: a sampling worker unpickles a Problem without geopandas or networkx
    import networkx as nx
    import pandas as pd

    from corridor.io.geodata import Geodata
    from corridor.io.scenario import Scenario

__all__ = ["Prepared", "Problem", "build_problem", "prepare"]


@dataclass(frozen=True)
class Problem:
    """A solver-ready problem: arcs, one row per (origin, destination, commodity) demand, and prices."""

    arcs: Arcs
    origin: np.ndarray  # node index per demand
    destination: np.ndarray
    commodity: np.ndarray  # commodity index per demand
    demand: np.ndarray
    cost: np.ndarray  # (n_commodities, n_arcs) generalised cost
    penalty: np.ndarray  # unserved cost per demand row: its alternative's generalised cost, or the penalty
    background: np.ndarray | None = None  # per demand row: other traffic, not the corridor's (None: none is)


def build_problem(arcs: Arcs, graph: nx.MultiDiGraph, scenario: Scenario) -> tuple[Problem, pd.DataFrame]:
    """Aggregate the demand by (origin, destination, commodity) and price the arcs and the alternatives.

    The rows are the corridor's demand, then the scenario's background flows (``background`` true).
    Corridor demand that is not carried goes to its alternative (``alternative``; unserved costs the
    alternative's generalised cost), or, without one, costs the ``unserved_penalty``. Background flows
    cost the penalty too, which lies above every alternative: they keep the capacity they use today.

    Parameters
    ----------
    arcs : Arcs
        The network's arcs (:func:`~corridor.model.network.arcs_from_graph` of ``graph``).
    graph : networkx.MultiDiGraph
        The network (:func:`~corridor.model.network.build_network`): it tells which nodes are split.
    scenario : Scenario
        The demand, the background flows, the alternatives and the prices (``value_of_time``,
        ``unserved_penalty``).

    Returns
    -------
    problem : Problem
        The arrays for the solvers, one demand row per (background, origin, destination, commodity).
    rows : DataFrame
        The same rows by name: ``background``, ``origin``, ``destination``, ``commodity``, ``demand``,
        ``alternative`` (its route, or empty) and ``penalty`` (USD per unit left unserved).

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> sc = corridor.load_scenario("baseline-2024", g)
    >>> graph = build_network(g, sc)
    >>> problem, rows = build_problem(arcs_from_graph(graph), graph, sc)
    >>> list(rows.columns)
    ['background', 'origin', 'destination', 'commodity', 'demand', 'alternative', 'penalty']
    >>> rows.loc[rows["background"], ["origin", "commodity", "demand", "penalty"]].values.tolist()
    [['turkmenbashi-oil-terminal', 'oil', 4.1, 500.0]]
    >>> bool((problem.penalty == rows["penalty"]).all()), problem.cost.shape == (len(COMMODITIES), problem.arcs.n_arcs)
    (True, True)
    """
    import pandas as pd

    columns = ["background", "origin", "destination", "commodity", "amount"]
    entries = [(False, d.origin, d.destination, d.commodity, d.amount) for d in scenario.demand]
    entries += [(True, b.origin, b.destination, b.commodity, b.amount) for b in scenario.background if not b.is_preload]
    rows = (
        pd.DataFrame(entries, columns=columns)
        .groupby(columns[:-1], sort=True, as_index=False)["amount"]
        .sum()
        .rename(columns={"amount": "demand"})
    )
    cindex = {c: i for i, c in enumerate(COMMODITIES)}
    penalty = scenario.parameter("unserved_penalty")
    value_of_time = scenario.parameter("value_of_time")
    alternatives = [
        None if bg else scenario.alternative(o, d, c)
        for bg, o, d, c in zip(rows["background"], rows["origin"], rows["destination"], rows["commodity"], strict=True)
    ]
    rows["alternative"] = [a.route if a else "" for a in alternatives]
    rows["penalty"] = [
        a.generalised_cost(float(value_of_time.get(c, 0.0))) if a else float(penalty[c])
        for a, c in zip(alternatives, rows["commodity"], strict=True)
    ]
    background = rows["background"].to_numpy(bool)
    problem = Problem(
        arcs=arcs,
        origin=np.array([arcs.node_index[in_node(graph, o)] for o in rows["origin"]], dtype=np.int64),
        destination=np.array([arcs.node_index[out_node(graph, d)] for d in rows["destination"]], dtype=np.int64),
        commodity=np.array([cindex[c] for c in rows["commodity"]], dtype=np.int64),
        demand=rows["demand"].to_numpy(float),
        cost=arcs.cost(value_of_time),
        penalty=rows["penalty"].to_numpy(float),
        background=background if background.any() else None,
    )
    return problem, rows


@dataclass(frozen=True)
class Prepared:
    """A scenario made ready for the solvers: its graph, its arcs, the problem and the problem's demand rows."""

    graph: nx.MultiDiGraph
    arcs: Arcs
    problem: Problem
    rows: pd.DataFrame


def prepare(geodata: Geodata, scenario: Scenario) -> Prepared:
    """Network → arcs → problem, the one way every analysis that solves the master LP builds it.

    Parameters
    ----------
    geodata : Geodata
        The data (:func:`corridor.load_geodata`).
    scenario : Scenario
        The scenario (:func:`corridor.load_scenario`).

    Returns
    -------
    Prepared
        The graph, its arcs, the problem and its demand rows (corridor demand, then other traffic).

    Raises
    ------
    ScenarioError
        A demand names a node that is not in service in the scenario's year.

    Examples
    --------
    >>> import corridor
    >>> g = corridor.load_geodata()
    >>> ready = prepare(g, corridor.load_scenario("baseline-2024", g))
    >>> len(ready.rows) == len(ready.problem.demand), ready.arcs.n_arcs == ready.graph.number_of_edges()
    (True, True)
    """
    graph = build_network(geodata, scenario)
    check_demand_nodes(graph, geodata, scenario)
    arcs = arcs_from_graph(graph)
    problem, rows = build_problem(arcs, graph, scenario)
    return Prepared(graph, arcs, problem, rows)
