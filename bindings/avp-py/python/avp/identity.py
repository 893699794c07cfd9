"""The member identity (:class:`Identity`), implemented in Rust so its secrets stay in memory that
is zeroized when the object is freed.

Sealed form (``Identity.seal``): versioned JSON ``{"format": "avp-identity", "version": 1, ...}``
whose slots hold the 64 secret bytes under AES-256-GCM keyed by Argon2id of the passphrase (NFC
normalised) or of a recovery code; the Argon2id parameters and salt are stored in each slot. The
full format is documented in ``crates/avp-crypto/README.md``.
"""

from __future__ import annotations

from avp._native import Identity

__all__ = ["Identity"]
