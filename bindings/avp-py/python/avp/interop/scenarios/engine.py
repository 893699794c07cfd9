"""The engine of the multi-actor scenarios: registry, the context a scenario gets, one case's run.

A scenario is a small function with an id by spec section (``6.push.conflict``) that drives actor
slots ("alice", "bob", "carol") through the actor contract against one server, and checks what
they answer — and, where the protocol demands it, what really reached the server (the runner
knows every actor's keys, so it can log in and decrypt as that actor over raw HTTP).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from avp.errors import AvpError
from avp.interop import material
from avp.interop.actor_pool import Actor, ActorBroken, ActorError
from avp.interop.material import Member
from avp.interop.model import (
    CaseFailed,
    CaseResult,
    CaseSkipped,
    CaseUnsupported,
    Kind,
    Level,
    Outcome,
    outcome_for_failure,
)
from avp.interop.proxy import Mode, Proxy
from avp.interop.rawhttp import RawClient, quote_segment
from avp.interop.redact import shorten

SLOTS = ("alice", "bob", "carol")


@dataclass(frozen=True)
class Scenario:
    id: str
    level: Level
    summary: str
    #: how many actor slots it uses (1: played only where every slot is the same client)
    actors: int
    func: Callable[[Context], None]
    #: play with the fixed identities of the transcript vector (same keys in every run and column)
    vector_identities: bool = False


SCENARIOS: list[Scenario] = []


def scenario(
    scenario_id: str,
    summary: str,
    *,
    actors: int = 2,
    level: Level = Level.MUST,
    vector_identities: bool = False,
) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
    def register(func: Callable[[Context], None]) -> Callable[[Context], None]:
        if any(s.id == scenario_id for s in SCENARIOS):
            raise ValueError(f"duplicate scenario id {scenario_id}")
        SCENARIOS.append(Scenario(scenario_id, level, summary, actors, func, vector_identities))
        return func

    return register


class Context:
    def __init__(
        self,
        server: str,
        discovery: dict[str, Any],
        actors: dict[str, Actor],
        members: dict[str, Member],
        transcript: list[dict[str, Any]],
        upstream: Optional[str] = None,
    ) -> None:
        #: the URL the actors use (the recording proxy), and the real server behind it
        self.server = server
        self.upstream = upstream or server
        self.discovery = discovery
        self.actors = actors
        self.members = members
        self.transcript = transcript
        self.http = RawClient(self.upstream, transcript)
        self.identities: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, str] = {}
        self.details: dict[str, Any] = {}

    # --- actors -------------------------------------------------------------------------------------
    def _send(self, slot: str, op: str, **args: Any) -> dict[str, Any]:
        """One actor operation; an ``unsupported`` answer makes the case unsupported, any other error
        is raised as the :class:`ActorError` it is."""
        try:
            return self.actors[slot].call(op, **args)
        except ActorError as err:
            if err.code == "unsupported":
                raise CaseUnsupported(
                    f"{slot} ({self.actors[slot].impl.name}) does not support '{op}'"
                ) from None
            raise

    def call(
        self, slot: str, op: str, *, step: Optional[str] = None, timeout: float = 20.0, **args: Any
    ) -> dict[str, Any]:
        """One actor operation that must succeed."""
        step = step or f"{slot}.{op}"
        try:
            return self._send(slot, op, timeout=timeout, **args)
        except ActorError as err:
            status = f" ({err.status})" if err.status is not None else ""
            raise CaseFailed(step, "success", f"error {err.code}{status}: {err.message[:200]}") from None

    def call_error(
        self,
        slot: str,
        op: str,
        codes: Iterable[str],
        *,
        status: Optional[int] = None,
        step: Optional[str] = None,
        **args: Any,
    ) -> ActorError:
        """One actor operation that must fail with one of ``codes`` (and ``status`` when reported)."""
        step = step or f"{slot}.{op}"
        wanted = sorted(set(codes))
        expected = " or ".join(wanted) + (f" (HTTP {status})" if status is not None else "")
        try:
            result = self._send(slot, op, **args)
        except ActorError as err:
            if err.code not in wanted or (status is not None and err.status not in (status, None)):
                got = f"{err.code}" + (f" (HTTP {err.status})" if err.status is not None else "")
                raise CaseFailed(step, "error " + expected, f"error {got}: {err.message[:200]}") from None
            return err
        raise CaseFailed(step, "error " + expected, "success: " + shorten(result, 200))

    def parallel(self, calls: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Several operations on different actors at the same time (each must succeed)."""
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = [pool.submit(self.call, slot, op, **args) for slot, op, args in calls]
            return [f.result() for f in futures]

    def expect(self, condition: bool, step: str, expected: str, actual: Any) -> None:
        if not condition:
            raise CaseFailed(step, expected, actual if isinstance(actual, str) else shorten(actual))

    def require(self, condition: bool, step: str, expected: str, actual: str) -> None:
        """A check of the case's own setup: failing it fails the case whatever its level."""
        if not condition:
            raise CaseFailed(step, expected, actual, hard=True)

    # --- naming and identities ----------------------------------------------------------------------
    def repo_id(self, label: str = "r") -> str:
        return f"{label}-{secrets.token_hex(6)}"

    def member(self, slot: str) -> Member:
        return self.members[slot]

    def reidentify(self, slot: str, member: Member) -> None:
        """Give ``slot`` another identity (the actor resets all its state)."""
        self.members[slot] = member
        self._tokens.pop(slot, None)
        self.identities[slot] = self.call(slot, "identity", **member.actor_identity())

    def invite(self, slot: str) -> str:
        token: str = self.identities[slot]["inviteToken"]
        return token

    def shared_repo(self, label: str, alts: list[dict[str, Any]], **create: Any) -> str:
        """A new repository that alice creates with ``alts`` (and ``create`` options) and shares
        with bob; its id."""
        repo = self.repo_id(label)
        self.call("alice", "create_repo", server=self.server, repoId=repo, alts=alts, **create)
        self.call("alice", "add_member", server=self.server, repoId=repo, inviteToken=self.invite("bob"))
        return repo

    # --- the runner's own view of the server --------------------------------------------------------
    def token(self, slot: str) -> str:
        if slot not in self._tokens:
            self._tokens[slot] = material.login(self.http, self.members[slot])
        return self._tokens[slot]

    def raw_request(self, method: str, path: str, body: Any, slot: str) -> dict[str, Any]:
        """A request the runner makes itself as ``slot``; anything but 200 fails the case's set-up."""
        resp = self.http.request(method, path, body, token=self.token(slot), note=f"runner as {slot}")
        data = resp.json()
        if resp.status != 200 or not isinstance(data, dict):
            raise CaseFailed(
                f"runner {method} {path} as {slot}", "200", f"{resp.status} {resp.body[:200]!r}", hard=True
            )
        return data

    def raw_pull(self, slot: str, repo_id: str) -> dict[str, Any]:
        """Pull as ``slot`` over raw HTTP (what the server really holds)."""
        resp = self.http.request(
            "POST",
            f"/v1/repos/{quote_segment(repo_id)}/pull",
            {"repoId": repo_id, "knownPayloadVersion": 0},
            token=self.token(slot),
            note=f"runner pulls as {slot}",
        )
        data = resp.json()
        if resp.status != 200 or not isinstance(data, dict):
            raise CaseFailed(f"runner pull as {slot}", "200", f"{resp.status} {resp.body[:200]!r}")
        return data

    def stored_alts(self, slot: str, repo_id: str) -> list[dict[str, Any]]:
        """The alts as encrypted on the server, decrypted by the runner with ``slot``'s keys."""
        data = self.raw_pull(slot, repo_id)
        key = material.data_key_of(self.members[slot], data["manifest"])
        alts: list[dict[str, Any]] = material.open_envelope(key, data["envelope"])["alts"]
        return alts

    def limit(self, name: str, default: int) -> int:
        return material.discovery_limit(self.discovery, name, default)

    @contextlib.contextmanager
    def proxy(self, mode: Mode) -> Iterator[str]:
        """An adversarial proxy in front of the server, for the duration of a ``with`` block."""
        with Proxy(self.upstream, mode, self.transcript) as proxy:
            yield proxy.url


