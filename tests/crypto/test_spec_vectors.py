"""Every case of the published AVP 0.4 vectors (../shared/avp-spec-vectors), through the Python API.

Positives reproduce byte for byte; every negative is rejected. Skipped when ../shared is absent.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from avp import crypto, federation
from avp.crypto import hazmat
from avp.errors import InvalidTag

from .conftest import shared_json

b64d = base64.b64decode


def cases(name: str, key: str = "cases") -> list[Any]:
    data: list[Any] = shared_json(f"avp-spec-vectors/{name}")[key]
    return data


def test_index_lists_only_files_we_check() -> None:
    index = shared_json("avp-spec-vectors/index.json")
    checked = {
        "aad.json",
        "key-binding-message.json",
        "hkdf.json",
        "x25519.json",
        "ed25519.json",
        "payload-aead.json",
        "key-wrap.json",
        "federation.json",
        "negative.json",
    }
    assert {v["file"] for v in index["vectors"]} <= checked


def test_aad() -> None:
    for c in cases("aad.json"):
        assert crypto.aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]).hex() == c["expectedAadHex"]


def test_key_binding_message() -> None:
    for c in cases("key-binding-message.json"):
        message = crypto.key_binding_message(c["ed25519PublicKey"], c["x25519PublicKey"])
        assert message == c["expectedMessageUtf8"].encode()


def test_hkdf() -> None:
    for c in cases("hkdf.json"):
        assert c["hash"].upper().replace("-", "") == "SHA256"
        ikm, salt, info = (bytes.fromhex(c[k]) for k in ("ikmHex", "saltHex", "infoHex"))
        assert crypto.hkdf_sha256(ikm, salt, info, c["length"]).hex() == c["okmHex"]


def test_x25519() -> None:
    for c in cases("x25519.json"):
        out = crypto.x25519(bytes.fromhex(c["scalarHex"]), bytes.fromhex(c["uCoordinateHex"]))
        assert out.hex() == c["outputHex"]


def test_ed25519() -> None:
    for c in cases("ed25519.json"):
        seed, message = bytes.fromhex(c["seedHex"]), bytes.fromhex(c["messageHex"])
        assert crypto.ed25519_public_key(seed).hex() == c["publicKeyHex"]
        assert crypto.ed25519_sign(seed, message).hex() == c["signatureHex"]
        assert crypto.ed25519_verify(
            bytes.fromhex(c["publicKeyHex"]), message, bytes.fromhex(c["signatureHex"])
        )


def test_payload_aead() -> None:
    for c in cases("payload-aead.json"):
        key, iv = b64d(c["keyB64"]), b64d(c["ivB64"])
        header = (c["repoId"], c["payloadVersion"], c["keyEpoch"])
        assert crypto.aad(*header).hex() == c["aadHex"]
        plaintext = c["plaintextUtf8"].encode()
        assert hazmat.seal_payload(key, *header, plaintext, iv=iv) == (iv, b64d(c["ciphertextB64"]))
        assert crypto.open_payload(key, *header, iv, b64d(c["ciphertextB64"])) == plaintext
        with pytest.raises(InvalidTag):
            crypto.open_payload(
                key, c["repoId"], c["payloadVersion"], c["tamperEpoch"], iv, b64d(c["ciphertextB64"])
            )


#: RFC 7748 §6.1 Bob's private key: the vector's ephemeral key (its description says so).
RFC7748_BOB_PRIVATE = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")


def test_key_wrap() -> None:
    for c in cases("key-wrap.json"):
        private, data_key = b64d(c["recipientPrivateKeyB64"]), b64d(c["dataKeyB64"])
        public = b64d(c["recipientPublicKeyB64"])
        assert crypto.x25519_public_key(private) == public
        wire = c["wrappedKey"]
        ephemeral_public = b64d(wire["ephemeralPublicKey"])
        assert crypto.x25519(private, ephemeral_public).hex() == c["sharedSecretHex"]
        kek = crypto.hkdf_sha256(
            bytes.fromhex(c["sharedSecretHex"]), ephemeral_public, c["info"].encode(), 32
        )
        assert kek.hex() == c["kekHex"]
        assert crypto.unwrap_key(wire, private) == data_key
        assert crypto.x25519_public_key(RFC7748_BOB_PRIVATE) == ephemeral_public
        again = hazmat.wrap_key(data_key, public, ephemeral_private=RFC7748_BOB_PRIVATE, iv=b64d(wire["iv"]))
        assert again.to_dict() == wire


def test_federation() -> None:
    data = shared_json("avp-spec-vectors/federation.json")
    for t in data["tokens"]:
        decode = federation.decode_invite if t["schema"] == "InviteRequest" else federation.decode_locator
        encode = federation.encode_invite if t["schema"] == "InviteRequest" else federation.encode_locator
        assert decode(t["base64url"]).to_dict() == t["decoded"]
        assert encode(t["decoded"]) == t["base64url"]
        assert (
            base64.urlsafe_b64decode(t["base64url"] + "=" * (-len(t["base64url"]) % 4)).decode()
            == t["canonicalJson"]
        )
    for u in data["uris"]:
        address = federation.parse_address(u["uri"])
        assert (address.host, address.repo_id) == (u["host"], u["repoId"])
        assert federation.format_address(u["host"], u["repoId"]) == u["uri"]


NEGATIVES = 16


def test_every_negative_is_rejected() -> None:
    negatives = cases("negative.json")
    assert len(negatives) == NEGATIVES
    for c in negatives:
        assert c["expect"] == "reject"
        if c["op"] == "payload-decrypt":
            with pytest.raises(InvalidTag):
                crypto.open_payload(
                    b64d(c["keyB64"]),
                    c["repoId"],
                    c["payloadVersion"],
                    c["keyEpoch"],
                    b64d(c["ivB64"]),
                    b64d(c["ciphertextB64"]),
                )
        elif c["op"] == "key-unwrap":
            wire = {
                "schemeId": c.get("schemeId", crypto.SCHEME_ID),
                "ephemeralPublicKey": c["ephemeralPublicKeyB64"],
                "iv": c["ivB64"],
                "ciphertext": c["ciphertextB64"],
            }
            with pytest.raises(InvalidTag):
                crypto.unwrap_key(wire, b64d(c["recipientPrivateKeyB64"]))
        elif c["op"] == "ed25519-verify":
            public = bytes.fromhex(c["publicKeyHex"]) if "publicKeyHex" in c else b64d(c["publicKeyB64"])
            message = bytes.fromhex(c["messageHex"]) if "messageHex" in c else c["messageUtf8"].encode()
            signature = bytes.fromhex(c["signatureHex"]) if "signatureHex" in c else b64d(c["signatureB64"])
            assert not crypto.ed25519_verify(public, message, signature), c["name"]
        else:
            pytest.fail(f"unknown negative op {c['op']!r} in {c['name']}")
