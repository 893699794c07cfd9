"""The state of each repository as the observed traffic established it, before every exchange.

The judges compare what a client sends with what it had been told: the version, epoch and roster
of the last manifest served (or created), and the counters of the last accepted push.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional

from avp.interop.observe.exchanges import Seen
from avp.interop.proxy import manifests_in


@dataclass(frozen=True)
class RepoState:
    payload_version: int
    key_epoch: int
    #: member id -> the MemberEntry last seen for it, in roster order
    roster: dict[str, Any]

    @staticmethod
    def of_manifest(manifest: dict[str, Any]) -> Optional[RepoState]:
        version, epoch, members = (manifest.get(k) for k in ("payloadVersion", "keyEpoch", "members"))
        if type(version) is not int or type(epoch) is not int or not isinstance(members, list):
            return None
        return RepoState(version, epoch, roster_of(members))


def roster_of(members: list[Any]) -> dict[str, Any]:
    """member id -> MemberEntry (entries without an id are not members of anything)."""
    return {
        m["ed25519PublicKey"]: m
        for m in members
        if isinstance(m, dict) and isinstance(m.get("ed25519PublicKey"), str)
    }


@dataclass(frozen=True)
class Step:
    """One exchange with the request parsed, the repository it concerns, and that repository's
    state just before it (None when nothing was known yet)."""

    seen: Seen
    repo_id: Optional[str]
    request: Any
    before: Optional[RepoState]

    @property
    def accepted(self) -> bool:
        """Answered 200 (and, for a push, not a conflict)."""
        if self.seen.status != 200:
            return False
        answer = self.seen.answer
        return self.seen.operation != "push" or (isinstance(answer, dict) and answer.get("accepted") is True)


def repo_of(seen: Seen, request: Any) -> Optional[str]:
    if seen.operation == "create":
        manifest = request.get("manifest") if isinstance(request, dict) else None
        repo_id = manifest.get("repoId") if isinstance(manifest, dict) else None
        return repo_id if isinstance(repo_id, str) else None
    return seen.path_repo_id


def steps(exchanges: list[Seen]) -> list[Step]:
    """Walk the exchanges in order, tracking every repository's state."""
    states: dict[str, RepoState] = {}
    out: list[Step] = []
    for seen in exchanges:
        request = seen.request()
        repo_id = repo_of(seen, request)
        step = Step(seen, repo_id, request, states.get(repo_id) if repo_id else None)
        out.append(step)
        if repo_id is None:
            continue
        after = _after(step)
        if after is not None:
            states[repo_id] = after
    return out


def _after(step: Step) -> Optional[RepoState]:
    """The repository's state once ``step`` was answered (None: unchanged)."""
    if not step.accepted:
        return None
    served = manifests_in(step.seen.answer)
    if served:
        return RepoState.of_manifest(served[0])
    if step.seen.operation == "create" and isinstance(step.request, dict):
        return RepoState.of_manifest(step.request.get("manifest") or {})
    answer, before = step.seen.answer, step.before
    if step.seen.operation != "push" or before is None or not isinstance(step.request, dict):
        return None
    rotated = step.request.get("rotatedMembers")
    roster = roster_of(rotated) if isinstance(rotated, list) else before.roster
    version, epoch = answer.get("payloadVersion"), answer.get("keyEpoch")
    if type(version) is not int or type(epoch) is not int:
        return None
    return dataclasses.replace(before, payload_version=version, key_epoch=epoch, roster=roster)
