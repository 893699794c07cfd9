"""What ``vectors/`` holds: every file, its index entry, and the bytes the generator writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from avp.vectors import (
    core,
    envelopes,
    federation,
    negative,
    payload_parse,
    primitives,
    sealing,
    signatures,
    transcript,
)


@dataclass(frozen=True)
class VectorFile:
    id: str
    kind: str
    spec_section: str
    description: str
    expects: str
    #: The document's body: its case lists (and any other top-level member) without the description.
    build: Callable[[], dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return f"{self.id}.json"


KINDS = {
    "deterministic": "Pure byte/string construction with no key material; must match exactly.",
    "rfc-primitive": "A cryptographic primitive pinned to published RFC test vectors, plus generated cases.",
    "composition": "Full AVP composition with fixed keys and IVs: reproduce byte for byte, round-trip, and "
    "check the documented failure assertion.",
    "negative": "A valid construction with one fault that a conformant implementation MUST reject, with the "
    "expected error code.",
    "policy": "Inputs where implementations legitimately differ; the verdict is this project's policy.",
    "transcript": "A repository's life as the exact JSON bodies a client sends and receives, with every "
    "cryptographic claim checkable.",
}

#: The cases every file's list is keyed by (federation splits its cases in three lists).
CASE_LISTS = {"federation": ("tokens", "uris", "decodeOracles")}


def case_lists(file_id: str) -> tuple[str, ...]:
    return CASE_LISTS.get(file_id, ("cases",))


def _kek_inputs() -> list[tuple[str, bytes, bytes]]:
    out = []
    for c in envelopes.key_wrap_cases():
        shared = bytes.fromhex(c["sharedSecretHex"])
        ephemeral = core.b64decode_strict(c["wrappedKey"]["ephemeralPublicKey"])
        out.append((c["name"], shared, ephemeral))
    return out


def _negative(core_spec: bool) -> list[dict[str, Any]]:
    """negative.json keeps what any AVP 0.4 implementation rejects with the published ops, so the
    spec's runners read it whole; project rules and the other ops go to negative-extended.json."""
    payload_base = next(
        c for c in envelopes.payload_aead_cases() if c["name"] == "vault/two-alts-after-rotation"
    )
    wrap_base = next(c for c in envelopes.key_wrap_cases() if c["name"] == "group/alice")
    cases = negative.negative_cases(payload_base, wrap_base)
    return [c for c in cases if (c["op"] in negative.PUBLISHED_OPS and c["rule"] == "spec") == core_spec]


