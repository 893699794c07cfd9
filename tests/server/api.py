"""A small, deliberately independent HTTP client for black-box server tests.

It speaks the wire contract with `requests` and builds bodies by hand (the SDK is not used: a
server test must not share the client's assumptions). Members are real Ed25519/X25519 keypairs.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional, Union
from urllib.parse import quote

import requests
from avp.crypto import ed25519_generate, ed25519_sign, wrap_key, x25519_generate

SCHEME = "X25519-HKDF-SHA256-AESGCM-v1"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def enc(segment: str) -> str:
    """Percent-encode one path segment (``+ / =`` included)."""
    return quote(segment, safe="")


@dataclass
class Member:
    seed: bytes
    public: bytes
    x_private: bytes
    x_public: bytes
    token: Optional[str] = None

    @classmethod
    def new(cls) -> Member:
        seed, public = ed25519_generate()
        x_private, x_public = x25519_generate()
        return cls(seed, public, x_private, x_public)

    @property
    def id(self) -> str:
        return b64(self.public)

    @property
    def x_b64(self) -> str:
        return b64(self.x_public)

    def entry(self, epoch: int, data_key: Optional[bytes] = None, **extra: Any) -> dict[str, Any]:
        wrapped = wrap_key(data_key or os.urandom(32), self.x_public).to_dict()
        return {
            "ed25519PublicKey": self.id,
            "x25519PublicKey": self.x_b64,
            "wrappedDataKey": wrapped,
            "keyEpoch": epoch,
            **extra,
        }


def envelope(repo_id: str, version: int, epoch: int, payload: Optional[bytes] = None) -> dict[str, Any]:
    """An envelope whose ciphertext is opaque bytes (the server never decrypts)."""
    return {
        "repoId": repo_id,
        "payloadVersion": version,
        "keyEpoch": epoch,
        "iv": b64(os.urandom(12)),
        "ciphertext": b64(payload if payload is not None else os.urandom(48)),
    }


def manifest(repo_id: str, members: list[dict[str, Any]], version: int = 1, epoch: int = 0, **extra: Any):
    return {
        "repoId": repo_id,
        "schemeId": SCHEME,
        "keyEpoch": epoch,
        "payloadVersion": version,
        "members": members,
        **extra,
    }


def new_repo_id() -> str:
    return "t-" + base64.b32encode(os.urandom(10)).decode("ascii").lower()


Body = Union[dict[str, Any], bytes, str, None]


@dataclass
class Api:
    base: str
    session: requests.Session = field(default_factory=requests.Session)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(
        self,
        method: str,
        path: str,
        body: Body = None,
        token: Optional[str] = None,
        headers: Optional[dict[str, str]] = None,
    ) -> requests.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data: Optional[bytes]
        if isinstance(body, dict):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        return self.session.request(method, self.base + path, data=data, headers=sent, timeout=30)

    def post(self, path: str, body: Body, token: Optional[str] = None) -> requests.Response:
        return self.call("POST", path, body, token)

    # --- auth ---------------------------------------------------------------------------------------
    def nonce(self, member: Member) -> bytes:
        r = self.post("/api/auth/keypair/challenge", {"ed25519PublicKey": member.id})
        assert r.status_code == 200, r.text
        return base64.b64decode(r.json()["nonce"])

    def token_response(self, member: Member, nonce: bytes, signature: Optional[bytes] = None):
        sig = ed25519_sign(member.seed, nonce) if signature is None else signature
        body = {"ed25519PublicKey": member.id, "nonce": b64(nonce), "signature": b64(sig)}
        return self.post("/api/auth/keypair/token", body)

    def login(self, member: Member) -> str:
        r = self.token_response(member, self.nonce(member))
        assert r.status_code == 200, r.text
        member.token = r.json()["token"]
        return member.token

    # --- vault --------------------------------------------------------------------------------------
    def create(
        self, owner: Member, repo_id: Optional[str] = None, payload: Optional[bytes] = None, **extra: Any
    ) -> dict[str, Any]:
        """Create a repository owned by ``owner`` (logged in on demand); the served manifest."""
        repo_id = repo_id or new_repo_id()
        token = owner.token or self.login(owner)
        body = {
            "manifest": manifest(repo_id, [owner.entry(0)], **extra),
            "initialEnvelope": envelope(repo_id, 1, 0, payload),
        }
        r = self.post("/v1/repos", body, token)
        assert r.status_code == 200, r.text
        return r.json()

    def pull(self, member: Member, repo_id: str, known: int = 0) -> requests.Response:
        return self.post(
            f"/v1/repos/{enc(repo_id)}/pull", {"repoId": repo_id, "knownPayloadVersion": known}, member.token
        )

    def state(self, member: Member, repo_id: str) -> dict[str, Any]:
        r = self.pull(member, repo_id)
        assert r.status_code == 200, r.text
        return r.json()

    def push(
        self,
        member: Member,
        repo_id: str,
        expected: int,
        env: Optional[dict[str, Any]] = None,
        rotated: Optional[list[dict[str, Any]]] = None,
        **extra: Any,
    ) -> requests.Response:
        body: dict[str, Any] = {
            "repoId": repo_id,
            "envelope": env or envelope(repo_id, expected + 1, 0),
            "expectedPayloadVersion": expected,
            **extra,
        }
        if rotated is not None:
            body["rotatedMembers"] = rotated
        return self.post(f"/v1/repos/{enc(repo_id)}/push", body, member.token)

    def add(self, member: Member, repo_id: str, entry: dict[str, Any]) -> requests.Response:
        return self.post(
            f"/v1/repos/{enc(repo_id)}/add-member", {"repoId": repo_id, "member": entry}, member.token
        )

    def remove(
        self,
        member: Member,
        repo_id: str,
        removed: str,
        env: dict[str, Any],
        rewrapped: list[dict[str, Any]],
        new_epoch: int,
    ) -> requests.Response:
        body = {
            "repoId": repo_id,
            "removedMemberId": removed,
            "rotatedEnvelope": env,
            "rewrappedMembers": rewrapped,
            "newKeyEpoch": new_epoch,
        }
        return self.post(f"/v1/repos/{enc(repo_id)}/remove-member", body, member.token)

    def fetch(self, member: Member, repo_id: str, member_id: str) -> requests.Response:
        return self.call("GET", f"/v1/repos/{enc(repo_id)}/member/{enc(member_id)}", token=member.token)


def error_code(r: requests.Response) -> tuple[int, Optional[str]]:
    """(status, code) of a response; asserts the error body shape of the contract for non-2xx."""
    if r.status_code >= 300:
        assert r.headers.get("content-type", "").startswith("application/json"), r.headers
        body = r.json()
        assert isinstance(body.get("error"), str), body
        return r.status_code, body.get("code")
    return r.status_code, None
