"""The judges of ``avp interop observe``: small pure functions over the recorded traffic.

Each judge takes the :class:`~avp.interop.observe.timeline.Step` list of one observation and
returns a :class:`Verdict`: how many things it judged and what it found wrong (with the exchange
where it happened). A judge that judged nothing makes a ``skip`` case, never a pass.

Requests are judged against the repository state the traffic had established (the last manifest
served, the last accepted push) only when the server settled them: answered 200 (a push also not
a conflict) or 400. A 409 or a push conflict means the client was behind, which is allowed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable, Optional

from avp.crypto import SCHEME_ID, ed25519_verify, is_low_order_x25519
from avp.errors import AvpError
from avp.interop.model import Level
from avp.interop.observe import timeline
from avp.interop.observe.exchanges import Seen
from avp.interop.observe.timeline import RepoState, Step, roster_of
from avp.interop.observe.wiretypes import ENCODING, JUDGED_OPERATIONS, SCHEMA, body_problems
from avp.interop.proxy import manifests_in

SPEC, HARDENING = Level.SPEC, Level.HARDENING


@dataclass(frozen=True)
class Finding:
    seq: int
    expected: str
    actual: str


@dataclass(frozen=True)
class Verdict:
    judged: int
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Check:
    id: str
    level: Level
    requirement: str
    judge: Callable[[list[Step]], Verdict]


def raw_b64(value: Any) -> Optional[bytes]:
    """Standard base64 decoded leniently (the size and strictness judges say what is wrong)."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def settled(step: Step) -> bool:
    """The server took a position on the request itself (see the module docstring)."""
    return step.accepted or step.seen.status == 400


def _verdict(judged: int, findings: list[Finding]) -> Verdict:
    return Verdict(judged, tuple(findings))


# --- request bodies ---------------------------------------------------------------------------------
def _body_judge(kind: str, step: Step) -> list[Finding]:
    problems = [p for p in body_problems(step.seen.operation, step.seen.body) if p.kind == kind]
    if not problems:
        return []
    wanted = "the wire type of" if kind == SCHEMA else "strict encodings in"
    return [
        Finding(step.seen.seq, f"{wanted} a {step.seen.operation} request", "; ".join(map(str, problems)))
    ]


def request_schema(steps: list[Step]) -> Verdict:
    judged = [s for s in steps if s.seen.operation in JUDGED_OPERATIONS]
    return _verdict(len(judged), [f for s in judged for f in _body_judge(SCHEMA, s)])


def strict_encoding(steps: list[Step]) -> Verdict:
    judged = [s for s in steps if s.seen.operation in JUDGED_OPERATIONS]
    return _verdict(len(judged), [f for s in judged for f in _body_judge(ENCODING, s)])


# --- authentication ---------------------------------------------------------------------------------
def challenge_signature(steps: list[Step]) -> Verdict:
    """Every token request signs the raw bytes of a nonce the server issued to that key, and the
    signature verifies under the strict Ed25519 policy (avp.crypto)."""
    issued: set[tuple[str, str]] = set()
    judged, findings = 0, []
    for step in steps:
        body, seq = step.request, step.seen.seq
        if step.seen.operation == "challenge" and step.seen.status == 200 and isinstance(body, dict):
            nonce = step.seen.answer.get("nonce") if isinstance(step.seen.answer, dict) else None
            issued.add((str(body.get("ed25519PublicKey")), str(nonce)))
        if step.seen.operation != "token" or not isinstance(body, dict):
            continue
        judged += 1
        key, nonce, sig = (body.get(k) for k in ("ed25519PublicKey", "nonce", "signature"))
        if (str(key), str(nonce)) not in issued:
            findings.append(
                Finding(seq, "the nonce the server issued to this key", "a nonce it never issued")
            )
            continue
        problem = _signature_problem(raw_b64(key), raw_b64(nonce), raw_b64(sig), str(nonce))
        if problem:
            findings.append(Finding(seq, "an Ed25519 signature over the raw nonce bytes", problem))
    return _verdict(judged, findings)


