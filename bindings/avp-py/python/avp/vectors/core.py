"""The one place the generator calls the Rust core (through the binding): every value a vector
asserts is computed here, and nowhere else in :mod:`avp.vectors`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Optional

from avp import crypto, federation
from avp.crypto import hazmat
from avp.errors import AvpError

SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1"
WRAP_INFO = b"avp/rdk-wrap/v1"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


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
