"""The multi-actor interop scenarios; :data:`SCENARIOS` is their explicit list, from the basics to
the attacks (the order the matrix shows them)."""

from __future__ import annotations

from avp.interop.model import Case
from avp.interop.scenarios import adversarial, features, lifecycle
from avp.interop.scenarios.context import SLOTS, Context, members_for, transcript_identities

SCENARIOS: list[Case[Context]] = [*lifecycle.CASES, *features.CASES, *adversarial.CASES]

__all__ = ["SCENARIOS", "SLOTS", "Context", "members_for", "transcript_identities"]