def _signature_problem(key: Optional[bytes], nonce: Optional[bytes], sig: Optional[bytes], text: str) -> str:
    if key is None or nonce is None or sig is None or len(key) != 32 or len(sig) != 64:
        return "a key or signature that is not base64 of 32 / 64 bytes"
    try:
        if ed25519_verify(key, nonce, sig):
            return ""
        if ed25519_verify(key, text.encode(), sig):
            return "a signature over the base64 text of the nonce"
    except AvpError as err:
        return f"a key the strict Ed25519 policy refuses ({err})"
    return "a signature that does not verify under the strict Ed25519 policy"


# --- envelopes --------------------------------------------------------------------------------------
ENVELOPE_FIELD = {"create": "initialEnvelope", "push": "envelope", "remove-member": "rotatedEnvelope"}
#: the new roster a rotation sends (a create's roster is in its manifest, add-member sends one entry)
ROSTER_FIELD = {"push": "rotatedMembers", "remove-member": "rewrappedMembers"}


def envelope_of(step: Step) -> Optional[dict[str, Any]]:
    field = ENVELOPE_FIELD.get(step.seen.operation)
    envelope = step.request.get(field) if field and isinstance(step.request, dict) else None
    return envelope if isinstance(envelope, dict) else None


def sent_members(step: Step) -> list[Any]:
    """Every MemberEntry a request carries (a create's roster, an added member, a new roster)."""
    body = step.request if isinstance(step.request, dict) else {}
    op = step.seen.operation
    if op == "create" and isinstance(body.get("manifest"), dict):
        members = body["manifest"].get("members")
    elif op == "add-member":
        members = [body.get("member")]
    else:
        members = body.get(ROSTER_FIELD.get(op, ""))
    return members if isinstance(members, list) else []


def envelope_header(steps: list[Step]) -> Verdict:
    """The envelope header agrees with the route, the request and the manifest it travels with."""
    judged, findings = 0, []
    for step in steps:
        envelope = envelope_of(step)
        if envelope is None:
            continue
        judged += 1
        findings += [Finding(step.seen.seq, e, a) for e, a in _header_mismatches(step, envelope)]
    return _verdict(judged, findings)


def _header_mismatches(step: Step, envelope: dict[str, Any]) -> Iterator[tuple[str, str]]:
    body: dict[str, Any] = step.request
    op = step.seen.operation
    if op == "create":
        manifest = body.get("manifest")
        manifest = manifest if isinstance(manifest, dict) else {}
        for name in ("repoId", "payloadVersion", "keyEpoch"):
            if envelope.get(name) != manifest.get(name):
                yield f"envelope {name} = manifest {name} ({manifest.get(name)!r})", repr(envelope.get(name))
        epoch = manifest.get("keyEpoch")
    else:
        for where, value in (("the path", step.seen.path_repo_id), ("the body", body.get("repoId"))):
            if envelope.get("repoId") != value:
                yield f"envelope repoId = repoId of {where} ({value!r})", repr(envelope.get("repoId"))
        epoch = envelope.get("keyEpoch")
    if op == "push" and envelope.get("payloadVersion") != _plus_one(body.get("expectedPayloadVersion")):
        yield "envelope payloadVersion = expectedPayloadVersion + 1", repr(envelope.get("payloadVersion"))
    if op == "remove-member" and envelope.get("keyEpoch") != body.get("newKeyEpoch"):
        yield (
            f"rotatedEnvelope keyEpoch = newKeyEpoch ({body.get('newKeyEpoch')!r})",
            repr(envelope.get("keyEpoch")),
        )
    for entry in sent_members(step):
        if isinstance(entry, dict) and op != "add-member" and entry.get("keyEpoch") != epoch:
            yield f"member entries at the envelope's keyEpoch ({epoch!r})", repr(entry.get("keyEpoch"))


