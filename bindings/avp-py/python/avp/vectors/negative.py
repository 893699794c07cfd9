"""negative.json: valid constructions with exactly one fault each, and the error they MUST raise.

``rule`` says where the rejection comes from: ``spec`` (AVP 0.4 itself: authentication fails) or
``project`` (our stricter rules: all-zero X25519 results, strict base64, counters in [0, 2^53-1]).
``expectedError`` is the code of ``avp/errors.py``; ``ed25519-verify`` cases have none (the operation
returns false). Every expected code is asserted against the Rust core at generation time.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any, Optional

from avp.vectors import core
from avp.vectors.federation import UUID, b64url
from avp.vectors.fixed_identities import actor
from avp.vectors.published import PUBLISHED
from avp.vectors.seeds import derive

#: The operations of the published negative.json.
PUBLISHED_OPS = ("payload-decrypt", "key-unwrap", "ed25519-verify")
P = 2**255 - 19
#: u-coordinates whose X25519 result is all zero for every scalar (the order-1, 2, 4 and 8 points
#: and their non-canonical encodings); a ``+2^255`` variant checks the top bit is masked first.
LOW_ORDER_U = {
    "zero": 0,
    "one": 1,
    "order-8-a": 325606250916557431795983626356110631294008115727848805560023387167927233504,
    "order-8-b": 39382357235489614581723060781553021112529911719440698176882885853963445705823,
    "p-minus-1": P - 1,
    "p": P,
    "p-plus-1": P + 1,
    "zero-top-bit-set": 2**255,
}


def _u(value: int) -> bytes:
    return value.to_bytes(32, "little")


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


def _b64d(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _rust_payload(c: dict[str, Any]) -> object:
    key, iv, ct = (core.b64decode_strict(c[k]) for k in ("keyB64", "ivB64", "ciphertextB64"))
    return core.open_payload(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], iv, ct)


def _rust_unwrap(c: dict[str, Any]) -> object:
    wrapped = {
        "schemeId": c.get("schemeId", core.SCHEME_ID),
        "ephemeralPublicKey": c["ephemeralPublicKeyB64"],
        "iv": c["ivB64"],
        "ciphertext": c["ciphertextB64"],
    }
    return core.unwrap(wrapped, core.b64decode_strict(c["recipientPrivateKeyB64"]))


def _rust_wrap(c: dict[str, Any]) -> object:
    data_key, recipient, ephemeral, iv = (
        core.b64decode_strict(c[k])
        for k in ("dataKeyB64", "recipientPublicKeyB64", "ephemeralPrivateKeyB64", "ivB64")
    )
    return core.wrap(data_key, recipient, ephemeral, iv)


RUST: dict[str, Callable[[dict[str, Any]], object]] = {
    "payload-decrypt": _rust_payload,
    "key-unwrap": _rust_unwrap,
    "key-wrap": _rust_wrap,
    "x25519": lambda c: core.x25519(bytes.fromhex(c["scalarHex"]), bytes.fromhex(c["uCoordinateHex"])),
    "aad": lambda c: core.aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]),
    "base64-decode": lambda c: core.b64decode_strict(c["input"], c["length"]),
    "invite-decode": lambda c: core.decode_invite(c["token"]),
    "locator-decode": lambda c: core.decode_locator(c["token"]),
    "address-parse": lambda c: core.parse_address(c["uri"]),
}


def _case(
    name: str, op: str, rule: str, mutation: str, expected: Optional[str], **inputs: Any
) -> dict[str, Any]:
    case: dict[str, Any] = {"name": name, "op": op, "rule": rule, "mutation": mutation, "expect": "reject"}
    if expected:
        case["expectedError"] = expected
    case |= inputs
    if op == "ed25519-verify":
        args = (bytes.fromhex(case[k]) for k in ("publicKeyHex", "messageHex", "signatureHex"))
        assert not core.ed25519_verify(*args), name
    else:
        got = core.error_code(lambda: RUST[op](case))
        assert got == expected, f"{name}: the Rust core gives {got}, expected {expected}"
    return case


def _published() -> list[dict[str, Any]]:
    out = []
    for c in PUBLISHED["negative"]:
        expected = None if c["op"] == "ed25519-verify" else "invalid_tag"
        inputs = {k: v for k, v in c.items() if k not in ("name", "op", "mutation", "expect")}
        out.append(_case(c["name"], c["op"], "spec", c["mutation"], expected, **inputs))
    return out


def _payload(base: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = {
        k: base[k] for k in ("keyB64", "ivB64", "repoId", "payloadVersion", "keyEpoch", "ciphertextB64")
    }
    ct, key, iv = _b64d(base["ciphertextB64"]), _b64d(base["keyB64"]), _b64d(base["ivB64"])
    v, e = base["payloadVersion"], base["keyEpoch"]
    out = []

    def add(
        short: str, mutation: str, expected: str = "invalid_tag", rule: str = "spec", **changes: Any
    ) -> None:
        out.append(
            _case(f"payload/{short}", "payload-decrypt", rule, mutation, expected, **(inputs | changes))
        )

    body = len(ct) - 16
    for index, where in ((0, "first"), (body // 2, "middle"), (body - 1, "last")):
        add(
            f"body-{where}-byte",
            f"flip bit 7 of ciphertext byte {index}",
            ciphertextB64=core.b64(_flip(ct, index, 7)),
        )
    for i in range(16):
        add(f"tag-byte-{i}", f"flip bit 0 of tag byte {i}", ciphertextB64=core.b64(_flip(ct, body + i)))
    add("tag-only", "only the 16-byte tag, no body", ciphertextB64=core.b64(ct[-16:]))
    add("shorter-than-tag", "15 bytes: shorter than a tag", ciphertextB64=core.b64(ct[:15]))
    add("empty", "an empty ciphertext", ciphertextB64="")
    add("extra-byte", "one zero byte appended", ciphertextB64=core.b64(ct + b"\0"))
    add(
        "tag-moved-to-front", "tag prepended instead of appended", ciphertextB64=core.b64(ct[-16:] + ct[:-16])
    )
    add("repoId-upper-case", "repoId upper-cased", repoId=base["repoId"].upper())
    add("repoId-trailing-space", "repoId with a trailing space", repoId=base["repoId"] + " ")
    add("repoId-empty", "an empty repoId", repoId="")
    add("version-plus-1", "payloadVersion + 1", payloadVersion=v + 1)
    add("version-minus-1", "payloadVersion - 1", payloadVersion=v - 1)
    add("epoch-plus-1", "keyEpoch + 1 (rotation replay)", keyEpoch=e + 1)
    add("epoch-minus-1", "keyEpoch - 1 (rollback)", keyEpoch=e - 1)
    add("version-epoch-swapped", "payloadVersion and keyEpoch swapped", payloadVersion=e, keyEpoch=v)
    add("key-bit", "one bit of the data key flipped", keyB64=core.b64(_flip(key, 31)))
    add("iv-bit", "one bit of the IV flipped", ivB64=core.b64(_flip(iv, 0)))
    add("iv-zero", "an all-zero IV", ivB64=core.b64(bytes(12)))
    for field, value in (
        ("payloadVersion", -1),
        ("payloadVersion", 2**53),
        ("payloadVersion", 2**64),
        ("keyEpoch", -1),
        ("keyEpoch", 2**53),
    ):
        add(
            f"{field}-{value}",
            f"{field} = {value}, outside [0, 2^53-1]",
            "counter_out_of_range",
            "project",
            **{field: value},
        )
    add("key-31-bytes", "a 31-byte data key", "invalid_key", "project", keyB64=core.b64(key[:31]))
    add("iv-11-bytes", "an 11-byte IV", "invalid_encoding", "project", ivB64=core.b64(iv[:11]))
    add(
        "key-base64-trailing-bits",
        "the key's base64 with non-zero trailing bits",
        "invalid_encoding",
        "project",
        keyB64=core.b64(key)[:-2] + "B=",
    )
    add(
        "ciphertext-base64-newline",
        "a newline in the ciphertext's base64",
        "invalid_encoding",
        "project",
        ciphertextB64=base["ciphertextB64"][:8] + "\n" + base["ciphertextB64"][8:],
    )
    return out


def _zero_kek_wrap(data_key: bytes, ephemeral_public: bytes, iv: bytes) -> bytes:
    """A wrap ciphertext that authenticates under the KEK of an all-zero shared secret, so only the
    all-zero check can reject it (the safe wrap refuses to build one: that very check)."""
    kek = core.hkdf(bytes(32), ephemeral_public, core.WRAP_INFO, 32)
    return core.aes_gcm_seal(kek, iv, core.WRAP_INFO, data_key)


def _unwrap(base: dict[str, Any]) -> list[dict[str, Any]]:
    w = base["wrappedKey"]
    inputs = {
        "recipientPrivateKeyB64": base["recipientPrivateKeyB64"],
        "ephemeralPublicKeyB64": w["ephemeralPublicKey"],
        "ivB64": w["iv"],
        "ciphertextB64": w["ciphertext"],
    }
    ct, iv, eph = _b64d(w["ciphertext"]), _b64d(w["iv"]), _b64d(w["ephemeralPublicKey"])
    out = []

    def add(
        short: str, mutation: str, expected: str = "invalid_tag", rule: str = "spec", **changes: Any
    ) -> None:
        out.append(_case(f"key-unwrap/{short}", "key-unwrap", rule, mutation, expected, **(inputs | changes)))

    for index in (0, 16, 31, 32, 40, 47):
        add(
            f"ciphertext-byte-{index}",
            f"flip bit 0 of wrap-ciphertext byte {index}",
            ciphertextB64=core.b64(_flip(ct, index)),
        )
    add("iv-first-byte", "flip bit 0 of IV byte 0", ivB64=core.b64(_flip(iv, 0)))
    add("iv-last-byte", "flip bit 0 of IV byte 11", ivB64=core.b64(_flip(iv, 11)))
    add(
        "ephemeral-bit",
        "flip bit 0 of the ephemeral public key",
        ephemeralPublicKeyB64=core.b64(_flip(eph, 0)),
    )
    add(
        "ephemeral-top-bit",
        "set bit 255 of the ephemeral key: same X25519 result, different HKDF salt",
        ephemeralPublicKeyB64=core.b64(_flip(eph, 31, 7)),
    )
    add("ciphertext-47-bytes", "drop the last byte", ciphertextB64=core.b64(ct[:47]))
    add("ciphertext-49-bytes", "append a zero byte", ciphertextB64=core.b64(ct + b"\0"))
    add("ciphertext-data-key-only", "the 32-byte body without its tag", ciphertextB64=core.b64(ct[:32]))
    add(
        "recipient-bob",
        "unwrap alice's wrap with bob's private key",
        recipientPrivateKeyB64=core.b64(actor("bob").x25519_private),
    )
    add(
        "ephemeral-is-recipient",
        "the recipient's own public key as the ephemeral key",
        ephemeralPublicKeyB64=base["recipientPublicKeyB64"],
    )
    for scheme in ("X25519-HKDF-SHA256-AESGCM-v2", "x25519-hkdf-sha256-aesgcm-v1", ""):
        add(f"scheme-{scheme or 'empty'}", f"schemeId {scheme!r}", "unsupported_scheme", schemeId=scheme)
    data_key = _b64d(base["dataKeyB64"])
    for short, u in LOW_ORDER_U.items():
        point = _u(u)
        add(
            f"low-order-ephemeral/{short}",
            "a low-order ephemeral key with a wrap that authenticates under the "
            "all-zero shared secret's KEK (a stock unwrap would return the data key)",
            "invalid_key",
            "project",
            ephemeralPublicKeyB64=core.b64(point),
            ciphertextB64=core.b64(_zero_kek_wrap(data_key, point, iv)),
        )
    add(
        "recipient-private-31-bytes",
        "a 31-byte recipient private key",
        "invalid_key",
        "project",
        recipientPrivateKeyB64=core.b64(derive("negative/short-private", 31)),
    )
    return out


def _wrap(base: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = {k: base[k] for k in ("dataKeyB64", "recipientPublicKeyB64", "ephemeralPrivateKeyB64")}
    inputs["ivB64"] = base["wrappedKey"]["iv"]
    out = []
    for short, u in LOW_ORDER_U.items():
        out.append(
            _case(
                f"key-wrap/low-order-recipient/{short}",
                "key-wrap",
                "project",
                "wrap to a low-order recipient key (all-zero shared secret)",
                "invalid_key",
                **(inputs | {"recipientPublicKeyB64": core.b64(_u(u))}),
            )
        )
    for short, u in LOW_ORDER_U.items():
        out.append(
            _case(
                f"x25519/low-order/{short}",
                "x25519",
                "project",
                "X25519 with a low-order u-coordinate",
                "invalid_key",
                scalarHex=actor("alice").x25519_private.hex(),
                uCoordinateHex=_u(u).hex(),
            )
        )
    return out


def _ed25519(seed: bytes) -> list[dict[str, Any]]:
    public, message = core.ed25519_public(seed), b"avp negative"
    sig = core.ed25519_sign(seed, message)
    rows = [
        ("R-bit", "flip bit 0 of R", public, message, _flip(sig, 0)),
        ("S-bit", "flip bit 0 of S", public, message, _flip(sig, 32)),
        ("S-top-bit", "set the top bit of S", public, message, _flip(sig, 63, 7)),
        ("empty-message", "verify against the empty message", public, b"", sig),
        ("message-extended", "one byte appended to the message", public, message + b"\0", sig),
        ("other-key", "verify under bob's key", core.ed25519_public(actor("bob").ed25519_seed), message, sig),
        ("R-and-S-swapped", "the two halves swapped", public, message, sig[32:] + sig[:32]),
        ("signature-63-bytes", "the last signature byte dropped", public, message, sig[:63]),
    ]
    return [
        _case(
            f"ed25519/{n}",
            "ed25519-verify",
            "spec",
            m,
            None,
            publicKeyHex=p.hex(),
            messageHex=msg.hex(),
            signatureHex=s.hex(),
        )
        for n, m, p, msg, s in rows
    ]


def _encodings() -> list[dict[str, Any]]:
    key = core.b64(derive("negative/base64-key"))
    rows: list[tuple[str, str, str, Optional[int]]] = [
        ("missing-padding", "no '=' padding", key.rstrip("="), 32),
        ("extra-padding", "one '=' too many", key + "=", 32),
        ("trailing-bits", "non-zero trailing bits before the padding", key[:-2] + "B=", 32),
        ("url-safe-alphabet", "'-' and '_' in a standard field", "-_" + key[2:], 32),
        ("inner-space", "a space inside", key[:10] + " " + key[10:], 32),
        ("trailing-newline", "a trailing newline", key + "\n", 32),
        ("padding-in-middle", "'=' inside the text", key[:4] + "=" + key[5:], 32),
        ("non-alphabet", "a '*' character", "*" + key[1:], 32),
        ("31-bytes", "valid base64 of 31 bytes where 32 are required", core.b64(_b64d(key)[:31]), 32),
        ("33-bytes", "valid base64 of 33 bytes where 32 are required", core.b64(_b64d(key) + b"\0"), 32),
        ("empty-for-key", "the empty string where 32 bytes are required", "", 32),
        ("iv-16-bytes", "16 bytes where an IV needs 12", core.b64(derive("negative/iv16", 16)), 12),
        ("signature-hex", "a 64-byte signature written in hex", derive("negative/sig", 64).hex(), 64),
        ("single-char", "one base64 character", "A", None),
    ]
    out = [
        _case(f"base64/{n}", "base64-decode", "project", m, "invalid_encoding", input=text, length=length)
        for n, m, text, length in rows
    ]
    for field, value in (
        ("payloadVersion", -1),
        ("payloadVersion", 2**53),
        ("keyEpoch", 2**53),
        ("keyEpoch", 2**63),
        ("payloadVersion", 2**64 + 1),
    ):
        inputs = {"repoId": "repo-1", "payloadVersion": 1, "keyEpoch": 0, field: value}
        out.append(
            _case(
                f"aad/{field}-{value}",
                "aad",
                "project",
                f"{field} = {value}",
                "counter_out_of_range",
                **inputs,
            )
        )
    return out


def _federation() -> list[dict[str, Any]]:
    alice = actor("alice")
    invite = {"v": 1, "ed25519PublicKey": alice.member_id, "x25519PublicKey": alice.x25519_b64}
    good = core.encode_invite(invite)
    locator = '{"v":1,"host":"vault.example","repoId":"' + UUID + '"}'
    rows = [
        ("invite-decode", "padded", "base64url with '=' padding", good + "=" * (-len(good) % 4 or 4)),
        (
            "invite-decode",
            "standard-alphabet",
            "'+' and '/' instead of '-' and '_'",
            base64.b64encode(b'{"v":1,"ed25519PublicKey":"+/+/"}').decode().rstrip("="),
        ),
        ("invite-decode", "not-json", "base64url of text that is not JSON", b64url("v=1")),
        ("invite-decode", "json-array", "a JSON array, not an object", b64url("[1]")),
        (
            "invite-decode",
            "version-2",
            "v = 2",
            b64url(
                '{"v":2,"ed25519PublicKey":"'
                + alice.member_id
                + '","x25519PublicKey":"'
                + alice.x25519_b64
                + '"}'
            ),
        ),
        (
            "invite-decode",
            "missing-v",
            "no v member",
            b64url(
                '{"ed25519PublicKey":"' + alice.member_id + '","x25519PublicKey":"' + alice.x25519_b64 + '"}'
            ),
        ),
        (
            "invite-decode",
            "missing-x25519",
            "no x25519PublicKey",
            b64url('{"v":1,"ed25519PublicKey":"' + alice.member_id + '"}'),
        ),
        (
            "invite-decode",
            "key-not-string",
            "x25519PublicKey is a number",
            b64url('{"v":1,"ed25519PublicKey":"' + alice.member_id + '","x25519PublicKey":7}'),
        ),
        ("invite-decode", "empty", "the empty token", ""),
        ("locator-decode", "missing-host", "no host member", b64url('{"v":1,"repoId":"' + UUID + '"}')),
        ("locator-decode", "missing-repoId", "no repoId member", b64url('{"v":1,"host":"vault.example"}')),
        ("locator-decode", "version-0", "v = 0", b64url(locator.replace('"v":1', '"v":0'))),
        ("locator-decode", "epoch-string", "keyEpoch is a string", b64url(locator[:-1] + ',"keyEpoch":"1"}')),
        ("locator-decode", "epoch-negative", "keyEpoch = -1", b64url(locator[:-1] + ',"keyEpoch":-1}')),
        ("locator-decode", "truncated", "the last character dropped", b64url(locator)[:-1]),
    ]
    # A token of another format version names a format we do not know; a negative epoch is a counter.
    codes = {
        "version-2": "unsupported_scheme",
        "version-0": "unsupported_scheme",
        "epoch-negative": "counter_out_of_range",
    }
    out = [
        _case(f"{op.split('-')[0]}/{n}", op, "spec", m, codes.get(n, "invalid_encoding"), token=token)
        for op, n, m, token in rows
    ]
    # What every AVP 0.4 address parser rejects ("spec"), then this project's stricter syntax.
    for rule, n, m, uri in (
        ("spec", "wrong-scheme", "an https URL", "https://vault.example/r"),
        ("spec", "no-repo-id", "no '/' after the host", "avp://vault.example"),
        ("spec", "empty-repo-id", "nothing after the '/'", "avp://vault.example/"),
        ("spec", "empty-host", "no host", "avp:///r"),
        ("spec", "no-scheme", "no avp:// prefix", "vault.example/r"),
        ("project", "port-zero", "port 0", "avp://vault.example:0/r"),
        ("project", "port-65536", "port above 65535", "avp://vault.example:65536/r"),
        ("project", "port-not-digits", "a port that is not a number", "avp://vault.example:http/r"),
        (
            "project",
            "host-userinfo",
            "user info before the host ('@' is not a host character)",
            "avp://user@vault.example/r",
        ),
        ("project", "host-space", "a space in the host", "avp://vault example/r"),
        ("project", "ipv6-unclosed", "an IPv6 literal without ']'", "avp://[::1/r"),
        ("project", "ipv6-not-hex", "an IPv6 literal with a non-hex character", "avp://[::g]:8787/r"),
        ("project", "repo-id-space", "a space in the repoId", "avp://vault.example/my vault"),
        ("project", "repo-id-query", "a '?' in the repoId", "avp://vault.example/r?x=1"),
        ("project", "repo-id-fragment", "a '#' in the repoId", "avp://vault.example/r#top"),
        ("project", "repo-id-control", "a control character in the repoId", "avp://vault.example/r\u0001"),
    ):
        out.append(_case(f"address/{n}", "address-parse", rule, m, "invalid_address", uri=uri))
    return out


def _buggy_payloads(base: dict[str, Any]) -> list[dict[str, Any]]:
    """Envelopes sealed by an implementation that builds the AAD wrongly: a conformant decryptor
    (which rebuilds the AAD from the header) MUST fail; a decryptor with the same bug would not."""
    key, iv, repo = _b64d(base["keyB64"]), _b64d(base["ivB64"]), base["repoId"].encode()
    v, e = base["payloadVersion"], base["keyEpoch"]
    plaintext = base["plaintextUtf8"].encode()
    inputs = {k: base[k] for k in ("keyB64", "ivB64", "repoId", "payloadVersion", "keyEpoch")}

    def be(n: int, size: int = 8) -> bytes:
        return n.to_bytes(size, "big")

    wrong_aads = [
        ("aad-without-separator", "AAD without the 0x1F separator", repo + be(v) + be(e)),
        (
            "aad-little-endian",
            "counters little-endian",
            repo + b"\x1f" + v.to_bytes(8, "little") + e.to_bytes(8, "little"),
        ),
        ("aad-int32-counters", "counters as 4-byte integers", repo + b"\x1f" + be(v, 4) + be(e, 4)),
        ("aad-epoch-first", "keyEpoch before payloadVersion", repo + b"\x1f" + be(e) + be(v)),
        ("aad-decimal-text", "the counters as decimal text", f"{base['repoId']}\x1f{v}\x1f{e}".encode()),
        ("aad-empty", "no AAD at all", b""),
        ("aad-repo-id-only", "the repoId alone", repo),
    ]
    out = []
    for short, mutation, wrong in wrong_aads:
        sealed = core.aes_gcm_seal(key, iv, wrong, plaintext)
        out.append(
            _case(
                f"payload-bug/{short}",
                "payload-decrypt",
                "spec",
                f"sealed with the wrong AAD: {mutation}",
                "invalid_tag",
                **(inputs | {"ciphertextB64": core.b64(sealed)}),
            )
        )
    good = core.aes_gcm_seal(key, iv, core.aad(base["repoId"], v, e), plaintext)
    out.append(
        _case(
            "payload-bug/iv-prepended",
            "payload-decrypt",
            "spec",
            "the IV prepended to the ciphertext",
            "invalid_tag",
            **(inputs | {"ciphertextB64": core.b64(iv + good)}),
        )
    )
    return out


def _buggy_wraps(base: dict[str, Any]) -> list[dict[str, Any]]:
    """Wraps made with a wrong KEK derivation or a wrong GCM AAD (same ephemeral key and IV): a
    conformant unwrap MUST fail; an unwrap with the same bug would return the data key."""
    w = base["wrappedKey"]
    recipient_public, data_key = _b64d(base["recipientPublicKeyB64"]), _b64d(base["dataKeyB64"])
    ephemeral_public, iv = _b64d(w["ephemeralPublicKey"]), _b64d(w["iv"])
    shared = core.x25519(_b64d(base["ephemeralPrivateKeyB64"]), recipient_public)
    info, good_kek = core.WRAP_INFO, core.hkdf(shared, ephemeral_public, core.WRAP_INFO, 32)
    variants = [
        (
            "kek-info-v2",
            "HKDF info 'avp/rdk-wrap/v2'",
            core.hkdf(shared, ephemeral_public, b"avp/rdk-wrap/v2", 32),
            info,
        ),
        ("kek-empty-salt", "HKDF with an empty salt", core.hkdf(shared, b"", info, 32), info),
        (
            "kek-salt-recipient-key",
            "HKDF salted with the recipient's key",
            core.hkdf(shared, recipient_public, info, 32),
            info,
        ),
        ("kek-raw-shared-secret", "the raw X25519 output as the KEK", shared, info),
        (
            "kek-sha256-shared-secret",
            "SHA-256 of the X25519 output as the KEK",
            hashlib.sha256(shared).digest(),
            info,
        ),
        ("gcm-aad-empty", "the right KEK, no GCM AAD", good_kek, b""),
        ("gcm-aad-scheme-id", "the right KEK, the scheme id as GCM AAD", good_kek, core.SCHEME_ID.encode()),
    ]
    inputs = {
        "recipientPrivateKeyB64": base["recipientPrivateKeyB64"],
        "ephemeralPublicKeyB64": w["ephemeralPublicKey"],
        "ivB64": w["iv"],
    }
    return [
        _case(
            f"key-wrap-bug/{short}",
            "key-unwrap",
            "spec",
            f"wrapped with {mutation}",
            "invalid_tag",
            **(inputs | {"ciphertextB64": core.b64(core.aes_gcm_seal(kek, iv, aad, data_key))}),
        )
        for short, mutation, kek, aad in variants
    ]


def negative_cases(payload_base: dict[str, Any], wrap_base: dict[str, Any]) -> list[dict[str, Any]]:
    return (
        _published()
        + _payload(payload_base)
        + _buggy_payloads(payload_base)
        + _unwrap(wrap_base)
        + _buggy_wraps(wrap_base)
        + _wrap(wrap_base)
        + _ed25519(actor("alice").ed25519_seed)
        + _encodings()
        + _federation()
    )
