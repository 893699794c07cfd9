"""§5/§6 repositories: createRepo, pull, push, path ids, manifest passthrough, zero-knowledge."""

from __future__ import annotations

import json
import os
from typing import Any

from avp.interop import material
from avp.interop.conformance.context import Context, new_repo_id
from avp.interop.material import Member, b64
from avp.interop.model import Case, Level, case
from avp.interop.rawhttp import quote_segment


def _push(ctx: Context, member: Member, repo_id: str, body: dict[str, Any]) -> Any:
    return ctx.request("POST", ctx.repo_path(repo_id, "push"), body, token=ctx.token(member))


def _push_body(
    key: bytes, repo_id: str, expected: int, version: int, epoch: int, **extra: Any
) -> dict[str, Any]:
    body = {
        "repoId": repo_id,
        "expectedPayloadVersion": expected,
        "envelope": material.envelope(key, repo_id, version, epoch, [material.alt(f"v{version}")]),
    }
    body.update(extra)
    return body


@case(
    "wire/5.create.ok",
    "createRepo answers the manifest as sent; pull returns it with the initial envelope",
    level=Level.SPEC,
)
def create_ok(ctx: Context) -> None:
    owner = Member.random()
    repo_id, body, _key = ctx.create(owner)
    data = ctx.expect_ok(ctx.pull(owner, repo_id), "pull")
    ctx.expect(
        data.get("manifest") == body["manifest"], "pull", "the manifest as created", data.get("manifest")
    )
    ctx.expect(
        data.get("envelope") == body["initialEnvelope"], "pull", "the initial envelope", data.get("envelope")
    )


@case("wire/5.create.duplicate", "createRepo with an existing repoId is 409 duplicate_repo", level=Level.SPEC)
def create_duplicate(ctx: Context) -> None:
    owner = Member.random()
    repo_id, body, _key = ctx.create(owner)
    resp = ctx.request("POST", "/v1/repos", material.new_repo(owner, repo_id)[0], token=ctx.token(owner))
    ctx.expect_error(resp, 409, "duplicate_repo", "second createRepo")
    ctx.expect(
        ctx.manifest(owner, repo_id) == body["manifest"],
        "after the duplicate",
        "the first manifest",
        "changed",
    )


@case(
    "wire/5.create.not-caller",
    "createRepo whose sole member is not the caller (or two members) is 403 forbidden",
    level=Level.SPEC,
)
def create_not_caller(ctx: Context) -> None:
    caller, other = Member.random(), Member.random()
    body, key = material.new_repo(other, new_repo_id())
    ctx.expect_error(
        ctx.request("POST", "/v1/repos", body, token=ctx.token(caller)),
        403,
        "forbidden",
        "sole member is another key",
    )
    body, key = material.new_repo(caller, new_repo_id())
    body["manifest"]["members"].append(material.member_entry(other, key, 0))
    ctx.expect_error(
        ctx.request("POST", "/v1/repos", body, token=ctx.token(caller)), 403, "forbidden", "two members"
    )


@case(
    "wire/5.create.initial-counters",
    "a new repository starts at payloadVersion 1, keyEpoch 0, and the envelope agrees",
    level=Level.HARDENING,
)
def create_counters(ctx: Context) -> None:
    owner = Member.random()
    token = ctx.token(owner)
    for step, manifest_changes, envelope_changes in (
        ("manifest payloadVersion 2", {"payloadVersion": 2}, {}),
        ("manifest keyEpoch 1", {"keyEpoch": 1}, {}),
        ("envelope payloadVersion 2", {}, {"payloadVersion": 2}),
        ("envelope for another repoId", {}, {"repoId": "someone-else"}),
    ):
        body, _key = material.new_repo(owner, new_repo_id())
        body["manifest"].update(manifest_changes)
        body["initialEnvelope"].update(envelope_changes)
        ctx.expect_error(ctx.request("POST", "/v1/repos", body, token=token), 400, "bad_request", step)


