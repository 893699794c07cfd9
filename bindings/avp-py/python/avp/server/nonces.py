"""Self-authenticating challenge nonces: a challenge costs the server nothing to keep.

A nonce (73 bytes) is ``0x01 ‖ issuedAt (uint64 BE, epoch ms) ‖ 32 random bytes ‖ tag``, where
``tag = HMAC-SHA256(nonceKey, "avp/challenge-nonce/v1" ‖ 0x00 ‖ ed25519 public key ‖ the first 41
bytes)`` (docs/wire-contract.md §4). The server keeps nothing per challenge: at login it checks the
tag, the key (inside the MAC) and the age, and only a successful login records the nonce's random
part, until the nonce would have expired, to refuse a replay.

The key is derived from the issuer's seed, which every process of one deployment shares.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from typing import Optional

from avp.crypto import hkdf_sha256

VERSION = 1
SIZE = 73
_SIGNED = 41
_DOMAIN = b"avp/challenge-nonce/v1\x00"
#: How far in the future an issue time may be (clocks of processes sharing a database differ).
_SKEW_MS = 5000


def derive_key(issuer_seed: bytes) -> bytes:
    """The nonce MAC key: HKDF-SHA256 of the issuer seed (never the seed itself, never logged)."""
    return hkdf_sha256(issuer_seed, b"", b"avp/challenge-nonce-key/v1", 32)


class ChallengeNonces:
    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self._key = key
        self.ttl_ms = ttl_seconds * 1000

    def _tag(self, public_key: bytes, signed: bytes) -> bytes:
        return hmac.new(self._key, _DOMAIN + public_key + signed, hashlib.sha256).digest()

    def issue(self, public_key: bytes, now_ms: int) -> bytes:
        signed = struct.pack(">BQ", VERSION, now_ms) + os.urandom(32)
        return signed + self._tag(public_key, signed)

    def check(self, nonce: bytes, public_key: bytes, now_ms: int) -> Optional[tuple[bytes, int]]:
        """(the nonce's random part, its expiry in epoch ms) when this server issued ``nonce`` for
        ``public_key`` and it has not expired; None otherwise."""
        if len(nonce) != SIZE or nonce[0] != VERSION:
            return None
        signed, tag = nonce[:_SIGNED], nonce[_SIGNED:]
        if not hmac.compare_digest(tag, self._tag(public_key, signed)):
            return None
        (issued_at,) = struct.unpack(">Q", signed[1:9])
        if issued_at > now_ms + _SKEW_MS or now_ms - issued_at >= self.ttl_ms:
            return None
        return signed[9:], issued_at + self.ttl_ms