FILES: list[VectorFile] = [
    VectorFile(
        "aad",
        "deterministic",
        "4",
        "AAD = UTF8(repoId) || 0x1F || int64BE(payloadVersion) || int64BE(keyEpoch); 'expectedAadHex' is "
        "lowercase hex. No Unicode normalization: the NFC and NFD spellings of one name differ.",
        "AAD bytes as lowercase hex",
        lambda: {"cases": primitives.aad_cases()},
        {"construction": "UTF8(repoId) || 0x1F || int64BE(payloadVersion) || int64BE(keyEpoch)"},
    ),
    VectorFile(
        "key-binding-message",
        "deterministic",
        "9",
        "The canonical key-binding message: UTF-8 of ed25519PublicKey + '|' + x25519PublicKey (the base64 "
        "strings). The published case uses illustrative keys; the actor cases use real ones.",
        "the message as a UTF-8 string",
        lambda: {"cases": primitives.key_binding_message_cases()},
        {"construction": 'utf8(ed25519PublicKey + "|" + x25519PublicKey)'},
    ),
    VectorFile(
        "hkdf",
        "rfc-primitive",
        "4",
        "HKDF-SHA256 (RFC 5869) extract-then-expand; all values lowercase hex; an empty salt means 32 zero "
        "bytes. The kek/* cases are the KEK derivation of every key-wrap.json case.",
        "prkHex (extract) and okmHex (expand)",
        lambda: {"cases": primitives.hkdf_cases(_kek_inputs())},
        {
            "primitive": "HKDF-SHA256",
            "anchors": ["RFC 5869 Appendix A.1", "RFC 5869 Appendix A.2", "RFC 5869 Appendix A.3"],
        },
    ),
    VectorFile(
        "x25519",
        "rfc-primitive",
        "4",
        "X25519 (RFC 7748): raw 32-byte little-endian scalar and u-coordinate; 'outputHex' is the raw "
        "shared secret (unhashed). Public keys are the cases whose u-coordinate is the base point 9. "
        "Low-order inputs, which MUST be rejected, are in negative.json.",
        "raw 32-byte shared secret, unhashed",
        lambda: {"cases": primitives.x25519_cases()},
        {"primitive": "X25519", "anchors": ["RFC 7748 §5.2", "RFC 7748 §6.1"]},
    ),
    VectorFile(
        "ed25519",
        "rfc-primitive",
        "3",
        "Ed25519 (RFC 8032): derive the public key from 'seedHex', reproduce 'signatureHex' over "
        "'messageHex' byte for byte, and verify it. Edge cases of verification are in ed25519-policy.json.",
        "public key derived from the seed; deterministic signature reproduced and verified",
        lambda: {"cases": primitives.ed25519_cases()},
        {"primitive": "Ed25519", "anchors": ["RFC 8032 §7.1 TEST 1, 2, 3"]},
    ),
    VectorFile(
        "ed25519-policy",
        "policy",
        "3",
        "The project's strict Ed25519 verification policy (AVP-PROTOCOL §2): reject non-canonical or "
        "small-order A and R, S >= L, and signatures valid only under the cofactored equation. 'verdict' is "
        "the result under that policy; stock OpenSSL-based verifiers accept some 'reject' cases (e.g. "
        "universal/*). cctv/* cases are C2SP CCTV edge cases (one per distinct flag set).",
        "strict verify(publicKey, message, signature) == (verdict == 'accept')",
        lambda: {"cases": signatures.ed25519_policy_cases()},
        {"anchors": ["C2SP CCTV ed25519vectors.json"]},
    ),
    VectorFile(
        "key-binding",
        "composition",
        "9",
        "Real key-binding signatures (SPEC §9): the issuer signs messageUtf8 with its Ed25519 key; a client "
        "verifies 'keyBindingSig' under 'issuerPublicKey' with the strict policy before wrapping to the "
        "member. forged/* cases MUST fail with binding_invalid.",
        "strict verify(issuer, UTF8(ed + '|' + x), sig) == (verdict == 'accept')",
        lambda: {"cases": signatures.key_binding_cases()},
    ),
    VectorFile(
        "challenge",
        "composition",
        "3",
        "The challenge -> token signature (SPEC §3): the client signs the RAW nonce bytes (base64-decode "
        "first). A server answers 401 unauthorized to a bad signature and 400 bad_request to a field that "
        "is not strict base64 of the right length (nonce 32, key 32, signature 64 bytes).",
        "accept, or the status code the server returns",
        lambda: {"cases": signatures.challenge_cases()},
    ),
    VectorFile(
        "payload-aead",
        "composition",
        "4",
        "AES-256-GCM payload encryption with the AVP AAD: 12-byte IV, 16-byte tag appended (standard "
        "base64). Re-encrypt plaintextUtf8 and compare with ciphertextB64; decrypt it back; decryption MUST "
        "fail when the AAD's keyEpoch is tamperEpoch.",
        "re-encrypt equals ciphertextB64; decrypt recovers the plaintext; tamperEpoch fails",
        lambda: {"cases": envelopes.payload_aead_cases()},
        {
            "construction": "AES-256-GCM, 12-byte IV, 16-byte tag appended; AAD = aad construction",
            "anchors": ["RFC 5116 AES-256-GCM"],
        },
    ),
    VectorFile(
        "payload-aead-sizes",
        "composition",
        "4",
        "The payload AEAD from 0 bytes to 1 MiB. To keep the repository small the plaintext is stored as "
        "{seedHex, length}: block i = SHA-256(seed || uint32BE(i)), plaintext = the first 'length' bytes of "
        "block0 || block1 || ...; ciphertexts above 4096 bytes are stored as the SHA-256 of "
        "ciphertext||tag ('ciphertextSha256Hex'), smaller ones inline ('ciphertextB64'). 'tagHex' is the "
        "last 16 bytes. Decryption MUST fail under tamperEpoch and after flipping bit 0 of the ciphertext "
        "byte at each of tamperBitFlipOffsets.",
        "re-encrypt matches; decrypt recovers; every tamper assertion fails authentication",
        lambda: {"cases": envelopes.payload_size_cases()},
    ),
    VectorFile(
        "payload-parse",
        "composition",
        "5",
        "The payload plaintext parser and serializer (AVP-PROTOCOL §4, wire contract §3 rules). Input: "
        "plaintextUtf8, or plaintextHex when it is not UTF-8. Rules: UTF-8 without BOM; RFC 8259 JSON "
        "without duplicate keys at any depth (compared after unescaping), lone surrogates, NaN, or nesting "
        "deeper than 32 (the payload object is depth 1); alts need uuid, username, accessToken (strings), "
        "type (MICROSOFT|COOKIE|SESSION|OFFLINE) and lastUsed; optional fields may be absent or null; "
        "counters (lastUsed, expiresAt, observedAt, payloadVersion) are integer literals in [0, 2^53-1] "
        "(counter_out_of_range otherwise; a value of another type is invalid_encoding); a legacy 'ban' reads "
        "as bans['unknown'] unless bans has that key. accept: write back canonicalUtf8 (policy on) and "
        "strippedUtf8 (policy off: no refreshToken/expiresAt): minified, unknown alt fields first in input "
        "order with numbers as written, then uuid, username, accessToken, type, lastUsed, refreshToken, "
        "expiresAt, lastUsedBy, sourceClient, sourceUser, bans (banned, observedAt, source, detail, "
        "observedBy); null and absent fields omitted; unknown members of the payload object and of a ban "
        "dropped; strings escaped only for the quote, the backslash and U+0000-U+001F (short forms for "
        "backspace, form feed, newline, carriage return and tab, else lowercase u00xx escapes). "
        "reject: fails with expectedError.",
        "accept: canonicalUtf8 and strippedUtf8 reproduced; reject: fails with expectedError",
        lambda: {"cases": payload_parse.payload_parse_cases()},
    ),
    VectorFile(
        "key-wrap",
        "composition",
        "4",
        "Default wrap scheme X25519-HKDF-SHA256-AESGCM-v1: shared = X25519(ephemeral, recipient); KEK = "
        "HKDF-SHA256(shared, salt = ephemeral public key, info = 'avp/rdk-wrap/v1', 32); ciphertext = "
        "AES-256-GCM(KEK, iv, aad = 'avp/rdk-wrap/v1', dataKey). recipientPrivateKeyB64, "
        "ephemeralPrivateKeyB64, sharedSecretHex and kekHex are checker aids, not wire fields. The "
        "published case uses RFC 7748 §6.1 Alice (recipient) and Bob (ephemeral); every other case keeps Bob "
        "as the ephemeral key too. group/* wrap one data key to three members.",
        "recompute shared secret and KEK; re-wrap equals wrappedKey; unwrap recovers the data key",
        lambda: {"cases": envelopes.key_wrap_cases()},
        {"anchors": ["RFC 7748 §6.1 (recipient = Alice, ephemeral = Bob)"]},
    ),
    VectorFile(
        "federation",
        "deterministic",
        "8",
        "Join-handshake tokens (base64url without padding over minified JSON) and avp:// addresses. "
        "tokens: decoding base64url yields 'decoded'; an encoder reproduces canonicalJson and base64url. "
        "decodeOracles: encodings a decoder MUST accept (any member order, whitespace, unknown members), "
        "which an encoder would not write. uris: parse to {host, repoId} and format back.",
        "decode oracle; canonical encoding round-trips; avp:// addresses parse and format",
        lambda: {
            "tokens": federation.tokens(),
            "uris": federation.uris(),
            "decodeOracles": federation.decode_oracles(),
        },
        {
            "shape": "uses top-level tokens, uris and decodeOracles arrays, not cases",
            "anchors": ["RFC 4648 §5 (base64url)"],
        },
    ),
    VectorFile(
        "negative",
        "negative",
        "4",
        "MUST-reject cases: a valid construction with exactly one fault that every AVP 0.4 implementation "
        "rejects, with the published ops only ('payload-decrypt' and 'key-unwrap' fail authentication, "
        "'ed25519-verify' returns false). 'expectedError' is the code of avp/errors.py. Project rules and "
        "other operations are in negative-extended.json.",
        "each case is rejected with expectedError",
        lambda: {"cases": _negative(core_spec=True)},
    ),
    VectorFile(
        "negative-extended",
        "negative",
        "1, 4, 8",
        "More MUST-reject cases, in the format of negative.json: this project's stricter rules ('rule': "
        "'project': all-zero X25519 results, strict base64, counters in [0, 2^53-1], lengths, address "
        "syntax) and operations the published file has no op for ('key-wrap', 'x25519', 'aad', "
        "'base64-decode', 'invite-decode', 'locator-decode', 'address-parse'). 'expectedError' is the code "
        "of avp/errors.py.",
        "each case is rejected with expectedError",
        lambda: {"cases": _negative(core_spec=False)},
    ),
    VectorFile(
        "identity",
        "composition",
        "3",
        "Sealed identities (format avp-identity v1, see avp/identity.py): per slot, key = Argon2id(secret, "
        "salt, memoryKib, iterations, parallelism, 32 bytes) where the secret is the passphrase in NFC "
        "UTF-8, or the recovery code without '-' and ASCII whitespace, upper-cased (its 32 characters as "
        "ASCII); plaintext = AES-256-GCM-open(key, iv, aad = 'avp-identity/v1' 0x1F kind 0x1F "
        "ed25519PublicKey 0x1F x25519PublicKey, ciphertext) = Ed25519 seed || X25519 private key, whose "
        "public keys must equal the stated ones. Parameters above 1048576 KiB, 64 passes or 16 lanes are "
        "refused with invalid_encoding before any work. CHEAP Argon2id parameters (64-128 KiB) keep the "
        "vectors fast; real seals use 64 MiB and 3 passes. derivedKeyHex is a checker aid (the Argon2id "
        "output for the given secret and the slot of its kind).",
        "accept: opens to the stated keys; reject: fails with expectedError",
        lambda: {"cases": sealing.identity_cases()},
    ),
    VectorFile(
        "transcript",
        "transcript",
        "3, 4, 6, 9",
        "A repository's life as exact request and response bodies (docs/wire-contract.md): discovery, "
        "JWKS, challenge, token, key binding, create, push, add member, member pulls and decrypts, remove "
        "member with rotation, the "
        "removed member's old key fails on the new envelope. 'actors' holds the fixed identities (the "
        "interop runner reuses them); 'secrets' holds the data keys and plaintexts a checker needs.",
        "every body is well-formed; every wrap and envelope decrypts as stated; counters follow the rules",
        transcript.transcript_document,
    ),
]


