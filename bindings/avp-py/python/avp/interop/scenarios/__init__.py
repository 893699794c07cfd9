"""The multi-actor interop scenarios; importing this package registers them all in :data:`SCENARIOS`."""

from __future__ import annotations

from avp.interop.scenarios import adversarial, features, lifecycle
from avp.interop.scenarios.engine import SCENARIOS, SLOTS, Scenario, run_case

__all__ = ["SCENARIOS", "SLOTS", "Scenario", "adversarial", "features", "lifecycle", "run_case"]
