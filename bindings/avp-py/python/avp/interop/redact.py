"""Secrets never reach a report or a log: one place decides what is masked.

Masked: bearer tokens, nonces, signatures, seeds and private keys, alt credentials, wrapped-key and
envelope ciphertexts (opaque but long and useless to a reader). Public keys, ids, counters, binding
signatures and federation tokens (public data) stay: a person debugging a failure needs them.
"""

from __future__ import annotations

import json
import re
from typing import Any

SECRET_FIELDS = frozenset(
    {
        "token",
        "nonce",
        "signature",
        "accessToken",
        "refreshToken",
        "ed25519SeedB64",
        "x25519PrivateB64",
        "ciphertext",
        "authorization",
    }
)

_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
#: how much of a body a transcript keeps
MAX_TEXT = 2000


def mask(value: Any) -> str:
    size = len(value) if isinstance(value, (str, bytes, list, dict)) else 0
    return f"<redacted {size}>"


def redact(value: Any) -> Any:
    """A copy of a JSON-like value with every secret field masked."""
    if isinstance(value, dict):
        return {
            k: (mask(v) if k in SECRET_FIELDS or k.lower() in SECRET_FIELDS else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    text = _BEARER.sub(r"\1<redacted>", text)
    return _JWT.sub("<redacted jwt>", text)


def redact_body(raw: bytes) -> Any:
    """A body for a transcript: parsed and redacted JSON when it is JSON, else a short text."""
    try:
        return redact(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        text = raw[:MAX_TEXT].decode("utf-8", "replace")
        suffix = f"... ({len(raw)} bytes)" if len(raw) > MAX_TEXT else ""
        return redact_text(text) + suffix


def shorten(value: Any, limit: int = 400) -> str:
    """A one-line, redacted rendering for Expected/Actual fields."""
    text = value if isinstance(value, str) else json.dumps(redact(value), sort_keys=True, default=str)
    text = redact_text(text)
    return text if len(text) <= limit else text[:limit] + "..."
