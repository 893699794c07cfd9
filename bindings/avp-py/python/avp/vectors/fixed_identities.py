"""The fixed identities every vector file shares (and the interop runner reuses for reproducible
runs: ``transcript.json`` → ``actors`` lists them with their secrets)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from avp.vectors import core
from avp.vectors.seeds import derive


@dataclass(frozen=True)
class Actor:
    name: str
    ed25519_seed: bytes
    x25519_private: bytes
    ed25519_public: bytes
    x25519_public: bytes

    @property
    def member_id(self) -> str:
        """The base64 Ed25519 public key: the member id on the wire."""
        return core.b64(self.ed25519_public)

    @property
    def x25519_b64(self) -> str:
        return core.b64(self.x25519_public)

    def to_json(self) -> dict[str, str]:
        """The keys in the actor contract's ``identity`` argument names, plus the public keys."""
        return {
            "ed25519SeedB64": core.b64(self.ed25519_seed),
            "x25519PrivateB64": core.b64(self.x25519_private),
            "ed25519PublicKey": self.member_id,
            "x25519PublicKey": self.x25519_b64,
        }


@cache
def actor(name: str) -> Actor:
    """alice, bob, carol (members), mallory (outsider), issuer (key-binding IdP), server (token key)."""
    seed = derive(f"actor/{name}/ed25519")
    private = derive(f"actor/{name}/x25519")
    return Actor(name, seed, private, core.ed25519_public(seed), core.x25519_public(private))
