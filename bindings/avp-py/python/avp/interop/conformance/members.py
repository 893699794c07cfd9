"""§5/§6 membership: addMember, fetchMemberKey, removeMember with rotation, key-binding issuance."""

from __future__ import annotations

import os
from typing import Any

from avp import crypto
from avp.interop import material
from avp.interop.conformance.context import Context
from avp.interop.material import Member, b64, unb64, unb64url
from avp.interop.model import Case, Level, case

#: a low-order X25519 point (order 1 after clamping gives an all-zero shared secret)
LOW_ORDER_X25519 = bytes(32)


def _remove_body(
    repo_id: str, removed: Member, remaining: list[Member], version: int, epoch: int, key: bytes
) -> dict[str, Any]:
    return {
        "repoId": repo_id,
        "removedMemberId": removed.id,
        "rotatedEnvelope": material.envelope(key, repo_id, version, epoch, [material.alt("rotated")]),
        "rewrappedMembers": [material.member_entry(m, key, epoch) for m in remaining],
        "newKeyEpoch": epoch,
    }


def _remove(ctx: Context, actor: Member, repo_id: str, body: dict[str, Any]) -> Any:
    return ctx.request("POST", ctx.repo_path(repo_id, "remove-member"), body, token=ctx.token(actor))


@case(
    "spec/6.add.ok",
    "addMember adds the entry, keeps the payload version, and the joiner can pull and unwrap",
    level=Level.SPEC,
)
def add_ok(ctx: Context) -> None:
    owner, bob = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    manifest = ctx.add(owner, repo_id, bob, key)
    ids = [m.get("ed25519PublicKey") for m in manifest.get("members", [])]
    ctx.expect(ids == [owner.id, bob.id], "addMember", "members [owner, bob]", ids)
    ctx.expect(manifest.get("payloadVersion") == 1, "addMember", "payloadVersion unchanged (1)", manifest)
    served = ctx.manifest(bob, repo_id)
    ctx.expect(material.data_key_of(bob, served) == key, "bob unwraps", "the data key", "another key")


@case(
    "spec/6.add.idempotent",
    "adding the same member with the same keys again is 200 and changes nothing",
    level=Level.SPEC,
)
def add_idempotent(ctx: Context) -> None:
    owner, bob = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    first = ctx.add(owner, repo_id, bob, key)
    second = ctx.add(owner, repo_id, bob, key)
    ctx.expect(
        len(second.get("members", [])) == 2, "second addMember", "still two members", second.get("members")
    )
    ctx.expect(
        second.get("payloadVersion") == first.get("payloadVersion"),
        "second addMember",
        "same version",
        second,
    )


@case(
    "spec/6.add.duplicate-member",
    "adding a present member id with another X25519 key is 409 duplicate_member",
    level=Level.HARDENING,
)
def add_duplicate(ctx: Context) -> None:
    owner, bob = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.add(owner, repo_id, bob, key)
    impostor = Member(bob.seed, os.urandom(32))
    ctx.expect_error(
        ctx.post_add_member(owner, repo_id, material.member_entry(impostor, key, 0)),
        409,
        "duplicate_member",
        "re-add bob, new key",
    )
    served = ctx.manifest(owner, repo_id)
    keys = [
        m.get("x25519PublicKey") for m in served.get("members", []) if m.get("ed25519PublicKey") == bob.id
    ]
    ctx.expect(keys == [bob.x25519_b64], "after the conflict", "bob's original X25519 key", keys)


@case(
    "spec/6.add.wrong-epoch",
    "addMember with member.keyEpoch != the current epoch is 400",
    level=Level.HARDENING,
)
def add_wrong_epoch(ctx: Context) -> None:
    owner, bob = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.expect_error(
        ctx.post_add_member(owner, repo_id, material.member_entry(bob, key, 1)),
        400,
        "bad_request",
        "keyEpoch 1 at epoch 0",
    )


@case(
    "spec/6.add.not-member",
    "addMember by a non-member is 403; on an unknown repository 404",
    level=Level.SPEC,
)
def add_not_member(ctx: Context) -> None:
    owner, stranger, bob = Member.random(), Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.expect_error(
        ctx.post_add_member(stranger, repo_id, material.member_entry(bob, key, 0)),
        403,
        "forbidden",
        "add by a stranger",
    )
    ctx.expect_error(
        ctx.post_add_member(owner, repo_id + "-none", material.member_entry(bob, key, 0)),
        404,
        "not_found",
        "unknown repo",
    )


