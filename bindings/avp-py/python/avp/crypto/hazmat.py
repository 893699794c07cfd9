"""Deterministic variants for reproducing test vectors. Never use them to protect data: a repeated
IV under one key, or a reused ephemeral key, breaks the encryption. ``aes256gcm_seal`` and
``aes256gcm_open`` are the raw primitive with any AAD, for primitive vectors (Wycheproof)."""

from __future__ import annotations

from avp._native import hazmat_aes256gcm_open as aes256gcm_open
from avp._native import hazmat_aes256gcm_seal as aes256gcm_seal
from avp._native import hazmat_seal_payload as seal_payload
from avp._native import hazmat_wrap_key as wrap_key

__all__ = ["aes256gcm_open", "aes256gcm_seal", "seal_payload", "wrap_key"]
