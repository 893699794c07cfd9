"""Scenarios per protocol feature: error codes, auth, path ids, refresh tokens, federation, key
binding, concurrent writers and large payloads — each across the assigned client implementations."""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

from avp import crypto, federation
from avp.interop import material
from avp.interop.material import Member, alt, b64, unb64, unb64url
from avp.interop.model import Case, CaseSkipped, Level, case
from avp.interop.proxy import ExpireOnce, RejectTokens
from avp.interop.rawhttp import quote_segment
from avp.interop.scenarios.context import Context, usernames


@case(
    "spec/6.errors.client-codes",
    "each client surfaces the server's status and code: 404, 403, 409 duplicate_repo/member",
    level=Level.EXTENSION,
    needs=("error-codes",),
)
def client_codes(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.repo_id("codes")
    ctx.call_error(
        "alice", "pull", {"not_found"}, status=404, step="alice.pull unknown repo", server=s, repoId=repo
    )
    ctx.call("alice", "create_repo", server=s, repoId=repo, alts=[alt("a1")])
    ctx.call_error(
        "bob",
        "create_repo",
        {"duplicate_repo"},
        status=409,
        step="bob.create_repo same id",
        server=s,
        repoId=repo,
        alts=[],
    )
    ctx.call_error(
        "bob", "pull", {"forbidden"}, status=403, step="bob.pull as a non-member", server=s, repoId=repo
    )
    ctx.call("alice", "add_member", server=s, repoId=repo, inviteToken=ctx.invite("bob"))
    impostor = federation.encode_invite(ctx.member("bob").id, Member.random().x25519_b64)
    # the server answers 409 duplicate_member; a client that pinned bob's key may refuse first
    ctx.call_error(
        "alice",
        "add_member",
        {"duplicate_member", "key_changed"},
        step="alice.add_member bob with another key",
        server=s,
        repoId=repo,
        inviteToken=impostor,
    )
    stranger = Member.random().id
    ctx.call_error(
        "bob",
        "fetch_member",
        {"not_found"},
        step="bob.fetch_member unknown",
        server=s,
        repoId=repo,
        memberId=stranger,
    )
    ctx.call_error(
        "alice",
        "remove_member",
        {"not_found"},
        step="alice.remove_member unknown",
        server=s,
        repoId=repo,
        memberId=stranger,
    )


@case(
    "wire/4.auth.token-rejected",
    "a server that refuses every token: the client reports unauthorized (401) and stops",
    level=Level.SPEC,
    actors=1,
)
def token_rejected(ctx: Context) -> None:
    with ctx.proxy(RejectTokens()) as url:
        ctx.call_error("alice", "authenticate", {"unauthorized"}, status=401, server=url)
        ctx.call_error(
            "alice",
            "create_repo",
            {"unauthorized"},
            status=401,
            server=url,
            repoId=ctx.repo_id("auth"),
            alts=[],
        )


@case(
    "wire/4.auth.reauth-after-expiry",
    "a token rejected as expired: the client logs in again once and succeeds",
    level=Level.HARDENING,
    actors=1,
)
def reauth(ctx: Context) -> None:
    repo = ctx.repo_id("reauth")
    ctx.call("alice", "create_repo", server=ctx.server, repoId=repo, alts=[alt("a1")])
    mode = ExpireOnce()
    with ctx.proxy(mode) as url:
        ctx.call("alice", "authenticate", server=url)
        snap = ctx.call("alice", "pull", server=url, repoId=repo)
    ctx.expect(
        mode.fired and usernames(snap.get("alts")) == ["a1"],
        "alice.pull after a 401",
        "[a1] after logging in again",
        snap,
    )


def _member_with(ctx: Context, slot: str, chars: str) -> Member:
    """A derived identity whose member id contains every one of ``chars`` (so paths need escaping)."""
    n = 0
    while True:
        member = Member.derive(f"{ctx.member(slot).id}/{n}")
        if all(c in member.id for c in chars):
            return member
        n += 1


@case(
    "spec/6.path.percent-encoded-member-ids",
    "member ids with + / = are escaped in fetchMemberKey paths by every client",
    level=Level.SPEC,
)
def percent_member_ids(ctx: Context) -> None:
    s = ctx.server
    ctx.reidentify("alice", _member_with(ctx, "alice", "+/"))
    ctx.reidentify("bob", _member_with(ctx, "bob", "/+"))
    repo = ctx.shared_repo("pct", [alt("p1")])
    for slot, other in (("bob", "alice"), ("alice", "bob")):
        member_id = ctx.member(other).id
        entry = ctx.call(slot, "fetch_member", server=s, repoId=repo, memberId=member_id)
        ctx.expect(
            entry.get("ed25519PublicKey") == member_id,
            f"{slot}.fetch_member {member_id}",
            "that entry",
            entry,
        )


@case(
    "spec/6.path.unusual-repo-ids",
    "a repository id with + / = % & ~ and non-ASCII (valid on the wire, made by another client) is usable",
    level=Level.HARDENING,
)
def unusual_repo_ids(ctx: Context) -> None:
    s = ctx.server
    repo = f"pct+/=%25é&~-{os.urandom(4).hex()}"  # no space, ? or #: an avp:// address cannot carry them
    # made by the runner as alice (clients SHOULD keep to A-Za-z0-9-._~ when they create ids)
    body, key = material.new_repo(ctx.member("alice"), repo, [alt("p1")])
    ctx.raw_request("POST", "/v1/repos", body, "alice")
    entry = material.member_entry(ctx.member("bob"), key, 0)
    ctx.raw_request(
        "POST", f"/v1/repos/{quote_segment(repo)}/add-member", {"repoId": repo, "member": entry}, "alice"
    )
    for slot in ("alice", "bob"):
        seen = ctx.call(slot, "pull", server=s, repoId=repo)
        ctx.expect(usernames(seen.get("alts")) == ["p1"], f"{slot}.pull {repo!r}", "[p1]", seen)
    ctx.call("bob", "update", server=s, repoId=repo, addAlts=[alt("p2")])
    ctx.expect(usernames(ctx.stored_alts("alice", repo)) == ["p1", "p2"], "server state", "[p1, p2]", "other")


@case(
    "spec/5.1.refresh-tokens.shared",
    "shareRefreshTokens: true is kept by the server and honoured by the other client",
    level=Level.SPEC,
)
def refresh_shared(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.repo_id("rt-on")
    ctx.call(
        "alice",
        "create_repo",
        server=s,
        repoId=repo,
        shareRefreshTokens=True,
        alts=[alt("r1", refreshToken="rt-1", expiresAt=1900000000000)],
    )
    ctx.expect(
        ctx.raw_pull("alice", repo)["manifest"].get("shareRefreshTokens") is True,
        "server manifest",
        "shareRefreshTokens: true",
        "dropped or changed",
    )
    ctx.call("alice", "add_member", server=s, repoId=repo, inviteToken=ctx.invite("bob"))
    seen = ctx.call("bob", "pull", server=s, repoId=repo)
    alts = seen.get("alts") or [{}]
    ctx.expect(seen.get("shareRefreshTokens") is True, "bob.pull", "shareRefreshTokens: true", seen)
    ctx.expect(
        alts[0].get("refreshToken") == "rt-1" and alts[0].get("expiresAt") == 1900000000000,
        "bob.pull",
        "refreshToken and expiresAt kept",
        alts,
    )


@case(
    "spec/5.1.refresh-tokens.stripped",
    "policy off (absent or false): refreshToken/expiresAt stripped on encrypt and on decrypt",
    level=Level.SPEC,
)
def refresh_stripped(ctx: Context) -> None:
    s = ctx.server
    for share in (None, False):
        repo = ctx.repo_id("rt-off")
        args: dict[str, Any] = {} if share is None else {"shareRefreshTokens": share}
        ctx.call(
            "alice",
            "create_repo",
            server=s,
            repoId=repo,
            alts=[alt("r1", refreshToken="rt-1", expiresAt=1900000000000)],
            **args,
        )
        manifest = ctx.raw_pull("alice", repo)["manifest"]
        label = f"shareRefreshTokens {'absent' if share is None else 'false'}"
        ctx.expect(
            manifest.get("shareRefreshTokens") is share,
            f"server manifest ({label})",
            f"{share} kept as sent",
            manifest.get("shareRefreshTokens", "absent"),
        )
        stored = ctx.stored_alts("alice", repo)
        ctx.expect(
            all("refreshToken" not in a and not a.get("expiresAt") for a in stored),
            f"alice's ciphertext ({label})",
            "no refreshToken/expiresAt encrypted",
            stored,
        )
        ctx.call("alice", "add_member", server=s, repoId=repo, inviteToken=ctx.invite("bob"))
        seen = ctx.call("bob", "pull", server=s, repoId=repo)
        ctx.expect(
            all("refreshToken" not in a for a in seen.get("alts", [])),
            f"bob.pull ({label})",
            "no refreshToken",
            seen,
        )


@case(
    "spec/8.federation.locator-join",
    "invite and locator tokens made by one client are decoded by the runner and the other client",
    level=Level.SPEC,
)
def federation_join(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.repo_id("fed")
    bob = ctx.member("bob")
    invite = federation.decode_invite(ctx.invite("bob"))
    ctx.expect(
        (invite.ed25519_public_key, invite.x25519_public_key) == (bob.id, bob.x25519_b64),
        "decode bob's invite",
        "bob's two keys",
        str(invite),
    )
    created = ctx.call("alice", "create_repo", server=s, repoId=repo, alts=[alt("f1")])
    host = urllib.parse.urlsplit(s).netloc
    ctx.expect(
        created.get("address") == f"avp://{host}/{repo}",
        "alice.create_repo",
        f"address avp://{host}/{repo}",
        created,
    )
    ctx.call("alice", "add_member", server=s, repoId=repo, inviteToken=ctx.invite("bob"))
    locator = ctx.call("alice", "locator", server=s, repoId=repo)
    decoded = federation.decode_locator(str(locator.get("token")))
    ctx.expect(
        (decoded.host, decoded.repo_id) == (host, repo),
        "decode alice's locator",
        f"host {host}, repoId {repo}",
        str(decoded),
    )
    joined = ctx.call("bob", "join", locatorToken=locator["token"])
    ctx.expect(
        usernames(joined.get("alts")) == ["f1"] and joined.get("repoId") == repo,
        "bob.join",
        f"{repo} with [f1]",
        joined,
    )


@case(
    "spec/9.key-binding.cross-client",
    "a binding issued by the server verifies in each client; a forged or missing one is refused",
    level=Level.EXTENSION,
    needs=("key-binding", "jwks"),
)
def key_binding(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.repo_id("bind")
    binding = ctx.call("bob", "key_binding", server=s)
    jwks = ctx.http.request("GET", "/.well-known/jwks.json").json()
    x = str(jwks["keys"][0]["x"])
    issuer = unb64url(x)
    bob = ctx.member("bob")
    sig = str(binding.get("keyBindingSig"))
    ctx.expect(
        crypto.key_binding_verify(issuer, bob.id, bob.x25519_b64, unb64(sig)),
        "runner verifies bob's binding",
        "valid under the JWKS key",
        binding,
    )
    alice_binding = ctx.call("alice", "key_binding", server=s)
    ctx.call(
        "alice",
        "create_repo",
        server=s,
        repoId=repo,
        alts=[alt("k1")],
        keyBindingSig=alice_binding.get("keyBindingSig"),
        requireBinding=True,
    )
    forged = bytearray(unb64(sig))
    forged[0] ^= 0x80
    ctx.call_error(
        "alice",
        "add_member",
        {"binding_invalid"},
        step="alice.add_member with a forged binding",
        server=s,
        repoId=repo,
        inviteToken=ctx.invite("bob"),
        keyBindingSig=b64(bytes(forged)),
        requireBinding=True,
    )
    ctx.call_error(
        "alice",
        "add_member",
        {"binding_invalid"},
        step="alice.add_member without a binding",
        server=s,
        repoId=repo,
        inviteToken=ctx.invite("bob"),
        requireBinding=True,
    )
    ctx.call(
        "alice",
        "add_member",
        server=s,
        repoId=repo,
        inviteToken=ctx.invite("bob"),
        keyBindingSig=sig,
        requireBinding=True,
    )
    entry = ctx.call(
        "bob", "fetch_member", server=s, repoId=repo, memberId=ctx.member("alice").id, requireBinding=True
    )
    ctx.expect(
        entry.get("keyBindingSig") == alice_binding.get("keyBindingSig"),
        "bob.fetch_member alice",
        "alice's binding kept",
        entry,
    )
    seen = ctx.call("bob", "pull", server=s, repoId=repo, requireBinding=True)
    ctx.expect(usernames(seen.get("alts")) == ["k1"], "bob.pull", "[k1]", seen)


@case(
    "spec/6.push.concurrent-writers",
    "two clients update the same repository at once: no lost update",
    level=Level.SPEC,
)
def concurrent_writers(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.shared_repo("conc", [alt("seed")])
    rounds = 4
    for i in range(rounds):
        ctx.parallel(
            [
                ("alice", "update", {"server": s, "repoId": repo, "addAlts": [alt(f"a{i}")]}),
                ("bob", "update", {"server": s, "repoId": repo, "addAlts": [alt(f"b{i}")]}),
            ]
        )
    final = ctx.call("alice", "pull", server=s, repoId=repo)
    want = sorted(["seed", *(f"a{i}" for i in range(rounds)), *(f"b{i}" for i in range(rounds))])
    ctx.expect(
        usernames(final.get("alts")) == want,
        "alice.pull after the races",
        json.dumps(want),
        final.get("alts"),
    )
    ctx.expect(
        final.get("payloadVersion") == 1 + 2 * rounds, "alice.pull", f"payloadVersion {1 + 2 * rounds}", final
    )


@case(
    "wire/6.limits.large-payload",
    "a payload near maxBodyBytes round-trips between clients; one over it is too_large",
    level=Level.HARDENING,
)
def large_payload(ctx: Context) -> None:
    s = ctx.server
    limit = ctx.limit("maxBodyBytes", 2_097_152)
    repo = ctx.shared_repo("big", [alt("small")])
    ctx.call("alice", "pull", server=s, repoId=repo)
    filler = "t" * int(limit * 0.68)  # ~0.91 of the limit once encrypted and base64-encoded
    pushed = ctx.call(
        "alice", "push", server=s, repoId=repo, alts=[alt("big", accessToken=filler)], timeout=60
    )
    ctx.expect(pushed.get("accepted") is True, "alice.push near the limit", "accepted", pushed)
    seen = ctx.call("bob", "pull", server=s, repoId=repo, timeout=60)
    got = (seen.get("alts") or [{}])[0].get("accessToken", "")
    ctx.expect(
        got == filler,
        "bob.pull of the large payload",
        f"an accessToken of {len(filler)} characters",
        f"{len(got)} characters",
    )
    over = "t" * limit
    ctx.call_error(
        "alice",
        "push",
        {"too_large"},
        status=413,
        step="alice.push over the limit",
        server=s,
        repoId=repo,
        alts=[alt("huge", accessToken=over)],
        timeout=60,
    )
    ctx.expect(
        ctx.raw_pull("alice", repo)["manifest"].get("payloadVersion") == 2,
        "server after the oversize push",
        "still version 2",
        "changed",
    )


@case(
    "wire/6.limits.client-quota",
    "a full roster: the client surfaces 429 quota_exceeded and the roster is unchanged",
    level=Level.EXTENSION,
    needs=("quotas",),
    actors=1,
)
def client_quota(ctx: Context) -> None:
    s = ctx.server
    limit = ctx.limit("maxMembersPerRepo", 256)
    if limit > 64:
        raise CaseSkipped(f"maxMembersPerRepo is {limit}: above 64, not filled by a quick run")
    repo = ctx.repo_id("quota")
    ctx.call("alice", "create_repo", server=s, repoId=repo, alts=[alt("q1")])
    for _ in range(limit - 1):
        ctx.call("alice", "add_member", server=s, repoId=repo, inviteToken=Member.random().invite_token())
    ctx.call_error(
        "alice",
        "add_member",
        {"quota_exceeded"},
        status=429,
        step=f"alice.add_member number {limit + 1}",
        server=s,
        repoId=repo,
        inviteToken=Member.random().invite_token(),
    )
    members = ctx.raw_pull("alice", repo)["manifest"]["members"]
    ctx.expect(len(members) == limit, "server roster", f"{limit} members", f"{len(members)} members")


CASES: list[Case[Context]] = [
    client_codes,
    token_rejected,
    reauth,
    percent_member_ids,
    unusual_repo_ids,
    refresh_shared,
    refresh_stripped,
    federation_join,
    key_binding,
    concurrent_writers,
    large_payload,
    client_quota,
]
