"""Every input of the vectors comes from a fixed label through SHA-256: no randomness anywhere.

``expand`` is also the documented plaintext derivation of ``payload-aead-sizes.json`` (large
plaintexts are stored as a seed and a length, not as bytes): block ``i`` is
``SHA-256(seed ‖ uint32BE(i))`` and the plaintext is the first ``length`` bytes of
``block0 ‖ block1 ‖ ...``. Every verifier re-implements it in a few lines.
"""

from __future__ import annotations

import hashlib

#: Domain prefix of every label, so our seeds never collide with anyone else's.
DOMAIN = b"avp-vectors/v1/"


def expand(seed: bytes, length: int) -> bytes:
    """SHA-256 in counter mode: ``length`` bytes determined by ``seed``."""
    blocks = (length + 31) // 32
    out = b"".join(hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(blocks))
    return out[:length]


def derive(label: str, length: int = 32) -> bytes:
    """The fixed bytes named ``label`` (keys, IVs, nonces, plaintext seeds)."""
    return expand(DOMAIN + label.encode(), length)
