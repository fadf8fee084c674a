"""corridor: map and analyse the Middle Corridor and the Caspian energy and data links.

The pipeline runs one way: geodata → network → assignment → bottlenecks → map / export::

    import corridor
    run = corridor.analyze("target-2030")            # load, assign, flag bottlenecks
    run.bottlenecks                                  # the flagged assets, worst first
    run.map()                                        # the interactive map, inline in a notebook
"""

__version__ = "0.1.0"

import sys
import types
from typing import TYPE_CHECKING

#: Public name → the module that defines it. Imported on first use (PEP 562), so that
#: ``import corridor`` and ``corridor --help`` load neither geopandas nor numba nor folium.
_LAZY = {
    "ArgumentError": "._errors",
    "ArgumentTypeError": "._errors",
    "CorridorError": "._errors",
    "OutputError": "._errors",
    "SolverError": "._errors",
    "ScenarioError": "._errors",
    "ValidationError": "._errors",
    "ValidationErrors": "._errors",
    "METHODS": ".assignment",
    "Assignment": ".assignment",
    "assign": ".assignment",
    "flag_bottlenecks": ".bottlenecks",
    "criticality": ".criticality",
    "Geodata": ".geodata",
    "load_basemap": ".geodata",
    "load_geodata": ".geodata",
    "validate": ".geodata",
    "build_network": ".network",
    "Analysis": ".pipeline",
    "analyze": ".pipeline",
    "Plan": ".plan",
    "plan_expansion": ".plan",
    "Scenario": ".scenario",
    "list_scenarios": ".scenario",
    "load_scenario": ".scenario",
    "Throughput": ".throughput",
    "max_throughput": ".throughput",
}
#: ``load_network(geodata, scenario)``: the scenario's network as a networkx MultiDiGraph.
_ALIASES = {"load_network": "build_network"}


def __getattr__(name: str) -> object:
    import importlib

    target = _ALIASES.get(name, name)
    if target not in _LAZY:
        raise AttributeError(f"module 'corridor' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[target], __name__), target)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """Keeps ``corridor.criticality`` the function when its submodule is imported (which would rebind the name)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "criticality" and isinstance(value, types.ModuleType):
            value = value.criticality
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # what type checkers and IDEs see
    from ._errors import (
        ArgumentError,
        ArgumentTypeError,
        CorridorError,
        OutputError,
        ScenarioError,
        SolverError,
        ValidationError,
        ValidationErrors,
    )
    from .assignment import METHODS, Assignment, assign
    from .bottlenecks import flag_bottlenecks
    from .criticality import criticality
    from .geodata import Geodata, load_basemap, load_geodata, validate
    from .network import build_network
    from .network import build_network as load_network
    from .pipeline import Analysis, analyze
    from .plan import Plan, plan_expansion
    from .scenario import Scenario, list_scenarios, load_scenario
    from .throughput import Throughput, max_throughput

__all__ = [
    "METHODS",
    "Analysis",
    "ArgumentError",
    "ArgumentTypeError",
    "Assignment",
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
    "criticality",
    "flag_bottlenecks",
    "list_scenarios",
    "load_basemap",
    "load_geodata",
    "load_network",
    "load_scenario",
    "max_throughput",
    "plan_expansion",
    "validate",
]
