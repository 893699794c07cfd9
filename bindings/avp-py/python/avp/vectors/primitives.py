"""Cases of the deterministic and RFC-primitive files: aad, key-binding-message, hkdf, x25519, ed25519.

The published cases come first (values unchanged); every RFC value we add is embedded here with its
source and asserted against the Rust core at generation time.
"""

from __future__ import annotations

from typing import Any, Optional

from avp.vectors import core
from avp.vectors.fixed_identities import actor
from avp.vectors.published import PUBLISHED, RFC7748_BOB_PRIVATE_HEX
from avp.vectors.seeds import derive

MAX_COUNTER = 2**53 - 1

AAD_COUNTERS = [
    ("counters/zero-zero", "repo-1", 0, 0),
    ("counters/one-one", "repo-1", 1, 1),
    ("counters/version-2^32", "repo-1", 2**32, 0),
    ("counters/epoch-2^32", "repo-1", 1, 2**32),
    ("counters/version-2^32-1-epoch-2^31", "repo-1", 2**32 - 1, 2**31),
    ("counters/version-max", "repo-1", MAX_COUNTER, 0),
    ("counters/epoch-max", "repo-1", 1, MAX_COUNTER),
    ("counters/both-max", "repo-1", MAX_COUNTER, MAX_COUNTER),
    ("counters/byte-boundaries", "repo-1", 255, 256),
]

AAD_REPO_IDS = [
    ("repoId/empty", "", "the construction allows it; servers reject an empty repoId (1-255 chars)"),
    ("repoId/one-char", "a", None),
    ("repoId/uuid", "3b1f9c64-0b2a-4f1e-9c3d-1a2b3c4d5e6f", "what clients pick in practice"),
    ("repoId/unreserved-set", "AZaz09-._~", "every class of the recommended alphabet"),
    ("repoId/base64-chars", "a+b/c=d", "+ / = are bytes, not escapes"),
    ("repoId/space", "my vault", None),
    ("repoId/latin1-nfc", "caf\u00e9", "NFC: U+00E9 is two UTF-8 bytes"),
    ("repoId/latin1-nfd", "cafe\u0301", "NFD: e + U+0301; no normalization, so the AAD differs from NFC"),
    ("repoId/cjk", "\u91d1\u5eab", "three-byte UTF-8"),
    ("repoId/emoji", "vault-\U0001f510", "four-byte UTF-8 (a surrogate pair in UTF-16)"),
    ("repoId/255-chars", "r" * 255, "the longest repoId a server accepts"),
]


def aad_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [dict(c) for c in PUBLISHED["aad"]]
    for c in cases:
        assert core.aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]).hex() == c["expectedAadHex"]
    rows: list[tuple[str, str, int, int, Optional[str]]] = [(n, r, v, e, None) for n, r, v, e in AAD_COUNTERS]
    rows += [(n, r, 7, 2, note) for n, r, note in AAD_REPO_IDS]
    for name, repo_id, version, epoch, note in rows:
        case: dict[str, Any] = {"name": name}
        if note:
            case["note"] = note
        case |= {"repoId": repo_id, "payloadVersion": version, "keyEpoch": epoch}
        case["expectedAadHex"] = core.aad(repo_id, version, epoch).hex()
        cases.append(case)
    return cases


def key_binding_message_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [dict(c) for c in PUBLISHED["key-binding-message"]]
    for c in cases:
        message = core.binding_message(c["ed25519PublicKey"], c["x25519PublicKey"])
        assert message.decode() == c["expectedMessageUtf8"]
    for name in ("alice", "bob", "carol"):
        a = actor(name)
        cases.append(
            {
                "name": f"actor/{name}",
                "ed25519PublicKey": a.member_id,
                "x25519PublicKey": a.x25519_b64,
                "expectedMessageUtf8": core.binding_message(a.member_id, a.x25519_b64).decode(),
            }
        )
    return cases


def _hkdf_case(name: str, source: str, ikm: bytes, salt: bytes, info: bytes, length: int) -> dict[str, Any]:
    # The two steps separately (hazmat) must give what extract-then-expand gives.
    prk = core.hkdf_extract(ikm, salt)
    okm = core.hkdf(ikm, salt, info, length)
    assert core.hkdf_expand(prk, info, length) == okm, name
    return {
        "name": name,
        "source": source,
        "hash": "SHA-256",
        "ikmHex": ikm.hex(),
        "saltHex": salt.hex(),
        "infoHex": info.hex(),
        "length": length,
        "prkHex": prk.hex(),
        "okmHex": okm.hex(),
    }


#: RFC 5869 Appendix A.2: (PRK, OKM).
RFC5869_TC2 = (
    "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
    "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
    "cc30c58179ec3e87c14c01d5c1f3434f1d87",
)


