"""The server's Ed25519 issuer key: EdDSA JWT bearer tokens, the JWKS, key-binding signatures.

One key signs both tokens and key bindings, and it is the single key of the published JWKS, so a
client that verifies a ``keyBindingSig`` and the server that checks its own tokens use the same,
public, key. Verified tokens are cached per process (a token is immutable; only ``exp`` is
re-checked), so a vault request costs no signature verification after the first.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Optional

from avp.crypto import (
    b64url_decode_strict,
    b64url_encode,
    ed25519_public_key,
    ed25519_sign,
    ed25519_verify,
    key_binding_sign,
)
from avp.errors import InvalidEncoding, Unauthorized

_CACHE_LIMIT = 65536


@dataclass(frozen=True)
class Caller:
    """The authenticated subject of a vault request."""

    member_id: str
    expires_at: int


class Issuer:
    """Mints and checks this server's tokens; publishes its key."""

    def __init__(self, seed: bytes, issuer_id: Optional[str], token_ttl: int) -> None:
        self._seed = seed
        self.public_key = ed25519_public_key(seed)
        x = b64url_encode(self.public_key)
        # RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
        canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
        self.kid = b64url_encode(hashlib.sha256(canonical.encode()).digest())
        self.issuer_id = issuer_id or f"urn:avp:issuer:{self.kid}"
        self.token_ttl = token_ttl
        self.jwks: dict[str, Any] = {
            "keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]
        }
        self._header = b64url_encode(
            json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": self.kid}, separators=(",", ":")).encode()
        )
        self._verified: dict[str, Caller] = {}

    def mint(self, member_id: str, now: Optional[float] = None) -> tuple[str, int]:
        """-> (JWT, expiresAt in epoch ms)."""
        iat = int(time.time() if now is None else now)
        exp = iat + self.token_ttl
        claims = {
            "iss": self.issuer_id,
            "aud": self.issuer_id,
            "sub": "key:" + member_id,
            "kind": "keypair",
            "iat": iat,
            "exp": exp,
            "jti": b64url_encode(os.urandom(16)),
        }
        signing_input = self._header + "." + b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        signature = ed25519_sign(self._seed, signing_input.encode("ascii"))
        return signing_input + "." + b64url_encode(signature), exp * 1000

    def check(self, token: str, now: Optional[float] = None) -> Caller:
        """The caller of a valid, unexpired token of this server; Unauthorized otherwise."""
        now = time.time() if now is None else now
        caller = self._verified.get(token)
        if caller is None:
            caller = self._verify(token)
            if len(self._verified) >= _CACHE_LIMIT:
                self._verified.clear()
            self._verified[token] = caller
        if caller.expires_at <= now:
            raise Unauthorized("token expired")
        return caller

    def _verify(self, token: str) -> Caller:
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthorized("malformed token")
        try:
            header = json.loads(b64url_decode_strict(parts[0]))
            claims = json.loads(b64url_decode_strict(parts[1]))
            signature = b64url_decode_strict(parts[2])
        except (InvalidEncoding, ValueError):
            raise Unauthorized("malformed token") from None
        if not isinstance(header, dict) or header.get("alg") != "EdDSA" or header.get("kid") != self.kid:
            raise Unauthorized("token not issued by this server")
        signing_input = (parts[0] + "." + parts[1]).encode("ascii")
        if len(signature) != 64 or not ed25519_verify(self.public_key, signing_input, signature):
            raise Unauthorized("bad token signature")
        if not isinstance(claims, dict) or claims.get("aud") != self.issuer_id:
            raise Unauthorized("token not issued for this server")
        sub, exp = claims.get("sub"), claims.get("exp")
        if claims.get("kind") != "keypair" or not isinstance(sub, str) or not sub.startswith("key:"):
            raise Unauthorized("not a keypair token")
        if type(exp) is not int:
            raise Unauthorized("token without expiry")
        return Caller(member_id=sub[4:], expires_at=exp)

    def bind(self, ed25519_b64: str, x25519_b64: str) -> bytes:
        """The key-binding signature over ``ed25519_b64 + "|" + x25519_b64``."""
        return key_binding_sign(self._seed, ed25519_b64, x25519_b64)
