"""Challenge/token login and bearer tokens (wire contract §4)."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any, Callable

import pytest
from avp.crypto import ed25519_generate, ed25519_sign
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .api import Api, Member, b64, error_code


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt(seed: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    head = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    return head + "." + b64url(ed25519_sign(seed, head.encode()))


def vault_status(api: Api, token: str) -> tuple[int, Any]:
    """Status of an authenticated request that is otherwise fine (a create of a fresh repo)."""
    return error_code(api.call("POST", "/v1/repos", b'{"manifest": 1}', token=token))


# --- challenge -------------------------------------------------------------------------------------
def test_challenge_gives_fresh_self_authenticating_nonces(api: Api) -> None:
    """Wire contract §4: version 1, issuedAt (ms), 32 random bytes, a 32-byte tag."""
    member = Member.new()
    before = int(time.time() * 1000)
    first, second = api.nonce(member), api.nonce(member)
    after = int(time.time() * 1000)
    assert len(first) == 73 and len(second) == 73 and first != second
    assert first[0] == 1
    assert before - 5000 <= int.from_bytes(first[1:9], "big") <= after + 5000


@pytest.mark.parametrize("where", [0, 1, 20, 41, 72], ids=["version", "issued", "random", "tag", "tag-end"])
def test_tampered_nonce_is_401(api: Api, where: int) -> None:
    member = Member.new()
    nonce = bytearray(api.nonce(member))
    nonce[where] ^= 0x01
    assert error_code(api.token_response(member, bytes(nonce))) == (401, "unauthorized")


def test_truncated_or_extended_nonce_is_401(api: Api) -> None:
    member = Member.new()
    nonce = api.nonce(member)
    assert error_code(api.token_response(member, nonce[:-1])) == (401, "unauthorized")
    assert error_code(api.token_response(member, nonce + b"\0")) == (401, "unauthorized")


def test_challenge_accepts_any_32_bytes(api: Api) -> None:
    r = api.post("/api/auth/keypair/challenge", {"ed25519PublicKey": b64(bytes(32))})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b"",
        b"[]",
        b"null",
        b"not json",
        b'{"ed25519PublicKey": null}',
        b'{"ed25519PublicKey": 5}',
        b'{"ed25519PublicKey": "AAAA"}',
        b'{"ed25519PublicKey": "' + b64(bytes(33)).encode() + b'"}',
        b'{"ed25519PublicKey": "' + b64(bytes(32)).encode() + b'", "extra": 1}',
        b'{"ed25519PublicKey": "' + b64(bytes(32)).replace("=", "").encode() + b'"}',
        b'{"ed25519PublicKey": "' + b64(bytes(32)).encode() + b'", "ed25519PublicKey": "x"}',
    ],
    ids=lambda b: b[:40].decode(errors="replace"),
)
def test_malformed_challenge_is_400(api: Api, body: bytes) -> None:
    assert error_code(api.post("/api/auth/keypair/challenge", body)) == (400, "bad_request")


# --- token -----------------------------------------------------------------------------------------
def test_token_is_an_eddsa_jwt_for_this_server(api: Api, limits: dict[str, Any]) -> None:
    member = Member.new()
    r = api.token_response(member, api.nonce(member))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token", "expiresAt"}
    head, payload, sig = body["token"].split(".")
    header, claims = json.loads(unb64url(head)), json.loads(unb64url(payload))
    (key,) = api.call("GET", "/.well-known/jwks.json").json()["keys"]
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": key["kid"]}
    assert claims["iss"] == claims["aud"] and isinstance(claims["aud"], str)
    assert claims["sub"] == "key:" + member.id and claims["kind"] == "keypair"
    assert claims["exp"] - claims["iat"] == limits["tokenTtlSeconds"]
    assert body["expiresAt"] == claims["exp"] * 1000
    assert isinstance(claims["jti"], str) and claims["jti"]
    # Verified with pyca/cryptography (independent of the server's Ed25519) against the JWKS key.
    Ed25519PublicKey.from_public_bytes(unb64url(key["x"])).verify(unb64url(sig), f"{head}.{payload}".encode())


def test_nonce_is_single_use(api: Api) -> None:
    member = Member.new()
    nonce = api.nonce(member)
    assert api.token_response(member, nonce).status_code == 200
    assert error_code(api.token_response(member, nonce)) == (401, "unauthorized")


def test_unknown_nonce_is_401(api: Api) -> None:
    member = Member.new()
    assert error_code(api.token_response(member, os.urandom(32))) == (401, "unauthorized")


def test_nonce_of_another_key_is_401_and_not_burned(api: Api) -> None:
    alice, mallory = Member.new(), Member.new()
    nonce = api.nonce(alice)
    assert error_code(api.token_response(mallory, nonce)) == (401, "unauthorized")
    assert api.token_response(alice, nonce).status_code == 200


def test_bad_signature_is_401_and_does_not_burn_the_nonce(api: Api) -> None:
    member = Member.new()
    nonce = api.nonce(member)
    forged = bytearray(ed25519_sign(member.seed, nonce))
    forged[5] ^= 1
    assert error_code(api.token_response(member, nonce, bytes(forged))) == (401, "unauthorized")
    other_seed, _ = ed25519_generate()
    assert error_code(api.token_response(member, nonce, ed25519_sign(other_seed, nonce))) == (
        401,
        "unauthorized",
    )
    assert api.token_response(member, nonce).status_code == 200


def test_signing_the_base64_text_instead_of_the_raw_nonce_is_401(api: Api) -> None:
    member = Member.new()
    nonce = api.nonce(member)
    wrong = ed25519_sign(member.seed, b64(nonce).encode())
    assert error_code(api.token_response(member, nonce, wrong)) == (401, "unauthorized")


def test_small_order_universal_signature_is_401(api: Api) -> None:
    """The trap of stock verifiers: A = 01 00..00 with R = A, S = 0 "verifies" every message."""
    identity = bytes([1]) + bytes(31)
    member = Member(seed=b"", public=identity, x_private=b"", x_public=b"")
    nonce = api.nonce(member)
    assert error_code(api.token_response(member, nonce, identity + bytes(32))) == (401, "unauthorized")


def test_non_canonical_s_is_401(api: Api) -> None:
    """S + L (same point equation, S >= L) must be rejected: malleated signatures are not accepted."""
    order = 2**252 + 27742317777372353535851937790883648493
    member = Member.new()
    nonce = api.nonce(member)
    sig = ed25519_sign(member.seed, nonce)
    s = int.from_bytes(sig[32:], "little") + order
    assert s < 2**256
    malleated = sig[:32] + s.to_bytes(32, "little")
    assert error_code(api.token_response(member, nonce, malleated)) == (401, "unauthorized")
    assert api.token_response(member, nonce).status_code == 200


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: {k: v for k, v in b.items() if k != "signature"},
        lambda b: {**b, "nonce": b64(os.urandom(16))},
        lambda b: {**b, "signature": b64(os.urandom(63))},
        lambda b: {**b, "signature": b["signature"].rstrip("=")},
        lambda b: {**b, "ed25519PublicKey": b64(os.urandom(31))},
        lambda b: {**b, "extra": True},
    ],
    ids=["missing", "short-nonce", "short-sig", "unpadded", "short-key", "unknown-field"],
)
def test_malformed_token_request_is_400(api: Api, mutate: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    member = Member.new()
    nonce = api.nonce(member)
    body = {
        "ed25519PublicKey": member.id,
        "nonce": b64(nonce),
        "signature": b64(ed25519_sign(member.seed, nonce)),
    }
    assert error_code(api.post("/api/auth/keypair/token", mutate(body))) == (400, "bad_request")
    # A malformed request changes nothing: the nonce is still good.
    assert api.token_response(member, nonce).status_code == 200


# --- bearer tokens ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer a.b.c", "Bearer x", "Token abc.def"]
)
def test_bad_authorization_header_is_401(api: Api, header: str) -> None:
    r = api.call("POST", "/v1/repos", b"{}", headers={"Authorization": header} if header else None)
    assert error_code(r) == (401, "unauthorized")


def test_token_signed_by_another_key_is_401(api: Api) -> None:
    member = Member.new()
    genuine = api.login(member)
    header = json.loads(unb64url(genuine.split(".")[0]))
    claims = json.loads(unb64url(genuine.split(".")[1]))
    seed, _ = ed25519_generate()
    assert vault_status(api, jwt(seed, header, claims)) == (401, "unauthorized")
    assert vault_status(api, genuine) == (400, "bad_request")


def test_tampered_token_is_401(api: Api) -> None:
    member, other = Member.new(), Member.new()
    head, payload, sig = api.login(member).split(".")
    claims = json.loads(unb64url(payload))
    claims["sub"] = "key:" + other.id
    assert vault_status(api, f"{head}.{b64url(json.dumps(claims).encode())}.{sig}") == (401, "unauthorized")
    none_header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    assert vault_status(api, f"{none_header}.{payload}.") == (401, "unauthorized")
    assert vault_status(api, f"{head}.{payload}.{sig[:-4]}") == (401, "unauthorized")


# --- internals: expiry and other servers ------------------------------------------------------------
@pytest.mark.internal
def test_token_of_another_server_is_401(start_server: Callable[..., Any], api: Api) -> None:
    other = start_server(db="memory:")
    member = Member.new()
    with Api(other.url) as other_api:
        foreign = other_api.login(member)
    assert vault_status(api, foreign) == (401, "unauthorized")


@pytest.mark.internal
def test_expired_wrong_audience_and_wrong_kind_tokens_are_401(
    start_server: Callable[..., Any], workdir: Any
) -> None:
    """With a configured signing key the test can mint tokens the server would have minted."""
    seed = os.urandom(32)
    key_file = workdir / "issuer.key"
    key_file.write_text(b64(seed))
    server = start_server(db="memory:", args=("--signing-key-file", str(key_file)))
    with Api(server.url) as api:
        member = Member.new()
        header, claims = [json.loads(unb64url(p)) for p in api.login(member).split(".")[:2]]
        now = int(time.time())
        assert vault_status(api, jwt(seed, header, {**claims, "jti": "mine"})) == (400, "bad_request")
        assert vault_status(api, jwt(seed, header, {**claims, "exp": now - 1})) == (401, "unauthorized")
        assert vault_status(api, jwt(seed, header, {**claims, "aud": "elsewhere"})) == (401, "unauthorized")
        assert vault_status(api, jwt(seed, header, {**claims, "kind": "session"})) == (401, "unauthorized")
        assert vault_status(api, jwt(seed, header, {**claims, "exp": str(now + 60)})) == (401, "unauthorized")


@pytest.mark.internal
def test_expired_nonce_is_401(start_server: Callable[..., Any]) -> None:
    server = start_server(db="memory:", env={"AVP_NONCE_TTL_SECONDS": "1"})
    with Api(server.url) as api:
        member = Member.new()
        nonce = api.nonce(member)
        time.sleep(1.2)
        assert error_code(api.token_response(member, nonce)) == (401, "unauthorized")


@pytest.mark.internal
def test_nonce_tag_matches_an_independent_hmac_of_the_documented_layout(
    start_server: Callable[..., Any], tmp_path: Any
) -> None:
    """The nonce key is HKDF-SHA256(issuer seed, info "avp/challenge-nonce-key/v1"); the tag is
    HMAC-SHA256 over the domain, the key and the first 41 bytes (checked with `cryptography`)."""
    from cryptography.hazmat.primitives import hashes, hmac
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    seed = os.urandom(32)
    key_file = tmp_path / "issuer.key"
    key_file.write_text(base64.b64encode(seed).decode())
    server = start_server(db="memory:", args=("--signing-key-file", str(key_file)))
    key = HKDF(hashes.SHA256(), 32, salt=None, info=b"avp/challenge-nonce-key/v1").derive(seed)
    with Api(server.url) as api:
        member = Member.new()
        nonce = api.nonce(member)
        mac = hmac.HMAC(key, hashes.SHA256())
        mac.update(b"avp/challenge-nonce/v1\x00" + base64.b64decode(member.id) + nonce[:41])
        assert nonce[41:] == mac.finalize()
        assert api.token_response(member, nonce).status_code == 200
