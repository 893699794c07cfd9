"""Every construction against an independent implementation (pyca ``cryptography``) on random inputs."""

from __future__ import annotations

import base64
import os
import random
import struct
import types

import pytest
from avp import crypto
from avp.crypto import hazmat
from avp.errors import CounterOutOfRange, InvalidEncoding, InvalidKey, InvalidTag, UnsupportedScheme
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

RNG = random.Random(0xA7B)
INFO = b"avp/rdk-wrap/v1"
RAW = serialization.Encoding.Raw
RAW_PUB = serialization.PublicFormat.Raw
ROUNDS = 25


def rand_bytes(n: int) -> bytes:
    return os.urandom(n)


def rand_repo_id() -> str:
    return "".join(
        RNG.choice("abcdefghijklmnopqrstuvwxyz0123456789-._~é€") for _ in range(RNG.randint(1, 40))
    )


def rand_counter() -> int:
    return RNG.choice([0, 1, 2**53 - 1, RNG.randint(0, 2**53 - 1), RNG.randint(0, 1000)])


def ref_aad(repo_id: str, version: int, epoch: int) -> bytes:
    return repo_id.encode() + b"\x1f" + struct.pack(">qq", version, epoch)


def x_pub(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(RAW, RAW_PUB)


def ref_kek(shared: bytes, ephemeral_public: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, ephemeral_public, INFO).derive(shared)


def test_aad_matches_reference() -> None:
    for _ in range(ROUNDS):
        args = (rand_repo_id(), rand_counter(), rand_counter())
        assert crypto.aad(*args) == ref_aad(*args)


@pytest.mark.parametrize("bad", [-1, 2**53, 2**64, True, 1.0, "1", None])
def test_counters_out_of_range(bad: object) -> None:
    with pytest.raises(CounterOutOfRange):
        crypto.aad("r", bad, 0)  # type: ignore[arg-type]
    with pytest.raises(CounterOutOfRange):
        crypto.seal_payload(bytes(32), "r", 0, bad, b"")  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 1000, 65535, 65536, 300_001])
def test_payload_both_directions(size: int) -> None:
    key, repo, version, epoch = rand_bytes(32), rand_repo_id(), rand_counter(), rand_counter()
    plaintext = rand_bytes(size)
    aad = ref_aad(repo, version, epoch)
    iv, ciphertext = crypto.seal_payload(key, repo, version, epoch, plaintext)
    assert len(iv) == 12 and len(ciphertext) == size + 16
    assert AESGCM(key).decrypt(iv, ciphertext, aad) == plaintext
    iv2 = rand_bytes(12)
    theirs = AESGCM(key).encrypt(iv2, plaintext, aad)
    assert crypto.open_payload(key, repo, version, epoch, iv2, theirs) == plaintext
    assert hazmat.seal_payload(key, repo, version, epoch, plaintext, iv=iv2) == (iv2, theirs)


def test_payload_rejects_every_mutation() -> None:
    key = rand_bytes(32)
    iv, ct = crypto.seal_payload(key, "repo", 3, 1, b"secret alts")
    bad_cases = [
        (key, "repo", 3, 2, iv, ct),
        (key, "repo", 4, 1, iv, ct),
        (key, "repo2", 3, 1, iv, ct),
        (rand_bytes(32), "repo", 3, 1, iv, ct),
        (key, "repo", 3, 1, rand_bytes(12), ct),
        (key, "repo", 3, 1, iv, ct[:-1]),
        (key, "repo", 3, 1, iv, ct[:15]),
        (key, "repo", 3, 1, iv, bytes([ct[0] ^ 1]) + ct[1:]),
    ]
    for args in bad_cases:
        with pytest.raises(InvalidTag):
            crypto.open_payload(*args)


def test_ivs_are_fresh() -> None:
    key = rand_bytes(32)
    assert len({crypto.seal_payload(key, "r", 1, 0, b"x")[0] for _ in range(200)}) == 200


