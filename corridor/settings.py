"""Thresholds and tolerances, written once: every module reads them from here.

Scenario files may set their own ``bottleneck_threshold``; the rest are properties of the model and its
solvers, documented where they are used.
"""

from __future__ import annotations

__all__ = ["BINDING_TOLERANCE", "BOTTLENECK_THRESHOLD", "BUSY_UTILISATION", "RELIEF_SHARE"]

#: Utilisation at which an asset counts as a bottleneck (``near-capacity``), unless the scenario says otherwise.
BOTTLENECK_THRESHOLD = 0.9
#: Utilisation from which an asset is ``busy``.
BUSY_UTILISATION = 0.5
#: Utilisation within this of 1 is ``binding``; a shadow price above it means capacity has a value.
BINDING_TOLERANCE = 1e-6
#: Share of capacity whose value the relief figure states (``relief_musd_per_year``: 10 % more capacity).
RELIEF_SHARE = 0.1
