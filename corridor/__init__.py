"""corridor: map and analyse the Middle Corridor and the Caspian energy and data links.

The pipeline runs one way: geodata → network → assignment → bottlenecks → map / export.
"""

from ._errors import CorridorError, ScenarioError, ValidationError, ValidationErrors
from .geodata import Geodata, load_geodata, validate

__version__ = "0.1.0"

__all__ = [
    "CorridorError",
    "Geodata",
    "ScenarioError",
    "ValidationError",
    "ValidationErrors",
    "__version__",
    "load_geodata",
    "validate",
]