def _plus_one(value: Any) -> Any:
    return value + 1 if type(value) is int else None


def iv_unique(steps: list[Step]) -> Verdict:
    """No envelope IV appears twice under one (repository, key epoch), i.e. one data key, unless
    the same envelope is sent again (a retried write)."""
    first: dict[tuple[str, str, str], tuple[Any, Any, int]] = {}
    judged, findings = 0, []
    for step in steps:
        envelope = envelope_of(step)
        if envelope is None or not isinstance(envelope.get("iv"), str):
            continue
        judged += 1
        key = (repr(envelope.get("repoId")), repr(envelope.get("keyEpoch")), envelope["iv"])
        sealed = (envelope.get("payloadVersion"), envelope.get("ciphertext"))
        if key not in first:
            first[key] = (*sealed, step.seen.seq)
        elif first[key][:2] != sealed:
            findings.append(
                Finding(
                    step.seen.seq,
                    "a fresh random IV for every envelope under one key epoch",
                    f"IV {envelope['iv']} of epoch {key[1]} already used for version "
                    f"{first[key][0]!r} (exchange #{first[key][2]})",
                )
            )
    return _verdict(judged, findings)


# --- counters ---------------------------------------------------------------------------------------
def counters_monotonic(steps: list[Step]) -> Verdict:
    """A new repository starts at version 1, epoch 0; every settled write moves the version by
    exactly one and keeps the epoch (or raises it with a rotation); a pull never claims a version
    the server never served; the server never serves an older state than it accepted."""
    judged, findings = 0, []
    for step in steps:
        for expected, actual in _counter_mismatches(step):
            findings.append(Finding(step.seen.seq, expected, actual))
        judged += step.seen.operation in ("create", "push", "pull")
    return _verdict(judged, findings)


def _counter_mismatches(step: Step) -> Iterator[tuple[str, str]]:
    body = step.request if isinstance(step.request, dict) else {}
    before, op = step.before, step.seen.operation
    envelope = envelope_of(step) or {}
    if op == "create" and isinstance(body.get("manifest"), dict):
        counters = (body["manifest"].get("payloadVersion"), body["manifest"].get("keyEpoch"))
        if counters != (1, 0):
            yield "a new repository at payloadVersion 1, keyEpoch 0", f"{counters[0]!r}, {counters[1]!r}"
    if before is None:
        return
    if op == "push" and settled(step):
        if envelope.get("payloadVersion") != before.payload_version + 1:
            yield f"payloadVersion {before.payload_version + 1}", repr(envelope.get("payloadVersion"))
        epoch = before.key_epoch + (1 if isinstance(body.get("rotatedMembers"), list) else 0)
        if envelope.get("keyEpoch") != epoch:
            yield f"keyEpoch {epoch}", repr(envelope.get("keyEpoch"))
    known = body.get("knownPayloadVersion")
    if op == "pull" and type(known) is int and known > before.payload_version:
        yield f"knownPayloadVersion at most {before.payload_version} (the newest served)", str(known)
    for served in manifests_in(step.seen.answer) if step.seen.status == 200 else []:
        now = (served.get("payloadVersion"), served.get("keyEpoch"))
        if not all(type(v) is int for v in now) or now < (before.payload_version, before.key_epoch):
            yield (
                f"a served manifest at or after version {before.payload_version}, epoch {before.key_epoch}",
                f"version {now[0]!r}, epoch {now[1]!r}",
            )


