"""avp.Identity: keys, signing, unwrapping, and the sealed-at-rest format."""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata

import avp
import pytest
from avp import crypto, federation
from avp.crypto import hazmat
from avp.errors import InvalidEncoding, InvalidKey, InvalidPassphrase, UnsupportedScheme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

#: Cheap Argon2id parameters so the suite stays fast; the defaults are exercised once below.
FAST = {"memory_kib": 256, "iterations": 1, "parallelism": 1}
RAW = serialization.Encoding.Raw
RAW_PUB = serialization.PublicFormat.Raw


def test_keys_agree_with_reference() -> None:
    seed, x_private = bytes(range(32)), bytes(range(32, 64))
    ident = avp.Identity.from_seeds(seed, x_private)
    ed_pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(RAW, RAW_PUB)
    x_pub = X25519PrivateKey.from_private_bytes(x_private).public_key().public_bytes(RAW, RAW_PUB)
    assert ident.ed25519_public_key == ed_pub and ident.x25519_public_key == x_pub
    assert ident.member_id == base64.b64encode(ed_pub).decode()
    assert ident.x25519_public_key_b64 == base64.b64encode(x_pub).decode()
    assert ident.sign(b"m") == Ed25519PrivateKey.from_private_bytes(seed).sign(b"m")
    assert ident.verify(b"m", ident.sign(b"m")) and not ident.verify(b"n", ident.sign(b"m"))
    assert ident.export_ed25519_seed() == seed and ident.export_x25519_private() == x_private
    with pytest.raises(InvalidKey):
        avp.Identity.from_seeds(seed[:31], x_private)


def test_unwrap_and_invite() -> None:
    ident = avp.Identity.generate()
    data_key = crypto.generate_data_key()
    wrapped = crypto.wrap_key(data_key, ident.x25519_public_key)
    assert ident.unwrap_key(wrapped) == data_key == ident.unwrap_key(wrapped.to_dict())
    invite = federation.decode_invite(ident.invite_token())
    assert (invite.ed25519_public_key, invite.x25519_public_key) == (
        ident.member_id,
        ident.x25519_public_key_b64,
    )


def test_repr_shows_no_secret() -> None:
    ident = avp.Identity.generate()
    text = repr(ident)
    assert ident.member_id in text
    for secret in (ident.export_ed25519_seed(), ident.export_x25519_private()):
        assert base64.b64encode(secret).decode() not in text and secret.hex() not in text


def test_seal_open_round_trip_and_wrong_passphrase() -> None:
    ident = avp.Identity.generate()
    code = avp.Identity.new_recovery_code()
    sealed = ident.seal("correct horse battery", recovery_code=code, **FAST)
    doc = json.loads(sealed)
    assert doc["format"] == "avp-identity" and doc["version"] == 1
    assert doc["ed25519PublicKey"] == ident.member_id
    assert [s["kind"] for s in doc["slots"]] == ["passphrase", "recoveryCode"]
    assert doc["slots"][0]["kdf"] | {"salt": ""} == {
        "name": "argon2id",
        "version": 19,
        "memoryKib": 256,
        "iterations": 1,
        "parallelism": 1,
        "salt": "",
    }
    for secret in (ident.export_ed25519_seed(), ident.export_x25519_private()):
        assert base64.b64encode(secret).decode() not in sealed
    for opened in (
        avp.Identity.open(sealed, "correct horse battery"),
        avp.Identity.open(sealed, recovery_code=code.lower().replace("-", " ")),
    ):
        assert opened.export_ed25519_seed() == ident.export_ed25519_seed()
        assert opened.export_x25519_private() == ident.export_x25519_private()
    with pytest.raises(InvalidPassphrase):
        avp.Identity.open(sealed, "correct horse batterY")
    with pytest.raises(InvalidPassphrase):
        avp.Identity.open(sealed, recovery_code=avp.Identity.new_recovery_code())
    with pytest.raises(InvalidEncoding):
        avp.Identity.open(sealed, recovery_code="not a code")
    with pytest.raises(TypeError):
        avp.Identity.open(sealed)


def test_passphrase_only_blob_has_no_recovery_slot() -> None:
    ident = avp.Identity.generate()
    sealed = ident.seal("pw", **FAST)
    with pytest.raises(InvalidPassphrase):
        avp.Identity.open(sealed, recovery_code=avp.Identity.new_recovery_code())
    with pytest.raises(InvalidKey):
        ident.seal("", **FAST)


def test_nfc_equivalent_passphrases_open() -> None:
    sealed = avp.Identity.generate().seal("caf\u00e9", **FAST)
    avp.Identity.open(sealed, "cafe\u0301")


