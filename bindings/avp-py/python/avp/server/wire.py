"""Schema validation of the HTTP/JSON request bodies (wire contract §3).

Each ``parse_*`` function checks one wire type and returns the same JSON value (dicts keep the
key order the client sent, so stored manifests come back as sent). Every object is closed except
``VaultManifest``, whose unknown fields are kept. Any violation raises BadRequest with a ``detail``
naming the field.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from avp.crypto import b64decode_strict
from avp.errors import AvpError, BadRequest

SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1"
MAX_COUNTER = 2**53 - 1
MAX_REPO_ID_CHARS = 255

JsonObject = dict[str, Any]


def _fail(field: str, problem: str) -> BadRequest:
    return BadRequest("request does not match the schema", detail=f"{field}: {problem}")


def _object(value: Any, field: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> JsonObject:
    if not isinstance(value, dict):
        raise _fail(field, "must be an object")
    for name in required:
        if name not in value:
            raise _fail(f"{field}.{name}", "is required")
    if len(value) > len(required):
        for name in value:
            if name not in required and name not in optional:
                raise _fail(f"{field}.{name}", "unknown field")
    return value


def counter(value: Any, field: str) -> int:
    """A JSON integer literal in [0, 2^53-1] (booleans and floats such as 1.0 are rejected)."""
    if type(value) is not int or not 0 <= value <= MAX_COUNTER:
        raise _fail(field, "must be an integer in [0, 2^53-1]")
    return value


def string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _fail(field, "must be a string")
    return value


def b64(value: Any, field: str, length: int, *, at_least: bool = False) -> bytes:
    """Strict standard base64 that decodes to ``length`` bytes (or more, with ``at_least``)."""
    text = string(value, field)
    try:
        raw = b64decode_strict(text, None if at_least else length)
    except (AvpError, ValueError):  # ValueError: a lone surrogate cannot cross into Rust
        raw = b""
    if len(raw) < length or (not at_least and len(raw) != length):
        size = f"at least {length}" if at_least else str(length)
        raise _fail(field, f"must be strict standard base64 of {size} bytes")
    return raw


#: Control characters and lone surrogates (one regex scan instead of a Python loop per character).
_REPO_ID_BAD = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def repo_id(value: Any, field: str) -> str:
    """1-255 Unicode code points, no control character, not '.' or '..'."""
    text = string(value, field)
    if not 1 <= len(text) <= MAX_REPO_ID_CHARS:
        raise _fail(field, f"must be 1 to {MAX_REPO_ID_CHARS} characters")
    if text in (".", ".."):
        raise _fail(field, "must not be '.' or '..'")
    bad = _REPO_ID_BAD.search(text)
    if bad is not None:
        if bad.group() >= "\ud800":
            raise _fail(field, "must be valid Unicode (no lone surrogate)")
        raise _fail(field, "must not contain control characters")
    return text


def member_id(value: Any, field: str) -> str:
    """A member id: the base64 of a 32-byte Ed25519 public key."""
    b64(value, field, 32)
    return str(value)


def _scheme(value: Any, field: str) -> None:
    if value != SCHEME_ID:
        raise _fail(field, f"must be {SCHEME_ID}")


def wrapped_key(value: Any, field: str) -> JsonObject:
    obj = _object(value, field, ("schemeId", "ephemeralPublicKey", "iv", "ciphertext"))
    _scheme(obj["schemeId"], f"{field}.schemeId")
    b64(obj["ephemeralPublicKey"], f"{field}.ephemeralPublicKey", 32)
    b64(obj["iv"], f"{field}.iv", 12)
    b64(obj["ciphertext"], f"{field}.ciphertext", 48)
    return obj


def member_entry(value: Any, field: str) -> JsonObject:
    obj = _object(
        value,
        field,
        ("ed25519PublicKey", "x25519PublicKey", "wrappedDataKey", "keyEpoch"),
        ("keyBindingSig",),
    )
    member_id(obj["ed25519PublicKey"], f"{field}.ed25519PublicKey")
    b64(obj["x25519PublicKey"], f"{field}.x25519PublicKey", 32)
    wrapped_key(obj["wrappedDataKey"], f"{field}.wrappedDataKey")
    counter(obj["keyEpoch"], f"{field}.keyEpoch")
    sig = obj.get("keyBindingSig")
    if sig is not None:
        b64(sig, f"{field}.keyBindingSig", 64)
    return obj


def member_list(value: Any, field: str) -> list[JsonObject]:
    if not isinstance(value, list):
        raise _fail(field, "must be an array")
    return [member_entry(item, f"{field}[{i}]") for i, item in enumerate(value)]


def envelope(value: Any, field: str) -> JsonObject:
    obj = _object(value, field, ("repoId", "payloadVersion", "keyEpoch", "iv", "ciphertext"))
    repo_id(obj["repoId"], f"{field}.repoId")
    counter(obj["payloadVersion"], f"{field}.payloadVersion")
    counter(obj["keyEpoch"], f"{field}.keyEpoch")
    b64(obj["iv"], f"{field}.iv", 12)
    b64(obj["ciphertext"], f"{field}.ciphertext", 16, at_least=True)
    return obj


def manifest(value: Any, field: str) -> JsonObject:
    """A VaultManifest: known fields checked, unknown fields kept verbatim (spec §5.1 passthrough)."""
    if not isinstance(value, dict):
        raise _fail(field, "must be an object")
    for name in ("repoId", "schemeId", "keyEpoch", "payloadVersion", "members"):
        if name not in value:
            raise _fail(f"{field}.{name}", "is required")
    repo_id(value["repoId"], f"{field}.repoId")
    _scheme(value["schemeId"], f"{field}.schemeId")
    counter(value["keyEpoch"], f"{field}.keyEpoch")
    counter(value["payloadVersion"], f"{field}.payloadVersion")
    member_list(value["members"], f"{field}.members")
    if "shareRefreshTokens" in value and not isinstance(value["shareRefreshTokens"], bool):
        raise _fail(f"{field}.shareRefreshTokens", "must be a boolean")
    return value


# --- request bodies ---------------------------------------------------------------------------------
def challenge_request(body: Any) -> str:
    obj = _object(body, "body", ("ed25519PublicKey",))
    return member_id(obj["ed25519PublicKey"], "ed25519PublicKey")


def token_request(body: Any) -> tuple[str, bytes, bytes, bytes]:
    """-> (member id, raw public key, raw nonce, raw signature)."""
    obj = _object(body, "body", ("ed25519PublicKey", "nonce", "signature"))
    public = b64(obj["ed25519PublicKey"], "ed25519PublicKey", 32)
    # Any nonce of 32 bytes or more is well-formed; whether this server issued it is a 401 matter.
    nonce = b64(obj["nonce"], "nonce", 32, at_least=True)
    signature = b64(obj["signature"], "signature", 64)
    return obj["ed25519PublicKey"], public, nonce, signature


def create_request(body: Any) -> tuple[JsonObject, JsonObject]:
    obj = _object(body, "body", ("manifest", "initialEnvelope"))
    return manifest(obj["manifest"], "manifest"), envelope(obj["initialEnvelope"], "initialEnvelope")


def pull_request(body: Any) -> tuple[str, int]:
    obj = _object(body, "body", ("repoId", "knownPayloadVersion"))
    return repo_id(obj["repoId"], "repoId"), counter(obj["knownPayloadVersion"], "knownPayloadVersion")


def push_request(body: Any) -> tuple[str, JsonObject, int, Optional[list[JsonObject]]]:
    obj = _object(body, "body", ("repoId", "envelope", "expectedPayloadVersion"), ("rotatedMembers",))
    rotated = obj.get("rotatedMembers")
    return (
        repo_id(obj["repoId"], "repoId"),
        envelope(obj["envelope"], "envelope"),
        counter(obj["expectedPayloadVersion"], "expectedPayloadVersion"),
        None if rotated is None else member_list(rotated, "rotatedMembers"),
    )


def add_member_request(body: Any) -> tuple[str, JsonObject]:
    obj = _object(body, "body", ("repoId", "member"))
    return repo_id(obj["repoId"], "repoId"), member_entry(obj["member"], "member")


def remove_member_request(body: Any) -> tuple[str, str, JsonObject, list[JsonObject], int]:
    obj = _object(
        body, "body", ("repoId", "removedMemberId", "rotatedEnvelope", "rewrappedMembers", "newKeyEpoch")
    )
    return (
        repo_id(obj["repoId"], "repoId"),
        member_id(obj["removedMemberId"], "removedMemberId"),
        envelope(obj["rotatedEnvelope"], "rotatedEnvelope"),
        member_list(obj["rewrappedMembers"], "rewrappedMembers"),
        counter(obj["newKeyEpoch"], "newKeyEpoch"),
    )


def key_binding_request(body: Any) -> tuple[str, bytes]:
    obj = _object(body, "body", ("x25519PublicKey",))
    return obj["x25519PublicKey"], b64(obj["x25519PublicKey"], "x25519PublicKey", 32)
