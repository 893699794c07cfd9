"""transcript.json: one repository's life as the exact JSON bodies of docs/wire-contract.md.

Each case is one HTTP exchange, in order. ``checks`` name what a verifier recomputes, pointing into
the exchange with JSON pointers (RFC 6901): ``nonce-signature`` (Ed25519 over the raw nonce bytes),
``jwt`` (EdDSA token under the server key), ``key-binding``, ``unwrap`` (a member's wrapped key gives
the named data key), ``decrypt`` (an envelope opens to the named plaintext) and ``decrypt-fails`` (the
removed member's old data key on the rotated envelope). Server-chosen values (nonces, tokens, times)
are fixed so the file is reproducible; a live server picks its own.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional
from urllib.parse import quote

from avp.vectors import core
from avp.vectors.envelopes import alt, payload_json
from avp.vectors.federation import b64url
from avp.vectors.fixed_identities import Actor, actor
from avp.vectors.seeds import derive

BASE = "http://127.0.0.1:8787"
REPO_ID = "7d0c6f3e-2a51-4b8e-9f43-0c5e1d2a6b71"
NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
TOKEN_TTL_S = 3600


def _jwk_thumbprint(public: bytes) -> str:
    """RFC 7638 thumbprint of the OKP JWK (members in lexicographic order, no whitespace)."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": core.b64url(public)}, separators=(",", ":"))
    return core.b64url(hashlib.sha256(canonical.encode()).digest())


class Life:
    """Builds the exchanges in order, keeping the server's view of the repository."""

    def __init__(self) -> None:
        self.server = actor("server")
        self.cases: list[dict[str, Any]] = []
        self.tokens: dict[str, str] = {}
        self.data_keys = {
            "epoch-0": derive("transcript/data-key/0"),
            "epoch-1": derive("transcript/data-key/1"),
        }
        self.plaintexts: dict[str, str] = {}
        self.manifest: dict[str, Any] = {}
        self.envelope: dict[str, Any] = {}

    def exchange(
        self,
        name: str,
        who: str,
        method: str,
        path: str,
        body: Optional[dict[str, Any]],
        status: int,
        answer: dict[str, Any],
        checks: list[dict[str, Any]],
    ) -> None:
        request: dict[str, Any] = {"method": method, "path": path}
        if who in self.tokens:
            request["headers"] = {"Authorization": "Bearer " + self.tokens[who]}
        if body is not None:
            request["body"] = body
        step: dict[str, Any] = {
            "name": f"{len(self.cases) + 1:02d}-{name}",
            "actor": who,
            "request": request,
            "response": {"status": status, "body": answer},
        }
        if checks:
            step["checks"] = checks
        self.cases.append(step)

    def pull(
        self,
        name: str,
        who: str,
        known: int,
        checks: list[dict[str, Any]],
        answer: Optional[dict[str, Any]] = None,
        status: int = 200,
    ) -> None:
        """``who`` pulls the repository knowing payload version ``known``; the answer defaults to
        the current manifest and envelope."""
        if answer is None:
            answer = {"manifest": self.manifest, "envelope": self.envelope, "unchanged": False}
        body = {"repoId": REPO_ID, "knownPayloadVersion": known}
        self.exchange(name, who, "POST", f"/v1/repos/{REPO_ID}/pull", body, status, answer, checks)

    def login(self, who: str) -> None:
        a = actor(who)
        nonce = derive(f"transcript/nonce/{who}")
        self.exchange(
            f"{who}-challenge",
            who,
            "POST",
            "/api/auth/keypair/challenge",
            {"ed25519PublicKey": a.member_id},
            200,
            {"nonce": core.b64(nonce)},
            [],
        )
        body = {
            "ed25519PublicKey": a.member_id,
            "nonce": core.b64(nonce),
            "signature": core.b64(core.ed25519_sign(a.ed25519_seed, nonce)),
        }
        token = self.jwt(a)
        answer = {"token": token, "expiresAt": NOW_MS + TOKEN_TTL_S * 1000}
        self.exchange(
            f"{who}-token",
            who,
            "POST",
            "/api/auth/keypair/token",
            body,
            200,
            answer,
            [
                {"check": "nonce-signature", "at": "/request/body"},
                {"check": "jwt", "at": "/response/body/token", "subject": a.member_id},
            ],
        )
        self.tokens[who] = token

    def jwt(self, subject: Actor) -> str:
        header = {"alg": "EdDSA", "typ": "JWT", "kid": _jwk_thumbprint(self.server.ed25519_public)}
        iat = NOW_MS // 1000
        claims = {
            "iss": BASE,
            "aud": BASE,
            "sub": "key:" + subject.member_id,
            "kind": "keypair",
            "iat": iat,
            "exp": iat + TOKEN_TTL_S,
            "jti": derive(f"transcript/jti/{subject.name}", 16).hex(),
        }
        signing_input = ".".join(b64url(json.dumps(p, separators=(",", ":"))) for p in (header, claims))
        signature = core.ed25519_sign(self.server.ed25519_seed, signing_input.encode())
        return signing_input + "." + core.b64url(signature)

    def member(self, who: str, epoch: int) -> dict[str, Any]:
        a = actor(who)
        key = self.data_keys[f"epoch-{epoch}"]
        wrapped = core.wrap(
            key,
            a.x25519_public,
            derive(f"transcript/wrap/{who}/{epoch}"),
            derive(f"transcript/wrap/{who}/{epoch}/iv", 12),
        )
        binding = core.ed25519_sign(self.server.ed25519_seed, core.binding_message(a.member_id, a.x25519_b64))
        return {
            "ed25519PublicKey": a.member_id,
            "x25519PublicKey": a.x25519_b64,
            "wrappedDataKey": wrapped,
            "keyEpoch": epoch,
            "keyBindingSig": core.b64(binding),
        }

    def seal(self, version: int, epoch: int, alts: list[dict[str, Any]], label: str = "") -> dict[str, Any]:
        label = label or f"v{version}"
        text = payload_json(alts, version)
        self.plaintexts[label] = text
        iv = derive(f"transcript/iv/{label}", 12)
        ct = core.seal(self.data_keys[f"epoch-{epoch}"], REPO_ID, version, epoch, text.encode(), iv)
        return {
            "repoId": REPO_ID,
            "payloadVersion": version,
            "keyEpoch": epoch,
            "iv": core.b64(iv),
            "ciphertext": core.b64(ct),
        }


