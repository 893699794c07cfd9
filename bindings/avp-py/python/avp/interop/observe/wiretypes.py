"""The request bodies of the HTTP/JSON profile as data, and one walk that reports every way a body
departs from them.

A problem is either ``schema`` (AVP 0.4: a missing or unknown field, a wrong JSON type, a value
that is not base64 or has the wrong size) or ``encoding`` (the project's stricter rules of
docs/wire-contract.md: canonical standard base64, counters in [0, 2^53-1], no duplicate JSON keys,
no NaN/Infinity). Wrapped-key sizes are left to the wrapped-key judge.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Optional

from avp.crypto import b64decode_strict
from avp.errors import AvpError
from avp.models import MAX_COUNTER, loads_strict

SCHEMA = "schema"
ENCODING = "encoding"

#: a field's type: a scalar name, ``b64:N`` (N bytes; ``N+`` at least N; ``b64`` any size), the
#: name of an object type, or ``[Type]`` for an array of it
FieldType = str


@dataclass(frozen=True)
class Field:
    type: FieldType
    required: bool = True
    nullable: bool = False


@dataclass(frozen=True)
class Problem:
    kind: str  # SCHEMA or ENCODING
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


OBJECTS: dict[str, dict[str, Field]] = {
    "WrappedKey": {
        "schemeId": Field("string"),
        "ephemeralPublicKey": Field("b64"),
        "iv": Field("b64"),
        "ciphertext": Field("b64"),
    },
    "MemberEntry": {
        "ed25519PublicKey": Field("b64:32"),
        "x25519PublicKey": Field("b64:32"),
        "wrappedDataKey": Field("WrappedKey"),
        "keyEpoch": Field("counter"),
        "keyBindingSig": Field("b64:64", required=False, nullable=True),
    },
    "EncryptedEnvelope": {
        "repoId": Field("string"),
        "payloadVersion": Field("counter"),
        "keyEpoch": Field("counter"),
        "iv": Field("b64:12"),
        "ciphertext": Field("b64:16+"),
    },
    "VaultManifest": {
        "repoId": Field("string"),
        "schemeId": Field("string"),
        "keyEpoch": Field("counter"),
        "payloadVersion": Field("counter"),
        "members": Field("[MemberEntry]"),
        "shareRefreshTokens": Field("bool", required=False),
    },
    "challenge": {"ed25519PublicKey": Field("b64:32")},
    "token": {"ed25519PublicKey": Field("b64:32"), "nonce": Field("b64"), "signature": Field("b64:64")},
    "create": {"manifest": Field("VaultManifest"), "initialEnvelope": Field("EncryptedEnvelope")},
    "pull": {"repoId": Field("string"), "knownPayloadVersion": Field("counter")},
    "push": {
        "repoId": Field("string"),
        "envelope": Field("EncryptedEnvelope"),
        "expectedPayloadVersion": Field("counter"),
        "rotatedMembers": Field("[MemberEntry]", required=False, nullable=True),
    },
    "add-member": {"repoId": Field("string"), "member": Field("MemberEntry")},
    "remove-member": {
        "repoId": Field("string"),
        "removedMemberId": Field("b64:32"),
        "rotatedEnvelope": Field("EncryptedEnvelope"),
        "rewrappedMembers": Field("[MemberEntry]"),
        "newKeyEpoch": Field("counter"),
    },
}
#: manifests keep fields they do not know (spec §5.1): a client may send them
OPEN_OBJECTS = frozenset({"VaultManifest"})
#: the operations whose request body is judged
JUDGED_OPERATIONS = ("challenge", "token", "create", "pull", "push", "add-member", "remove-member")


def body_problems(operation: str, body: bytes) -> list[Problem]:
    """Every departure of one request body from its wire type (empty for an unjudged operation)."""
    if operation not in JUDGED_OPERATIONS:
        return []
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return [Problem(SCHEMA, "body", "is not JSON (or nested too deep to read)")]
    problems: list[Problem] = []
    try:
        loads_strict(body)
    except AvpError as err:
        problems.append(Problem(ENCODING, "body", f"is not strict JSON ({err.detail or err})"))
    return problems + value_problems(value, operation, "body")


def value_problems(value: Any, type_name: FieldType, where: str) -> list[Problem]:
    if type_name.startswith("["):
        if not isinstance(value, list):
            return [Problem(SCHEMA, where, "must be an array")]
        item = type_name[1:-1]
        return [p for i, v in enumerate(value) for p in value_problems(v, item, f"{where}[{i}]")]
    if type_name in OBJECTS:
        return _object_problems(value, type_name, where)
    if type_name == "string":
        return [] if isinstance(value, str) else [Problem(SCHEMA, where, "must be a string")]
    if type_name == "bool":
        return [] if isinstance(value, bool) else [Problem(SCHEMA, where, "must be a boolean")]
    if type_name == "counter":
        return _counter_problems(value, where)
    return _b64_problems(value, type_name, where)


def _object_problems(value: Any, type_name: str, where: str) -> list[Problem]:
    if not isinstance(value, dict):
        return [Problem(SCHEMA, where, "must be an object")]
    fields = OBJECTS[type_name]
    problems: list[Problem] = []
    for name, spec in fields.items():
        if name not in value:
            if spec.required:
                problems.append(Problem(SCHEMA, f"{where}.{name}", "is required"))
        elif not (spec.nullable and value[name] is None):
            problems += value_problems(value[name], spec.type, f"{where}.{name}")
    if type_name not in OPEN_OBJECTS:
        problems += [
            Problem(SCHEMA, f"{where}.{name}", "is not a field of " + type_name)
            for name in value
            if name not in fields
        ]
    return problems


def _counter_problems(value: Any, where: str) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [Problem(SCHEMA, where, "must be a JSON number")]
    if isinstance(value, float) and not value.is_integer():
        return [Problem(SCHEMA, where, "must be an integer")]
    if not 0 <= value <= MAX_COUNTER or isinstance(value, float):
        return [Problem(ENCODING, where, f"must be an integer literal in [0, 2^53-1], got {value!r}")]
    return []


def _b64_problems(value: Any, type_name: str, where: str) -> list[Problem]:
    if not isinstance(value, str):
        return [Problem(SCHEMA, where, "must be a base64 string")]
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return [Problem(SCHEMA, where, "is not standard base64")]
    size: Optional[str] = type_name.partition(":")[2] or None
    if size is not None:
        at_least = size.endswith("+")
        wanted = int(size.rstrip("+"))
        if len(raw) < wanted or (not at_least and len(raw) != wanted):
            expected = f"at least {wanted}" if at_least else str(wanted)
            return [Problem(SCHEMA, where, f"decodes to {len(raw)} bytes, expected {expected}")]
    try:
        b64decode_strict(value)
    except (AvpError, ValueError):
        return [Problem(ENCODING, where, "is not canonical base64 (padding or trailing bits)")]
    return []
