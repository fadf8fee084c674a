"""corridor: map and analyse the Middle Corridor and the Caspian energy and data links.

The pipeline runs one way: geodata → network → assignment → bottlenecks → map / export::

    import corridor
    run = corridor.analyze("target-2030")            # load, assign, flag bottlenecks
    run.edges.sort_values("shadow_price").tail()     # GeoDataFrame with the results
"""

__version__ = "0.1.0"

from ._errors import CorridorError, ScenarioError, ValidationError, ValidationErrors
from .assignment import METHODS, Assignment, assign
from .bottlenecks import flag_bottlenecks
from .criticality import criticality
from .geodata import Geodata, load_basemap, load_geodata, validate
from .network import build_network
from .pipeline import Analysis, analyze
from .plan import Plan, plan_expansion
from .scenario import Scenario, list_scenarios, load_scenario
from .throughput import Throughput, max_throughput

#: ``load_network(geodata, scenario)``: the scenario's network as a networkx MultiDiGraph.
load_network = build_network

__all__ = [
    "METHODS",
    "Analysis",
    "Assignment",
    "CorridorError",
    "Geodata",
    "Plan",
    "Scenario",
    "ScenarioError",
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