def _unwrap_check(at: str, who: str, epoch: int) -> dict[str, Any]:
    return {"check": "unwrap", "at": at, "actor": who, "dataKey": f"epoch-{epoch}"}


def _decrypt_check(at: str, epoch: int, version: int) -> dict[str, Any]:
    return {"check": "decrypt", "at": at, "dataKey": f"epoch-{epoch}", "plaintext": f"v{version}"}


def _pull_checks(who: str, index: int, epoch: int, version: int) -> list[dict[str, Any]]:
    """A full pull: ``who`` (member ``index``) unwraps the data key and decrypts the envelope."""
    return [
        _unwrap_check(f"/response/body/manifest/members/{index}/wrappedDataKey", who, epoch),
        _decrypt_check("/response/body/envelope", epoch, version),
    ]


def _old_key_fails_check(at: str) -> dict[str, Any]:
    """The removed member's data key (epoch 0) on the rotated envelope: GCM authentication fails."""
    return {"check": "decrypt-fails", "at": at, "dataKey": "epoch-0", "expectedError": "invalid_tag"}


def _discovery(life: Life) -> None:
    """The two unauthenticated documents a client reads first (docs/wire-contract.md §7)."""
    kid = _jwk_thumbprint(life.server.ed25519_public)
    discovery = {
        "profiles": ["http-json"],
        "avpVersion": "0.4",
        "issuerJwksUrl": f"{BASE}/.well-known/jwks.json",
        "keyBindingUrl": f"{BASE}/v1/key-binding",
        "limits": {
            "maxBodyBytes": 2097152,
            "maxReposPerMember": 1000,
            "maxMembersPerRepo": 256,
            "nonceTtlSeconds": 120,
            "tokenTtlSeconds": TOKEN_TTL_S,
        },
        "implementation": {"name": "avp-vectors", "language": "json", "version": "0.4.0"},
    }
    life.exchange("alice-discovery", "alice", "GET", "/.well-known/avp", None, 200, discovery, [])
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": core.b64url(life.server.ed25519_public),
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    }
    life.exchange(
        "alice-jwks",
        "alice",
        "GET",
        "/.well-known/jwks.json",
        None,
        200,
        {"keys": [jwk]},
        [{"check": "jwks", "at": "/response/body/keys/0"}],
    )