def transcript_identities(vectors_dir: Optional[Path]) -> dict[str, Member]:
    """The fixed actors of ``vectors/transcript.json`` (empty when the file is not there)."""
    if vectors_dir is None:
        return {}
    try:
        doc = json.loads((vectors_dir / "transcript.json").read_text(encoding="utf-8"))
        return {
            name: Member(material.unb64(a["ed25519SeedB64"]), material.unb64(a["x25519PrivateB64"]))
            for name, a in doc["actors"].items()
            if name in SLOTS
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def usernames(alts: Any) -> list[str]:
    return sorted(a.get("username", "?") for a in alts) if isinstance(alts, list) else []


def run_case(
    sc: Scenario,
    *,
    server: str,
    discovery: dict[str, Any],
    actors: dict[str, Actor],
    column: str,
    seed: str,
    strict: bool,
    fixed: Optional[dict[str, Member]] = None,
    record_http: bool = False,
) -> CaseResult:
    """Play one scenario; ``fixed`` are the transcript vector's identities, used by the scenarios
    that ask for them (the others derive fresh identities from the seed, case and column)."""
    transcript: list[dict[str, Any]] = []
    started = time.perf_counter()
    members = {
        slot: (
            fixed[slot]
            if sc.vector_identities and fixed and slot in fixed
            else Member.derive(f"{seed}/{sc.id}/{column}/{slot}")
        )
        for slot in actors
    }
    # with record_http the actors talk to the server through a recording proxy, so the transcript
    # shows their own HTTP exchanges too (it costs time: the runner re-runs failed cases this way)
    recorder = Proxy(server, None, transcript).__enter__() if record_http else None
    ctx = Context(
        recorder.url if recorder else server, discovery, actors, members, transcript, upstream=server
    )
    outcome, reason, failed = Outcome.PASS, None, None
    for actor in actors.values():
        actor.transcript = transcript
    try:
        for slot in actors:
            ctx.identities[slot] = ctx.call(slot, "identity", **members[slot].actor_identity())
            ctx.expect(
                ctx.identities[slot].get("ed25519PublicKey") == members[slot].id,
                f"{slot}.identity",
                "the public key of the given seed",
                ctx.identities[slot],
            )
        sc.func(ctx)
    except CaseFailed as err:
        outcome, failed = (Outcome.FAIL if err.hard else outcome_for_failure(sc.level, strict)), err
    except CaseUnsupported as err:
        outcome, reason = Outcome.UNSUPPORTED, str(err)
    except CaseSkipped as err:
        outcome, reason = Outcome.SKIPPED, str(err)
    except ActorBroken as err:
        outcome, reason = Outcome.FAIL, f"actor broke: {err}"
    except AvpError as err:  # the runner's own raw HTTP or crypto step failed
        outcome, reason = Outcome.FAIL, f"{err.code}: {err}"
    except (KeyError, TypeError, ValueError) as err:  # a reply missing a field the contract names
        outcome, reason = Outcome.FAIL, f"malformed reply or state: {type(err).__name__}: {err}"
    finally:
        if recorder is not None:
            recorder.close()
        ctx.http.close()
        for actor in actors.values():
            actor.transcript = None
    return CaseResult(
        kind=Kind.SCENARIO,
        case_id=sc.id,
        level=sc.level,
        summary=sc.summary,
        column=column,
        outcome=outcome,
        duration_ms=(time.perf_counter() - started) * 1000,
        reason=reason or (str(failed) if failed else None),
        step=failed.step if failed else None,
        expected=failed.expected if failed else None,
        actual=failed.actual if failed else None,
        transcript=transcript,
        details=ctx.details,
    )