def test_default_parameters_are_memory_hard() -> None:
    ident = avp.Identity.generate()
    sealed = ident.seal("pw")
    kdf = json.loads(sealed)["slots"][0]["kdf"]
    assert (kdf["memoryKib"], kdf["iterations"], kdf["parallelism"]) == (65536, 3, 1)
    assert avp.Identity.open(sealed, "pw").member_id == ident.member_id


def test_tampered_or_unknown_documents() -> None:
    ident = avp.Identity.generate()
    doc = json.loads(ident.seal("pw", **FAST))
    swapped = dict(doc, x25519PublicKey=avp.Identity.generate().x25519_public_key_b64)
    with pytest.raises(InvalidPassphrase):  # the AAD binds the public keys
        avp.Identity.open(json.dumps(swapped), "pw")
    with pytest.raises(UnsupportedScheme):
        avp.Identity.open(json.dumps(dict(doc, version=2)), "pw")
    with pytest.raises(UnsupportedScheme):
        avp.Identity.open(json.dumps(dict(doc, format="other")), "pw")
    huge = json.loads(json.dumps(doc))
    huge["slots"][0]["kdf"]["memoryKib"] = 1 << 30
    with pytest.raises(InvalidEncoding):  # bounded before any work is done
        avp.Identity.open(json.dumps(huge), "pw")
    with pytest.raises(InvalidEncoding):
        avp.Identity.open("{not json", "pw")
    extra = json.loads(json.dumps(doc))
    extra["slots"][0]["surprise"] = 1
    with pytest.raises(InvalidEncoding):
        avp.Identity.open(json.dumps(extra), "pw")


def _slot_aad(kind: str, doc: dict[str, object]) -> bytes:
    return "\x1f".join(
        ["avp-identity/v1", kind, str(doc["ed25519PublicKey"]), str(doc["x25519PublicKey"])]
    ).encode()


def _reference_kek(secret: bytes, kdf: dict[str, object]) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=base64.b64decode(str(kdf["salt"])),
        length=32,
        iterations=int(str(kdf["iterations"])),
        lanes=int(str(kdf["parallelism"])),
        memory_cost=int(str(kdf["memoryKib"])),
    ).derive(secret)