# --- wrapped keys -----------------------------------------------------------------------------------
def wrapped_keys(steps: list[Step]) -> Verdict:
    """Every wrapped data key sent is well formed (scheme id, a 32-byte ephemeral key that is not
    low-order and is fresh for each wrap, a 12-byte IV, a 48-byte ciphertext), and a roster has
    one entry per member."""
    ephemeral_seen: dict[bytes, tuple[Any, Any, int]] = {}
    judged, findings = 0, []
    for step in steps:
        members = sent_members(step)
        ids = [m.get("ed25519PublicKey") for m in members if isinstance(m, dict)]
        if len(set(map(str, ids))) != len(ids):
            findings.append(Finding(step.seen.seq, "one entry per roster member", f"member ids {ids}"))
        for entry in members:
            judged += 1
            wrapped = entry.get("wrappedDataKey") if isinstance(entry, dict) else None
            member = entry.get("ed25519PublicKey") if isinstance(entry, dict) else None
            problems = _wrapped_key_problems(wrapped)
            eph = raw_b64(wrapped.get("ephemeralPublicKey")) if isinstance(wrapped, dict) else None
            if eph is not None:
                earlier = ephemeral_seen.setdefault(eph, (member, wrapped, step.seen.seq))
                if earlier[:2] != (member, wrapped):
                    problems.append(f"ephemeral key already used in exchange #{earlier[2]}")
            if problems:
                findings.append(
                    Finding(step.seen.seq, f"a well-formed wrapped key for {member}", "; ".join(problems))
                )
    return _verdict(judged, findings)


def _wrapped_key_problems(wrapped: Any) -> list[str]:
    if not isinstance(wrapped, dict):
        return ["no wrappedDataKey object"]
    problems = [] if wrapped.get("schemeId") == SCHEME_ID else [f"schemeId {wrapped.get('schemeId')!r}"]
    for name, size in (("ephemeralPublicKey", 32), ("iv", 12), ("ciphertext", 48)):
        raw = raw_b64(wrapped.get(name))
        if raw is None or len(raw) != size:
            problems.append(f"{name} is not base64 of {size} bytes")
        elif name == "ephemeralPublicKey" and is_low_order_x25519(raw):
            problems.append("ephemeralPublicKey is a low-order point")
    return problems


# --- removal ----------------------------------------------------------------------------------------
def removal_rotation(steps: list[Step]) -> Verdict:
    """A removal (or a push with rotatedMembers) raises the epoch by one and the version by one,
    and re-wraps a fresh key to exactly the roster minus the removed member."""
    judged, findings = 0, []
    for step in steps:
        rotation = step.seen.operation == "remove-member" or (
            step.seen.operation == "push"
            and isinstance(step.request, dict)
            and isinstance(step.request.get("rotatedMembers"), list)
        )
        if not rotation or step.before is None or not settled(step):
            continue
        judged += 1
        findings += [Finding(step.seen.seq, e, a) for e, a in _rotation_mismatches(step, step.before)]
    return _verdict(judged, findings)


def _rotation_mismatches(step: Step, before: RepoState) -> Iterator[tuple[str, str]]:
    body: dict[str, Any] = step.request
    envelope = envelope_of(step) or {}
    members = sent_members(step)
    given = roster_of(members)
    if step.seen.operation == "remove-member":
        removed = body.get("removedMemberId")
        removed = removed if isinstance(removed, str) else repr(removed)
        if removed not in before.roster:
            yield "removedMemberId on the roster", repr(removed)
        if body.get("newKeyEpoch") != before.key_epoch + 1:
            yield f"newKeyEpoch {before.key_epoch + 1}", repr(body.get("newKeyEpoch"))
        wanted = set(before.roster) - {removed}
        if set(given) != wanted or len(given) != len(members):
            yield (
                "rewrappedMembers = the roster minus the removed member",
                f"{sorted(given)} for roster {sorted(before.roster)}",
            )
    elif not given or not set(given) <= set(before.roster):
        yield (
            "rotatedMembers: a non-empty part of the roster",
            f"{sorted(given)} for roster {sorted(before.roster)}",
        )
    if envelope.get("keyEpoch") != before.key_epoch + 1:
        yield f"envelope keyEpoch {before.key_epoch + 1}", repr(envelope.get("keyEpoch"))
    if envelope.get("payloadVersion") != before.payload_version + 1:
        yield f"envelope payloadVersion {before.payload_version + 1}", repr(envelope.get("payloadVersion"))
    for member, entry in given.items():
        old = before.roster.get(member)
        if isinstance(old, dict) and entry.get("wrappedDataKey") == old.get("wrappedDataKey"):
            yield f"a fresh wrapped key for {member}", "the previous epoch's wrapped key"