@case(
    "spec/6.member.fetch",
    "fetchMemberKey with a percent-encoded member id (+ / =) returns the entry",
    level=Level.SPEC,
)
def fetch_member(ctx: Context) -> None:
    owner = Member.random()
    bob = Member.random()
    while not any(c in bob.id for c in "+/"):
        bob = Member.random()  # make sure the id needs escaping
    repo_id, _body, key = ctx.create(owner)
    ctx.add(owner, repo_id, bob, key)
    data = ctx.expect_ok(
        ctx.request("GET", ctx.member_path(repo_id, bob.id), token=ctx.token(owner)), "fetchMemberKey"
    )
    ctx.expect(
        data.get("ed25519PublicKey") == bob.id and data.get("x25519PublicKey") == bob.x25519_b64,
        "fetchMemberKey",
        "bob's entry",
        data,
    )


@case(
    "spec/6.member.fetch-errors",
    "fetchMemberKey: unknown member 404, non-member caller 403",
    level=Level.SPEC,
)
def fetch_errors(ctx: Context) -> None:
    owner, stranger = Member.random(), Member.random()
    repo_id, _body, _key = ctx.create(owner)
    token = ctx.token(owner)
    ctx.expect_error(
        ctx.request("GET", ctx.member_path(repo_id, stranger.id), token=token),
        404,
        "not_found",
        "unknown member",
    )
    resp = ctx.request("GET", ctx.member_path(repo_id, owner.id), token=ctx.token(stranger))
    ctx.expect_error(resp, 403, "forbidden", "fetch by a stranger")


