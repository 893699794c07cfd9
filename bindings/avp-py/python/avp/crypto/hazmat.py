"""Deterministic variants for reproducing test vectors. Never use them to protect data: a repeated
IV under one key, or a reused ephemeral key, breaks the encryption. ``aes256gcm_seal`` and
``aes256gcm_open`` are the raw primitive with any AAD, for primitive vectors (Wycheproof).

``seal_identity`` is ``Identity.seal`` with caller-chosen salts and IVs (a slot's salt and IV
must never be reused under one passphrase); ``identity_slot_key`` is the Argon2id slot key a
passphrase or recovery code derives under a salt. ``hkdf_extract`` and ``hkdf_expand`` are the two
steps of ``avp.crypto.hkdf_sha256`` (RFC 5869), for known-answer vectors of the PRK."""

from __future__ import annotations

from avp._native import hazmat_aes256gcm_open as aes256gcm_open
from avp._native import hazmat_aes256gcm_seal as aes256gcm_seal
from avp._native import hazmat_hkdf_expand as hkdf_expand
from avp._native import hazmat_hkdf_extract as hkdf_extract
from avp._native import hazmat_identity_slot_key as identity_slot_key
from avp._native import hazmat_seal_identity as seal_identity
from avp._native import hazmat_seal_payload as seal_payload
from avp._native import hazmat_wrap_key as wrap_key

__all__ = [
    "aes256gcm_open",
    "aes256gcm_seal",
    "hkdf_expand",
    "hkdf_extract",
    "identity_slot_key",
    "seal_identity",
    "seal_payload",
    "wrap_key",
]
