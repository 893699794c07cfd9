"""Discovery, JWKS, routing: 404 / 405 / path shapes (wire contract §2, §7)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from .api import Api, error_code


def test_discovery_document(api: Api) -> None:
    r = api.call("GET", "/.well-known/avp")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["profiles"] == ["http-json"]
    assert doc["avpVersion"] == "0.4"
    base = doc["issuerJwksUrl"].removesuffix("/.well-known/jwks.json")
    assert base != doc["issuerJwksUrl"] and base.startswith(("http://", "https://"))
    assert doc["keyBindingUrl"] == base + "/v1/key-binding"
    limits = doc["limits"]
    for name in (
        "maxBodyBytes",
        "maxReposPerMember",
        "maxMembersPerRepo",
        "nonceTtlSeconds",
        "tokenTtlSeconds",
    ):
        assert type(limits[name]) is int and limits[name] > 0, name
    assert {"name", "language", "version"} <= set(doc["implementation"])


def test_discovery_base_follows_host_header(api: Api, server_url: str) -> None:
    doc = api.call("GET", "/.well-known/avp").json()
    if doc["issuerJwksUrl"] != server_url + "/.well-known/jwks.json":
        pytest.skip("the server has a configured public URL (its base does not follow Host)")
    r = api.call("GET", "/.well-known/avp", headers={"Host": "vault.example:4443"})
    assert r.json()["issuerJwksUrl"] == "http://vault.example:4443/.well-known/jwks.json"


def test_jwks_is_one_ed25519_key_with_its_rfc7638_thumbprint(api: Api) -> None:
    r = api.call("GET", "/.well-known/jwks.json")
    assert r.status_code == 200
    (key,) = r.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    raw = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
    assert len(raw) == 32 and "=" not in key["x"]
    # RFC 7638 computed here, independently: required members, lexicographic order, no spaces.
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": key["x"]}, separators=(",", ":"), sort_keys=True
    )
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    assert key["kid"] == expected


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("POST", "/v1/repo"),
        ("POST", "/v1/repos/"),  # trailing slash
        ("POST", "/v1/repos//pull"),  # empty segment
        ("POST", "/v1/repos/r/pull/"),
        ("POST", "/v1/repos/r/fetch"),
        ("GET", "/v1/repos/r/member"),
        ("GET", "/.well-known/avp/"),
        ("POST", "/api/auth/keypair"),
    ],
)
def test_unknown_route_is_404(api: Api, method: str, path: str) -> None:
    assert error_code(api.call(method, path, b"{}")) == (404, "not_found")


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("GET", "/api/auth/keypair/challenge", "POST"),
        ("PUT", "/api/auth/keypair/token", "POST"),
        ("GET", "/v1/repos", "POST"),
        ("GET", "/v1/repos/r/pull", "POST"),
        ("DELETE", "/v1/repos/r/push", "POST"),
        ("POST", "/v1/repos/r/member/m", "GET"),
        ("POST", "/.well-known/avp", "GET"),
        ("POST", "/.well-known/jwks.json", "GET"),
        ("GET", "/v1/key-binding", "POST"),
    ],
)
def test_wrong_method_is_405_with_allow(api: Api, method: str, path: str, allow: str) -> None:
    # No token and no body: the method check comes before both (order of checks, steps 2-6).
    r = api.call(method, path)
    assert error_code(r) == (405, "method_not_allowed")
    assert r.headers["allow"] == allow


def test_query_string_does_not_change_the_route(api: Api) -> None:
    assert api.call("GET", "/.well-known/avp?x=1").status_code == 200
