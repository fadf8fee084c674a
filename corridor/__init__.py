"""corridor: map and analyse the Middle Corridor and the Caspian energy and data links.

The pipeline runs one way: geodata → network → assignment → bottlenecks → map / export::

    import corridor
    run = corridor.analyze("target-2030")            # load, assign, flag bottlenecks
    run.bottlenecks                                  # the flagged assets, worst first
    run.map()                                        # the interactive map, inline in a notebook
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

#: Public name → the module that defines it. Imported on first use (PEP 562), so that
#: ``import corridor`` and ``corridor --help`` load neither geopandas nor numba nor folium.
_LAZY = {
    "ArgumentError": "corridor._errors",
    "ArgumentTypeError": "corridor._errors",
    "CorridorError": "corridor._errors",
    "OutputError": "corridor._errors",
    "SolverError": "corridor._errors",
    "ScenarioError": "corridor._errors",
    "ValidationError": "corridor._errors",
    "ValidationErrors": "corridor._errors",
    "METHODS": "corridor.analyses.assign",
    "Assignment": "corridor.analyses.assign",
    "assign": "corridor.analyses.assign",
    "flag_bottlenecks": "corridor.analyses.bottlenecks",
    "criticality": "corridor.analyses.criticality",
    "Geodata": "corridor.io.geodata",
    "load_basemap": "corridor.io.geodata",
    "load_geodata": "corridor.io.geodata",
    "validate": "corridor.io.geodata",
    "build_network": "corridor.model.network",
    "Analysis": "corridor.results",
    "analyze": "corridor.results",
    "Plan": "corridor.analyses.plan",
    "plan_expansion": "corridor.analyses.plan",
    "Scenario": "corridor.io.scenario",
    "list_scenarios": "corridor.io.scenario",
    "load_scenario": "corridor.io.scenario",
    "Throughput": "corridor.analyses.throughput",
    "max_throughput": "corridor.analyses.throughput",
    "Calibration": "corridor.analyses.calibrate",
    "calibrate": "corridor.analyses.calibrate",
    "load_counts": "corridor.analyses.calibrate",
    "uncertainty": "corridor.analyses.uncertainty",
    "with_uncertainty": "corridor.analyses.uncertainty",
}
#: ``load_network(geodata, scenario)``: the scenario's network as a networkx MultiDiGraph.
_ALIASES = {"load_network": "build_network"}


def __getattr__(name: str) -> object:
    import importlib

    target = _ALIASES.get(name, name)
    if target not in _LAZY:
        raise AttributeError(f"module 'corridor' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[target]), target)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # what type checkers and IDEs see
    from corridor._errors import (
        ArgumentError,
        ArgumentTypeError,
        CorridorError,
        OutputError,
        ScenarioError,
        SolverError,
        ValidationError,
        ValidationErrors,
    )
    from corridor.analyses.assign import METHODS, Assignment, assign
    from corridor.analyses.bottlenecks import flag_bottlenecks
    from corridor.analyses.calibrate import Calibration, calibrate, load_counts
    from corridor.analyses.criticality import criticality
    from corridor.analyses.plan import Plan, plan_expansion
    from corridor.analyses.throughput import Throughput, max_throughput
    from corridor.analyses.uncertainty import uncertainty, with_uncertainty
    from corridor.io.geodata import Geodata, load_basemap, load_geodata, validate
    from corridor.io.scenario import Scenario, list_scenarios, load_scenario
    from corridor.model.network import build_network
    from corridor.model.network import build_network as load_network
    from corridor.results import Analysis, analyze

__all__ = [
    "METHODS",
    "Analysis",
    "ArgumentError",
    "ArgumentTypeError",
    "Assignment",
    "Calibration",
    "CorridorError",
    "Geodata",
    "OutputError",
    "Plan",
    "Scenario",
    "ScenarioError",
    "SolverError",
    "Throughput",
    "ValidationError",
    "ValidationErrors",
    "__version__",
    "analyze",
    "assign",
    "build_network",
    "calibrate",
    "criticality",
    "flag_bottlenecks",
    "list_scenarios",
    "load_basemap",
    "load_counts",
    "load_geodata",
    "load_network",
    "load_scenario",
    "max_throughput",
    "plan_expansion",
    "uncertainty",
    "validate",
    "with_uncertainty",
]
