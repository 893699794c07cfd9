"""§4 authentication: challenge, token, bearer tokens — every failure mode is a 401, never a 5xx."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from avp import crypto
from avp.interop.conformance.context import Context, new_repo_id
from avp.interop.material import Member, b64, unb64, unb64url
from avp.interop.model import Case, CaseFailed, Level, case

CHALLENGE = "/api/auth/keypair/challenge"
TOKEN = "/api/auth/keypair/token"  # noqa: S105 - a route, not a secret
#: the small-order point 01 00..00 and the signature (R = that point, S = 0) that stock verifiers
#: accept for every message: the "universal signature" of the protocol notes §2
SMALL_ORDER_KEY = bytes([1]) + bytes(31)
UNIVERSAL_SIGNATURE = bytes([1]) + bytes(63)


def _nonce(ctx: Context, member_id: str) -> str:
    resp = ctx.request("POST", CHALLENGE, {"ed25519PublicKey": member_id})
    data = ctx.expect_ok(resp, "challenge")
    nonce = data.get("nonce")
    ctx.expect(isinstance(nonce, str), "challenge", "a base64 'nonce'", data)
    return str(nonce)


def _token_request(ctx: Context, member_id: str, nonce: str, signature: bytes) -> Any:
    return ctx.request(
        "POST", TOKEN, {"ed25519PublicKey": member_id, "nonce": nonce, "signature": b64(signature)}
    )


@case(
    "wire/4.challenge.ok",
    "a challenge for a well-formed key returns a fresh nonce of at least 32 bytes",
    level=Level.SPEC,
)
def challenge_ok(ctx: Context) -> None:
    member = Member.random()
    first, second = _nonce(ctx, member.id), _nonce(ctx, member.id)
    try:
        size = len(unb64(first))
    except ValueError:
        raise CaseFailed("challenge", "a strict-base64 nonce", first) from None
    ctx.expect(size >= 32, "challenge", "a nonce of at least 32 bytes (SPEC §3)", f"{size} bytes")
    ctx.expect(first != second, "challenge twice", "two different nonces", "the same nonce twice")


#: The headers the JDK's java.net.http.HttpClient (and others) add to a first request on an http://
#: URL to offer HTTP/2 (RFC 7540 §3.2); a server may ignore the offer but must still read the request.
H2C_OFFER = {
    "Connection": "Upgrade, HTTP2-Settings",
    "Upgrade": "h2c",
    "HTTP2-Settings": "AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA",
}


@case(
    "spec/6.http.h2c-upgrade-offer",
    "a login whose requests offer Upgrade: h2c (as the JDK's HTTP client does) gets the normal answers, "
    "the body read, on one keep-alive connection",
    level=Level.SPEC,
)
def h2c_upgrade_offer(ctx: Context) -> None:
    member = Member.random()
    resp = ctx.request("POST", CHALLENGE, {"ed25519PublicKey": member.id}, headers=H2C_OFFER)
    data = ctx.expect_ok(resp, "challenge offering h2c")
    nonce = data.get("nonce")
    ctx.expect(isinstance(nonce, str), "challenge offering h2c", "a base64 'nonce'", data)
    body = {"ed25519PublicKey": member.id, "nonce": nonce, "signature": b64(member.sign(unb64(str(nonce))))}
    data = ctx.expect_ok(ctx.request("POST", TOKEN, body, headers=H2C_OFFER), "token offering h2c")
    ctx.expect(isinstance(data.get("token"), str), "token offering h2c", "a 'token'", data)


@case(
    "wire/4.challenge.any-32-bytes",
    "a challenge is not a verification: any 32 bytes get a nonce",
    level=Level.SPEC,
)
def challenge_any_bytes(ctx: Context) -> None:
    _nonce(ctx, b64(os.urandom(32)))


@case(
    "wire/4.challenge.empty-body",
    "a challenge for {} is 400 bad_request (readiness probes use discovery)",
    level=Level.HARDENING,
)
def challenge_empty(ctx: Context) -> None:
    ctx.expect_error(ctx.request("POST", CHALLENGE, {}), 400, "bad_request", "challenge {}")


@case(
    "wire/4.challenge.malformed-key",
    "a challenge for a 31-byte or non-canonical key is 400 bad_request",
    level=Level.HARDENING,
)
def challenge_bad_key(ctx: Context) -> None:
    ctx.expect_error(
        ctx.request("POST", CHALLENGE, {"ed25519PublicKey": b64(bytes(31))}),
        400,
        "bad_request",
        "31-byte key",
    )
    good = b64(os.urandom(32))
    non_canonical = good[:-2] + chr(ord(good[-2]) ^ 1) + "="  # trailing bits set
    if non_canonical != good:
        ctx.expect_error(
            ctx.request("POST", CHALLENGE, {"ed25519PublicKey": non_canonical}),
            400,
            "bad_request",
            "non-canonical base64 key",
        )


@case(
    "wire/4.token.ok",
    "a signature over the raw nonce bytes gives {token, expiresAt} (epoch ms, in the future)",
    level=Level.SPEC,
)
def token_ok(ctx: Context) -> None:
    member = Member.random()
    nonce = _nonce(ctx, member.id)
    resp = _token_request(ctx, member.id, nonce, member.sign(unb64(nonce)))
    data = ctx.expect_ok(resp, "token")
    ctx.expect(isinstance(data.get("token"), str), "token", "a string 'token'", data)
    expires = data.get("expiresAt")
    now_ms = time.time() * 1000
    ctx.expect(
        isinstance(expires, int) and now_ms < expires < now_ms + 366 * 86400 * 1000,
        "token",
        "expiresAt: epoch milliseconds in the future",
        str(expires),
    )


@case(
    "wire/4.token.jwt",
    "the token is an EdDSA JWT that verifies under the JWKS key, with the documented claims",
    level=Level.EXTENSION,
    needs=("jwks",),
)
def token_jwt(ctx: Context) -> None:
    member = Member.random()
    token = ctx.token(member)
    parts = token.split(".")
    ctx.expect(len(parts) == 3, "token", "a JWT (three dot-separated parts)", f"{len(parts)} parts")
    header, claims = (json.loads(unb64url(p)) for p in parts[:2])
    ctx.expect(
        header.get("alg") == "EdDSA" and header.get("typ") == "JWT" and bool(header.get("kid")),
        "JWT header",
        "alg EdDSA, typ JWT, a kid",
        header,
    )
    ctx.expect(claims.get("sub") == "key:" + member.id, "JWT claims", f"sub key:{member.id}", claims)
    ctx.expect(claims.get("kind") == "keypair", "JWT claims", "kind keypair", claims)
    ctx.expect(
        claims.get("aud") == claims.get("iss") and claims.get("iss"), "JWT claims", "aud == iss", claims
    )
    ttl = ctx.limit("tokenTtlSeconds", 3600)
    ctx.expect(
        isinstance(claims.get("exp"), int)
        and isinstance(claims.get("iat"), int)
        and claims["exp"] - claims["iat"] == ttl,
        "JWT claims",
        f"exp - iat == tokenTtlSeconds ({ttl})",
        claims,
    )
    jwks = ctx.expect_ok(ctx.request("GET", "/.well-known/jwks.json"), "jwks")
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict) and k.get("kid") == header.get("kid")]
    ctx.expect(len(keys) == 1, "jwks", f"one key with kid {header.get('kid')!r}", jwks)
    x = str(keys[0].get("x", ""))
    public = unb64url(x)
    signature = unb64url(parts[2])
    ok = crypto.ed25519_verify(public, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)
    ctx.expect(ok, "JWT signature", "verifies under the JWKS key", "does not verify")


def _expect_401(ctx: Context, resp: Any, step: str) -> None:
    ctx.expect_error(resp, 401, "unauthorized", step)


@case(
    "wire/4.token.signed-base64-text",
    "a signature over the base64 text of the nonce is 401",
    level=Level.SPEC,
)
def token_signed_text(ctx: Context) -> None:
    member = Member.random()
    nonce = _nonce(ctx, member.id)
    _expect_401(ctx, _token_request(ctx, member.id, nonce, member.sign(nonce.encode())), "token")


@case("wire/4.token.flipped-signature", "a signature with one bit flipped is 401", level=Level.SPEC)
def token_flipped(ctx: Context) -> None:
    member = Member.random()
    nonce = _nonce(ctx, member.id)
    sig = bytearray(member.sign(unb64(nonce)))
    sig[5] ^= 0x01
    _expect_401(ctx, _token_request(ctx, member.id, nonce, bytes(sig)), "token")


@case("wire/4.token.unknown-nonce", "a nonce the server never issued is 401", level=Level.SPEC)
def token_unknown_nonce(ctx: Context) -> None:
    member = Member.random()
    nonce = os.urandom(32)
    _expect_401(ctx, _token_request(ctx, member.id, b64(nonce), member.sign(nonce)), "token")


@case(
    "wire/4.token.reused-nonce",
    "a nonce is single use: the second token request with it is 401",
    level=Level.SPEC,
)
def token_reused(ctx: Context) -> None:
    member = Member.random()
    nonce = _nonce(ctx, member.id)
    sig = member.sign(unb64(nonce))
    ctx.expect_ok(_token_request(ctx, member.id, nonce, sig), "first token")
    _expect_401(ctx, _token_request(ctx, member.id, nonce, sig), "second token, same nonce")


@case(
    "wire/4.token.other-key-nonce",
    "a nonce issued for another key is 401 even with a valid signature",
    level=Level.SPEC,
)
def token_other_key(ctx: Context) -> None:
    alice, mallory = Member.random(), Member.random()
    nonce = _nonce(ctx, alice.id)
    _expect_401(ctx, _token_request(ctx, mallory.id, nonce, mallory.sign(unb64(nonce))), "token")


@case(
    "wire/4.token.universal-signature",
    "the small-order key with the 'universal' signature is 401",
    level=Level.HARDENING,
    security=(
        "anyone can log in as the small-order key without a private key, so a vault shared with "
        "that member id is open to everyone"
    ),
)
def token_universal(ctx: Context) -> None:
    member_id = b64(SMALL_ORDER_KEY)
    resp = ctx.request("POST", CHALLENGE, {"ed25519PublicKey": member_id})
    if resp.status == 400:
        return  # refusing the small-order key at the challenge is stricter and fine
    nonce = str(ctx.expect_ok(resp, "challenge").get("nonce"))
    _expect_401(ctx, _token_request(ctx, member_id, nonce, UNIVERSAL_SIGNATURE), "token")


@case(
    "wire/4.token.failed-attempt-keeps-nonce",
    "a forged attempt does not burn the client's nonce",
    level=Level.HARDENING,
    security=(
        "a forged attempt burns the client's nonce, so whoever sees a challenge can stop that "
        "member from logging in"
    ),
)
def token_forged_keeps_nonce(ctx: Context) -> None:
    member = Member.random()
    nonce = _nonce(ctx, member.id)
    _expect_401(ctx, _token_request(ctx, member.id, nonce, bytes(64)), "forged token")
    ctx.expect_ok(_token_request(ctx, member.id, nonce, member.sign(unb64(nonce))), "real token, same nonce")


@case(
    "wire/4.token.malformed-body",
    "a token request with a missing field or a 63-byte signature is 400",
    level=Level.HARDENING,
)
def token_malformed(ctx: Context) -> None:
    member = Member.random()
    nonce = _nonce(ctx, member.id)
    ctx.expect_error(
        ctx.request("POST", TOKEN, {"ed25519PublicKey": member.id, "nonce": nonce}),
        400,
        "bad_request",
        "no signature",
    )
    ctx.expect_error(
        _token_request(ctx, member.id, nonce, bytes(63)), 400, "bad_request", "63-byte signature"
    )


def _vault_probe(ctx: Context, headers: dict[str, str]) -> Any:
    repo_id = new_repo_id()
    return ctx.request(
        "POST", ctx.repo_path(repo_id, "pull"), {"repoId": repo_id, "knownPayloadVersion": 0}, headers=headers
    )


@case("wire/4.bearer.missing", "a vault request without Authorization is 401", level=Level.SPEC)
def bearer_missing(ctx: Context) -> None:
    _expect_401(ctx, _vault_probe(ctx, {}), "pull without a token")


@case("wire/4.bearer.malformed", "a vault request with a malformed bearer token is 401", level=Level.SPEC)
def bearer_malformed(ctx: Context) -> None:
    _expect_401(ctx, _vault_probe(ctx, {"Authorization": "Bearer not-a-token"}), "garbage token")
    _expect_401(ctx, _vault_probe(ctx, {"Authorization": "Basic dXNlcjpwYXNz"}), "Basic scheme")


@case(
    "wire/4.bearer.tampered",
    "a real token with one character changed is 401 (with a JWKS: a JWT with its subject changed too)",
    level=Level.SPEC,
)
def bearer_tampered(ctx: Context) -> None:
    alice, mallory = Member.random(), Member.random()
    token = ctx.token(alice)
    # any token, opaque or not: flip one character in the middle (to another of the same alphabet)
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    _expect_401(
        ctx, _vault_probe(ctx, {"Authorization": f"Bearer {flipped}"}), "token with a character changed"
    )
    if "jwks" not in ctx.extensions:
        return  # an opaque token: nothing more to forge
    header, claims, signature = token.split(".")
    data = json.loads(unb64url(claims))
    data["sub"] = "key:" + mallory.id
    forged = ".".join(
        (header, crypto.b64url_encode(json.dumps(data, separators=(",", ":")).encode()), signature)
    )
    _expect_401(ctx, _vault_probe(ctx, {"Authorization": f"Bearer {forged}"}), "token with another subject")


@case(
    "wire/4.bearer.foreign-issuer",
    "a well-formed JWT signed by another key (or alg none) is 401",
    level=Level.EXTENSION,
    needs=("jwks",),
)
def bearer_foreign(ctx: Context) -> None:
    member = Member.random()
    token = ctx.token(member)
    header_b64, claims_b64, _sig = token.split(".")
    forger = Member.random()
    signing_input = f"{header_b64}.{claims_b64}"
    forged = signing_input + "." + crypto.b64url_encode(forger.sign(signing_input.encode("ascii")))
    _expect_401(ctx, _vault_probe(ctx, {"Authorization": f"Bearer {forged}"}), "foreign signature")
    none_header = crypto.b64url_encode(b'{"alg":"none","typ":"JWT"}')
    _expect_401(ctx, _vault_probe(ctx, {"Authorization": f"Bearer {none_header}.{claims_b64}."}), "alg none")


#: expiry checks wait for the TTL to pass; longer TTLs are reported as skipped, not waited for
MAX_TTL_TO_WAIT = 5
TTL_TOO_LONG = f"too long to wait for (run a server with a TTL <= {MAX_TTL_TO_WAIT})"


@case("wire/4.token.expired-nonce", "a nonce used after nonceTtlSeconds is 401", level=Level.HARDENING)
def token_expired_nonce(ctx: Context) -> None:
    ttl = ctx.small_limit("nonceTtlSeconds", 120, MAX_TTL_TO_WAIT, TTL_TOO_LONG)
    member = Member.random()
    nonce = _nonce(ctx, member.id)
    time.sleep(ttl + 1.1)
    _expect_401(
        ctx, _token_request(ctx, member.id, nonce, member.sign(unb64(nonce))), f"token after {ttl + 1} s"
    )


@case(
    "wire/4.bearer.expired",
    "a bearer token used after tokenTtlSeconds is 401",
    level=Level.HARDENING,
    security="a token that never expires stays a valid login forever once it leaks",
)
def bearer_expired(ctx: Context) -> None:
    ttl = ctx.small_limit("tokenTtlSeconds", 3600, MAX_TTL_TO_WAIT, TTL_TOO_LONG)
    member = Member.random()
    token = ctx.token(member)
    time.sleep(ttl + 1.1)
    _expect_401(
        ctx, _vault_probe(ctx, {"Authorization": f"Bearer {token}"}), f"pull with a token {ttl + 1} s old"
    )


CASES: list[Case[Context]] = [
    challenge_ok,
    challenge_any_bytes,
    h2c_upgrade_offer,
    challenge_empty,
    challenge_bad_key,
    token_ok,
    token_jwt,
    token_signed_text,
    token_flipped,
    token_unknown_nonce,
    token_reused,
    token_other_key,
    token_universal,
    token_forged_keeps_nonce,
    token_malformed,
    bearer_missing,
    bearer_malformed,
    bearer_tampered,
    bearer_foreign,
    token_expired_nonce,
    bearer_expired,
]