@case(
    "spec/6.member.malformed-id",
    "fetchMemberKey with a member id that is not a 32-byte key is 400, not a lookup",
    level=Level.HARDENING,
)
def fetch_malformed_id(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, _key = ctx.create(owner)
    ctx.expect_error(
        ctx.request("GET", ctx.member_path(repo_id, b64(bytes(31))), token=ctx.token(owner)),
        400,
        "bad_request",
        "31-byte id",
    )


@case(
    "spec/6.remove.ok",
    "removeMember rotates atomically: member gone, epoch+1, version+1, removed member 403",
    level=Level.SPEC,
)
def remove_ok(ctx: Context) -> None:
    owner, bob, carol = Member.random(), Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.add(owner, repo_id, bob, key)
    ctx.add(owner, repo_id, carol, key)
    new_key = os.urandom(32)
    data = ctx.expect_ok(
        _remove(ctx, owner, repo_id, _remove_body(repo_id, carol, [owner, bob], 2, 1, new_key)),
        "removeMember",
    )
    ids = [m.get("ed25519PublicKey") for m in data.get("members", [])]
    ctx.expect(ids == [owner.id, bob.id], "removeMember", "members [owner, bob]", ids)
    ctx.expect(
        (data.get("payloadVersion"), data.get("keyEpoch")) == (2, 1),
        "removeMember",
        "version 2, epoch 1",
        data,
    )
    ctx.expect_error(ctx.pull(carol, repo_id), 403, "forbidden", "carol pulls after removal")
    pulled = ctx.expect_ok(ctx.pull(bob, repo_id), "bob pulls")
    bob_key = material.data_key_of(bob, pulled["manifest"])
    ctx.expect(bob_key == new_key, "bob unwraps", "the new data key", "another key")
    ctx.expect(
        material.open_envelope(bob_key, pulled["envelope"])["alts"][0]["username"] == "rotated",
        "bob decrypts",
        "the rotated payload",
        "other",
    )


@case("spec/6.remove.self", "a member may remove itself", level=Level.SPEC)
def remove_self(ctx: Context) -> None:
    owner, bob = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.add(owner, repo_id, bob, key)
    ctx.expect_ok(
        _remove(ctx, bob, repo_id, _remove_body(repo_id, bob, [owner], 2, 1, os.urandom(32))),
        "bob removes himself",
    )
    ctx.expect_error(ctx.pull(bob, repo_id), 403, "forbidden", "bob pulls after leaving")


@case(
    "spec/6.remove.stale",
    "a removal computed against a stale payload version is 409 version_conflict",
    level=Level.HARDENING,
)
def remove_stale(ctx: Context) -> None:
    owner, bob = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.add(owner, repo_id, bob, key)
    push = {
        "repoId": repo_id,
        "expectedPayloadVersion": 1,
        "envelope": material.envelope(key, repo_id, 2, 0, [material.alt("newer")]),
    }
    ctx.expect_ok(
        ctx.request("POST", ctx.repo_path(repo_id, "push"), push, token=ctx.token(owner)), "push v2"
    )
    stale = _remove_body(repo_id, bob, [owner], 2, 1, os.urandom(32))
    ctx.expect_error(
        _remove(ctx, owner, repo_id, stale), 409, "version_conflict", "removal at version 2 (current 2)"
    )
    ctx.expect_unchanged(owner, repo_id, 2, 0, "stale removal")


@case(
    "spec/6.remove.invalid",
    "removeMember that skips a version, keeps the epoch, or does not keep the roster exactly is 400",
    level=Level.HARDENING,
    security=(
        "a removal that does not drop the member or raise the epoch leaves the removed member able "
        "to read later versions"
    ),
)
def remove_invalid(ctx: Context) -> None:
    owner, bob, carol = Member.random(), Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.add(owner, repo_id, bob, key)
    ctx.add(owner, repo_id, carol, key)
    new_key = os.urandom(32)
    substituted = Member(bob.seed, os.urandom(32))
    cases = {
        "rotatedEnvelope version current+2": _remove_body(repo_id, carol, [owner, bob], 3, 1, new_key),
        "epoch not raised": _remove_body(repo_id, carol, [owner, bob], 2, 0, new_key),
        "a remaining member dropped": _remove_body(repo_id, carol, [owner], 2, 1, new_key),
        "the removed member kept": _remove_body(repo_id, carol, [owner, bob, carol], 2, 1, new_key),
        "a member's X25519 key changed": _remove_body(repo_id, carol, [owner, substituted], 2, 1, new_key),
        "a duplicate member": _remove_body(repo_id, carol, [owner, bob, bob], 2, 1, new_key),
        "an entry at the old epoch": _remove_body(repo_id, carol, [owner, bob], 2, 1, new_key),
    }
    cases["an entry at the old epoch"]["rewrappedMembers"][1]["keyEpoch"] = 0
    mismatch = _remove_body(repo_id, carol, [owner, bob], 2, 1, new_key)
    mismatch["newKeyEpoch"] = 2
    cases["newKeyEpoch != envelope keyEpoch"] = mismatch
    for step, body in cases.items():
        ctx.expect_error(_remove(ctx, owner, repo_id, body), 400, "bad_request", step)
    ctx.expect_unchanged(owner, repo_id, 1, 0, "rejected removals")


@case(
    "spec/6.remove.last-member",
    "removing the last member (empty roster) is 400; an unknown member is 404",
    level=Level.HARDENING,
    security="an emptied roster leaves a repository nobody can rotate or recover",
)
def remove_last(ctx: Context) -> None:
    owner, stranger = Member.random(), Member.random()
    repo_id, _body, _key = ctx.create(owner)
    ctx.expect_error(
        _remove(ctx, owner, repo_id, _remove_body(repo_id, owner, [], 2, 1, os.urandom(32))),
        400,
        "bad_request",
        "empty roster",
    )
    ctx.expect_error(
        _remove(ctx, owner, repo_id, _remove_body(repo_id, stranger, [owner], 2, 1, os.urandom(32))),
        404,
        "not_found",
        "unknown member",
    )
    ctx.expect_unchanged(owner, repo_id, 1, 0, "rejected removals")


def _jwks_key(ctx: Context) -> bytes:
    jwks = ctx.expect_ok(ctx.request("GET", "/.well-known/jwks.json"), "jwks")
    x = str(jwks["keys"][0].get("x", ""))
    return unb64url(x)


@case(
    "wire/9.key-binding.issue",
    "POST /v1/key-binding signs ed25519B64|x25519B64 with the JWKS key",
    level=Level.EXTENSION,
    needs=("key-binding", "jwks"),
)
def key_binding(ctx: Context) -> None:
    member = Member.random()
    resp = ctx.request(
        "POST", "/v1/key-binding", {"x25519PublicKey": member.x25519_b64}, token=ctx.token(member)
    )
    data = ctx.expect_ok(resp, "key binding")
    ctx.expect(
        data.get("ed25519PublicKey") == member.id and data.get("x25519PublicKey") == member.x25519_b64,
        "key binding",
        "the caller's keys echoed",
        data,
    )
    sig = unb64(str(data.get("keyBindingSig")))
    message = crypto.key_binding_message(member.id, member.x25519_b64)
    ctx.expect(
        crypto.ed25519_verify(_jwks_key(ctx), message, sig),
        "key binding",
        "a signature valid under the JWKS key",
        "invalid",
    )


@case(
    "wire/9.key-binding.errors",
    "key binding: no token 401, a low-order X25519 key 400",
    level=Level.EXTENSION,
    needs=("key-binding",),
)
def key_binding_errors(ctx: Context) -> None:
    member = Member.random()
    ctx.expect_error(
        ctx.request("POST", "/v1/key-binding", {"x25519PublicKey": member.x25519_b64}),
        401,
        "unauthorized",
        "no token",
    )
    resp = ctx.request(
        "POST", "/v1/key-binding", {"x25519PublicKey": b64(LOW_ORDER_X25519)}, token=ctx.token(member)
    )
    ctx.expect_error(resp, 400, "bad_request", "low-order X25519 key")


CASES: list[Case[Context]] = [
    add_ok,
    add_idempotent,
    add_duplicate,
    add_wrong_epoch,
    add_not_member,
    fetch_member,
    fetch_errors,
    fetch_malformed_id,
    remove_ok,
    remove_self,
    remove_stale,
    remove_invalid,
    remove_last,
    key_binding,
    key_binding_errors,
]
