"""Deterministic variants for reproducing test vectors. Never use them to protect data: a
repeated IV under one key, or a reused ephemeral key, breaks the encryption."""

from __future__ import annotations

from avp._native import hazmat_seal_payload as seal_payload
from avp._native import hazmat_wrap_key as wrap_key

__all__ = ["seal_payload", "wrap_key"]
