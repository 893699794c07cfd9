"""§1 errors and §7 discovery: the shape every answer has before any vault semantics."""

from __future__ import annotations

import hashlib
import json

from avp import crypto
from avp.interop import material
from avp.interop.conformance.context import Context, new_repo_id
from avp.interop.material import Member, unb64url
from avp.interop.model import Case, Level, case

LIMIT_NAMES = ("maxBodyBytes", "maxReposPerMember", "maxMembersPerRepo", "nonceTtlSeconds", "tokenTtlSeconds")


@case(
    "wire/7.discovery.document",
    "GET /.well-known/avp: profiles, avpVersion, issuerJwksUrl, keyBindingUrl, limits",
    level=Level.EXTENSION,
    needs=("discovery",),
)
def discovery(ctx: Context) -> None:
    data = ctx.expect_ok(ctx.request("GET", "/.well-known/avp"), "discovery")
    ctx.expect("http-json" in (data.get("profiles") or []), "discovery", "profiles contains http-json", data)
    ctx.expect(data.get("avpVersion") == "0.4", "discovery", "avpVersion 0.4", data)
    for name in ("issuerJwksUrl", "keyBindingUrl"):
        url = data.get(name)
        ctx.expect(
            isinstance(url, str) and url.startswith(("http://", "https://")),
            "discovery",
            f"{name}: a URL",
            data,
        )
    limits = data.get("limits")
    ctx.expect(isinstance(limits, dict), "discovery", "a 'limits' object", data)
    assert isinstance(limits, dict)
    for name in LIMIT_NAMES:
        value = limits.get(name)
        ctx.expect(
            isinstance(value, int) and not isinstance(value, bool) and value > 0,
            "discovery",
            f"limits.{name}: a positive integer",
            limits,
        )


@case(
    "wire/7.jwks.document",
    "GET /.well-known/jwks.json: OKP/Ed25519 keys with kid, alg EdDSA, a 32-byte x",
    level=Level.EXTENSION,
    needs=("jwks",),
)
def jwks(ctx: Context) -> None:
    data = ctx.expect_ok(ctx.request("GET", "/.well-known/jwks.json"), "jwks")
    keys = data.get("keys")
    ctx.expect(isinstance(keys, list) and len(keys) >= 1, "jwks", "a non-empty 'keys' list", data)
    assert isinstance(keys, list)
    for key in keys:
        ctx.expect(
            isinstance(key, dict) and key.get("kty") == "OKP" and key.get("crv") == "Ed25519",
            "jwks",
            "kty OKP, crv Ed25519",
            key,
        )
        ctx.expect(bool(key.get("kid")) and key.get("alg") == "EdDSA", "jwks", "a kid and alg EdDSA", key)
        canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": key.get("x")}, separators=(",", ":"))
        thumbprint = crypto.b64url_encode(hashlib.sha256(canonical.encode()).digest())
        ctx.expect(key.get("kid") == thumbprint, "jwks", f"kid = RFC 7638 thumbprint {thumbprint}", key)
        x = str(key.get("x", ""))
        ctx.expect(
            "=" not in x and len(unb64url(x)) == 32,
            "jwks",
            "x: base64url of 32 bytes",
            key,
        )


@case(
    "wire/1.errors.unknown-route",
    "an unknown route is 404 not_found with a JSON error body",
    level=Level.HARDENING,
)
def unknown_route(ctx: Context) -> None:
    ctx.expect_error(ctx.request("GET", "/v1/definitely-not-a-route"), 404, "not_found", "GET unknown route")


@case(
    "wire/1.errors.method-not-allowed",
    "a known route with the wrong method is 405 method_not_allowed with Allow",
    level=Level.HARDENING,
)
def wrong_method(ctx: Context) -> None:
    resp = ctx.request("GET", "/v1/repos")
    ctx.expect_error(resp, 405, "method_not_allowed", "GET /v1/repos")
    ctx.expect(
        "POST" in (resp.header("allow") or ""),
        "GET /v1/repos",
        "an Allow header naming POST",
        str(resp.header("allow")),
    )


