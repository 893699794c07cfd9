"""The black-box server conformance suite (``avp interop conformance URL``).

Every rule of AVP 0.4 and docs/wire-contract.md a server can be checked on over HTTP only, one module
per area; :data:`CHECKS` is their explicit list, in the order the reports show them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

from avp.interop.conformance import auth, decoding, general, limits, members, repos
from avp.interop.conformance.context import Context
from avp.interop.model import Case, CaseResult, Kind

CHECKS: list[Case[Context]] = [
    *auth.CASES,
    *decoding.CASES,
    *general.CASES,
    *limits.CASES,
    *members.CASES,
    *repos.CASES,
]

__all__ = ["CHECKS", "Context", "run_suite"]


def run_suite(
    url: str,
    *,
    select: Callable[[str], bool] = lambda _id: True,
    workers: int = 2,
    discovery: Optional[dict[str, Any]] = None,
    extensions: Optional[frozenset[str]] = None,
) -> list[CaseResult]:
    """Every selected check against the server at ``url``, through the engine, in list order;
    discovery and extensions are looked up when not given."""
    from avp.interop import engine, launcher

    doc = launcher.discovery(url) if discovery is None else discovery
    offered = launcher.extensions(url, doc) if extensions is None else extensions

    def one(check: Case[Context]) -> CaseResult:
        return engine.execute(check, Context(url, doc, offered), kind=Kind.CONFORMANCE, column=url)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="conformance") as pool:
        return list(pool.map(one, [c for c in CHECKS if select(c.id)]))
