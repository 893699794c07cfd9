"""Composition cases: payload AEAD (fixed inputs and the 0 B … 1 MiB size sweep) and key wrap."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from avp.vectors import core
from avp.vectors.fixed_identities import actor
from avp.vectors.published import PUBLISHED, RFC7748_BOB_PRIVATE_HEX
from avp.vectors.seeds import derive, expand

#: Larger plaintexts are stored as a seed and a length, their ciphertexts as a SHA-256 digest.
INLINE_LIMIT = 4096
SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 1024, 4096, 4097, 65536, 1048575, 1048576]
MAX_COUNTER = 2**53 - 1


def alt(name: str, **extra: Any) -> dict[str, Any]:
    """An AltAccount with every field fixed (only its shape matters to the crypto)."""
    return {
        "uuid": derive(f"alt/{name}/uuid", 16).hex(),
        "username": name,
        "accessToken": "at-" + derive(f"alt/{name}/token", 12).hex(),
        "type": "MICROSOFT",
        "lastUsed": 1_767_225_600_000,
        **extra,
    }


def payload_json(alts: list[dict[str, Any]], version: int) -> str:
    """The payload plaintext as a client writes it: minified UTF-8 JSON."""
    return json.dumps({"alts": alts, "payloadVersion": version}, separators=(",", ":"), ensure_ascii=False)


def _b64d(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _aead_inputs(key: bytes, iv: bytes, repo_id: str, version: int, epoch: int) -> dict[str, Any]:
    """The fields every payload-AEAD case starts with: key, IV, header and the AAD it gives."""
    return {
        "keyB64": core.b64(key),
        "ivB64": core.b64(iv),
        "repoId": repo_id,
        "payloadVersion": version,
        "keyEpoch": epoch,
        "aadHex": core.aad(repo_id, version, epoch).hex(),
    }


def _aead_case(name: str, repo_id: str, version: int, epoch: int, plaintext: str) -> dict[str, Any]:
    key, iv = derive(f"payload/{name}/key"), derive(f"payload/{name}/iv", 12)
    ciphertext = core.seal(key, repo_id, version, epoch, plaintext.encode(), iv)
    return {
        "name": name,
        "source": "generated",
        **_aead_inputs(key, iv, repo_id, version, epoch),
        "plaintextUtf8": plaintext,
        "ciphertextB64": core.b64(ciphertext),
        "tamperEpoch": epoch + 1 if epoch < MAX_COUNTER else epoch - 1,
    }


def payload_aead_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [dict(c) for c in PUBLISHED["payload-aead"]]
    for c in cases:
        key, iv = _b64d(c["keyB64"]), _b64d(c["ivB64"])
        sealed = core.seal(
            key, c["repoId"], c["payloadVersion"], c["keyEpoch"], c["plaintextUtf8"].encode(), iv
        )
        assert core.b64(sealed) == c["ciphertextB64"]
    uuid = "3b1f9c64-0b2a-4f1e-9c3d-1a2b3c4d5e6f"
    full = alt(
        "Steve",
        refreshToken="rt-" + derive("alt/Steve/refresh", 12).hex(),
        expiresAt=1_767_229_200_000,
        lastUsedBy=actor("alice").member_id,
        bans={
            "hypixel.net": {
                "banned": True,
                "observedAt": 1_767_000_000_000,
                "source": "kick",
                "detail": "Cheating through the use of unfair game advantages.",
                "observedBy": actor("bob").member_id,
            }
        },
        sourceClient="lol.trq.alts",
        sourceUser=None,
    )
    cases += [
        _aead_case("vault/new-repo-empty", uuid, 1, 0, payload_json([], 1)),
        _aead_case("vault/one-alt-every-field", uuid, 2, 0, payload_json([full], 2)),
        _aead_case("vault/two-alts-after-rotation", uuid, 5, 1, payload_json([alt("Alex"), alt("Notch")], 5)),
        _aead_case(
            "vault/non-ascii", "co\u00f6p-\U0001f510", 3, 2, payload_json([alt("J\u00f6rg-\u91d1")], 3)
        ),
        _aead_case("counters/max", uuid, MAX_COUNTER, MAX_COUNTER, payload_json([], MAX_COUNTER)),
        _aead_case("counters/epoch-2^32", uuid, 2**32 + 1, 2**32, payload_json([], 2**32 + 1)),
    ]
    return cases


def payload_size_cases() -> list[dict[str, Any]]:
    cases = []
    repo_id, version, epoch = "sizes", 3, 1
    for size in SIZES:
        name = f"size-{size}"
        key, iv, seed = derive(f"{name}/key"), derive(f"{name}/iv", 12), derive(f"{name}/plaintext")
        ciphertext = core.seal(key, repo_id, version, epoch, expand(seed, size), iv)
        case: dict[str, Any] = {
            "name": name,
            **_aead_inputs(key, iv, repo_id, version, epoch),
            "plaintext": {"seedHex": seed.hex(), "length": size},
        }
        if size <= INLINE_LIMIT:
            case["ciphertextB64"] = core.b64(ciphertext)
        else:
            case["ciphertextSha256Hex"] = hashlib.sha256(ciphertext).hexdigest()
        last = len(ciphertext) - 1
        case |= {
            "tagHex": ciphertext[-16:].hex(),
            "tamperEpoch": epoch + 1,
            "tamperBitFlipOffsets": sorted({0, len(ciphertext) // 2, last - 16 if size else 0, last}),
        }
        cases.append(case)
    return cases


def _wrap_case(
    name: str, source: str, recipient_private: bytes, data_key: bytes, ephemeral: bytes, iv: bytes
) -> dict[str, Any]:
    recipient_public = core.x25519_public(recipient_private)
    ephemeral_public = core.x25519_public(ephemeral)
    shared = core.x25519(ephemeral, recipient_public)
    wrapped = core.wrap(data_key, recipient_public, ephemeral, iv)
    assert core.unwrap(wrapped, recipient_private) == data_key
    return {
        "name": name,
        "source": source,
        "recipientPrivateKeyB64": core.b64(recipient_private),
        "recipientPublicKeyB64": core.b64(recipient_public),
        "dataKeyB64": core.b64(data_key),
        "ephemeralPrivateKeyB64": core.b64(ephemeral),
        "sharedSecretHex": shared.hex(),
        "kekHex": core.hkdf(shared, ephemeral_public, core.WRAP_INFO, 32).hex(),
        "info": core.WRAP_INFO.decode(),
        "wrappedKey": wrapped,
    }


def key_wrap_cases() -> list[dict[str, Any]]:
    published = dict(PUBLISHED["key-wrap"][0])
    rebuilt = _wrap_case(
        published["name"],
        published["source"],
        _b64d(published["recipientPrivateKeyB64"]),
        _b64d(published["dataKeyB64"]),
        bytes.fromhex(RFC7748_BOB_PRIVATE_HEX),
        _b64d(published["wrappedKey"]["iv"]),
    )
    # Same values as published, plus Bob's private key (from the RFC) so a checker can re-wrap.
    assert {k: v for k, v in rebuilt.items() if k != "ephemeralPrivateKeyB64"} == published
    # Every case keeps the published convention (ephemeral = RFC 7748 §6.1 Bob), so a runner that
    # knows only that convention re-wraps them all; fresh per-member ephemerals are in transcript.json.
    bob = bytes.fromhex(RFC7748_BOB_PRIVATE_HEX)
    cases = [rebuilt]
    data_key = derive("key-wrap/group/data-key")
    for name in ("alice", "bob", "carol"):
        cases.append(
            _wrap_case(
                f"group/{name}",
                "generated: one data key wrapped to three members (ephemeral: RFC 7748 §6.1 Bob)",
                actor(name).x25519_private,
                data_key,
                bob,
                derive(f"key-wrap/group/{name}/iv", 12),
            )
        )
    extremes = (("data-key-all-ff", b"\xff" * 32), ("data-key-all-zero", bytes(32)))
    for name, key in extremes:
        source = "generated: an extreme data key (ephemeral: RFC 7748 §6.1 Bob)"
        cases.append(
            _wrap_case(
                name, source, actor("alice").x25519_private, key, bob, derive(f"key-wrap/{name}/iv", 12)
            )
        )
    return cases
