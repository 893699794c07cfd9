"""What a scenario gets: actor slots ("alice", "bob", "carol") speaking the actor contract to one
server, and the runner's own raw view of that server.

A scenario is a :class:`~avp.interop.model.Case` over this :class:`Context`: it drives the actors and
checks what they answer — and, where the protocol demands it, what really reached the server (the
runner knows every actor's keys, so it can log in and decrypt as that actor over raw HTTP).
"""

from __future__ import annotations

import contextlib
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from avp.interop import material
from avp.interop.actor_pool import Actor, ActorError
from avp.interop.engine import CaseContext
from avp.interop.material import Member
from avp.interop.model import Case, CaseFailed, CaseUnsupported
from avp.interop.proxy import Mode, Proxy
from avp.interop.rawhttp import RawClient, quote_segment
from avp.interop.redact import shorten

SLOTS = ("alice", "bob", "carol")


class Context(CaseContext):
    def __init__(
        self,
        server: str,
        discovery: dict[str, Any],
        extensions: frozenset[str],
        actors: dict[str, Actor],
        members: dict[str, Member],
        *,
        record_http: bool = False,
    ) -> None:
        super().__init__([], discovery, extensions)
        #: with record_http the actors talk to the server through a recording proxy, so the
        #: transcript shows their own HTTP exchanges too (it costs time: the runner re-runs failed
        #: cases this way); ``server`` is the URL the actors use, ``upstream`` the real server
        self.upstream = server
        self._recorder = Proxy(server, None, self.transcript).__enter__() if record_http else None
        self.server = self._recorder.url if self._recorder else server
        self.actors = actors
        self.members = members
        self.http = RawClient(self.upstream, self.transcript)
        self.identities: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, str] = {}
        for actor in actors.values():
            actor.transcript = self.transcript

    def prepare(self) -> None:
        """Give every actor its identity (the first step of every scenario)."""
        for slot, member in self.members.items():
            self.identities[slot] = self.call(slot, "identity", **member.actor_identity())
            self.expect(
                self.identities[slot].get("ed25519PublicKey") == member.id,
                f"{slot}.identity",
                "the public key of the given seed",
                self.identities[slot],
            )

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close()
        self.http.close()
        for actor in self.actors.values():
            actor.transcript = None

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
            raise CaseFailed(f"runner {method} {path} as {slot}", "200", f"{resp.status} {resp.body[:200]!r}")
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


def members_for(
    case: Case[Context], slots: Iterable[str], seed: str, column: str, fixed: dict[str, Member]
) -> dict[str, Member]:
    """The identities of one play: the transcript vector's fixed ones for the scenarios that ask
    for them, otherwise fresh ones derived from the seed, case and column."""
    return {
        slot: (
            fixed[slot]
            if case.vector_identities and slot in fixed
            else Member.derive(f"{seed}/{case.id}/{column}/{slot}")
        )
        for slot in slots
    }
