"""The multi-actor interop scenarios; importing this package registers them all in :data:`SCENARIOS`."""

from __future__ import annotations

from avp.interop.scenarios import adversarial, features, lifecycle, signedwrites
from avp.interop.scenarios.engine import SCENARIOS, SLOTS, Scenario, run_case, transcript_identities

# the matrix reads best from the basics to the attacks
_ORDER = [lifecycle.__name__, features.__name__, adversarial.__name__, signedwrites.__name__]
SCENARIOS.sort(key=lambda s: _ORDER.index(s.func.__module__))

__all__ = [
    "SCENARIOS",
    "SLOTS",
    "Scenario",
    "adversarial",
    "features",
    "lifecycle",
    "run_case",
    "signedwrites",
    "transcript_identities",
]
