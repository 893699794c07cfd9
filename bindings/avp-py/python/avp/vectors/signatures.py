"""Signature cases: the Ed25519 strict policy, key-binding signatures and the challenge/token exchange.

Every verdict is a design decision written here (the project's strict policy, AVP-PROTOCOL §2) and
asserted against the Rust core at generation time; the other two verifiers check it independently.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Optional

from avp.vectors import core
from avp.vectors.cctv import CCTV_CASES
from avp.vectors.fixed_identities import actor
from avp.vectors.seeds import derive

#: The order of the Ed25519 base point.
L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = bytes([1]) + bytes(31)
#: Flags (CCTV's names) that make the strict policy reject whatever the equation says.
STRICT_REJECT_FLAGS = {
    "low_order_A",
    "low_order_R",
    "non_canonical_A",
    "non_canonical_R",
    "low_order_residue",
}


def _with_s(signature: bytes, s: int) -> bytes:
    return signature[:32] + s.to_bytes(32, "little")


def _s(signature: bytes) -> int:
    return int.from_bytes(signature[32:], "little")


def small_order_r_signature(seed: bytes, message: bytes) -> bytes:
    """A signature with R = the identity point that satisfies the cofactorless equation
    ``[S]B = R + [k]A`` (S = k·a mod L): stock OpenSSL accepts it; the strict policy must not."""
    digest = hashlib.sha512(seed).digest()
    a = int.from_bytes(digest[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    public = core.ed25519_public(seed)
    k = int.from_bytes(hashlib.sha512(IDENTITY + public + message).digest(), "little") % L
    return IDENTITY + ((k * a) % L).to_bytes(32, "little")


def _policy_case(
    name: str, source: str, flags: list[str], public: bytes, message: bytes, signature: bytes, verdict: str
) -> dict[str, Any]:
    assert core.ed25519_verify(public, message, signature) == (verdict == "accept"), name
    return {
        "name": name,
        "source": source,
        "flags": flags,
        "publicKeyHex": public.hex(),
        "messageHex": message.hex(),
        "signatureHex": signature.hex(),
        "verdict": verdict,
    }


def ed25519_policy_cases() -> list[dict[str, Any]]:
    alice = actor("alice")
    message = b"avp strict policy"
    good = core.ed25519_sign(alice.ed25519_seed, message)
    non_canonical_identity = bytes([0xEE]) + b"\xff" * 30 + bytes([0x7F])  # y = p + 1
    negative_zero_identity = IDENTITY[:31] + bytes([0x80])  # x = 0 with the sign bit set
    universal = IDENTITY + bytes(32)
    gen = "generated"
    cases = [
        _policy_case("valid/alice", gen, [], alice.ed25519_public, message, good, "accept"),
        _policy_case(
            "universal/identity-key",
            f"{gen}: the small-order 'universal' login (AVP-PROTOCOL §2)",
            ["low_order_A", "low_order_R"],
            IDENTITY,
            b"login",
            universal,
            "reject",
        ),
        _policy_case(
            "universal/other-message",
            f"{gen}: the same signature verifies every message on stock verifiers",
            ["low_order_A", "low_order_R"],
            IDENTITY,
            message,
            universal,
            "reject",
        ),
        _policy_case(
            "small-order-R/real-key",
            f"{gen}: R = identity, S = k*a mod L; cofactorless-valid",
            ["low_order_R"],
            alice.ed25519_public,
            message,
            small_order_r_signature(alice.ed25519_seed, message),
            "reject",
        ),
        _policy_case(
            "s/plus-L",
            f"{gen}: S + L (malleability)",
            ["s_not_reduced"],
            alice.ed25519_public,
            message,
            _with_s(good, _s(good) + L),
            "reject",
        ),
        _policy_case(
            "s/equals-L", gen, ["s_not_reduced"], alice.ed25519_public, message, _with_s(good, L), "reject"
        ),
        _policy_case(
            "s/all-ones",
            gen,
            ["s_not_reduced"],
            alice.ed25519_public,
            message,
            _with_s(good, 2**256 - 1),
            "reject",
        ),
        _policy_case(
            "non-canonical-A/identity-y-p-plus-1",
            f"{gen}: y = p + 1 encodes the identity",
            ["low_order_A", "non_canonical_A", "low_order_R"],
            non_canonical_identity,
            message,
            universal,
            "reject",
        ),
        _policy_case(
            "non-canonical-A/negative-zero",
            f"{gen}: x = 0 with the sign bit set",
            ["low_order_A", "non_canonical_A", "low_order_R"],
            negative_zero_identity,
            message,
            universal,
            "reject",
        ),
        _policy_case(
            "all-zero", gen, ["low_order_A", "low_order_R"], bytes(32), message, bytes(64), "reject"
        ),
    ]
    for c in CCTV_CASES:
        verdict = "reject" if STRICT_REJECT_FLAGS & set(c["flags"]) else "accept"
        cases.append(
            _policy_case(
                f"cctv/{c['number']}",
                f"C2SP CCTV ed25519vectors.json case {c['number']}",
                c["flags"],
                bytes.fromhex(c["key"]),
                c["msg"].encode(),
                bytes.fromhex(c["sig"]),
                verdict,
            )
        )
    return cases


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


def _binding_case(
    name: str, mutation: Optional[str], member: str, x25519_b64: str, signature: Optional[bytes]
) -> dict[str, Any]:
    issuer, m = actor("issuer"), actor(member)
    message = core.binding_message(m.member_id, x25519_b64)
    valid = signature is not None and core.ed25519_verify(issuer.ed25519_public, message, signature)
    assert valid == (mutation is None), name
    case: dict[str, Any] = {"name": name}
    if mutation:
        case["mutation"] = mutation
    case |= {
        "issuerPublicKey": issuer.member_id,
        "ed25519PublicKey": m.member_id,
        "x25519PublicKey": x25519_b64,
        "messageUtf8": message.decode(),
        "keyBindingSig": None if signature is None else core.b64(signature),
        "verdict": "reject" if mutation else "accept",
    }
    if mutation:
        case["expectedError"] = "binding_invalid"
    return case


def key_binding_cases() -> list[dict[str, Any]]:
    issuer, alice, bob = actor("issuer"), actor("alice"), actor("bob")

    def issued(ed: str, x: str, signer: bytes = issuer.ed25519_seed) -> bytes:
        return core.ed25519_sign(signer, core.binding_message(ed, x))

    good = issued(alice.member_id, alice.x25519_b64)
    raw = core.ed25519_sign(issuer.ed25519_seed, alice.ed25519_public + alice.x25519_public)
    bare = core.ed25519_sign(issuer.ed25519_seed, (alice.member_id + alice.x25519_b64).encode())
    cases = [
        _binding_case(
            f"valid/{n}", None, n, actor(n).x25519_b64, issued(actor(n).member_id, actor(n).x25519_b64)
        )
        for n in ("alice", "bob", "carol")
    ]
    cases += [
        _binding_case(
            "forged/other-signer",
            "signed by mallory, not the issuer",
            "alice",
            alice.x25519_b64,
            issued(alice.member_id, alice.x25519_b64, actor("mallory").ed25519_seed),
        ),
        _binding_case(
            "forged/substituted-x25519",
            "alice's valid binding presented with bob's X25519 key (MITM)",
            "alice",
            bob.x25519_b64,
            good,
        ),
        _binding_case(
            "forged/flipped-bit",
            "one bit of the signature flipped",
            "alice",
            alice.x25519_b64,
            _flip(good, 10),
        ),
        _binding_case(
            "forged/raw-key-bytes",
            "signed over the raw 64 key bytes, not the base64 strings",
            "alice",
            alice.x25519_b64,
            raw,
        ),
        _binding_case(
            "forged/no-separator",
            "signed over ed25519 + x25519 without the '|'",
            "alice",
            alice.x25519_b64,
            bare,
        ),
        _binding_case(
            "forged/reversed-order",
            "signed over x25519 + '|' + ed25519",
            "alice",
            alice.x25519_b64,
            issued(alice.x25519_b64, alice.member_id),
        ),
        _binding_case(
            "forged/s-plus-L",
            "S + L: the same signature, not reduced",
            "alice",
            alice.x25519_b64,
            _with_s(good, _s(good) + L),
        ),
        _binding_case(
            "forged/missing",
            "keyBindingSig is null where a binding is required",
            "alice",
            alice.x25519_b64,
            None,
        ),
    ]
    return cases


def _challenge_case(
    name: str,
    mutation: Optional[str],
    public_b64: str,
    nonce_b64: str,
    signature_b64: str,
    expected_error: Optional[str],
) -> dict[str, Any]:
    case: dict[str, Any] = {"name": name}
    if mutation:
        case["mutation"] = mutation
    case |= {"ed25519PublicKey": public_b64, "nonce": nonce_b64, "signature": signature_b64}
    case["verdict"] = "reject" if expected_error else "accept"
    if expected_error:
        case["expectedError"] = expected_error
    return case


def _strict_decoding_fails(fields: tuple[tuple[str, int], ...]) -> bool:
    """Whether the Rust core's strict base64 rejects one of the (text, length) fields."""
    code = core.error_code(lambda: [core.b64decode_strict(text, n) for text, n in fields])
    return code == "invalid_encoding"


