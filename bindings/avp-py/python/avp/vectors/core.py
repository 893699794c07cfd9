"""The one place the generator calls the Rust core (through the binding): every value a vector
asserts is computed here, and nowhere else in :mod:`avp.vectors`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Optional

from avp import Identity, crypto, federation
from avp.crypto import hazmat
from avp.errors import AvpError

SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1"
WRAP_INFO = b"avp/rdk-wrap/v1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64url(data: bytes) -> str:
    """base64url without padding (tokens, JWT parts, JWK coordinates)."""
    return crypto.b64url_encode(data)


def unb64url(text: str) -> bytes:
    return bytes(crypto.b64url_decode_strict(text))


def aad(repo_id: str, payload_version: int, key_epoch: int) -> bytes:
    return bytes(crypto.aad(repo_id, payload_version, key_epoch))


def seal(key: bytes, repo_id: str, version: int, epoch: int, plaintext: bytes, iv: bytes) -> bytes:
    """AES-256-GCM ciphertext with the tag appended, under the envelope AAD and a fixed IV."""
    out_iv, ciphertext = hazmat.seal_payload(key, repo_id, version, epoch, plaintext, iv=iv)
    assert bytes(out_iv) == iv
    return bytes(ciphertext)


def aes_gcm_seal(key: bytes, iv: bytes, associated: bytes, plaintext: bytes) -> bytes:
    """The raw AES-256-GCM primitive (tag appended), for adversarial inputs the safe API refuses to make."""
    return bytes(hazmat.aes256gcm_seal(key, iv, associated, plaintext))


def open_payload(key: bytes, repo_id: str, version: int, epoch: int, iv: bytes, ciphertext: bytes) -> bytes:
    return bytes(crypto.open_payload(key, repo_id, version, epoch, iv, ciphertext))


def wrap(data_key: bytes, recipient_public: bytes, ephemeral_private: bytes, iv: bytes) -> dict[str, str]:
    """The wire ``WrappedKey`` of a deterministic wrap."""
    wrapped = hazmat.wrap_key(data_key, recipient_public, ephemeral_private=ephemeral_private, iv=iv)
    return wrapped.to_dict()


def unwrap(wrapped: dict[str, str], recipient_private: bytes) -> bytes:
    return bytes(crypto.unwrap_key(wrapped, recipient_private))


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return bytes(crypto.hkdf_sha256(ikm, salt, info, length))


def hkdf_extract(ikm: bytes, salt: bytes) -> bytes:
    """The PRK alone: HMAC-SHA256(salt or 32 zero bytes, ikm) (RFC 5869 §2.2)."""
    return bytes(hazmat.hkdf_extract(ikm, salt))


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    return bytes(hazmat.hkdf_expand(prk, info, length))


def identity_slot_key(kind: str, secret: str, salt: bytes, params: tuple[int, int, int]) -> bytes:
    """The Argon2id key of an identity slot (``kind`` "passphrase" or "recoveryCode"), after the
    format's normalisation of ``secret``; ``params`` is (memoryKib, iterations, parallelism)."""
    memory, iterations, parallelism = params
    unlock = {"passphrase": secret} if kind == "passphrase" else {"recovery_code": secret}
    key = hazmat.identity_slot_key(
        salt, **unlock, memory_kib=memory, iterations=iterations, parallelism=parallelism
    )
    return bytes(key)


def seal_identity(
    ed25519_seed: bytes,
    x25519_private: bytes,
    passphrase: str,
    salt: bytes,
    iv: bytes,
    recovery: Optional[tuple[str, bytes, bytes]],
    params: tuple[int, int, int],
) -> str:
    """The deterministic seal (``avp-identity`` v1 JSON); ``recovery`` is (code, salt, iv)."""
    memory, iterations, parallelism = params
    code, recovery_salt, recovery_iv = recovery if recovery is not None else (None, None, None)
    return hazmat.seal_identity(
        Identity.from_seeds(ed25519_seed, x25519_private),
        passphrase,
        salt=salt,
        iv=iv,
        recovery_code=code,
        recovery_salt=recovery_salt,
        recovery_iv=recovery_iv,
        memory_kib=memory,
        iterations=iterations,
        parallelism=parallelism,
    )


def x25519(private: bytes, public: bytes) -> bytes:
    return bytes(crypto.x25519(private, public))


def x25519_public(private: bytes) -> bytes:
    return bytes(crypto.x25519_public_key(private))


def ed25519_public(seed: bytes) -> bytes:
    return bytes(crypto.ed25519_public_key(seed))


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    return bytes(crypto.ed25519_sign(seed, message))


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    return bool(crypto.ed25519_verify(public, message, signature))


def binding_message(ed25519_b64: str, x25519_b64: str) -> bytes:
    return bytes(crypto.key_binding_message(ed25519_b64, x25519_b64))


def binding_verify(issuer_public: bytes, ed25519_b64: str, x25519_b64: str, signature: bytes) -> bool:
    return bool(crypto.key_binding_verify(issuer_public, ed25519_b64, x25519_b64, signature))


def b64decode_strict(text: str, length: Optional[int] = None) -> bytes:
    return bytes(crypto.b64decode_strict(text, length))


def encode_invite(invite: dict[str, Any]) -> str:
    return federation.encode_invite(invite)


def decode_invite(token: str) -> dict[str, Any]:
    return federation.decode_invite(token).to_dict()


def encode_locator(locator: dict[str, Any]) -> str:
    return federation.encode_locator(locator)


def decode_locator(token: str) -> dict[str, Any]:
    return federation.decode_locator(token).to_dict()


def parse_address(uri: str) -> tuple[str, str]:
    address = federation.parse_address(uri)
    return address.host, address.repo_id


def format_address(host: str, repo_id: str) -> str:
    return federation.format_address(host, repo_id)


def error_code(call: Callable[[], object]) -> Optional[str]:
    """The :class:`AvpError` code ``call`` raises, or None when it succeeds."""
    try:
        call()
    except AvpError as err:
        return err.code
    return None