def test_shape_errors() -> None:
    with pytest.raises(InvalidKey):
        crypto.seal_payload(bytes(31), "r", 1, 0, b"")
    with pytest.raises(InvalidEncoding):
        crypto.open_payload(bytes(32), "r", 1, 0, bytes(11), bytes(16))
    with pytest.raises(TypeError):
        crypto.seal_payload(bytes(32), "r", 1, 0, "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        crypto.seal_payload(bytes(32), "r", 1, 0, 5)  # type: ignore[arg-type]


def test_any_buffer_in_bytes_out() -> None:
    key = rand_bytes(32)
    for wrap in (bytes, bytearray, memoryview):
        iv, ct = crypto.seal_payload(wrap(key), "r", 1, 0, wrap(b"abc"))
        out = crypto.open_payload(wrap(key), "r", 1, 0, wrap(iv), wrap(ct))
        assert type(out) is bytes and out == b"abc"
    import array

    assert crypto.hkdf_sha256(array.array("B", b"k"), b"", b"", 4) == crypto.hkdf_sha256(b"k", b"", b"", 4)


def test_hkdf_matches_reference() -> None:
    for _ in range(ROUNDS):
        ikm, salt, info = (
            rand_bytes(RNG.randint(0, 80)),
            rand_bytes(RNG.randint(0, 80)),
            rand_bytes(RNG.randint(0, 80)),
        )
        length = RNG.randint(1, 255 * 32)
        assert crypto.hkdf_sha256(ikm, salt, info, length) == HKDF(
            hashes.SHA256(), length, salt, info
        ).derive(ikm)
    for bad in (0, 255 * 32 + 1):
        with pytest.raises(InvalidEncoding):
            crypto.hkdf_sha256(b"k", b"", b"", bad)


def test_hkdf_extract_and_expand_match_reference() -> None:
    """The two HKDF steps of hazmat: the PRK is HMAC-SHA256(salt or 32 zero bytes, ikm) as pyca
    computes it, and expand is pyca's HKDFExpand; together they are ``hkdf_sha256``."""
    for _ in range(ROUNDS):
        ikm, salt, info = (
            rand_bytes(RNG.randint(0, 80)),
            rand_bytes(RNG.choice([0, 1, 31, 32, 33, 64, 65, 100])),
            rand_bytes(RNG.randint(0, 80)),
        )
        mac = HMAC(salt or bytes(32), hashes.SHA256())
        mac.update(ikm)
        prk = hazmat.hkdf_extract(ikm, salt)
        assert type(prk) is bytes and prk == mac.finalize()
        length = RNG.randint(1, 255 * 32)
        okm = hazmat.hkdf_expand(prk, info, length)
        assert okm == HKDFExpand(hashes.SHA256(), length, info).derive(prk)
        assert okm == crypto.hkdf_sha256(ikm, salt, info, length)
        long_prk = rand_bytes(RNG.randint(33, 80))  # RFC 5869 allows any PRK of at least HashLen
        assert hazmat.hkdf_expand(long_prk, info, 40) == HKDFExpand(hashes.SHA256(), 40, info).derive(
            long_prk
        )
    assert hazmat.hkdf_extract(b"k", b"") == hazmat.hkdf_extract(b"k", bytes(32))
    for bad in (0, 255 * 32 + 1):
        with pytest.raises(InvalidEncoding):
            hazmat.hkdf_expand(bytes(32), b"", bad)
    with pytest.raises(InvalidKey):
        hazmat.hkdf_expand(bytes(31), b"", 32)


def test_x25519_matches_reference() -> None:
    for _ in range(ROUNDS):
        a, b = rand_bytes(32), rand_bytes(32)
        assert crypto.x25519_public_key(a) == x_pub(a)
        expected = X25519PrivateKey.from_private_bytes(a).exchange(
            X25519PublicKey.from_public_bytes(x_pub(b))
        )
        assert crypto.x25519(a, x_pub(b)) == expected
    private, public = crypto.x25519_generate()
    assert x_pub(private) == public


def test_x25519_all_zero_output_raises() -> None:
    private = rand_bytes(32)
    for low in (bytes(32), b"\x01" + bytes(31)):
        assert crypto.is_low_order_x25519(low)
        with pytest.raises(InvalidKey):
            crypto.x25519(private, low)
    assert not crypto.is_low_order_x25519(x_pub(private))


def ref_wrap(data_key: bytes, recipient_public: bytes, ephemeral: bytes, iv: bytes) -> dict[str, str]:
    eph_pub = x_pub(ephemeral)
    shared = X25519PrivateKey.from_private_bytes(ephemeral).exchange(
        X25519PublicKey.from_public_bytes(recipient_public)
    )
    ct = AESGCM(ref_kek(shared, eph_pub)).encrypt(iv, data_key, INFO)
    b64 = base64.b64encode
    return {
        "schemeId": crypto.SCHEME_ID,
        "ephemeralPublicKey": b64(eph_pub).decode(),
        "iv": b64(iv).decode(),
        "ciphertext": b64(ct).decode(),
    }


def ref_unwrap(wire: dict[str, str], recipient_private: bytes) -> bytes:
    eph_pub = base64.b64decode(wire["ephemeralPublicKey"])
    shared = X25519PrivateKey.from_private_bytes(recipient_private).exchange(
        X25519PublicKey.from_public_bytes(eph_pub)
    )
    aes = AESGCM(ref_kek(shared, eph_pub))
    return aes.decrypt(base64.b64decode(wire["iv"]), base64.b64decode(wire["ciphertext"]), INFO)


def test_wrap_matches_reference() -> None:
    for _ in range(ROUNDS):
        data_key, recipient = rand_bytes(32), rand_bytes(32)
        public = x_pub(recipient)
        wrapped = crypto.wrap_key(data_key, public)
        assert wrapped.scheme_id == crypto.SCHEME_ID and len(wrapped.ciphertext) == 48
        assert ref_unwrap(wrapped.to_dict(), recipient) == data_key
        ephemeral, iv = rand_bytes(32), rand_bytes(12)
        theirs = ref_wrap(data_key, public, ephemeral, iv)
        assert hazmat.wrap_key(data_key, public, ephemeral_private=ephemeral, iv=iv).to_dict() == theirs
        assert crypto.unwrap_key(theirs, recipient) == data_key
        assert crypto.unwrap_key(crypto.WrappedKey.from_dict(theirs), recipient) == data_key


def test_wrap_many_each_recipient_unwraps_with_reference() -> None:
    data_key = crypto.generate_data_key()
    privates = [rand_bytes(32) for _ in range(64)]
    wrapped = crypto.wrap_key_many(data_key, (x_pub(p) for p in privates))
    assert len(wrapped) == 64
    assert len({w.ephemeral_public_key for w in wrapped}) == 64
    for private, w in zip(privates, wrapped):
        assert ref_unwrap(w.to_dict(), private) == data_key
    with pytest.raises(InvalidKey):
        crypto.wrap_key_many(data_key, [x_pub(privates[0]), bytes(32)])
    assert crypto.wrap_key_many(data_key, []) == []


def test_unwrap_failures() -> None:
    private, public = crypto.x25519_generate()
    data_key = crypto.generate_data_key()
    wire = crypto.wrap_key(data_key, public).to_dict()
    with pytest.raises(UnsupportedScheme):
        crypto.unwrap_key({**wire, "schemeId": "X25519-HKDF-SHA256-AESGCM-v2"}, private)
    with pytest.raises(InvalidTag):
        crypto.unwrap_key(wire, crypto.x25519_generate()[0])
    with pytest.raises(InvalidKey):
        crypto.unwrap_key({**wire, "ephemeralPublicKey": base64.b64encode(bytes(32)).decode()}, private)
    for field, value in (("iv", "AAAA"), ("ephemeralPublicKey", "not base64"), ("ciphertext", "AB==")):
        with pytest.raises(InvalidEncoding):
            crypto.unwrap_key({**wire, field: value}, private)
    with pytest.raises(InvalidEncoding):
        crypto.unwrap_key({k: v for k, v in wire.items() if k != "iv"}, private)
    with pytest.raises(TypeError):
        crypto.unwrap_key([wire], private)  # type: ignore[arg-type]


def test_wrapped_key_object() -> None:
    _, public = crypto.x25519_generate()
    w = crypto.wrap_key(crypto.generate_data_key(), public)
    again = crypto.WrappedKey(w.scheme_id, w.ephemeral_public_key, w.iv, w.ciphertext)
    assert again == w and crypto.WrappedKey.from_dict(w.to_dict()) == w
    assert crypto.WrappedKey.from_dict(types.MappingProxyType(w.to_dict())) == w
    assert all(type(getattr(w, a)) is bytes for a in ("ephemeral_public_key", "iv", "ciphertext"))
    assert w.to_dict()["ephemeralPublicKey"] in repr(w)


def test_ed25519_matches_reference() -> None:
    for _ in range(ROUNDS):
        seed, message = rand_bytes(32), rand_bytes(RNG.randint(0, 300))
        ref = Ed25519PrivateKey.from_private_bytes(seed)
        public = ref.public_key().public_bytes(RAW, RAW_PUB)
        assert crypto.ed25519_public_key(seed) == public
        signature = crypto.ed25519_sign(seed, message)
        assert signature == ref.sign(message)  # RFC 8032 signatures are deterministic
        assert crypto.ed25519_verify(public, message, signature)
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        tampered = bytes([signature[0] ^ 1]) + signature[1:]
        assert not crypto.ed25519_verify(public, message, tampered)
        with pytest.raises(InvalidSignature):
            Ed25519PublicKey.from_public_bytes(public).verify(tampered, message)
        assert not crypto.ed25519_verify(public, message + b"x", signature)
        assert not crypto.ed25519_verify(public, message, signature[:63])
    seed, public = crypto.ed25519_generate()
    assert crypto.ed25519_public_key(seed) == public
    with pytest.raises(InvalidKey):
        crypto.ed25519_verify(public[:31], b"", bytes(64))


def test_universal_signature_rejected_but_openssl_accepts_it() -> None:
    key, signature = b"\x01" + bytes(31), b"\x01" + bytes(63)
    for message in (b"", b"login", rand_bytes(32)):
        assert not crypto.ed25519_verify(key, message, signature)
        # The trap this policy closes: stock OpenSSL verification accepts it for any message.
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)