def challenge_cases() -> list[dict[str, Any]]:
    """The token step of SPEC §3: sign the raw nonce bytes. ``unauthorized`` is a 401, ``bad_request``
    a 400 for a field that is not strict base64 of the right length (docs/wire-contract.md §3-4)."""
    alice, bob = actor("alice"), actor("bob")
    nonce, other_nonce = derive("challenge/nonce"), derive("challenge/other-nonce")
    nonce_b64 = core.b64(nonce)
    good = core.ed25519_sign(alice.ed25519_seed, nonce)
    cases = [
        _challenge_case("valid/alice", None, alice.member_id, nonce_b64, core.b64(good), None),
        _challenge_case(
            "valid/bob",
            None,
            bob.member_id,
            nonce_b64,
            core.b64(core.ed25519_sign(bob.ed25519_seed, nonce)),
            None,
        ),
    ]
    rejected = [
        (
            "over-base64-text",
            "signed the base64 text of the nonce instead of its bytes",
            core.ed25519_sign(alice.ed25519_seed, nonce_b64.encode()),
        ),
        (
            "other-key",
            "bob's signature of the nonce, presented with alice's key",
            core.ed25519_sign(bob.ed25519_seed, nonce),
        ),
        ("flipped-bit", "one bit of the signature flipped", _flip(good, 40)),
        (
            "other-nonce",
            "alice's signature of another nonce",
            core.ed25519_sign(alice.ed25519_seed, other_nonce),
        ),
        ("s-plus-L", "S + L: the same signature, not reduced", _with_s(good, _s(good) + L)),
        (
            "small-order-R",
            "R = identity, cofactorless-valid",
            small_order_r_signature(alice.ed25519_seed, nonce),
        ),
    ]
    for short, mutation, signature in rejected:
        assert not core.ed25519_verify(alice.ed25519_public, nonce, signature)
        cases.append(
            _challenge_case(
                f"reject/{short}", mutation, alice.member_id, nonce_b64, core.b64(signature), "unauthorized"
            )
        )
    universal = core.b64(IDENTITY + bytes(32))
    cases.append(
        _challenge_case(
            "reject/universal-small-order-key",
            "the small-order key with the universal signature",
            core.b64(IDENTITY),
            nonce_b64,
            universal,
            "unauthorized",
        )
    )
    malformed = [
        ("signature-63-bytes", "the signature is 63 bytes", nonce_b64, core.b64(good[:63])),
        ("signature-hex", "the signature in hex (valid base64 characters, 96 bytes)", nonce_b64, good.hex()),
        (
            "signature-url-safe",
            "the signature in the base64url alphabet",
            nonce_b64,
            base64.urlsafe_b64encode(good).decode(),
        ),
        (
            "signature-unpadded",
            "the signature without its '=' padding",
            nonce_b64,
            core.b64(good).rstrip("="),
        ),
        ("nonce-31-bytes", "the nonce is 31 bytes", core.b64(nonce[:31]), core.b64(good)),
    ]
    for short, mutation, n64, s64 in malformed:
        assert _strict_decoding_fails(((alice.member_id, 32), (n64, 32), (s64, 64))), short
        cases.append(
            _challenge_case(f"malformed/{short}", mutation, alice.member_id, n64, s64, "bad_request")
        )
    return cases