def transcript_document() -> dict[str, Any]:
    life = Life()
    repo = f"/v1/repos/{REPO_ID}"
    _discovery(life)
    life.login("alice")

    alice = life.member("alice", 0)
    life.manifest = {
        "repoId": REPO_ID,
        "schemeId": core.SCHEME_ID,
        "keyEpoch": 0,
        "payloadVersion": 1,
        "members": [alice],
        "shareRefreshTokens": False,
    }
    life.envelope = life.seal(1, 0, [alt("Steve")])
    life.exchange(
        "alice-create-repo",
        "alice",
        "POST",
        "/v1/repos",
        {"manifest": life.manifest, "initialEnvelope": life.envelope},
        200,
        life.manifest,
        [
            _unwrap_check("/request/body/manifest/members/0/wrappedDataKey", "alice", 0),
            _decrypt_check("/request/body/initialEnvelope", 0, 1),
            {"check": "key-binding", "at": "/request/body/manifest/members/0"},
        ],
    )

    life.envelope = life.seal(2, 0, [alt("Steve"), alt("Alex")])
    life.exchange(
        "alice-push",
        "alice",
        "POST",
        f"{repo}/push",
        {"repoId": REPO_ID, "envelope": life.envelope, "expectedPayloadVersion": 1},
        200,
        {"accepted": True, "payloadVersion": 2, "keyEpoch": 0, "conflict": False},
        [_decrypt_check("/request/body/envelope", 0, 2)],
    )
    life.manifest = life.manifest | {"payloadVersion": 2}
    stale = life.seal(2, 0, [alt("Steve"), alt("Notch")], "v2-stale")
    life.exchange(
        "alice-push-conflict",
        "alice",
        "POST",
        f"{repo}/push",
        {"repoId": REPO_ID, "envelope": stale, "expectedPayloadVersion": 1},
        200,
        {"accepted": False, "payloadVersion": 2, "keyEpoch": 0, "conflict": True},
        [_decrypt_check("/request/body/envelope", 0, 2) | {"plaintext": "v2-stale"}],
    )

    for who, index in (("bob", 1), ("carol", 2)):
        life.login(who)
        entry = life.member(who, 0)
        binding = {
            "ed25519PublicKey": entry["ed25519PublicKey"],
            "x25519PublicKey": entry["x25519PublicKey"],
            "keyBindingSig": entry["keyBindingSig"],
            "kid": _jwk_thumbprint(life.server.ed25519_public),
            "issuerJwksUrl": f"{BASE}/.well-known/jwks.json",
        }
        life.exchange(
            f"{who}-key-binding",
            who,
            "POST",
            "/v1/key-binding",
            {"x25519PublicKey": entry["x25519PublicKey"]},
            200,
            binding,
            [{"check": "key-binding", "at": "/response/body"}],
        )
        life.manifest = life.manifest | {"members": [*life.manifest["members"], entry]}
        life.exchange(
            f"alice-add-{who}",
            "alice",
            "POST",
            f"{repo}/add-member",
            {"repoId": REPO_ID, "member": entry},
            200,
            life.manifest,
            [
                _unwrap_check("/request/body/member/wrappedDataKey", who, 0),
                {"check": "key-binding", "at": "/request/body/member"},
            ],
        )
        assert len(life.manifest["members"]) == index + 1

    life.pull("bob-pull", "bob", 0, _pull_checks("bob", 1, 0, 2))
    life.pull("bob-pull-unchanged", "bob", 2, [], {"manifest": life.manifest, "unchanged": True})
    carol_id = actor("carol").member_id
    life.exchange(
        "alice-fetch-carol",
        "alice",
        "GET",
        f"{repo}/member/{quote(carol_id, safe='')}",
        None,
        200,
        life.manifest["members"][2],
        [],
    )

    rewrapped = [life.member("alice", 1), life.member("carol", 1)]
    life.envelope = life.seal(3, 1, [alt("Steve"), alt("Alex")])
    body = {
        "repoId": REPO_ID,
        "removedMemberId": actor("bob").member_id,
        "rotatedEnvelope": life.envelope,
        "rewrappedMembers": rewrapped,
        "newKeyEpoch": 1,
    }
    life.manifest = life.manifest | {"keyEpoch": 1, "payloadVersion": 3, "members": rewrapped}
    life.exchange(
        "alice-remove-bob",
        "alice",
        "POST",
        f"{repo}/remove-member",
        body,
        200,
        life.manifest,
        [
            _decrypt_check("/request/body/rotatedEnvelope", 1, 3),
            _unwrap_check("/request/body/rewrappedMembers/0/wrappedDataKey", "alice", 1),
            _unwrap_check("/request/body/rewrappedMembers/1/wrappedDataKey", "carol", 1),
            _old_key_fails_check("/request/body/rotatedEnvelope"),
        ],
    )
    forbidden = {"error": "not a member of this repository", "code": "forbidden"}
    life.pull("bob-pull-after-removal", "bob", 2, [], forbidden, status=403)
    life.pull(
        "carol-pull-after-rotation",
        "carol",
        2,
        [*_pull_checks("carol", 1, 1, 3), _old_key_fails_check("/response/body/envelope")],
    )

    server = life.server
    return {
        "base": BASE,
        "repoId": REPO_ID,
        "server": {
            "ed25519SeedB64": core.b64(server.ed25519_seed),
            "ed25519PublicKey": server.member_id,
            "kid": _jwk_thumbprint(server.ed25519_public),
            "note": "signs the tokens and the key bindings (docs/wire-contract.md §4, §7); a server started "
            "with this seed (avp serve --signing-key-file) reproduces the JWKS and key-binding answers",
        },
        "actors": {name: actor(name).to_json() for name in ("alice", "bob", "carol")},
        "secrets": {
            "dataKeys": {k: core.b64(v) for k, v in life.data_keys.items()},
            "plaintexts": dict(sorted(life.plaintexts.items())),
        },
        "cases": life.cases,
    }