# --- the refresh-token policy -----------------------------------------------------------------------
def share_refresh_tokens_kept(steps: list[Step]) -> Verdict:
    """Once a repository's manifest carried shareRefreshTokens, every manifest served for it (after
    pushes and membership changes too) carries the same value."""
    policy: dict[str, Any] = {}
    judged, findings = 0, []
    for step in steps:
        if step.repo_id is None:
            continue
        if step.seen.operation == "create" and isinstance(step.request, dict):
            manifest = step.request.get("manifest")
            if isinstance(manifest, dict) and "shareRefreshTokens" in manifest:
                policy[step.repo_id] = manifest["shareRefreshTokens"]
        for served in manifests_in(step.seen.answer) if step.seen.status == 200 else []:
            if step.repo_id in policy:
                judged += 1
                if served.get("shareRefreshTokens", "absent") != policy[step.repo_id]:
                    findings.append(
                        Finding(
                            step.seen.seq,
                            f"shareRefreshTokens {policy[step.repo_id]!r} in every manifest served",
                            repr(served.get("shareRefreshTokens", "absent")),
                        )
                    )
            elif "shareRefreshTokens" in served:
                policy[step.repo_id] = served["shareRefreshTokens"]
    return _verdict(judged, findings)


CHECKS: tuple[Check, ...] = (
    Check(
        "spec/observe.request.schema",
        SPEC,
        "every request body is the wire type of its route: required fields, no unknown fields, JSON "
        "types, binary fields in standard base64 of the spec's sizes (keys 32, IVs 12, signatures 64)",
        request_schema,
    ),
    Check(
        "wire/observe.request.strict-encoding",
        HARDENING,
        "canonical standard base64 (padding, trailing bits), counters in [0, 2^53-1], no duplicate "
        "JSON keys or non-finite numbers",
        strict_encoding,
    ),
    Check(
        "spec/observe.auth.signature",
        SPEC,
        "the token request signs the raw bytes of the issued nonce; the signature verifies under the "
        "strict Ed25519 policy",
        challenge_signature,
    ),
    Check(
        "spec/observe.envelope.header",
        SPEC,
        "the envelope header agrees with the path, the request and the manifest it travels with",
        envelope_header,
    ),
    Check(
        "spec/observe.counters.monotonic",
        SPEC,
        "versions start at 1 and move by one per write, epochs never go back, no served state is "
        "older than an accepted one",
        counters_monotonic,
    ),
    Check(
        "spec/observe.wrapped-keys",
        SPEC,
        "every wrapped key is well formed (scheme id, fresh 32-byte ephemeral key not low-order, "
        "12-byte IV, 48-byte ciphertext) and a roster has one per member",
        wrapped_keys,
    ),
    Check(
        "spec/observe.removal.rotation",
        SPEC,
        "a removal raises epoch and version by one and re-wraps fresh keys to the roster minus the "
        "removed member",
        removal_rotation,
    ),
    Check(
        "spec/observe.envelope.iv-unique",
        SPEC,
        "no envelope IV is used twice under one key epoch",
        iv_unique,
    ),
    Check(
        "spec/observe.manifest.share-refresh-tokens",
        SPEC,
        "a manifest's shareRefreshTokens is never dropped nor changed in what the server serves",
        share_refresh_tokens_kept,
    ),
)


def judge_all(exchanges: list[Seen]) -> list[tuple[Check, Verdict]]:
    """Every check over one observation, in the order of :data:`CHECKS`."""
    walked = timeline.steps(exchanges)
    return [(check, check.judge(walked)) for check in CHECKS]