@case("wire/1.errors.trailing-slash", "a trailing slash or an empty segment is 404", level=Level.HARDENING)
def trailing_slash(ctx: Context) -> None:
    member = Member.random()
    repo_id, _body, _key = ctx.create(member)
    token = ctx.token(member)
    body = {"repoId": repo_id, "knownPayloadVersion": 0}
    ctx.expect_error(
        ctx.request("POST", ctx.repo_path(repo_id, "pull") + "/", body, token=token),
        404,
        "not_found",
        "pull/",
    )
    ctx.expect_error(
        ctx.request("POST", "/v1/repos//pull", body, token=token), 404, "not_found", "empty repo segment"
    )


@case(
    "wire/1.errors.order-of-checks",
    "faults are answered in the contract's order: 401 before 400/404, 404 before 403, 403 before 400",
    level=Level.HARDENING,
)
def order_of_checks(ctx: Context) -> None:
    owner, stranger = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    unknown = new_repo_id()
    bad_push = {
        "repoId": repo_id,
        "expectedPayloadVersion": 1,
        "envelope": material.envelope(key, repo_id, 3, 0, []),  # skips a version: a 400 for a member
    }
    cases = (
        (
            "pull of an unknown repo without a token",
            ctx.repo_path(unknown, "pull"),
            {"repoId": unknown, "knownPayloadVersion": 0},
            None,
            401,
            "unauthorized",
        ),
        (
            "malformed body without a token",
            ctx.repo_path(repo_id, "pull"),
            b"{not json",
            None,
            401,
            "unauthorized",
        ),
        (
            "valid push to an unknown repo",
            ctx.repo_path(unknown, "push"),
            dict(bad_push, repoId=unknown),
            stranger,
            404,
            "not_found",
        ),
        ("faulty push by a non-member", ctx.repo_path(repo_id, "push"), bad_push, stranger, 403, "forbidden"),
    )
    for step, path, body, who, status, code in cases:
        token = ctx.token(who) if who is not None else None
        ctx.expect_error(ctx.request("POST", path, body, token=token), status, code, step)


#: bodies no route accepts; each must get a 4xx with a code, never a 5xx
GARBAGE_BODIES: tuple[bytes, ...] = (
    b"",
    b"null",
    b"[]",
    b'{"repoId":',
    b"\x00\xff\xfe garbage",
    b'{"repoId": 1e999999, "knownPayloadVersion": -0.0}',
    b'{"manifest": {"members": [null]}, "initialEnvelope": []}',
    b'"' + b"\\u0000" * 64 + b'"',
)


@case(
    "wire/1.errors.no-5xx-for-garbage",
    "garbage bodies on every POST route get no 5xx and change nothing (with error codes: a 4xx and a code)",
    level=Level.SPEC,
)
def no_5xx(ctx: Context) -> None:
    member = Member.random()
    repo_id, _body, _key = ctx.create(member)
    token = ctx.token(member)
    routes = [
        "/api/auth/keypair/challenge",
        "/api/auth/keypair/token",
        "/v1/repos",
        "/v1/key-binding",
        *(ctx.repo_path(repo_id, action) for action in ("pull", "push", "add-member", "remove-member")),
    ]
    for route in routes:
        for raw in GARBAGE_BODIES:
            resp = ctx.request("POST", route, raw, token=token)
            data = resp.json()
            code = data.get("code") if isinstance(data, dict) else None
            # AVP 0.4 itself only forbids the 5xx (and any write); rejecting each garbage body is
            # our strict decoding (wire/3.strict.*), demanded here of servers with error codes
            strict = "error-codes" in ctx.extensions
            ctx.expect(
                (400 <= resp.status < 500 and isinstance(code, str)) if strict else resp.status < 500,
                f"POST {route} with {raw[:24]!r}",
                "a 4xx with a code" if strict else "not a 5xx",
                f"{resp.status} {resp.body[:120]!r}",
            )
    ctx.expect_unchanged(member, repo_id, 1, 0, "garbage requests")


CASES: list[Case[Context]] = [
    discovery,
    jwks,
    unknown_route,
    wrong_method,
    trailing_slash,
    order_of_checks,
    no_5xx,
]