@case(
    "wire/5.manifest.passthrough",
    "shareRefreshTokens (true/false/absent) and unknown manifest fields are kept verbatim",
    level=Level.SPEC,
)
def passthrough(ctx: Context) -> None:
    owner, joiner = Member.random(), Member.random()
    for share in (True, False, None):
        extra = {"x-vendor": {"note": "kept", "n": [1, 2]}}
        repo_id, _body, key = ctx.create(owner, share=share, extra=extra)
        ctx.add(owner, repo_id, joiner, key)
        ctx.expect_ok(_push(ctx, owner, repo_id, _push_body(key, repo_id, 1, 2, 0)), "push")
        manifest = ctx.manifest(owner, repo_id)
        label = f"shareRefreshTokens={share}"
        if share is None:
            ctx.expect("shareRefreshTokens" not in manifest, label, "the field still absent", manifest)
        else:
            ctx.expect(
                manifest.get("shareRefreshTokens") is share, label, f"shareRefreshTokens: {share}", manifest
            )
        ctx.expect(
            manifest.get("x-vendor") == extra["x-vendor"], label, "the unknown field unchanged", manifest
        )


@case(
    "spec/6.pull.unchanged",
    "pull at the current version: {unchanged: true}, no envelope; at 0: the envelope",
    level=Level.SPEC,
)
def pull_unchanged(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, _key = ctx.create(owner)
    data = ctx.expect_ok(ctx.pull(owner, repo_id, known=1), "pull known=1")
    ctx.expect(data.get("unchanged") is True, "pull known=1", "unchanged: true", data)
    ctx.expect(data.get("envelope") is None, "pull known=1", "no envelope (absent or null)", data)
    data = ctx.expect_ok(ctx.pull(owner, repo_id, known=0), "pull known=0")
    ctx.expect(data.get("unchanged") is False, "pull known=0", "unchanged: false", data)


@case("spec/6.pull.unknown-repo", "pull of an unknown repository is 404 not_found", level=Level.SPEC)
def pull_unknown(ctx: Context) -> None:
    ctx.expect_error(ctx.pull(Member.random(), new_repo_id()), 404, "not_found", "pull")


@case("spec/6.pull.not-member", "pull by an authenticated non-member is 403 forbidden", level=Level.SPEC)
def pull_not_member(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, _key = ctx.create(owner)
    ctx.expect_error(ctx.pull(Member.random(), repo_id), 403, "forbidden", "pull by a stranger")


@case(
    "spec/6.path.body-mismatch", "a body repoId different from the path repoId is 400", level=Level.HARDENING
)
def path_mismatch(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, _key = ctx.create(owner)
    resp = ctx.request(
        "POST",
        ctx.repo_path(repo_id, "pull"),
        {"repoId": repo_id + "x", "knownPayloadVersion": 0},
        token=ctx.token(owner),
    )
    ctx.expect_error(resp, 400, "bad_request", "pull with another body repoId")


@case(
    "spec/6.path.percent-encoded",
    "percent-encoded repo ids (+ / = % space, non-ASCII) round-trip; '+' is not a space",
    level=Level.SPEC,
)
def percent_encoded(ctx: Context) -> None:
    owner = Member.random()
    token = ctx.token(owner)
    suffix = os.urandom(4).hex()
    plus_id = f"a+b-{suffix}"
    ctx.create(owner, plus_id)
    for repo_id in (f"x+/=%?#&; é-{suffix}", f"ü/{suffix}/=="):
        ctx.create(owner, repo_id)
        ctx.expect_ok(ctx.pull(owner, repo_id), f"pull {repo_id!r} (percent-encoded path)")
    raw_plus = f"/v1/repos/{plus_id}/pull"
    body = {"repoId": plus_id, "knownPayloadVersion": 0}
    ctx.expect_ok(ctx.request("POST", raw_plus, body, token=token), "pull with a literal '+' in the path")
    space_id = plus_id.replace("+", " ")
    resp = ctx.request(
        "POST", f"/v1/repos/{quote_segment(space_id)}/pull", dict(body, repoId=space_id), token=token
    )
    ctx.expect_error(resp, 404, "not_found", "the same id with a space instead of '+'")


@case(
    "spec/6.path.bad-escape",
    "an invalid percent escape or invalid UTF-8 in a path segment is 400",
    level=Level.HARDENING,
)
def bad_escape(ctx: Context) -> None:
    owner = Member.random()
    token = ctx.token(owner)
    for step, segment in (
        ("escape %ZZ", "a%ZZb"),
        ("invalid UTF-8 %FF", "a%FFb"),
        ("truncated escape", "ab%4"),
    ):
        resp = ctx.request(
            "POST", f"/v1/repos/{segment}/pull", {"repoId": "ab", "knownPayloadVersion": 0}, token=token
        )
        ctx.expect_error(resp, 400, "bad_request", step)


@case(
    "spec/6.push.accept", "push at the current version with envelope version+1 is accepted", level=Level.SPEC
)
def push_accept(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, key = ctx.create(owner)
    data = ctx.expect_ok(_push(ctx, owner, repo_id, _push_body(key, repo_id, 1, 2, 0)), "push")
    want = {"accepted": True, "conflict": False, "payloadVersion": 2, "keyEpoch": 0}
    ctx.expect({k: data.get(k) for k in want} == want, "push", json.dumps(want), data)
    manifest = ctx.manifest(owner, repo_id)
    ctx.expect(manifest.get("payloadVersion") == 2, "pull after push", "payloadVersion 2", manifest)


@case(
    "spec/6.push.conflict",
    "a stale push is 200 {accepted: false, conflict: true, current counters}, nothing written",
    level=Level.SPEC,
)
def push_conflict(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.expect_ok(_push(ctx, owner, repo_id, _push_body(key, repo_id, 1, 2, 0)), "first push")
    data = ctx.expect_ok(_push(ctx, owner, repo_id, _push_body(key, repo_id, 1, 2, 0)), "stale push")
    want = {"accepted": False, "conflict": True, "payloadVersion": 2, "keyEpoch": 0}
    ctx.expect({k: data.get(k) for k in want} == want, "stale push", json.dumps(want), data)
    ctx.expect_unchanged(owner, repo_id, 2, 0, "stale push")


@case(
    "spec/6.push.bad-counters",
    "push whose envelope is not version+1, lowers or changes the epoch, or names another repo is 400",
    level=Level.HARDENING,
    security=(
        "a server that takes counters from the client lets a writer roll a repository back to an "
        "older version or epoch"
    ),
)
def push_bad_counters(ctx: Context) -> None:
    owner = Member.random()
    repo_id, _body, key = ctx.create(owner)
    for step, body in (
        ("envelope version expected+2", _push_body(key, repo_id, 1, 3, 0)),
        ("envelope version == expected", _push_body(key, repo_id, 1, 1, 0)),
        ("epoch raised without rotatedMembers", _push_body(key, repo_id, 1, 2, 1)),
    ):
        ctx.expect_error(_push(ctx, owner, repo_id, body), 400, "bad_request", step)
    other = _push_body(key, repo_id, 1, 2, 0)
    other["envelope"] = material.envelope(key, "another-repo", 2, 0, [])
    ctx.expect_error(_push(ctx, owner, repo_id, other), 400, "bad_request", "envelope for another repoId")
    ctx.expect_unchanged(owner, repo_id, 1, 0, "rejected pushes")


@case(
    "spec/6.push.rotated-members",
    "rotatedMembers: [] or a roster that drops a member without a new epoch is 400",
    level=Level.HARDENING,
    security="a roster emptied or shrunk without a new epoch keeps removed members able to read what follows",
)
def push_rotated(ctx: Context) -> None:
    owner, bob = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.add(owner, repo_id, bob, key)
    ctx.expect_error(
        _push(ctx, owner, repo_id, _push_body(key, repo_id, 1, 2, 0, rotatedMembers=[])),
        400,
        "bad_request",
        "rotatedMembers: []",
    )
    only_owner = [material.member_entry(owner, key, 0)]
    ctx.expect_error(
        _push(ctx, owner, repo_id, _push_body(key, repo_id, 1, 2, 0, rotatedMembers=only_owner)),
        400,
        "bad_request",
        "drop bob without raising the epoch",
    )
    new_key = os.urandom(32)
    without_caller = [material.member_entry(bob, new_key, 1)]
    ctx.expect_error(
        _push(ctx, owner, repo_id, _push_body(new_key, repo_id, 1, 2, 1, rotatedMembers=without_caller)),
        400,
        "bad_request",
        "a roster without the caller",
    )
    for step, roster in (
        (
            "a duplicate member id",
            [material.member_entry(owner, new_key, 1), material.member_entry(owner, new_key, 1)],
        ),
        ("an entry at another epoch", [material.member_entry(owner, new_key, 0)]),
    ):
        ctx.expect_error(
            _push(ctx, owner, repo_id, _push_body(new_key, repo_id, 1, 2, 1, rotatedMembers=roster)),
            400,
            "bad_request",
            step,
        )
    ctx.expect_unchanged(owner, repo_id, 1, 0, "rejected pushes")
    rotated = [material.member_entry(owner, new_key, 1)]
    data = ctx.expect_ok(
        _push(ctx, owner, repo_id, _push_body(new_key, repo_id, 1, 2, 1, rotatedMembers=rotated)),
        "rotation push",
    )
    ctx.expect(
        data.get("accepted") is True and data.get("keyEpoch") == 1,
        "rotation push",
        "accepted at epoch 1",
        data,
    )
    ctx.expect_error(ctx.pull(bob, repo_id), 403, "forbidden", "bob after the rotation")


@case("spec/6.push.not-member", "push by a non-member is 403 forbidden and changes nothing", level=Level.SPEC)
def push_not_member(ctx: Context) -> None:
    owner, stranger = Member.random(), Member.random()
    repo_id, _body, key = ctx.create(owner)
    ctx.expect_error(
        _push(ctx, stranger, repo_id, _push_body(key, repo_id, 1, 2, 0)), 403, "forbidden", "push"
    )
    ctx.expect_unchanged(owner, repo_id, 1, 0, "push by a stranger")


@case(
    "spec/10.zero-knowledge.spot-check",
    "nothing the server returns holds a plaintext alt field or a data key",
    level=Level.SPEC,
)
def zero_knowledge(ctx: Context) -> None:
    owner, bob = Member.random(), Member.random()
    marker = "zk-marker-" + os.urandom(8).hex()
    repo_id, _body, key = ctx.create(owner, alts=[material.alt(marker, refreshToken=marker + "-rt")])
    ctx.add(owner, repo_id, bob, key)
    ctx.expect_ok(_push(ctx, owner, repo_id, _push_body(key, repo_id, 1, 2, 0)), "push")
    answers = [ctx.pull(owner, repo_id).body, ctx.pull(bob, repo_id).body]
    answers.append(ctx.request("GET", ctx.member_path(repo_id, bob.id), token=ctx.token(owner)).body)
    needles = [marker.encode(), key, b64(key).encode(), key.hex().encode()]
    for answer in answers:
        for needle in needles:
            ctx.expect(
                needle not in answer, "server answers", "no plaintext marker and no data key", "found one"
            )


CASES: list[Case[Context]] = [
    create_ok,
    create_duplicate,
    create_not_caller,
    create_counters,
    passthrough,
    pull_unchanged,
    pull_unknown,
    pull_not_member,
    path_mismatch,
    percent_encoded,
    bad_escape,
    push_accept,
    push_conflict,
    push_bad_counters,
    push_rotated,
    push_not_member,
    zero_knowledge,
]
