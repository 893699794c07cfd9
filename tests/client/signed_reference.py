"""An independent reading of the signed-writes byte formats (hashlib, struct, pyca only), written
from docs/extensions/signed-writes.md, to check the Rust core's record, transcript and hashes."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

LABEL = b"avp/signed-write/v1"
ROSTER_LABEL = b"avp/signed-write/roster/v1"


def _lp(field: bytes) -> bytes:
    return struct.pack(">I", len(field)) + field


def roster_hash(members: list[dict[str, Any]]) -> bytes:
    pairs = sorted(
        (base64.b64decode(m["ed25519PublicKey"]), base64.b64decode(m["x25519PublicKey"])) for m in members
    )
    return hashlib.sha256(
        _lp(ROSTER_LABEL) + struct.pack(">I", len(pairs)) + b"".join(a + b for a, b in pairs)
    ).digest()


def split(plaintext: bytes) -> tuple[dict[str, Any], bytes]:
    """The record (parsed as JSON) and the body it signs: the plaintext without its first member."""
    record = json.loads(plaintext)["signedWrite"]
    end = plaintext.index(b"},") + 2
    return record, b"{" + plaintext[end:]


def verify(
    repo_id: str, version: int, epoch: int, plaintext: bytes, members: list[dict[str, Any]]
) -> dict[str, Any]:
    """Verify a signed plaintext with pyca; the record and body (asserts on any mismatch)."""
    record, body = split(plaintext)
    assert set(record) == {"v", "writer", "roster", "prev", "signature"} and record["v"] == 1
    assert base64.b64decode(record["roster"]) == roster_hash(members)
    transcript = b"".join(
        _lp(f)
        for f in (
            LABEL,
            repo_id.encode(),
            struct.pack(">Q", version),
            struct.pack(">Q", epoch),
            hashlib.sha256(body).digest(),
            base64.b64decode(record["roster"]),
            base64.b64decode(record["prev"]),
            base64.b64decode(record["writer"]),
        )
    )
    writer = Ed25519PublicKey.from_public_bytes(base64.b64decode(record["writer"]))
    writer.verify(base64.b64decode(record["signature"]), transcript)  # raises InvalidSignature
    record["stateHash"] = base64.b64encode(hashlib.sha256(transcript).digest()).decode()
    return {"record": record, "body": body}
