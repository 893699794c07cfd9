"""The Python client's vectors mode: every case of every file in ``vectors/``, checked with the
toolkit's own crypto (:mod:`avp.crypto`, :mod:`avp.federation`), for ``verify_vectors``.

One checker per file; each yields ``(case name, problem or None)``. A file without a checker has
all its cases counted as skipped, so the matrix never shows it as a pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from avp import _native, crypto, federation
from avp.crypto import hazmat
from avp.errors import AvpError, InvalidTag
from avp.identity import Identity
from avp.models import VaultPayload, apply_refresh_policy
from avp.vectors.seeds import expand  # the documented plaintext expansion of the size sweep

Result = tuple[str, Optional[str]]
Checker = Callable[[dict[str, Any]], Iterator[Result]]


def _b(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _s(text: str) -> bytes:
    """Strict base64 (negative cases include non-canonical encodings that must be refused)."""
    return crypto.b64decode_strict(text)


def _h(text: str) -> bytes:
    return bytes.fromhex(text)


def _each(cases: list[dict[str, Any]], check: Callable[[dict[str, Any]], Optional[str]]) -> Iterator[Result]:
    for case in cases:
        try:
            problem = check(case)
        except AvpError as err:
            problem = f"unexpected {err.code}: {err}"
        except (KeyError, ValueError, TypeError) as err:
            problem = f"malformed case: {type(err).__name__}: {err}"
        yield str(case.get("name")), problem


def _want(ok: bool, what: str) -> Optional[str]:
    return None if ok else what


def aad(doc: dict[str, Any]) -> Iterator[Result]:
    yield from _each(
        doc["cases"],
        lambda c: _want(
            crypto.aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]).hex() == c["expectedAadHex"],
            "AAD differs",
        ),
    )


def key_binding_message(doc: dict[str, Any]) -> Iterator[Result]:
    def check(c: dict[str, Any]) -> Optional[str]:
        message = crypto.key_binding_message(c["ed25519PublicKey"], c["x25519PublicKey"])
        return _want(message.decode("utf-8") == c["expectedMessageUtf8"], "message differs")

    yield from _each(doc["cases"], check)


def hkdf(doc: dict[str, Any]) -> Iterator[Result]:
    def check(c: dict[str, Any]) -> Optional[str]:
        ikm, salt, info = _h(c["ikmHex"]), _h(c["saltHex"]), _h(c["infoHex"])
        prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
        if "prkHex" in c and prk.hex() != c["prkHex"]:
            return "PRK differs"
        return _want(crypto.hkdf_sha256(ikm, salt, info, c["length"]).hex() == c["okmHex"], "OKM differs")

    yield from _each(doc["cases"], check)


def x25519(doc: dict[str, Any]) -> Iterator[Result]:
    yield from _each(
        doc["cases"],
        lambda c: _want(
            crypto.x25519(_h(c["scalarHex"]), _h(c["uCoordinateHex"])).hex() == c["outputHex"],
            "output differs",
        ),
    )


def ed25519(doc: dict[str, Any]) -> Iterator[Result]:
    def check(c: dict[str, Any]) -> Optional[str]:
        seed, message = _h(c["seedHex"]), _h(c["messageHex"])
        if crypto.ed25519_public_key(seed).hex() != c["publicKeyHex"]:
            return "public key differs"
        if crypto.ed25519_sign(seed, message).hex() != c["signatureHex"]:
            return "signature differs"
        return _want(
            crypto.ed25519_verify(_h(c["publicKeyHex"]), message, _h(c["signatureHex"])), "does not verify"
        )

    yield from _each(doc["cases"], check)


def _verdict(ok: bool, c: dict[str, Any]) -> Optional[str]:
    want = c["verdict"] == "accept"
    return None if ok == want else f"expected {c['verdict']}, got {'accept' if ok else 'reject'}"


def ed25519_policy(doc: dict[str, Any]) -> Iterator[Result]:
    yield from _each(
        doc["cases"],
        lambda c: _verdict(
            crypto.ed25519_verify(_h(c["publicKeyHex"]), _h(c["messageHex"]), _h(c["signatureHex"])), c
        ),
    )


def key_binding(doc: dict[str, Any]) -> Iterator[Result]:
    def check(c: dict[str, Any]) -> Optional[str]:
        ed, x = c["ed25519PublicKey"], c["x25519PublicKey"]
        if crypto.key_binding_message(ed, x).decode("utf-8") != c["messageUtf8"]:
            return "message differs"
        sig = c.get("keyBindingSig")
        try:
            ok = isinstance(sig, str) and crypto.key_binding_verify(_b(c["issuerPublicKey"]), ed, x, _b(sig))
        except (AvpError, ValueError):
            ok = False
        return _verdict(ok, c)

    yield from _each(doc["cases"], check)


def challenge(doc: dict[str, Any]) -> Iterator[Result]:
    def check(c: dict[str, Any]) -> Optional[str]:
        try:
            ok = crypto.ed25519_verify(_b(c["ed25519PublicKey"]), _b(c["nonce"]), _b(c["signature"]))
        except (AvpError, ValueError):
            ok = False
        return _verdict(ok, c)

    yield from _each(doc["cases"], check)


def _tamper_rejected(key: bytes, c: dict[str, Any], iv: bytes, ciphertext: bytes) -> Optional[str]:
    try:
        crypto.open_payload(key, c["repoId"], c["payloadVersion"], c["tamperEpoch"], iv, ciphertext)
    except InvalidTag:
        return None
    return "decrypting under tamperEpoch succeeded"


def payload_aead(doc: dict[str, Any]) -> Iterator[Result]:
    def check(c: dict[str, Any]) -> Optional[str]:
        key, iv, ciphertext = _b(c["keyB64"]), _b(c["ivB64"]), _b(c["ciphertextB64"])
        rv, rk = c["payloadVersion"], c["keyEpoch"]
        if crypto.aad(c["repoId"], rv, rk).hex() != c["aadHex"]:
            return "AAD differs"
        plaintext = c["plaintextUtf8"].encode("utf-8")
        if hazmat.seal_payload(key, c["repoId"], rv, rk, plaintext, iv=iv)[1] != ciphertext:
            return "re-encryption differs"
        if crypto.open_payload(key, c["repoId"], rv, rk, iv, ciphertext) != plaintext:
            return "decryption differs"
        return _tamper_rejected(key, c, iv, ciphertext)

    yield from _each(doc["cases"], check)


def payload_aead_sizes(doc: dict[str, Any]) -> Iterator[Result]:
    def check(c: dict[str, Any]) -> Optional[str]:
        key, iv = _b(c["keyB64"]), _b(c["ivB64"])
        rv, rk = c["payloadVersion"], c["keyEpoch"]
        plaintext = expand(_h(c["plaintext"]["seedHex"]), c["plaintext"]["length"])
        ciphertext = hazmat.seal_payload(key, c["repoId"], rv, rk, plaintext, iv=iv)[1]
        if "ciphertextB64" in c and ciphertext != _b(c["ciphertextB64"]):
            return "re-encryption differs"
        if "ciphertextSha256Hex" in c and hashlib.sha256(ciphertext).hexdigest() != c["ciphertextSha256Hex"]:
            return "re-encryption digest differs"
        if ciphertext[-16:].hex() != c["tagHex"]:
            return "tag differs"
        if crypto.open_payload(key, c["repoId"], rv, rk, iv, ciphertext) != plaintext:
            return "decryption differs"
        for offset in c.get("tamperBitFlipOffsets", []):
            flipped = bytearray(ciphertext)
            flipped[offset] ^= 0x01
            try:
                crypto.open_payload(key, c["repoId"], rv, rk, iv, bytes(flipped))
                return f"a bit flip at {offset} decrypted"
            except InvalidTag:
                pass
        return _tamper_rejected(key, c, iv, ciphertext)

    yield from _each(doc["cases"], check)


def key_wrap(doc: dict[str, Any]) -> Iterator[Result]:
    def check(c: dict[str, Any]) -> Optional[str]:
        recipient_priv, data_key = _b(c["recipientPrivateKeyB64"]), _b(c["dataKeyB64"])
        eph_priv, wanted = _b(c["ephemeralPrivateKeyB64"]), c["wrappedKey"]
        if crypto.x25519_public_key(recipient_priv) != _b(c["recipientPublicKeyB64"]):
            return "recipient public key differs"
        eph_pub = crypto.x25519_public_key(eph_priv)
        shared = crypto.x25519(eph_priv, _b(c["recipientPublicKeyB64"]))
        if "sharedSecretHex" in c and shared.hex() != c["sharedSecretHex"]:
            return "shared secret differs"
        kek = crypto.hkdf_sha256(shared, eph_pub, c.get("info", "avp/rdk-wrap/v1").encode(), 32)
        if "kekHex" in c and kek.hex() != c["kekHex"]:
            return "KEK differs"
        wrapped = hazmat.wrap_key(
            data_key, _b(c["recipientPublicKeyB64"]), ephemeral_private=eph_priv, iv=_b(wanted["iv"])
        )
        if wrapped.to_dict() != wanted:
            return "re-wrap differs"
        return _want(crypto.unwrap_key(wanted, recipient_priv) == data_key, "unwrap differs")

    yield from _each(doc["cases"], check)


def _token_matches(decoded: Any, wanted: dict[str, Any]) -> bool:
    return bool(decoded.to_dict() == wanted)


def federation_file(doc: dict[str, Any]) -> Iterator[Result]:
    def token(c: dict[str, Any]) -> Optional[str]:
        is_invite = c["schema"] == "InviteRequest"
        decoded = (
            federation.decode_invite(c["base64url"])
            if is_invite
            else federation.decode_locator(c["base64url"])
        )
        if not _token_matches(decoded, c["decoded"]):
            return "decoded object differs"
        if "canonicalJson" in c:
            encoded = (
                federation.encode_invite(c["decoded"])
                if is_invite
                else federation.encode_locator(c["decoded"])
            )
            return _want(encoded == c["base64url"], "canonical encoding differs")
        return None

    def uri(c: dict[str, Any]) -> Optional[str]:
        address = federation.parse_address(c["uri"])
        if (address.host, address.repo_id) != (c["host"], c["repoId"]):
            return "parsed host/repoId differ"
        return _want(federation.format_address(c["host"], c["repoId"]) == c["uri"], "formatted URI differs")

    yield from _each(doc.get("tokens", []), token)
    yield from _each(doc.get("uris", []), uri)
    yield from _each(doc.get("decodeOracles", []), token)


def _negative_op(c: dict[str, Any]) -> None:
    """Run the operation a negative case names (it must raise)."""
    op = c["op"]
    if op == "payload-decrypt":
        crypto.open_payload(
            _s(c["keyB64"]),
            c["repoId"],
            c["payloadVersion"],
            c["keyEpoch"],
            _s(c["ivB64"]),
            _s(c["ciphertextB64"]),
        )
    elif op == "key-unwrap":
        wrapped = {
            "schemeId": c.get("schemeId", crypto.SCHEME_ID),
            "ephemeralPublicKey": c["ephemeralPublicKeyB64"],
            "iv": c["ivB64"],
            "ciphertext": c["ciphertextB64"],
        }
        crypto.unwrap_key(wrapped, _s(c["recipientPrivateKeyB64"]))
    elif op == "key-wrap":
        hazmat.wrap_key(
            _s(c["dataKeyB64"]),
            _s(c["recipientPublicKeyB64"]),
            ephemeral_private=_s(c["ephemeralPrivateKeyB64"]),
            iv=_s(c["ivB64"]),
        )
    elif op == "ed25519-verify":
        if not crypto.ed25519_verify(_h(c["publicKeyHex"]), _h(c["messageHex"]), _h(c["signatureHex"])):
            raise InvalidTag("signature rejected")
    elif op == "x25519":
        crypto.x25519(_h(c["scalarHex"]), _h(c["uCoordinateHex"]))
    elif op == "base64-decode":
        crypto.b64decode_strict(c["input"], c.get("length"))
    elif op == "aad":
        crypto.aad(c["repoId"], c["payloadVersion"], c["keyEpoch"])
    elif op == "invite-decode":
        federation.decode_invite(c["token"])
    elif op == "locator-decode":
        federation.decode_locator(c["token"])
    elif op == "address-parse":
        federation.parse_address(c["uri"])
    else:
        raise NotImplementedError(op)


def negative(doc: dict[str, Any]) -> Iterator[Result]:
    for c in doc["cases"]:
        name = str(c.get("name"))
        try:
            _negative_op(c)
        except NotImplementedError:
            yield name, "unknown op " + str(c.get("op"))
            continue
        except AvpError as err:
            expected = c.get("expectedError")
            # a signature that does not verify has no error code of its own
            ok = expected in (None, err.code) or c["op"] == "ed25519-verify"
            yield name, None if ok else f"rejected with {err.code}, expected {expected}"
            continue
        except (ValueError, TypeError, OverflowError) as err:
            yield name, f"rejected without an AVP error code ({type(err).__name__})"
            continue
        yield name, "accepted"


def identity(doc: dict[str, Any]) -> Iterator[Result]:
    """Sealed identities open (or are refused with the named code) through :class:`avp.Identity`."""
    for c in doc["cases"]:
        sealed, secret = json.dumps(c["sealed"]), c["secret"]
        try:
            if c["unlockWith"] == "recoveryCode":
                ident = Identity.open(sealed, recovery_code=secret)
            else:
                ident = Identity.open(sealed, secret)
        except AvpError as err:
            ok = c["verdict"] == "reject" and err.code == c.get("expectedError", err.code)
            yield (
                c["name"],
                None
                if ok
                else f"refused with {err.code} (expected {c['verdict']} {c.get('expectedError', '')})",
            )
            continue
        if c["verdict"] != "accept":
            yield c["name"], "opened, expected a refusal"
            continue
        keys = (ident.member_id, ident.x25519_public_key_b64)
        yield c["name"], _want(keys == (c["ed25519PublicKey"], c["x25519PublicKey"]), "opened to other keys")


def transcript(doc: dict[str, Any]) -> Iterator[Result]:
    """Every identity derives from its seeds, and every envelope opens with its epoch's data key to
    the recorded plaintext (the request/response bodies themselves are the server's business)."""
    keys = {int(k.split("-")[1]): _b(v) for k, v in doc["secrets"]["dataKeys"].items()}
    plaintexts = doc["secrets"]["plaintexts"]
    for name, actor in doc["actors"].items():
        ok = crypto.ed25519_public_key(_b(actor["ed25519SeedB64"])) == _b(actor["ed25519PublicKey"]) and (
            crypto.x25519_public_key(_b(actor["x25519PrivateB64"])) == _b(actor["x25519PublicKey"])
        )
        yield f"actor/{name}", _want(ok, "public keys do not derive from the seeds")

    def envelopes(value: Any) -> Iterator[dict[str, Any]]:
        if isinstance(value, dict):
            if {"iv", "ciphertext", "payloadVersion", "keyEpoch", "repoId"} <= value.keys():
                yield value
            for v in value.values():
                yield from envelopes(v)
        elif isinstance(value, list):
            for v in value:
                yield from envelopes(v)

    def check(c: dict[str, Any]) -> Optional[str]:
        # every envelope opens; a served one is the recorded payload of its version (a request may
        # be a losing conflict, whose payload was never stored)
        for served, part in ((False, c.get("request")), (True, c.get("response"))):
            for env in envelopes(part):
                plain = crypto.open_payload(
                    keys[env["keyEpoch"]],
                    env["repoId"],
                    env["payloadVersion"],
                    env["keyEpoch"],
                    _b(env["iv"]),
                    _b(env["ciphertext"]),
                )
                wanted = plaintexts.get(f"v{env['payloadVersion']}")
                if served and wanted is not None and json.loads(plain) != json.loads(wanted):
                    return f"served envelope v{env['payloadVersion']} decrypts to another payload"
        return None

    yield from _each(doc["cases"], check)


def payload_parse(doc: dict[str, Any]) -> Iterator[Result]:
    """The SDK's payload model (the Rust parser and serializer behind :mod:`avp.models`)."""

    def check(c: dict[str, Any]) -> Optional[str]:
        text = c.get("plaintextUtf8")
        plaintext = text.encode() if isinstance(text, str) else _h(c["plaintextHex"])
        try:
            payload = VaultPayload.from_json(plaintext)
        except AvpError as err:
            if c["verdict"] == "reject":
                return _want(err.code == c["expectedError"], f"refused with {err.code}")
            raise
        if c["verdict"] != "accept":
            return "accepted a payload that must be refused"
        if payload.to_json().decode() != c["canonicalUtf8"]:
            return "canonical serialization differs"
        stripped = apply_refresh_policy(payload.alts, False)
        return _want(
            _native.payload_json(stripped, payload.payload_version, False).decode() == c["strippedUtf8"],
            "policy-stripped serialization differs",
        )

    yield from _each(doc["cases"], check)


CHECKERS: dict[str, Checker] = {
    "aad.json": aad,
    "key-binding-message.json": key_binding_message,
    "hkdf.json": hkdf,
    "x25519.json": x25519,
    "ed25519.json": ed25519,
    "ed25519-policy.json": ed25519_policy,
    "key-binding.json": key_binding,
    "challenge.json": challenge,
    "payload-aead.json": payload_aead,
    "payload-aead-sizes.json": payload_aead_sizes,
    "payload-parse.json": payload_parse,
    "key-wrap.json": key_wrap,
    "federation.json": federation_file,
    "negative.json": negative,
    "identity.json": identity,
    "transcript.json": transcript,
}


#: files without a checker of their own, by the kind the index gives them (same case format)
BY_KIND: dict[str, Checker] = {"negative": negative}


def _case_count(doc: dict[str, Any]) -> int:
    return sum(len(v) for v in doc.values() if isinstance(v, list))


def verify_dir(folder: Path) -> dict[str, dict[str, Any]]:
    """``{file: {checked, failed, skipped, failures}}`` for every file listed in ``index.json``."""
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    out: dict[str, dict[str, Any]] = {}
    for entry in index.get("vectors", []):
        name = entry["file"]
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        checker = CHECKERS.get(name) or BY_KIND.get(str(entry.get("kind")))
        if checker is None:
            out[name] = {"checked": 0, "failed": 0, "skipped": _case_count(doc), "failures": []}
            continue
        results = list(checker(doc))
        failures = [f"{case}: {problem}" for case, problem in results if problem is not None]
        out[name] = {
            "checked": len(results),
            "failed": len(failures),
            "skipped": 0,
            "failures": failures,
        }
    return out