def test_key_binding_matches_reference() -> None:
    issuer_seed, issuer_public = crypto.ed25519_generate()
    ed_b64 = base64.b64encode(rand_bytes(32)).decode()
    x_b64 = base64.b64encode(rand_bytes(32)).decode()
    message = crypto.key_binding_message(ed_b64, x_b64)
    assert message == f"{ed_b64}|{x_b64}".encode()
    signature = crypto.key_binding_sign(issuer_seed, ed_b64, x_b64)
    Ed25519PublicKey.from_public_bytes(issuer_public).verify(signature, message)
    assert crypto.key_binding_verify(issuer_public, ed_b64, x_b64, signature)
    assert not crypto.key_binding_verify(issuer_public, x_b64, ed_b64, signature)
    assert not crypto.key_binding_verify(issuer_public, ed_b64, x_b64, signature[:-1])
    with pytest.raises(InvalidEncoding):
        crypto.key_binding_message(ed_b64.rstrip("="), x_b64)


def test_strict_base64() -> None:
    for _ in range(ROUNDS):
        raw = rand_bytes(RNG.randint(0, 50))
        text = base64.b64encode(raw).decode()
        assert crypto.b64encode(raw) == text
        assert crypto.b64decode_strict(text) == raw
        assert crypto.b64decode_strict(text, len(raw)) == raw
    for bad in ("AAE", "AAF=", "AAE==", " AAE=", "AAE=\n", "A\nAE=", "-_8=", "++8", "AB=="):
        with pytest.raises(InvalidEncoding):
            crypto.b64decode_strict(bad)
    with pytest.raises(InvalidEncoding):
        crypto.b64decode_strict("AAE=", 3)


