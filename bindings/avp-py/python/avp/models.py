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
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Optional, Sequence

from avp.errors import AvpError, CounterOutOfRange, InvalidEncoding, ProtocolError

MAX_COUNTER = 2**53 - 1
ALT_TYPES = ("MICROSOFT", "COOKIE", "SESSION", "OFFLINE")
#: The key under which a legacy single ``ban`` object is read (spec §5: ``{"unknown": ban}``).
LEGACY_BAN_SERVER = "unknown"


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


@dataclass(frozen=True)
class BanInfo:
    """A ban observation of one alt on one game server."""

    banned: bool
    observed_at: int
    source: str
    detail: str
    observed_by: Optional[str] = None

    @classmethod
    def from_dict(cls, obj: Any, where: str = "ban") -> BanInfo:
        r = _Reader(obj, where, InvalidEncoding)
        return cls(
            banned=r.flag("banned"),
            observed_at=r.counter("observedAt"),
            source=r.text("source"),
            detail=r.text("detail"),
            observed_by=r.opt_text("observedBy"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "banned": self.banned,
            "observedAt": self.observed_at,
            "source": self.source,
            "detail": self.detail,
        }
        if self.observed_by is not None:
            out["observedBy"] = self.observed_by
        return out


_ALT_FIELDS = (
    "uuid",
    "username",
    "accessToken",
    "type",
    "lastUsed",
    "refreshToken",
    "expiresAt",
    "lastUsedBy",
    "bans",
    "ban",
    "sourceClient",
    "sourceUser",
)


@dataclass(frozen=True)
class AltAccount:
    """One shared game account. Optional fields are ``None`` when absent (or null) in the JSON.

    ``extra`` keeps fields this version does not know, so they survive a read-modify-write.
    """

    uuid: str
    username: str
    access_token: str
    type: str
    last_used: int
    refresh_token: Optional[str] = None
    #: Expiry of ``access_token`` in epoch ms; None (absent) or 0 means unknown.
    expires_at: Optional[int] = None
    last_used_by: Optional[str] = None
    #: Ban records keyed by game-server id; a legacy single ``ban`` is read as ``{"unknown": ban}``.
    bans: Optional[Mapping[str, BanInfo]] = None
    source_client: Optional[str] = None
    source_user: Optional[str] = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, obj: Any, where: str = "alt") -> AltAccount:
        r = _Reader(obj, where, InvalidEncoding)
        alt_type = r.text("type")
        if alt_type not in ALT_TYPES:
            raise InvalidEncoding(f"{where}.type must be one of {', '.join(ALT_TYPES)}", detail=alt_type)
        bans: Optional[dict[str, BanInfo]] = None
        raw_bans = r.obj.get("bans")
        if raw_bans is not None:
            if not isinstance(raw_bans, dict):
                raise InvalidEncoding(f"{where}.bans must be an object or null")
            bans = {k: BanInfo.from_dict(v, f"{where}.bans[{k!r}]") for k, v in raw_bans.items()}
        legacy = r.obj.get("ban")
        if legacy is not None:
            bans = dict(bans or {})
            # An explicit "unknown" entry in the new map wins over the legacy field.
            bans.setdefault(LEGACY_BAN_SERVER, BanInfo.from_dict(legacy, f"{where}.ban"))
        return cls(
            uuid=r.text("uuid"),
            username=r.text("username"),
            access_token=r.text("accessToken"),
            type=alt_type,
            last_used=r.counter("lastUsed"),
            refresh_token=r.opt_text("refreshToken"),
            expires_at=r.opt_counter("expiresAt"),
            last_used_by=r.opt_text("lastUsedBy"),
            bans=bans,
            source_client=r.opt_text("sourceClient"),
            source_user=r.opt_text("sourceUser"),
            extra=r.unknown(_ALT_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        """The wire form (camelCase); absent optional fields are omitted, ``bans`` replaces ``ban``."""
        out: dict[str, Any] = dict(self.extra)
        out.update(
            uuid=self.uuid,
            username=self.username,
            accessToken=self.access_token,
            type=self.type,
            lastUsed=self.last_used,
        )
        optional = {
            "refreshToken": self.refresh_token,
            "expiresAt": self.expires_at,
            "lastUsedBy": self.last_used_by,
            "sourceClient": self.source_client,
            "sourceUser": self.source_user,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.bans is not None:
            out["bans"] = {k: v.to_dict() for k, v in self.bans.items()}
        return out

    def without_refresh_credentials(self) -> AltAccount:
        """This alt with ``refreshToken`` and ``expiresAt`` removed (refresh-token policy off)."""
        if self.refresh_token is None and self.expires_at is None:
            return self
        return replace(self, refresh_token=None, expires_at=None)


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
    value = loads_strict(data)
    if not isinstance(value, list):
        raise InvalidEncoding("an alt list must be a JSON array")
    return [AltAccount.from_dict(item, f"alts[{i}]") for i, item in enumerate(value)]


@dataclass(frozen=True)
class VaultPayload:
    """The plaintext inside an envelope. The inner ``payload_version`` is only a stamp (spec §5)."""

    alts: tuple[AltAccount, ...]
    payload_version: int

    @classmethod
    def from_json(cls, data: bytes) -> VaultPayload:
        r = _Reader(loads_strict(data), "payload", InvalidEncoding)
        alts = tuple(AltAccount.from_dict(a, f"payload.alts[{i}]") for i, a in enumerate(r.array("alts")))
        return cls(alts=alts, payload_version=r.counter("payloadVersion"))

    def to_json(self) -> bytes:
        return dumps_compact(
            {"alts": [a.to_dict() for a in self.alts], "payloadVersion": self.payload_version}
        )


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
