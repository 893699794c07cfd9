"""Typed AVP 0.4 models: the wire bodies (spec §4, §6) and the payload plaintext (spec §5).

Two error families, because the fault lies with different parties:

* a wire body from a server that breaks the contract raises :class:`~avp.errors.ProtocolError`;
* a payload or an alt list that does not parse (another client's plaintext, a user's file) raises
  :class:`~avp.errors.InvalidEncoding`.

A counter outside ``0 ..= 2**53 - 1`` raises :class:`~avp.errors.CounterOutOfRange` in both cases.
Binary fields stay base64 strings here; they become bytes (strictly decoded) only where the crypto
needs them. Unknown fields of an alt and of a manifest are kept, so that rewriting a payload written by
a newer client loses nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from avp import _native
from avp.errors import AvpError, CounterOutOfRange, InvalidEncoding, ProtocolError

MAX_COUNTER = 2**53 - 1
ALT_TYPES: tuple[str, ...] = tuple(_native.ALT_TYPES)
#: The key under which a legacy single ``ban`` object is read (spec §5: ``{"unknown": ban}``).
LEGACY_BAN_SERVER: str = _native.LEGACY_BAN_SERVER


def loads_strict(data: bytes | str, error: type[AvpError] = InvalidEncoding) -> Any:
    """Parse JSON refusing what the project's strict decoding refuses: NaN/Infinity and duplicate keys."""

    def no_constants(name: str) -> Any:
        raise error("JSON body is not strict JSON", detail=f"constant {name} is not allowed")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise error("JSON body is not strict JSON", detail=f"duplicate key {key!r}")
            out[key] = value
        return out

    try:
        return json.loads(data, parse_constant=no_constants, object_pairs_hook=no_duplicates)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and bad UTF-8 are ValueErrors
        if isinstance(exc, AvpError):
            raise
        raise error("JSON body does not parse", detail=type(exc).__name__) from None


def dumps_compact(value: Any) -> bytes:
    """Minified UTF-8 JSON (the form this client writes on the wire and into payloads)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


class _Reader:
    """Typed field access on one JSON object, raising ``error`` with the field's path on a mismatch."""

    def __init__(self, obj: Any, where: str, error: type[AvpError]) -> None:
        if not isinstance(obj, dict):
            raise error(f"{where} must be a JSON object")
        self.obj: dict[str, Any] = obj
        self.where = where
        self.error = error

    def _fail(self, key: str, want: str) -> AvpError:
        return self.error(f"{self.where}.{key} must be {want}")

    def text(self, key: str) -> str:
        value = self.obj.get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def opt_text(self, key: str) -> Optional[str]:
        value = self.obj.get(key)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string or null")
        return value

    def flag(self, key: str) -> bool:
        value = self.obj.get(key)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def counter(self, key: str) -> int:
        return check_counter(self.obj.get(key), f"{self.where}.{key}", self.error)

    def opt_counter(self, key: str) -> Optional[int]:
        if self.obj.get(key) is None:
            return None
        return self.counter(key)

    def array(self, key: str) -> list[Any]:
        value = self.obj.get(key)
        if not isinstance(value, list):
            raise self._fail(key, "an array")
        return value

    def unknown(self, known: Iterable[str]) -> dict[str, Any]:
        known_set = set(known)
        return {k: v for k, v in self.obj.items() if k not in known_set}


