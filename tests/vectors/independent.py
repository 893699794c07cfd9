"""An independent verifier of ``vectors/``: pyca ``cryptography`` and the standard library only.

It never imports ``avp`` (the Rust core made the files; this checks them with other code). Every case
of every file listed in ``index.json`` is checked; a file, op or check it does not know is a failure,
never a skip. Run it alone with ``python tests/vectors/independent.py [vectors]``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Optional

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1"
WRAP_INFO = b"avp/rdk-wrap/v1"
MAX_COUNTER = 2**53 - 1
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class Rejected(Exception):
    """An operation refused its input; ``code`` is the project's error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Mismatch(Exception):
    """A case's stated value differs from the recomputed one."""


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise Mismatch(what)


# --- encodings ----------------------------------------------------------------------------------
B64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def strict_b64(text: str, length: Optional[int] = None) -> bytes:
    """Standard base64, canonical padding and trailing bits, nothing else (project rule)."""
    if not B64_RE.fullmatch(text):
        raise Rejected("invalid_encoding")
    data = base64.b64decode(text)
    if b64(data) != text or (length is not None and len(data) != length):
        raise Rejected("invalid_encoding")
    return data


def strict_b64url(text: str) -> bytes:
    if not B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise Rejected("invalid_encoding")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(data).decode().rstrip("=") != text:
        raise Rejected("invalid_encoding")
    return data


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def counter(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNTER:
        raise Rejected("counter_out_of_range")
    return value


def expand(seed: bytes, length: int) -> bytes:
    """The documented plaintext derivation: SHA-256(seed || uint32BE(i)) blocks, truncated."""
    blocks = b"".join(
        hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range((length + 31) // 32)
    )
    return blocks[:length]


# --- primitives -----------------------------------------------------------------------------------
def aad(repo_id: str, version: Any, epoch: Any) -> bytes:
    return (
        repo_id.encode() + b"\x1f" + counter(version).to_bytes(8, "big") + counter(epoch).to_bytes(8, "big")
    )


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> tuple[bytes, bytes]:
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    okm = HKDF(hashes.SHA256(), length, salt, info).derive(ikm)
    return prk, okm


def x25519(private: bytes, public: bytes) -> bytes:
    if len(private) != 32 or len(public) != 32:
        raise Rejected("invalid_key")
    try:
        return X25519PrivateKey.from_private_bytes(private).exchange(
            X25519PublicKey.from_public_bytes(public)
        )
    except ValueError:  # OpenSSL refuses an all-zero shared secret (a low-order peer key)
        raise Rejected("invalid_key") from None


def x25519_public(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(*RAW)


def seal(key: bytes, iv: bytes, associated: bytes, plaintext: bytes) -> bytes:
    return AESGCM(key).encrypt(iv, plaintext, associated)


def gcm_open(key: bytes, iv: bytes, associated: bytes, ciphertext: bytes) -> bytes:
    if len(key) != 32:
        raise Rejected("invalid_key")
    if len(iv) != 12:
        raise Rejected("invalid_encoding")
    if len(ciphertext) < 16:
        raise Rejected("invalid_tag")
    try:
        return AESGCM(key).decrypt(iv, ciphertext, associated)
    except InvalidTag:
        raise Rejected("invalid_tag") from None


def open_payload(key: bytes, repo_id: str, version: Any, epoch: Any, iv: bytes, ciphertext: bytes) -> bytes:
    if len(key) != 32:
        raise Rejected("invalid_key")
    return gcm_open(key, iv, aad(repo_id, version, epoch), ciphertext)


def kek(shared: bytes, ephemeral_public: bytes) -> bytes:
    return hkdf(shared, ephemeral_public, WRAP_INFO, 32)[1]


def unwrap(wrapped: dict[str, Any], recipient_private: bytes) -> bytes:
    ephemeral = strict_b64(wrapped["ephemeralPublicKey"], 32)
    iv = strict_b64(wrapped["iv"], 12)
    ciphertext = strict_b64(wrapped["ciphertext"])
    if wrapped["schemeId"] != SCHEME_ID:
        raise Rejected("unsupported_scheme")
    return gcm_open(kek(x25519(recipient_private, ephemeral), ephemeral), iv, WRAP_INFO, ciphertext)


# --- Ed25519 with the strict policy ----------------------------------------------------------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _decode_point(encoded: bytes) -> Optional[tuple[int, int]]:
    """RFC 8032 §5.1.3 decoding, refusing non-canonical encodings (y >= p, or x = 0 with the sign bit)."""
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    sign = encoded[31] >> 7
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * SQRT_M1 % P
    if v * x * x % P != u:
        return None
    if x == 0 and sign:
        return None
    return (P - x if x & 1 != sign else x), y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """The complete twisted Edwards addition law (a = -1)."""
    t = D * a[0] * b[0] * a[1] * b[1] % P
    x = (a[0] * b[1] + a[1] * b[0]) * pow(1 + t, P - 2, P) % P
    y = (a[1] * b[1] + a[0] * b[0]) * pow(1 - t, P - 2, P) % P
    return x, y


def _canonical_large_order(encoded: bytes) -> bool:
    point = _decode_point(encoded)
    if point is None:
        return False
    for _ in range(3):  # [8]P is the identity exactly for the small-order points
        point = _add(point, point)
    return point != (0, 1)


def strict_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """Reject non-canonical or small-order A and R and S >= L, then OpenSSL's cofactorless check."""
    if len(public) != 32 or len(signature) != 64:
        return False
    if not _canonical_large_order(public) or not _canonical_large_order(signature[:32]):
        return False
    if int.from_bytes(signature[32:], "little") >= L:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def ed25519_public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(*RAW)


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


# --- federation ------------------------------------------------------------------------------------
INVITE_FIELDS = ("v", "ed25519PublicKey", "x25519PublicKey")
LOCATOR_FIELDS = ("v", "host", "repoId", "schemeId", "keyEpoch", "issuerJwksUrl")


def decode_token(token: str, schema: str) -> dict[str, Any]:
    """Decode a join token into its known members (any order and whitespace; unknown members dropped)."""
    try:
        value = json.loads(strict_b64url(token).decode())
    except (UnicodeDecodeError, ValueError):
        raise Rejected("invalid_encoding") from None
    if not isinstance(value, dict):
        raise Rejected("invalid_encoding")
    version = value.get("v")
    if isinstance(version, bool) or not isinstance(version, int):
        raise Rejected("invalid_encoding")
    if version != 1:
        raise Rejected("unsupported_scheme")
    required: tuple[str, ...]
    optional: tuple[str, ...]
    if schema == "InviteRequest":
        required, optional = INVITE_FIELDS[1:], ()
    else:
        required, optional = ("host", "repoId"), ("schemeId", "issuerJwksUrl")
    out: dict[str, Any] = {"v": 1}
    for name in required:
        if not isinstance(value.get(name), str):
            raise Rejected("invalid_encoding")
        out[name] = value[name]
    for name in optional:
        if value.get(name) is not None and not isinstance(value[name], str):
            raise Rejected("invalid_encoding")
    if schema == "RepoLocator":
        if value.get("schemeId") is not None:
            out["schemeId"] = value["schemeId"]
        epoch = value.get("keyEpoch")
        if epoch is not None:
            if isinstance(epoch, bool) or not isinstance(epoch, int):
                raise Rejected("invalid_encoding")
            out["keyEpoch"] = counter(epoch)
        if value.get("issuerJwksUrl") is not None:
            out["issuerJwksUrl"] = value["issuerJwksUrl"]
    return out


def canonical_json(decoded: dict[str, Any], schema: str) -> str:
    order = INVITE_FIELDS if schema == "InviteRequest" else LOCATOR_FIELDS
    return json.dumps(
        {k: decoded[k] for k in order if k in decoded}, separators=(",", ":"), ensure_ascii=False
    )


HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")
IPV6 = re.compile(r"[0-9A-Fa-f:.]+")
PORT = re.compile(r"[0-9]{1,5}")


def _check_authority(host: str) -> None:
    """host = name of [A-Za-z0-9._-] or an [IPv6] literal, then an optional :port in 1..65535."""
    port: Optional[str] = None
    if host.startswith("["):
        inside, close, after = host[1:].partition("]")
        if not close or not IPV6.fullmatch(inside) or (after and not after.startswith(":")):
            raise Rejected("invalid_address")
        port = after[1:] if after else None
    else:
        name, colon, tail = host.rpartition(":")
        name, port = (name, tail) if colon else (host, None)
        if not HOST_NAME.fullmatch(name):
            raise Rejected("invalid_address")
    if port is not None and (not PORT.fullmatch(port) or not 1 <= int(port) <= 65535):
        raise Rejected("invalid_address")


def parse_address(uri: str) -> tuple[str, str]:
    """``avp://<authority>/<repoId>``; the repoId (everything after the first '/') is non-empty and
    has no whitespace, control character, '?' or '#'."""
    if not uri.startswith("avp://"):
        raise Rejected("invalid_address")
    host, slash, repo_id = uri[len("avp://") :].partition("/")
    if not slash:
        raise Rejected("invalid_address")
    _check_authority(host)
    bad = any(ch.isspace() or unicodedata.category(ch) == "Cc" or ch in "?#" for ch in repo_id)
    if not repo_id or bad:
        raise Rejected("invalid_address")
    return host, repo_id


# --- sealed identities (avp-identity v1) ----------------------------------------------------------
RECOVERY_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
ASCII_SEPARATORS = set("- \t\n\r\x0c")
KDF_LIMITS = {"memoryKib": 1 << 20, "iterations": 64, "parallelism": 16}


def identity_secret(kind: str, text: str) -> bytes:
    if kind == "passphrase":
        data = unicodedata.normalize("NFC", text).encode()
        if not data:
            raise Rejected("invalid_key")
        return data
    code = "".join(ch for ch in text if ch not in ASCII_SEPARATORS).upper()
    if len(code) != 32 or not set(code) <= RECOVERY_ALPHABET:
        raise Rejected("invalid_encoding")
    return code.encode()


def identity_slot(sealed: dict[str, Any], kind: str) -> dict[str, Any]:
    slot = next((s for s in sealed["slots"] if s["kind"] == kind), None)
    if slot is None:
        raise Rejected("invalid_passphrase")
    return dict(slot)


def identity_key(kdf: dict[str, Any], secret: bytes) -> bytes:
    if any(kdf[name] > limit for name, limit in KDF_LIMITS.items()):
        raise Rejected("invalid_encoding")
    argon = Argon2id(
        salt=strict_b64(kdf["salt"]),
        length=32,
        iterations=kdf["iterations"],
        lanes=kdf["parallelism"],
        memory_cost=kdf["memoryKib"],
    )
    return argon.derive(secret)


def open_identity(sealed: dict[str, Any], kind: str, text: str) -> tuple[str, str]:
    """The stated public keys of a blob that opens with ``text``; the project's codes otherwise."""
    if sealed.get("format") != "avp-identity" or sealed.get("version") != 1:
        raise Rejected("unsupported_scheme")
    secret = identity_secret(kind, text)
    slot = identity_slot(sealed, kind)
    kdf = slot["kdf"]
    if kdf["name"] != "argon2id" or kdf["version"] != 19 or slot["cipher"] != "AES-256-GCM":
        raise Rejected("unsupported_scheme")
    iv, ciphertext = strict_b64(slot["iv"], 12), strict_b64(slot["ciphertext"], 80)
    ed, x = sealed["ed25519PublicKey"], sealed["x25519PublicKey"]
    strict_b64(ed, 32)
    strict_b64(x, 32)
    key = identity_key(kdf, secret)
    try:
        plain = AESGCM(key).decrypt(iv, ciphertext, f"avp-identity/v1\x1f{kind}\x1f{ed}\x1f{x}".encode())
    except InvalidTag:
        raise Rejected("invalid_passphrase") from None
    if b64(ed25519_public(plain[:32])) != ed or b64(x25519_public(plain[32:])) != x:
        raise Rejected("invalid_encoding")
    return ed, x


# --- one checker per file -------------------------------------------------------------------------
Checker = Callable[[dict[str, Any], dict[str, Any]], None]


def check_aad(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    expect(aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]).hex() == c["expectedAadHex"], "AAD")


def check_binding_message(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    expect(c["ed25519PublicKey"] + "|" + c["x25519PublicKey"] == c["expectedMessageUtf8"], "message")


def check_hkdf(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    expect(c["hash"] == "SHA-256", "hash")
    ikm, salt, info = (bytes.fromhex(c[k]) for k in ("ikmHex", "saltHex", "infoHex"))
    prk, okm = hkdf(ikm, salt, info, c["length"])
    expect(prk.hex() == c["prkHex"], "PRK")
    expect(okm.hex() == c["okmHex"], "OKM")


def check_x25519(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    out = x25519(bytes.fromhex(c["scalarHex"]), bytes.fromhex(c["uCoordinateHex"]))
    expect(out.hex() == c["outputHex"], "shared secret")


def check_ed25519(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    seed, message = bytes.fromhex(c["seedHex"]), bytes.fromhex(c["messageHex"])
    expect(ed25519_public(seed).hex() == c["publicKeyHex"], "public key")
    expect(ed25519_sign(seed, message).hex() == c["signatureHex"], "signature")
    expect(
        strict_verify(bytes.fromhex(c["publicKeyHex"]), message, bytes.fromhex(c["signatureHex"])), "verify"
    )


def check_policy(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    args = (bytes.fromhex(c[k]) for k in ("publicKeyHex", "messageHex", "signatureHex"))
    verdict = "accept" if strict_verify(*args) else "reject"
    expect(verdict == c["verdict"], f"strict policy says {verdict}")


def check_key_binding(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    message = c["ed25519PublicKey"] + "|" + c["x25519PublicKey"]
    expect(message == c["messageUtf8"], "message")
    issuer = strict_b64(c["issuerPublicKey"], 32)
    signature = c["keyBindingSig"]
    valid = signature is not None and strict_verify(issuer, message.encode(), strict_b64(signature, 64))
    expect(valid == (c["verdict"] == "accept"), f"binding {'verifies' if valid else 'fails'}")
    expect(valid or c.get("expectedError") == "binding_invalid", "expectedError")


def check_challenge(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    try:
        public = strict_b64(c["ed25519PublicKey"], 32)
        nonce = strict_b64(c["nonce"], 32)
        signature = strict_b64(c["signature"], 64)
        outcome = None if strict_verify(public, nonce, signature) else "unauthorized"
    except Rejected:
        outcome = "bad_request"
    expect(outcome == c.get("expectedError"), f"server outcome {outcome or 'accept'}")
    expect((outcome is None) == (c["verdict"] == "accept"), "verdict")


def check_payload(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    key, iv = strict_b64(c["keyB64"], 32), strict_b64(c["ivB64"], 12)
    header = aad(c["repoId"], c["payloadVersion"], c["keyEpoch"])
    expect(header.hex() == c["aadHex"], "AAD")
    plaintext = c["plaintextUtf8"].encode()
    expect(b64(seal(key, iv, header, plaintext)) == c["ciphertextB64"], "ciphertext")
    ciphertext = strict_b64(c["ciphertextB64"])
    expect(
        open_payload(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], iv, ciphertext) == plaintext,
        "open",
    )
    _must_fail(lambda: open_payload(key, c["repoId"], c["payloadVersion"], c["tamperEpoch"], iv, ciphertext))


def _must_fail(call: Callable[[], object], code: str = "invalid_tag") -> None:
    try:
        call()
    except Rejected as err:
        expect(err.code == code, f"failed with {err.code}, expected {code}")
        return
    raise Mismatch(f"succeeded where it must fail with {code}")


def check_sizes(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    key, iv = strict_b64(c["keyB64"], 32), strict_b64(c["ivB64"], 12)
    repo, version, epoch = c["repoId"], c["payloadVersion"], c["keyEpoch"]
    expect(aad(repo, version, epoch).hex() == c["aadHex"], "AAD")
    plaintext = expand(bytes.fromhex(c["plaintext"]["seedHex"]), c["plaintext"]["length"])
    ciphertext = seal(key, iv, aad(repo, version, epoch), plaintext)
    if "ciphertextB64" in c:
        expect(b64(ciphertext) == c["ciphertextB64"], "ciphertext")
    else:
        expect(hashlib.sha256(ciphertext).hexdigest() == c["ciphertextSha256Hex"], "ciphertext digest")
    expect(ciphertext[-16:].hex() == c["tagHex"], "tag")
    expect(open_payload(key, repo, version, epoch, iv, ciphertext) == plaintext, "open")
    _must_fail(lambda: open_payload(key, repo, version, c["tamperEpoch"], iv, ciphertext))
    for offset in c["tamperBitFlipOffsets"]:
        flipped = bytearray(ciphertext)
        flipped[offset] ^= 1
        _must_fail(partial(open_payload, key, repo, version, epoch, iv, bytes(flipped)))


def check_key_wrap(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    recipient = strict_b64(c["recipientPrivateKeyB64"], 32)
    ephemeral = strict_b64(c["ephemeralPrivateKeyB64"], 32)
    data_key = strict_b64(c["dataKeyB64"], 32)
    wrapped = c["wrappedKey"]
    expect(b64(x25519_public(recipient)) == c["recipientPublicKeyB64"], "recipient public key")
    ephemeral_public = x25519_public(ephemeral)
    expect(b64(ephemeral_public) == wrapped["ephemeralPublicKey"], "ephemeral public key")
    shared = x25519(ephemeral, strict_b64(c["recipientPublicKeyB64"], 32))
    expect(shared.hex() == c["sharedSecretHex"], "shared secret")
    expect(kek(shared, ephemeral_public).hex() == c["kekHex"], "KEK")
    expect(c["info"] == WRAP_INFO.decode() and wrapped["schemeId"] == SCHEME_ID, "scheme")
    rewrapped = seal(kek(shared, ephemeral_public), strict_b64(wrapped["iv"], 12), WRAP_INFO, data_key)
    expect(b64(rewrapped) == wrapped["ciphertext"], "wrap ciphertext")
    expect(unwrap(wrapped, recipient) == data_key, "unwrap")


def check_token(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    expect(decode_token(c["base64url"], c["schema"]) == c["decoded"], "decoded")
    expect(canonical_json(c["decoded"], c["schema"]) == c["canonicalJson"], "canonical JSON")
    expect(b64url(c["canonicalJson"].encode()) == c["base64url"], "base64url")


def check_oracle(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    expect(b64url(c["json"].encode()) == c["base64url"], "base64url of json")
    expect(decode_token(c["base64url"], c["schema"]) == c["decoded"], "decoded")


def check_uri(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    expect(parse_address(c["uri"]) == (c["host"], c["repoId"]), "parse")
    expect(f"avp://{c['host']}/{c['repoId']}" == c["uri"], "format")


def check_identity(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    if "derivedKeyHex" in c:
        slot = identity_slot(c["sealed"], c["unlockWith"])
        key = identity_key(slot["kdf"], identity_secret(c["unlockWith"], c["secret"]))
        expect(key.hex() == c["derivedKeyHex"], "Argon2id output")
    if c["verdict"] == "accept":
        opened = open_identity(c["sealed"], c["unlockWith"], c["secret"])
        expect(opened == (c["ed25519PublicKey"], c["x25519PublicKey"]), "opened keys")
    else:
        _must_fail(lambda: open_identity(c["sealed"], c["unlockWith"], c["secret"]), c["expectedError"])


def _neg_payload(c: dict[str, Any]) -> object:
    key, iv, ct = (strict_b64(c[k]) for k in ("keyB64", "ivB64", "ciphertextB64"))
    return open_payload(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], iv, ct)


def _neg_unwrap(c: dict[str, Any]) -> object:
    wrapped = {
        "schemeId": c.get("schemeId", SCHEME_ID),
        "ephemeralPublicKey": c["ephemeralPublicKeyB64"],
        "iv": c["ivB64"],
        "ciphertext": c["ciphertextB64"],
    }
    return unwrap(wrapped, strict_b64(c["recipientPrivateKeyB64"]))


def _neg_wrap(c: dict[str, Any]) -> object:
    ephemeral = strict_b64(c["ephemeralPrivateKeyB64"], 32)
    shared = x25519(ephemeral, strict_b64(c["recipientPublicKeyB64"]))
    return seal(
        kek(shared, x25519_public(ephemeral)),
        strict_b64(c["ivB64"], 12),
        WRAP_INFO,
        strict_b64(c["dataKeyB64"]),
    )


NEGATIVE_OPS: dict[str, Callable[[dict[str, Any]], object]] = {
    "payload-decrypt": _neg_payload,
    "key-unwrap": _neg_unwrap,
    "key-wrap": _neg_wrap,
    "x25519": lambda c: x25519(bytes.fromhex(c["scalarHex"]), bytes.fromhex(c["uCoordinateHex"])),
    "aad": lambda c: aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]),
    "base64-decode": lambda c: strict_b64(c["input"], c["length"]),
    "invite-decode": lambda c: decode_token(c["token"], "InviteRequest"),
    "locator-decode": lambda c: decode_token(c["token"], "RepoLocator"),
    "address-parse": lambda c: parse_address(c["uri"]),
}


def check_negative(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    expect(c["expect"] == "reject", "expect")
    if c["op"] == "ed25519-verify":
        args = (bytes.fromhex(c[k]) for k in ("publicKeyHex", "messageHex", "signatureHex"))
        expect(not strict_verify(*args), "the signature verifies")
        return
    if c["op"] not in NEGATIVE_OPS:
        raise Mismatch(f"unknown op {c['op']!r}")
    _must_fail(lambda: NEGATIVE_OPS[c["op"]](c), c["expectedError"])


def _pointer(root: Any, pointer: str) -> Any:
    """RFC 6901."""
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        root = root[int(token)] if isinstance(root, list) else root[token]
    return root


def _jwk_thumbprint(public: bytes) -> str:
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": b64url(public)}, separators=(",", ":"))
    return b64url(hashlib.sha256(jwk.encode()).digest())


def check_step(c: dict[str, Any], doc: dict[str, Any]) -> None:
    server = strict_b64(doc["server"]["ed25519PublicKey"], 32)
    expect(_jwk_thumbprint(server) == doc["server"]["kid"], "server kid")
    secrets = doc["secrets"]
    tokens = {
        s["actor"]: s["response"]["body"]["token"] for s in doc["cases"] if s["name"].endswith("-token")
    }
    auth = c["request"].get("headers", {}).get("Authorization")
    if auth is not None:
        expect(auth == "Bearer " + tokens.get(c["actor"], ""), "bearer token of the acting actor")
    for check in c.get("checks", []):
        target = _pointer(c, check["at"])
        kind = check["check"]
        if kind == "nonce-signature":
            public = strict_b64(target["ed25519PublicKey"], 32)
            expect(
                strict_verify(public, strict_b64(target["nonce"], 32), strict_b64(target["signature"], 64)),
                kind,
            )
        elif kind == "jwt":
            header, claims, signature = target.split(".")
            expect(
                strict_verify(server, f"{header}.{claims}".encode(), strict_b64url(signature)),
                "JWT signature",
            )
            head, body = (json.loads(strict_b64url(part)) for part in (header, claims))
            expect(head == {"alg": "EdDSA", "typ": "JWT", "kid": doc["server"]["kid"]}, "JWT header")
            expect(body["sub"] == "key:" + check["subject"] and body["kind"] == "keypair", "JWT claims")
            expect(body["aud"] == body["iss"] == doc["base"] and body["exp"] > body["iat"], "JWT audience")
        elif kind == "jwks":
            expect(target["kty"] == "OKP" and target["crv"] == "Ed25519" and target["alg"] == "EdDSA", "JWK")
            expect(strict_b64url(target["x"]) == server and target["kid"] == doc["server"]["kid"], "JWK key")
        elif kind == "key-binding":
            message = (target["ed25519PublicKey"] + "|" + target["x25519PublicKey"]).encode()
            expect(strict_verify(server, message, strict_b64(target["keyBindingSig"], 64)), kind)
        elif kind == "unwrap":
            private = strict_b64(doc["actors"][check["actor"]]["x25519PrivateB64"], 32)
            expect(b64(unwrap(target, private)) == secrets["dataKeys"][check["dataKey"]], kind)
        elif kind in ("decrypt", "decrypt-fails"):
            key = strict_b64(secrets["dataKeys"][check["dataKey"]], 32)
            iv, ct = strict_b64(target["iv"], 12), strict_b64(target["ciphertext"])
            args = (key, target["repoId"], target["payloadVersion"], target["keyEpoch"], iv, ct)
            if kind == "decrypt":
                expect(open_payload(*args).decode() == secrets["plaintexts"][check["plaintext"]], kind)
            else:
                _must_fail(partial(open_payload, *args), check["expectedError"])
        else:
            raise Mismatch(f"unknown check {kind!r}")


# --- payload plaintext (payload-parse.json): the standard library's json, rules re-stated here --------
ALT_TYPES = ("MICROSOFT", "COOKIE", "SESSION", "OFFLINE")
ALT_KNOWN = ("uuid", "username", "accessToken", "type", "lastUsed", "refreshToken", "expiresAt")
ALT_KNOWN += ("lastUsedBy", "bans", "ban", "sourceClient", "sourceUser")
MAX_DEPTH = 32


class RawNumber(str):
    """A JSON number kept as written; ``integer`` when it has no fraction and no exponent."""

    @property
    def integer(self) -> bool:
        return not any(ch in self for ch in ".eE")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Rejected("invalid_encoding")
        out[key] = value
    return out


def _no_constant(_name: str) -> Any:
    raise Rejected("invalid_encoding")


def _check_tree(value: Any, depth: int) -> None:
    """Depth limit, and no lone surrogate (``json`` turns a lone ``\\ud800`` into one)."""
    if isinstance(value, str) and not isinstance(value, RawNumber):
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise Rejected("invalid_encoding")
    elif isinstance(value, (dict, list)):
        if depth > MAX_DEPTH:
            raise Rejected("invalid_encoding")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _check_tree(key, depth)
            _check_tree(item, depth + 1)


def strict_json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")  # refuses overlong forms, encoded surrogates, cut sequences
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=RawNumber,
            parse_float=RawNumber,
        )
    except (UnicodeDecodeError, json.JSONDecodeError):  # a BOM is a JSONDecodeError too
        raise Rejected("invalid_encoding") from None
    _check_tree(value, 1)
    return value


def payload_counter(value: Any, optional: bool = False) -> Optional[int]:
    if optional and value is None:
        return None
    if not isinstance(value, RawNumber):
        raise Rejected("invalid_encoding")
    if not value.integer or not 0 <= int(value) <= MAX_COUNTER:
        raise Rejected("counter_out_of_range")
    return int(value)


def payload_text(value: Any, optional: bool = False) -> Optional[str]:
    if (optional and value is None) or (isinstance(value, str) and not isinstance(value, RawNumber)):
        return value
    raise Rejected("invalid_encoding")


def _json_value(value: Any) -> str:
    """Minified JSON of a parsed value, numbers as written."""
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_value(k)}:{_json_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _ban(obj: Any) -> str:
    if not isinstance(obj, dict) or not isinstance(obj.get("banned"), bool):
        raise Rejected("invalid_encoding")
    fields = [
        ("banned", _json_value(obj["banned"])),
        ("observedAt", str(payload_counter(obj.get("observedAt")))),
        ("source", _json_value(payload_text(obj.get("source")))),
        ("detail", _json_value(payload_text(obj.get("detail")))),
    ]
    by = payload_text(obj.get("observedBy"), True)
    if by is not None:
        fields.append(("observedBy", _json_value(by)))
    return "{" + ",".join(f'"{k}":{v}' for k, v in fields) + "}"


def _alt(obj: Any, share_refresh_tokens: bool) -> str:
    if not isinstance(obj, dict):
        raise Rejected("invalid_encoding")
    members = [f"{_json_value(k)}:{_json_value(v)}" for k, v in obj.items() if k not in ALT_KNOWN]
    for key in ("uuid", "username", "accessToken"):
        members.append(f'"{key}":{_json_value(payload_text(obj.get(key)))}')
    if obj.get("type") not in ALT_TYPES:
        raise Rejected("invalid_encoding")
    members.append(f'"type":"{obj["type"]}"')
    members.append(f'"lastUsed":{payload_counter(obj.get("lastUsed"))}')
    refresh = payload_text(obj.get("refreshToken"), True)
    expires = payload_counter(obj.get("expiresAt"), True)
    if share_refresh_tokens and refresh is not None:
        members.append(f'"refreshToken":{_json_value(refresh)}')
    if share_refresh_tokens and expires is not None:
        members.append(f'"expiresAt":{expires}')
    for key in ("lastUsedBy", "sourceClient", "sourceUser"):
        value = payload_text(obj.get(key), True)
        if value is not None:
            members.append(f'"{key}":{_json_value(value)}')
    bans = obj.get("bans")
    if bans is not None and not isinstance(bans, dict):
        raise Rejected("invalid_encoding")
    written = {server: _ban(ban) for server, ban in (bans or {}).items()}
    if obj.get("ban") is not None:
        legacy = _ban(obj["ban"])
        written.setdefault("unknown", legacy)  # an explicit "unknown" entry wins
        bans = written
    if bans is not None:
        members.append('"bans":{' + ",".join(f"{_json_value(k)}:{v}" for k, v in written.items()) + "}")
    return "{" + ",".join(members) + "}"


def payload_canonical(plaintext: bytes, share_refresh_tokens: bool) -> tuple[str, int, int]:
    """(serialization, payloadVersion, alt count) of a payload, or Rejected."""
    doc = strict_json(plaintext)
    if not isinstance(doc, dict) or not isinstance(doc.get("alts"), list):
        raise Rejected("invalid_encoding")
    alts = [_alt(a, share_refresh_tokens) for a in doc["alts"]]
    version = payload_counter(doc.get("payloadVersion"))
    return '{"alts":[' + ",".join(alts) + f'],"payloadVersion":{version}}}', int(version or 0), len(alts)


def check_payload_parse(c: dict[str, Any], _doc: dict[str, Any]) -> None:
    has_text = "plaintextUtf8" in c
    expect(has_text != ("plaintextHex" in c), "exactly one of plaintextUtf8 and plaintextHex")
    plaintext = c["plaintextUtf8"].encode() if has_text else bytes.fromhex(c["plaintextHex"])
    if c["verdict"] == "reject":
        _must_fail(lambda: payload_canonical(plaintext, True), c["expectedError"])
        return
    expect(c["verdict"] == "accept", "verdict")
    canonical, version, count = payload_canonical(plaintext, True)
    expect((version, count) == (c["payloadVersion"], c["altCount"]), "payloadVersion and altCount")
    expect(canonical == c["canonicalUtf8"], "canonicalUtf8")
    expect(payload_canonical(plaintext, False)[0] == c["strippedUtf8"], "strippedUtf8")


#: file id -> (case list, checker) for every file this verifier knows.
CHECKERS: dict[str, list[tuple[str, Checker]]] = {
    "aad": [("cases", check_aad)],
    "key-binding-message": [("cases", check_binding_message)],
    "hkdf": [("cases", check_hkdf)],
    "x25519": [("cases", check_x25519)],
    "ed25519": [("cases", check_ed25519)],
    "ed25519-policy": [("cases", check_policy)],
    "key-binding": [("cases", check_key_binding)],
    "challenge": [("cases", check_challenge)],
    "payload-aead": [("cases", check_payload)],
    "payload-aead-sizes": [("cases", check_sizes)],
    "payload-parse": [("cases", check_payload_parse)],
    "key-wrap": [("cases", check_key_wrap)],
    "federation": [("tokens", check_token), ("uris", check_uri), ("decodeOracles", check_oracle)],
    "negative": [("cases", check_negative)],
    "negative-extended": [("cases", check_negative)],
    "identity": [("cases", check_identity)],
    "transcript": [("cases", check_step)],
}


def verify_file(folder: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Check every case of one indexed file: ``{checked, failed, skipped, failures}``."""
    doc = json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
    failures: list[str] = []
    checked = 0
    lists = CHECKERS.get(entry["id"])
    if lists is None:
        count = entry.get("cases", 0)
        return {"checked": 0, "failed": count, "skipped": 0, "failures": [f"unknown file {entry['id']!r}"]}
    for key, checker in lists:
        for case in doc.get(key, []):
            checked += 1
            try:
                checker(case, doc)
            except (Mismatch, Rejected, KeyError, ValueError, TypeError, binascii.Error) as err:
                failures.append(f"{case.get('name')}: {type(err).__name__}: {err}")
    if checked != entry.get("cases"):
        failures.append(f"index.json announces {entry.get('cases')} cases, {checked} were checked")
    return {"checked": checked, "failed": len(failures), "skipped": 0, "failures": failures}


def verify_folder(folder: Path) -> dict[str, dict[str, Any]]:
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    return {entry["file"]: verify_file(folder, entry) for entry in index["vectors"]}


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "vectors")
    results = verify_folder(folder)
    for name, r in results.items():
        print(f"{name:28} checked {r['checked']:5d}  failed {r['failed']:3d}")
        for failure in r["failures"]:
            print(f"    {failure}")
    return 1 if any(r["failed"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