def test_strict_base64url() -> None:
    for _ in range(ROUNDS):
        raw = rand_bytes(RNG.randint(0, 50))
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        assert crypto.b64url_encode(raw) == text
        assert crypto.b64url_decode_strict(text) == raw
    for bad in ("AAE=", "AAF", "AAE==", " AAE", "AAE\n", "++8", "//8", "A"):
        with pytest.raises(InvalidEncoding):
            crypto.b64url_decode_strict(bad)


def test_keys_and_data_keys_are_random() -> None:
    assert len({crypto.generate_data_key() for _ in range(100)}) == 100
    assert len({crypto.ed25519_generate()[0] for _ in range(100)}) == 100


def test_concurrent_large_payloads_and_batches() -> None:
    """The GIL is released for large payloads and batches: results stay correct across threads."""
    from concurrent.futures import ThreadPoolExecutor

    key = rand_bytes(32)
    payloads = [rand_bytes(RNG.randint(70_000, 400_000)) for _ in range(8)]
    _, public = crypto.x25519_generate()

    def work(plaintext: bytes) -> bool:
        iv, ct = crypto.seal_payload(key, "r", 1, 0, plaintext)
        wrapped = crypto.wrap_key_many(key, [public] * 16)
        return AESGCM(key).decrypt(iv, ct, ref_aad("r", 1, 0)) == plaintext and len(wrapped) == 16

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, payloads))
