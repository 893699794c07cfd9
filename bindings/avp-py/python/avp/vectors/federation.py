"""federation.json: join-handshake tokens, decode oracles and ``avp://`` addresses (SPEC §8)."""

from __future__ import annotations

import json
from typing import Any

from avp.vectors import core
from avp.vectors.fixed_identities import actor
from avp.vectors.published import PUBLISHED

UUID = "3b1f9c64-0b2a-4f1e-9c3d-1a2b3c4d5e6f"


def b64url(text: str) -> str:
    return core.b64url(text.encode())


def _token(name: str, schema: str, decoded: dict[str, Any]) -> dict[str, Any]:
    if schema == "InviteRequest":
        token, direction = core.encode_invite(decoded), "joiner -> inviter"
        assert core.decode_invite(token) == decoded
    else:
        token, direction = core.encode_locator(decoded), "inviter -> joiner"
        assert core.decode_locator(token) == decoded
    canonical = core.unb64url(token).decode()
    return {
        "name": name,
        "schema": schema,
        "direction": direction,
        "decoded": decoded,
        "canonicalJson": canonical,
        "base64url": token,
    }


def tokens() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [dict(c) for c in PUBLISHED["federation"]["tokens"]]
    for c in cases:
        rebuilt = _token(c["name"], c["schema"], c["decoded"])
        assert all(rebuilt[k] == c[k] for k in rebuilt), c["name"]
    alice = actor("alice")
    cases += [
        _token(
            "invite-request/alice",
            "InviteRequest",
            {"v": 1, "ed25519PublicKey": alice.member_id, "x25519PublicKey": alice.x25519_b64},
        ),
        _token("repo-locator/ipv6-host", "RepoLocator", {"v": 1, "host": "[::1]:8787", "repoId": UUID}),
        _token(
            "repo-locator/non-ascii-repo-id",
            "RepoLocator",
            {"v": 1, "host": "vault.example", "repoId": "co\u00f6p-\U0001f510"},
        ),
        _token(
            "repo-locator/epoch-only",
            "RepoLocator",
            {"v": 1, "host": "vault.example", "repoId": UUID, "keyEpoch": 0},
        ),
        _token(
            "repo-locator/epoch-max",
            "RepoLocator",
            {
                "v": 1,
                "host": "vault.example",
                "repoId": UUID,
                "schemeId": core.SCHEME_ID,
                "keyEpoch": 2**53 - 1,
            },
        ),
    ]
    return cases


def _oracle(name: str, schema: str, note: str, json_text: str, decoded: dict[str, Any]) -> dict[str, Any]:
    token = b64url(json_text)
    decode = core.decode_invite if schema == "InviteRequest" else core.decode_locator
    assert decode(token) == decoded, name
    return {
        "name": name,
        "schema": schema,
        "note": note,
        "json": json_text,
        "base64url": token,
        "decoded": decoded,
    }


def decode_oracles() -> list[dict[str, Any]]:
    """Tokens an encoder would not write but a decoder must accept (any order, whitespace)."""
    alice = actor("alice")
    invite = {"v": 1, "ed25519PublicKey": alice.member_id, "x25519PublicKey": alice.x25519_b64}
    locator = {"v": 1, "host": "vault.example", "repoId": UUID, "keyEpoch": 3}
    return [
        _oracle(
            "invite/reordered",
            "InviteRequest",
            "members in reverse order",
            json.dumps(dict(reversed(invite.items())), separators=(",", ":")),
            invite,
        ),
        _oracle(
            "invite/whitespace",
            "InviteRequest",
            "pretty-printed with newlines and indentation",
            json.dumps(invite, indent=2),
            invite,
        ),
        _oracle(
            "locator/reordered-spaced",
            "RepoLocator",
            "reordered members and spaces after separators",
            json.dumps(dict(reversed(locator.items()))),
            locator,
        ),
        _oracle(
            "locator/unknown-member",
            "RepoLocator",
            "an unknown member is ignored (forward compatibility)",
            json.dumps({**locator, "future": {"x": [1]}}, separators=(",", ":")),
            locator,
        ),
    ]


def _uri(name: str, uri: str, host: str, repo_id: str) -> dict[str, Any]:
    assert core.parse_address(uri) == (host, repo_id), name
    assert core.format_address(host, repo_id) == uri, name
    return {"name": name, "uri": uri, "host": host, "repoId": repo_id}


def uris() -> list[dict[str, Any]]:
    cases = [_uri(c["name"], c["uri"], c["host"], c["repoId"]) for c in PUBLISHED["federation"]["uris"]]
    cases += [
        _uri("ipv6-host", f"avp://[::1]:8787/{UUID}", "[::1]:8787", UUID),
        _uri("repo-id-with-slash", "avp://vault.example/team/alts", "vault.example", "team/alts"),
        _uri("localhost-port", "avp://127.0.0.1:8787/r", "127.0.0.1:8787", "r"),
    ]
    return cases
