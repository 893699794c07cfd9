"""§3 strict decoding: every malformed body is 400 bad_request and changes nothing."""

from __future__ import annotations

import json
import os
from typing import Any

from avp.interop import material
from avp.interop.conformance.context import Context, new_repo_id
from avp.interop.material import Member, b64
from avp.interop.model import Case, Level, case

MAX_SAFE = 2**53 - 1


class _Repo:
    """A fresh repository at version 1 / epoch 0 and a valid push body for it."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.owner = Member.random()
        self.repo_id, _body, self.key = ctx.create(self.owner)
        self.token = ctx.token(self.owner)

    def push_body(self) -> dict[str, Any]:
        return {
            "repoId": self.repo_id,
            "expectedPayloadVersion": 1,
            "envelope": material.envelope(self.key, self.repo_id, 2, 0, [material.alt("x")]),
        }

    def send(self, route: str, raw: bytes | str | dict[str, Any]) -> Any:
        return self.ctx.request("POST", self.ctx.repo_path(self.repo_id, route), raw, token=self.token)

    def rejects(self, route: str, raw: bytes | str | dict[str, Any], step: str) -> None:
        self.ctx.expect_error(self.send(route, raw), 400, "bad_request", step)

    def unchanged(self, step: str) -> None:
        self.ctx.expect_unchanged(self.owner, self.repo_id, 1, 0, step)


def non_canonical(data: bytes) -> str:
    """Base64 of ``data`` (length 2 mod 3) with a padding bit set: lenient decoders accept it."""
    text = b64(data)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = text.rstrip("=")
    return last[:-1] + alphabet[alphabet.index(last[-1]) | 1] + "=" * (len(text) - len(last))


def _push_with(repo: _Repo, **envelope_changes: Any) -> dict[str, Any]:
    """A valid push body whose envelope has the given fields replaced (or added)."""
    body = repo.push_body()
    body["envelope"].update(envelope_changes)
    return body


@case(
    "wire/3.strict.not-json",
    "invalid JSON, a BOM, invalid UTF-8, a top-level array or NaN are 400",
    level=Level.HARDENING,
)
def not_json(ctx: Context) -> None:
    repo = _Repo(ctx)
    good = json.dumps(repo.push_body())
    for step, raw in (
        ("truncated JSON", good[:-1].encode()),
        ("UTF-8 BOM", b"\xef\xbb\xbf" + good.encode()),
        ("invalid UTF-8", good.encode().replace(b'"repoId": "', b'"repoId": "\xff', 1)),
        ("top-level array", b"[" + good.encode() + b"]"),
        ("NaN", good.replace('"expectedPayloadVersion": 1', '"expectedPayloadVersion": NaN').encode()),
        (
            "Infinity",
            good.replace('"expectedPayloadVersion": 1', '"expectedPayloadVersion": Infinity').encode(),
        ),
    ):
        repo.rejects("push", raw, step)
    repo.unchanged("after the rejected pushes")


@case(
    "wire/3.strict.duplicate-keys",
    "a duplicate JSON key at any depth is 400",
    level=Level.HARDENING,
    security=(
        "two parsers can read different values from one body with a repeated key (a parser differential)"
    ),
)
def duplicate_keys(ctx: Context) -> None:
    repo = _Repo(ctx)
    good = json.dumps(repo.push_body())
    top = good.replace(
        '"expectedPayloadVersion": 1', '"expectedPayloadVersion": 1, "expectedPayloadVersion": 1', 1
    )
    nested = good.replace('"keyEpoch": 0', '"keyEpoch": 0, "keyEpoch": 0', 1)
    repo.rejects("push", top.encode(), "duplicate top-level key")
    repo.rejects("push", nested.encode(), "duplicate key in the envelope")
    repo.unchanged("after the rejected pushes")


@case(
    "wire/3.strict.unknown-field",
    "an unknown field in a closed object (request, envelope) is 400",
    level=Level.HARDENING,
)
def unknown_field(ctx: Context) -> None:
    repo = _Repo(ctx)
    repo.rejects(
        "pull", {"repoId": repo.repo_id, "knownPayloadVersion": 0, "extra": 1}, "pull with an extra field"
    )
    repo.rejects(
        "push",
        _push_with(repo, extra=True),
        "envelope with an extra field",
    )
    repo.unchanged("after the rejected push")


@case(
    "wire/3.strict.counters",
    "counters must be JSON integers in [0, 2^53-1]: 1.0, 1e0, -1, 2^53, '1', true are 400",
    level=Level.HARDENING,
)
def counters(ctx: Context) -> None:
    repo = _Repo(ctx)
    good = json.dumps({"repoId": repo.repo_id, "knownPayloadVersion": 0})
    for literal in ("1.0", "1e0", "-1", str(MAX_SAFE + 1), '"1"', "true", "null"):
        repo.rejects(
            "pull", good.replace(": 0}", f": {literal}}}").encode(), f"knownPayloadVersion {literal}"
        )
    data = ctx.expect_ok(
        repo.send("pull", good.replace(": 0}", f": {MAX_SAFE}}}")), "knownPayloadVersion 2^53-1"
    )
    ctx.expect(data.get("unchanged") is False, "knownPayloadVersion 2^53-1", "unchanged: false", data)
    repo.rejects(
        "push",
        _push_with(repo, payloadVersion=2.0),
        "envelope payloadVersion 2.0",
    )
    repo.unchanged("after the rejected push")


@case(
    "wire/3.strict.base64",
    "base64 fields are strict: padding, trailing bits, url-safe, whitespace, lengths",
    level=Level.HARDENING,
)
def strict_base64(ctx: Context) -> None:
    repo = _Repo(ctx)
    iv = b64(os.urandom(12))  # 16 characters, no padding
    cases = {
        "iv with whitespace": iv[:8] + " " + iv[8:],
        "iv with url-safe characters": "-_" + iv[2:],
        "iv of 11 bytes": b64(os.urandom(11)),
        "iv without padding rules (extra =)": iv + "==",
    }
    for step, value in cases.items():
        repo.rejects("push", _push_with(repo, iv=value), step)
    repo.rejects(
        "push",
        _push_with(repo, ciphertext=b64(os.urandom(15))),
        "ciphertext under 16 bytes",
    )
    repo.rejects(
        "push",
        _push_with(repo, ciphertext=non_canonical(os.urandom(32))),
        "ciphertext with trailing bits set",
    )
    repo.unchanged("after the rejected pushes")


@case(
    "wire/3.strict.key-lengths",
    "a member with a 31-byte X25519 key or a 47-byte wrapped key is 400",
    level=Level.HARDENING,
)
def key_lengths(ctx: Context) -> None:
    repo = _Repo(ctx)
    joiner = Member.random()
    entry = material.member_entry(joiner, repo.key, 0)
    short = dict(entry, x25519PublicKey=b64(os.urandom(31)))
    repo.rejects("add-member", {"repoId": repo.repo_id, "member": short}, "31-byte x25519PublicKey")
    wrapped = dict(entry["wrappedDataKey"], ciphertext=b64(os.urandom(47)))
    repo.rejects(
        "add-member",
        {"repoId": repo.repo_id, "member": dict(entry, wrappedDataKey=wrapped)},
        "47-byte wrapped key",
    )
    manifest = ctx.manifest(repo.owner, repo.repo_id)
    ctx.expect(
        len(manifest.get("members", [])) == 1,
        "after the rejected adds",
        "one member",
        manifest.get("members"),
    )


@case(
    "wire/3.strict.scheme-id",
    "a schemeId other than X25519-HKDF-SHA256-AESGCM-v1 is 400",
    level=Level.HARDENING,
)
def scheme_id(ctx: Context) -> None:
    owner = Member.random()
    repo_id = new_repo_id()
    body, _key = material.new_repo(owner, repo_id)
    body["manifest"]["schemeId"] = "X25519-HKDF-SHA256-AESGCM-v2"
    ctx.expect_error(
        ctx.request("POST", "/v1/repos", body, token=ctx.token(owner)),
        400,
        "bad_request",
        "manifest schemeId v2",
    )
    body, _key = material.new_repo(owner, repo_id)
    body["manifest"]["members"][0]["wrappedDataKey"]["schemeId"] = "none"
    ctx.expect_error(
        ctx.request("POST", "/v1/repos", body, token=ctx.token(owner)),
        400,
        "bad_request",
        "wrapped key schemeId",
    )
    ctx.expect_error(ctx.pull(owner, repo_id), 404, "not_found", "the repo was not created")


@case("wire/3.strict.nesting", "JSON nested deeper than 32 levels is 400", level=Level.HARDENING)
def nesting(ctx: Context) -> None:
    repo = _Repo(ctx)
    deep = (
        '{"repoId": '
        + json.dumps(repo.repo_id)
        + ', "knownPayloadVersion": 0, "x": '
        + "[" * 40
        + "]" * 40
        + "}"
    )
    repo.rejects("pull", deep.encode(), "40 nested arrays")


@case(
    "wire/3.strict.types",
    "wrong JSON types are 400: a string counter, 0/1 for a boolean, null for a required field",
    level=Level.HARDENING,
)
def types(ctx: Context) -> None:
    owner = Member.random()
    token = ctx.token(owner)
    changes: list[tuple[str, dict[str, Any]]] = [
        ("shareRefreshTokens: 1", {"shareRefreshTokens": 1}),
        ("shareRefreshTokens: 'true'", {"shareRefreshTokens": "true"}),
        ("keyEpoch: null", {"keyEpoch": None}),
        ("members: {}", {"members": {}}),
    ]
    for step, change in changes:
        repo_id = new_repo_id()
        body, _key = material.new_repo(owner, repo_id)
        body["manifest"].update(change)
        ctx.expect_error(ctx.request("POST", "/v1/repos", body, token=token), 400, "bad_request", step)


@case(
    "wire/3.strict.repo-id",
    "a repoId that is empty, '.', '..', has a control character or 256 characters is 400",
    level=Level.HARDENING,
)
def repo_ids(ctx: Context) -> None:
    owner = Member.random()
    token = ctx.token(owner)
    for step, repo_id in (
        ("empty repoId", ""),
        ("repoId '.'", "."),
        ("repoId '..'", ".."),
        ("repoId with U+0001", "a\x01b"),
        ("repoId with U+007F", "a\x7fb"),
        ("256-character repoId", "r" * 256),
    ):
        body, _key = material.new_repo(owner, repo_id)
        ctx.expect_error(ctx.request("POST", "/v1/repos", body, token=token), 400, "bad_request", step)
    ctx.create(owner, "r" * 240 + os.urandom(7).hex() + "-")  # 255 characters is allowed


CASES: list[Case[Context]] = [
    not_json,
    duplicate_keys,
    unknown_field,
    counters,
    strict_base64,
    key_lengths,
    scheme_id,
    nesting,
    types,
    repo_ids,
]
