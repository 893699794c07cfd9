"""The black-box server conformance suite (``avp interop conformance URL``).

Every server MUST of docs/wire-contract.md and the protocol notes, checked over HTTP only; importing
this package registers every check (one module per area) in :data:`CHECKS`.
"""

from __future__ import annotations

from avp.interop.conformance import auth, decoding, general, limits, members, repos
from avp.interop.conformance.suite import CHECKS, Check, run_suite

__all__ = ["CHECKS", "Check", "auth", "decoding", "general", "limits", "members", "repos", "run_suite"]
