"""Protocol material the runner builds itself (identities, manifests, envelopes, logins).

The runner is not a client under test: it uses ``avp.crypto`` directly so that the conformance
suite can send valid bodies with one field broken, and so that a scenario can look at what a
client really stored (decrypt as a member whose keys the runner handed out).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Optional

from avp import crypto, federation
from avp.interop.model import CaseFailed
from avp.interop.rawhttp import RawClient, Response

SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def discovery_limit(discovery: dict[str, Any], name: str, default: int) -> int:
    """``limits.<name>`` of a server's discovery document; ``default`` when it is not an integer."""
    limits = discovery.get("limits")
    value = limits.get(name) if isinstance(limits, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def unb64url(text: str) -> bytes:
    """base64url with its padding left off (JWT parts, JWK coordinates)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Member:
    """An identity whose private keys the runner knows (it hands them to actors, too)."""

    seed: bytes
    x25519_private: bytes

    @classmethod
    def derive(cls, label: str) -> Member:
        """Deterministic keys from a label: reproducible runs without storing secrets anywhere."""
        seed = hashlib.sha256(b"avp-interop/ed25519/" + label.encode()).digest()
        xpriv = hashlib.sha256(b"avp-interop/x25519/" + label.encode()).digest()
        return cls(seed, xpriv)

    @classmethod
    def random(cls) -> Member:
        return cls(os.urandom(32), os.urandom(32))

    @property
    def ed25519_public(self) -> bytes:
        return crypto.ed25519_public_key(self.seed)

    @property
    def x25519_public(self) -> bytes:
        return crypto.x25519_public_key(self.x25519_private)

    @property
    def id(self) -> str:
        return b64(self.ed25519_public)

    @property
    def x25519_b64(self) -> str:
        return b64(self.x25519_public)

    def sign(self, message: bytes) -> bytes:
        return crypto.ed25519_sign(self.seed, message)

    def invite_token(self) -> str:
        return federation.encode_invite(self.id, self.x25519_b64)

    def actor_identity(self) -> dict[str, Any]:
        """The ``identity`` request arguments that make an actor this member."""
        return {"ed25519SeedB64": b64(self.seed), "x25519PrivateB64": b64(self.x25519_private)}


def wrapped_dict(data_key: bytes, recipient_x25519: bytes) -> dict[str, Any]:
    wrapped = crypto.wrap_key(data_key, recipient_x25519)
    out: dict[str, Any] = wrapped.to_dict()
    return out


def member_entry(
    member: Member, data_key: bytes, key_epoch: int, binding: Optional[str] = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ed25519PublicKey": member.id,
        "x25519PublicKey": member.x25519_b64,
        "wrappedDataKey": wrapped_dict(data_key, member.x25519_public),
        "keyEpoch": key_epoch,
    }
    if binding is not None:
        entry["keyBindingSig"] = binding
    return entry


def alt(username: str, **extra: Any) -> dict[str, Any]:
    """A fixed, valid AltAccount (``uuid`` derived from the name so runs are reproducible)."""
    uid = hashlib.sha256(username.encode()).hexdigest()
    out: dict[str, Any] = {
        "uuid": f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}",
        "username": username,
        "accessToken": "at-" + uid[:24],
        "type": "MICROSOFT",
        "lastUsed": 1700000000000,
    }
    out.update(extra)
    return out


def envelope(
    data_key: bytes, repo_id: str, version: int, epoch: int, alts: list[dict[str, Any]]
) -> dict[str, Any]:
    plaintext = json.dumps({"alts": alts, "payloadVersion": version}).encode("utf-8")
    iv, ciphertext = crypto.seal_payload(data_key, repo_id, version, epoch, plaintext)
    return {
        "repoId": repo_id,
        "payloadVersion": version,
        "keyEpoch": epoch,
        "iv": b64(iv),
        "ciphertext": b64(ciphertext),
    }


def open_envelope(data_key: bytes, env: dict[str, Any]) -> dict[str, Any]:
    plaintext = crypto.open_payload(
        data_key,
        env["repoId"],
        env["payloadVersion"],
        env["keyEpoch"],
        unb64(env["iv"]),
        unb64(env["ciphertext"]),
    )
    payload: dict[str, Any] = json.loads(plaintext)
    return payload


def data_key_of(member: Member, manifest: dict[str, Any]) -> bytes:
    """Unwrap ``member``'s data key from a served manifest."""
    for entry in manifest.get("members", []):
        if entry.get("ed25519PublicKey") == member.id:
            return crypto.unwrap_key(entry["wrappedDataKey"], member.x25519_private)
    raise KeyError(f"{member.id} is not in the manifest")


def new_repo(
    owner: Member,
    repo_id: str,
    alts: Optional[list[dict[str, Any]]] = None,
    *,
    share: Optional[bool] = None,
    extra: Optional[dict[str, Any]] = None,
) -> tuple[dict[str, Any], bytes]:
    """A valid ``CreateRepoRequest`` and its data key."""
    data_key = os.urandom(32)
    manifest: dict[str, Any] = {
        "repoId": repo_id,
        "schemeId": SCHEME_ID,
        "keyEpoch": 0,
        "payloadVersion": 1,
        "members": [member_entry(owner, data_key, 0)],
    }
    if share is not None:
        manifest["shareRefreshTokens"] = share
    manifest.update(extra or {})
    body = {"manifest": manifest, "initialEnvelope": envelope(data_key, repo_id, 1, 0, alts or [alt("seed")])}
    return body, data_key


def login(http: RawClient, member: Member) -> str:
    """challenge → sign the raw nonce → token; a failure is a :class:`CaseFailed`."""
    resp = http.request("POST", "/api/auth/keypair/challenge", {"ed25519PublicKey": member.id}, note="login")
    nonce = _field(resp, "nonce", "challenge")
    signature = member.sign(unb64(nonce))
    resp = http.request(
        "POST",
        "/api/auth/keypair/token",
        {"ed25519PublicKey": member.id, "nonce": nonce, "signature": b64(signature)},
        note="login",
    )
    return _field(resp, "token", "token")


def _field(resp: Response, name: str, step: str) -> str:
    data = resp.json()
    if resp.status != 200 or not isinstance(data, dict) or not isinstance(data.get(name), str):
        raise CaseFailed(step, f"200 with a string '{name}'", f"{resp.status} {resp.body[:200]!r}")
    value: str = data[name]
    return value