def check_counter(value: Any, name: str, error: type[AvpError] = ProtocolError) -> int:
    """Return ``value`` if it is an integer counter in ``0 ..= 2**53 - 1`` (a bool is not an integer)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float):
            raise CounterOutOfRange(f"{name} must be an integer", detail=repr(value))
        raise error(f"{name} must be an integer counter")
    if not 0 <= value <= MAX_COUNTER:
        raise CounterOutOfRange(f"{name} is outside 0..2^53-1", detail=str(value))
    return value


# --- payload plaintext (spec §5) -------------------------------------------------------------------
# AltAccount and BanInfo are native classes: their rules (types, counters, duplicate keys, depth,
# legacy ``ban``, kept unknown fields) live in the Rust core, the one parser and serializer of the
# payload (crates/avp-crypto/src/vault_payload.rs). Both have ``from_dict``/``to_dict``.
AltAccount = _native.AltAccount
BanInfo = _native.BanInfo


def shares_refresh_tokens(policy: Any) -> bool:
    """Spec §5.1: the policy is on only for an explicit JSON ``true`` (absent, null, 1, "true" are off)."""
    return policy is True


def apply_refresh_policy(alts: Sequence[AltAccount], policy: Any) -> list[AltAccount]:
    """Strip refresh credentials unless ``policy`` is exactly ``True``; used on encrypt *and* decrypt."""
    if shares_refresh_tokens(policy):
        return list(alts)
    return [alt.without_refresh_credentials() for alt in alts]


def alts_from_json(data: bytes | str) -> list[AltAccount]:
    """Parse a JSON array of alts (a user's file, or the ``alts`` of a payload)."""
    return _native.parse_alts(data, "alts")


@dataclass(frozen=True)
class VaultPayload:
    """The plaintext inside an envelope. The inner ``payload_version`` is only a stamp (spec §5)."""

    alts: tuple[AltAccount, ...]
    payload_version: int

    @classmethod
    def from_json(cls, data: bytes) -> VaultPayload:
        alts, version = _native.parse_payload(data)
        return cls(tuple(alts), version)

    def to_json(self) -> bytes:
        return _native.payload_json(self.alts, self.payload_version)


# --- wire bodies (spec §4, §6) ---------------------------------------------------------------------

_WRAPPED_FIELDS = ("schemeId", "ephemeralPublicKey", "iv", "ciphertext")


def _wrapped_key(obj: Any, where: str) -> dict[str, str]:
    r = _Reader(obj, where, ProtocolError)
    extra = r.unknown(_WRAPPED_FIELDS)
    if extra:
        raise ProtocolError(f"{where} has unknown fields", detail=", ".join(sorted(extra)))
    return {k: r.text(k) for k in _WRAPPED_FIELDS}


@dataclass(frozen=True)
class MemberEntry:
    """A member as the server stores it; ``wrapped_data_key`` is the WrappedKey wire dict."""

    ed25519_public_key: str
    x25519_public_key: str
    wrapped_data_key: Mapping[str, str]
    key_epoch: int
    key_binding_sig: Optional[str] = None

    @property
    def member_id(self) -> str:
        return self.ed25519_public_key

    @classmethod
    def from_dict(cls, obj: Any, where: str = "member") -> MemberEntry:
        r = _Reader(obj, where, ProtocolError)
        return cls(
            ed25519_public_key=r.text("ed25519PublicKey"),
            x25519_public_key=r.text("x25519PublicKey"),
            wrapped_data_key=_wrapped_key(r.obj.get("wrappedDataKey"), f"{where}.wrappedDataKey"),
            key_epoch=r.counter("keyEpoch"),
            key_binding_sig=r.opt_text("keyBindingSig"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ed25519PublicKey": self.ed25519_public_key,
            "x25519PublicKey": self.x25519_public_key,
            "wrappedDataKey": dict(self.wrapped_data_key),
            "keyEpoch": self.key_epoch,
        }
        if self.key_binding_sig is not None:
            out["keyBindingSig"] = self.key_binding_sig
        return out


@dataclass(frozen=True)
class EncryptedEnvelope:
    repo_id: str
    payload_version: int
    key_epoch: int
    iv: str
    ciphertext: str

    @classmethod
    def from_dict(cls, obj: Any, where: str = "envelope") -> EncryptedEnvelope:
        r = _Reader(obj, where, ProtocolError)
        return cls(
            repo_id=r.text("repoId"),
            payload_version=r.counter("payloadVersion"),
            key_epoch=r.counter("keyEpoch"),
            iv=r.text("iv"),
            ciphertext=r.text("ciphertext"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "repoId": self.repo_id,
            "payloadVersion": self.payload_version,
            "keyEpoch": self.key_epoch,
            "iv": self.iv,
            "ciphertext": self.ciphertext,
        }


_MANIFEST_FIELDS = ("repoId", "schemeId", "keyEpoch", "payloadVersion", "members", "shareRefreshTokens")


@dataclass(frozen=True)
class VaultManifest:
    """Repository metadata. ``share_refresh_tokens`` is None when the field is absent.

    ``extra`` holds unknown manifest fields (kept verbatim: spec §5.1 passthrough).
    """

    repo_id: str
    scheme_id: str
    key_epoch: int
    payload_version: int
    members: tuple[MemberEntry, ...]
    share_refresh_tokens: Optional[bool] = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, obj: Any, where: str = "manifest") -> VaultManifest:
        r = _Reader(obj, where, ProtocolError)
        share = r.obj.get("shareRefreshTokens")
        if share is not None and not isinstance(share, bool):
            raise ProtocolError(f"{where}.shareRefreshTokens must be a boolean")
        members = tuple(
            MemberEntry.from_dict(m, f"{where}.members[{i}]") for i, m in enumerate(r.array("members"))
        )
        return cls(
            repo_id=r.text("repoId"),
            scheme_id=r.text("schemeId"),
            key_epoch=r.counter("keyEpoch"),
            payload_version=r.counter("payloadVersion"),
            members=members,
            share_refresh_tokens=share,
            extra=r.unknown(_MANIFEST_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(
            repoId=self.repo_id,
            schemeId=self.scheme_id,
            keyEpoch=self.key_epoch,
            payloadVersion=self.payload_version,
            members=[m.to_dict() for m in self.members],
        )
        if self.share_refresh_tokens is not None:
            out["shareRefreshTokens"] = self.share_refresh_tokens
        return out

    def member(self, member_id: str) -> Optional[MemberEntry]:
        return next((m for m in self.members if m.ed25519_public_key == member_id), None)

    @property
    def member_ids(self) -> list[str]:
        return [m.ed25519_public_key for m in self.members]


@dataclass(frozen=True)
class PullResponse:
    manifest: VaultManifest
    envelope: Optional[EncryptedEnvelope]
    unchanged: bool

    @classmethod
    def from_dict(cls, obj: Any) -> PullResponse:
        r = _Reader(obj, "pull response", ProtocolError)
        raw_envelope = r.obj.get("envelope")
        unchanged = r.flag("unchanged")
        envelope = None if raw_envelope is None else EncryptedEnvelope.from_dict(raw_envelope)
        if envelope is None and not unchanged:
            raise ProtocolError("pull response has no envelope although it is not unchanged")
        return cls(VaultManifest.from_dict(r.obj.get("manifest")), envelope, unchanged)


@dataclass(frozen=True)
class PushResponse:
    accepted: bool
    payload_version: int
    key_epoch: int
    conflict: bool

    @classmethod
    def from_dict(cls, obj: Any) -> PushResponse:
        r = _Reader(obj, "push response", ProtocolError)
        out = cls(
            accepted=r.flag("accepted"),
            payload_version=r.counter("payloadVersion"),
            key_epoch=r.counter("keyEpoch"),
            conflict=r.flag("conflict"),
        )
        if out.accepted == out.conflict:
            raise ProtocolError("push response must be either accepted or a conflict")
        return out