def documents() -> dict[str, dict[str, Any]]:
    return {f.id: {"description": f.description, **f.build()} for f in FILES}


def count(file_id: str, document: dict[str, Any]) -> int:
    return sum(len(document.get(key, [])) for key in case_lists(file_id))


def index(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    entries = []
    for f in FILES:
        entry: dict[str, Any] = {"id": f.id, "file": f.file, "kind": f.kind, "specSection": f.spec_section}
        entry |= f.extra
        entry |= {
            "expects": f.expects,
            "cases": count(f.id, docs[f.id]),
            "schema": f"schemas/{f.id}.schema.json",
        }
        entries.append(entry)
    return {
        "description": "Index of the AVP 0.4 vectors of this project (see README.md). Each entry: file, "
        "kind, "
        "spec section, what a checker must reproduce, its case count and its JSON schema. Generated by "
        "'avp vectors generate'; 'avp vectors check' fails on any drift.",
        "schemeId": "X25519-HKDF-SHA256-AESGCM-v1",
        "kinds": KINDS,
        "vectors": entries,
    }


def dumps(document: dict[str, Any]) -> bytes:
    """The one serialization: 2-space indent, UTF-8 (not \\u escapes), trailing newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def render() -> dict[str, bytes]:
    """Every file of ``vectors/`` (except README and schemas) as the bytes to write."""
    docs = documents()
    out = {f.file: dumps(docs[f.id]) for f in FILES}
    out["index.json"] = dumps(index(docs))
    return out