def hkdf_cases(kek_inputs: list[tuple[str, bytes, bytes]]) -> list[dict[str, Any]]:
    """Published RFC 5869 cases, output lengths, and the KEK derivation of every key-wrap case."""
    cases: list[dict[str, Any]] = [dict(c) for c in PUBLISHED["hkdf"]]
    for c in cases:
        ikm, salt, info = (bytes.fromhex(c[k]) for k in ("ikmHex", "saltHex", "infoHex"))
        okm = core.hkdf(ikm, salt, info, c["length"])
        assert okm.hex() == c["okmHex"]
        assert core.hkdf_extract(ikm, salt).hex() == c["prkHex"], c["name"]
    a2 = _hkdf_case(
        "rfc5869-tc2",
        "RFC 5869 Appendix A.2 (Test Case 2): 80-byte inputs, 82-byte output",
        bytes(range(0x00, 0x50)),
        bytes(range(0x60, 0xB0)),
        bytes(range(0xB0, 0x100)),
        82,
    )
    assert (a2["prkHex"], a2["okmHex"]) == RFC5869_TC2, "RFC 5869 A.2"
    cases.insert(1, a2)
    ikm, salt = derive("hkdf/ikm"), derive("hkdf/salt")
    for length in (1, 32, 33, 64, 255):
        cases.append(_hkdf_case(f"length-{length}", "generated", ikm, salt, b"avp/test", length))
    cases.append(_hkdf_case("empty-ikm", "generated", b"", salt, b"avp/test", 32))
    for name, shared, ephemeral_public in kek_inputs:
        source = (
            f"the KEK of key-wrap.json case {name}: ikm = X25519 shared secret, salt = ephemeral public key"
        )
        cases.append(_hkdf_case(f"kek/{name}", source, shared, ephemeral_public, core.WRAP_INFO, 32))
    return cases


# RFC 7748 §6.1 (the published x25519.json already holds Alice's scalar against Bob's key).
RFC7748_ALICE_PRIVATE_HEX = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
RFC7748_ALICE_PUBLIC_HEX = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
RFC7748_BOB_PUBLIC_HEX = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
RFC7748_SHARED_HEX = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
BASE_POINT_HEX = "09" + "00" * 31
RFC7748_ITERATION_1_HEX = "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"


def _x25519_case(name: str, source: str, scalar_hex: str, u_hex: str, expected_hex: str) -> dict[str, Any]:
    output = core.x25519(bytes.fromhex(scalar_hex), bytes.fromhex(u_hex)).hex()
    assert output == expected_hex, name
    return {
        "name": name,
        "source": source,
        "scalarHex": scalar_hex,
        "uCoordinateHex": u_hex,
        "outputHex": output,
    }


def x25519_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [dict(c) for c in PUBLISHED["x25519"]]
    for c in cases:
        assert (
            core.x25519(bytes.fromhex(c["scalarHex"]), bytes.fromhex(c["uCoordinateHex"])).hex()
            == c["outputHex"]
        )
    rfc = "RFC 7748 §6.1"
    cases += [
        _x25519_case(
            "rfc7748-alice-public",
            f"{rfc}: Alice's public key (base point 9)",
            RFC7748_ALICE_PRIVATE_HEX,
            BASE_POINT_HEX,
            RFC7748_ALICE_PUBLIC_HEX,
        ),
        _x25519_case(
            "rfc7748-bob-public",
            f"{rfc}: Bob's public key (base point 9); Bob is the key-wrap ephemeral",
            RFC7748_BOB_PRIVATE_HEX,
            BASE_POINT_HEX,
            RFC7748_BOB_PUBLIC_HEX,
        ),
        _x25519_case(
            "rfc7748-dh-bob-side",
            f"{rfc}: Bob's private key against Alice's public key",
            RFC7748_BOB_PRIVATE_HEX,
            RFC7748_ALICE_PUBLIC_HEX,
            RFC7748_SHARED_HEX,
        ),
        _x25519_case(
            "rfc7748-iteration-1",
            "RFC 7748 §5.2: the first step of the iterated test (k = u = 9)",
            BASE_POINT_HEX,
            BASE_POINT_HEX,
            RFC7748_ITERATION_1_HEX,
        ),
    ]
    for name in ("alice", "bob", "carol"):
        a = actor(name)
        cases.append(
            _x25519_case(
                f"actor/{name}-public",
                "generated: the fixed actor's public key",
                a.x25519_private.hex(),
                BASE_POINT_HEX,
                a.x25519_public.hex(),
            )
        )
    alice, bob = actor("alice"), actor("bob")
    shared = core.x25519(alice.x25519_private, bob.x25519_public).hex()
    cases.append(
        _x25519_case(
            "actor/alice-bob-shared",
            "generated: alice's scalar against bob's public key",
            alice.x25519_private.hex(),
            bob.x25519_public.hex(),
            shared,
        )
    )
    return cases


# RFC 8032 §7.1 TEST 1 (empty message); TEST 2 and TEST 3 are the published cases.
RFC8032_TEST1 = {
    "seedHex": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "publicKeyHex": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "messageHex": "",
    "signatureHex": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
    "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
}


def _ed25519_case(name: str, source: str, seed: bytes, message: bytes) -> dict[str, Any]:
    return {
        "name": name,
        "source": source,
        "seedHex": seed.hex(),
        "publicKeyHex": core.ed25519_public(seed).hex(),
        "messageHex": message.hex(),
        "signatureHex": core.ed25519_sign(seed, message).hex(),
    }


def ed25519_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [
        {"name": "rfc8032-test1", "source": "RFC 8032 §7.1 (TEST 1, empty message)", **RFC8032_TEST1}
    ]
    cases += [dict(c) for c in PUBLISHED["ed25519"]]
    for c in cases:
        seed, message = bytes.fromhex(c["seedHex"]), bytes.fromhex(c["messageHex"])
        assert _ed25519_case("", "", seed, message) | {"name": c["name"], "source": c["source"]} == c
    for name in ("alice", "bob", "issuer"):
        a = actor(name)
        nonce = derive(f"ed25519/{name}/nonce")
        cases.append(
            _ed25519_case(
                f"actor/{name}-nonce", "generated: a 32-byte challenge nonce", a.ed25519_seed, nonce
            )
        )
    big = derive("ed25519/long-message", 1024)
    cases.append(
        _ed25519_case("actor/alice-1KiB", "generated: a 1 KiB message", actor("alice").ed25519_seed, big)
    )
    return cases