def test_sealed_format_matches_the_documentation_with_reference_primitives() -> None:
    """Open a sealed file with pyca's Argon2id and AES-GCM following the README; then build one the
    same way and open it with avp."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ident = avp.Identity.generate()
    code = avp.Identity.new_recovery_code()
    doc = json.loads(ident.seal("pässwörd", recovery_code=code, **FAST))
    secrets = ident.export_ed25519_seed() + ident.export_x25519_private()
    for slot, secret in zip(doc["slots"], ("pässwörd".encode(), code.replace("-", "").encode())):
        kek = _reference_kek(secret, slot["kdf"])
        plain = AESGCM(kek).decrypt(
            base64.b64decode(slot["iv"]), base64.b64decode(slot["ciphertext"]), _slot_aad(slot["kind"], doc)
        )
        assert plain == secrets

    other = avp.Identity.generate()
    kdf = {"name": "argon2id", "version": 19, "memoryKib": 128, "iterations": 2, "parallelism": 1}
    kdf["salt"] = base64.b64encode(bytes(range(16))).decode()
    built: dict[str, object] = {
        "format": "avp-identity",
        "version": 1,
        "ed25519PublicKey": other.member_id,
        "x25519PublicKey": other.x25519_public_key_b64,
    }
    iv = bytes(12)
    ciphertext = AESGCM(_reference_kek(b"hunter2", kdf)).encrypt(
        iv, other.export_ed25519_seed() + other.export_x25519_private(), _slot_aad("passphrase", built)
    )
    built["slots"] = [
        {
            "kind": "passphrase",
            "kdf": kdf,
            "cipher": "AES-256-GCM",
            "iv": base64.b64encode(iv).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }
    ]
    opened = avp.Identity.open(json.dumps(built), "hunter2")
    assert opened.export_x25519_private() == other.export_x25519_private()


def _nonces(label: str) -> tuple[bytes, bytes]:
    digest = hashlib.sha256(label.encode()).digest()
    return digest[:16], digest[16:28]


def test_hazmat_seal_identity_opens_with_reference_primitives() -> None:
    """The deterministic seal: reproducible byte for byte, the given salts, IVs and Argon2id
    parameters are the ones in the blob, and pyca's Argon2id + AES-GCM open every slot (the README
    format); ``identity_slot_key`` is pyca's Argon2id of the normalised secret."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ident = avp.Identity.from_seeds(bytes(range(32)), bytes(range(100, 132)))
    secrets = ident.export_ed25519_seed() + ident.export_x25519_private()
    code = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"
    nfc = "Cr\u00e8me br\u00fbl\u00e9e"
    (salt, iv), (r_salt, r_iv) = _nonces("passphrase"), _nonces("recoveryCode")
    for params in (
        {"memory_kib": 64, "iterations": 2, "parallelism": 1},
        {"memory_kib": 128, "iterations": 1, "parallelism": 2},
    ):
        sealed = hazmat.seal_identity(
            ident, nfc, salt=salt, iv=iv, recovery_code=code, recovery_salt=r_salt, recovery_iv=r_iv, **params
        )
        nfd = unicodedata.normalize("NFD", nfc)
        assert nfd != nfc
        assert sealed == hazmat.seal_identity(
            ident,
            nfd,
            salt=bytearray(salt),
            iv=memoryview(iv),
            recovery_code=code.lower(),
            recovery_salt=r_salt,
            recovery_iv=r_iv,
            **params,
        )
        doc = json.loads(sealed)
        assert (doc["ed25519PublicKey"], doc["x25519PublicKey"]) == (
            ident.member_id,
            ident.x25519_public_key_b64,
        )
        assert [s["kind"] for s in doc["slots"]] == ["passphrase", "recoveryCode"]
        normalised = (nfc.encode(), code.replace("-", "").encode())
        for slot, slot_salt, slot_iv, secret in zip(doc["slots"], (salt, r_salt), (iv, r_iv), normalised):
            assert slot["kdf"] == {
                "name": "argon2id",
                "version": 19,
                "memoryKib": params["memory_kib"],
                "iterations": params["iterations"],
                "parallelism": params["parallelism"],
                "salt": base64.b64encode(slot_salt).decode(),
            }
            assert base64.b64decode(slot["iv"]) == slot_iv
            kek = _reference_kek(secret, slot["kdf"])
            plain = AESGCM(kek).decrypt(
                slot_iv, base64.b64decode(slot["ciphertext"]), _slot_aad(slot["kind"], doc)
            )
            assert plain == secrets
        assert hazmat.identity_slot_key(salt, nfd, **params) == _reference_kek(
            nfc.encode(), doc["slots"][0]["kdf"]
        )
        typed = code.lower().replace("-", " ")
        assert hazmat.identity_slot_key(r_salt, recovery_code=typed, **params) == _reference_kek(
            normalised[1], doc["slots"][1]["kdf"]
        )
        assert avp.Identity.open(sealed, nfd).export_x25519_private() == ident.export_x25519_private()
        assert avp.Identity.open(sealed, recovery_code=typed).member_id == ident.member_id

    only = hazmat.seal_identity(ident, "pw", salt=salt, iv=iv, memory_kib=64, iterations=1)
    assert [s["kind"] for s in json.loads(only)["slots"]] == ["passphrase"]
    assert only != hazmat.seal_identity(ident, "pw", salt=r_salt, iv=iv, memory_kib=64, iterations=1)
    assert only != hazmat.seal_identity(ident, "pw", salt=salt, iv=r_iv, memory_kib=64, iterations=1)
    # The safe seal draws fresh salts and IVs every time.
    assert ident.seal("pw", **FAST) != ident.seal("pw", **FAST)


def test_hazmat_seal_identity_argument_errors() -> None:
    ident = avp.Identity.generate()
    salt, iv = _nonces("x")
    cheap = {"memory_kib": 64, "iterations": 1}
    with pytest.raises(InvalidEncoding):
        hazmat.seal_identity(ident, "pw", salt=salt[:15], iv=iv, **cheap)
    with pytest.raises(InvalidEncoding):
        hazmat.seal_identity(ident, "pw", salt=salt, iv=iv[:11], **cheap)
    with pytest.raises(InvalidKey):
        hazmat.seal_identity(ident, "", salt=salt, iv=iv, **cheap)
    with pytest.raises(InvalidEncoding):
        hazmat.seal_identity(
            ident, "pw", salt=salt, iv=iv, recovery_code="ABC", recovery_salt=salt, recovery_iv=iv, **cheap
        )
    with pytest.raises(TypeError):
        hazmat.seal_identity(
            ident, "pw", salt=salt, iv=iv, recovery_code=avp.Identity.new_recovery_code(), **cheap
        )
    with pytest.raises(TypeError):
        hazmat.seal_identity(ident, "pw", salt=salt, iv=iv, recovery_salt=salt, recovery_iv=iv, **cheap)
    with pytest.raises(TypeError):
        hazmat.identity_slot_key(salt, **cheap)
    with pytest.raises(TypeError):
        hazmat.identity_slot_key(salt, "pw", recovery_code=avp.Identity.new_recovery_code(), **cheap)
    with pytest.raises(InvalidEncoding):  # over the bound every reader enforces
        hazmat.identity_slot_key(salt, "pw", memory_kib=(1 << 20) + 1, iterations=1)
