"""AVP cryptography, implemented in Rust (``avp-crypto``) and exposed through ``avp._native``.

Every function takes any bytes-like object and returns ``bytes``; failures raise the classes of
:mod:`avp.errors` (``InvalidTag``, ``InvalidKey``, ``InvalidEncoding``, ``CounterOutOfRange``, ...).
The deterministic variants used only to reproduce vectors live in :mod:`avp.crypto.hazmat`.
"""

from __future__ import annotations

from avp._native import (
    SCHEME_ID,
    WrappedKey,
    aad,
    b64decode_strict,
    b64encode,
    b64url_decode_strict,
    b64url_encode,
    ed25519_generate,
    ed25519_public_key,
    ed25519_sign,
    ed25519_verify,
    generate_data_key,
    hkdf_sha256,
    is_low_order_x25519,
    key_binding_message,
    key_binding_sign,
    key_binding_verify,
    open_payload,
    seal_payload,
    unwrap_key,
    wrap_key,
    wrap_key_many,
    x25519,
    x25519_generate,
    x25519_public_key,
)

__all__ = [
    "SCHEME_ID",
    "WrappedKey",
    "aad",
    "b64decode_strict",
    "b64encode",
    "b64url_decode_strict",
    "b64url_encode",
    "ed25519_generate",
    "ed25519_public_key",
    "ed25519_sign",
    "ed25519_verify",
    "generate_data_key",
    "hkdf_sha256",
    "is_low_order_x25519",
    "key_binding_message",
    "key_binding_sign",
    "key_binding_verify",
    "open_payload",
    "seal_payload",
    "unwrap_key",
    "wrap_key",
    "wrap_key_many",
    "x25519",
    "x25519_generate",
    "x25519_public_key",
]
