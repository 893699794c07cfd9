"""The full repository lifecycle with two and three members, each actor on its assigned client."""

from __future__ import annotations

from avp.interop.material import alt
from avp.interop.model import Case, Level, case
from avp.interop.scenarios.context import Context, usernames


def _removed_cannot_read(ctx: Context, removed: str, reader: str, repo_id: str) -> None:
    """The removed member gets 403, and its old data key does not open the new epoch's envelope."""
    ctx.call_error(
        removed,
        "pull",
        {"forbidden"},
        status=403,
        step=f"{removed}.pull after removal",
        server=ctx.server,
        repoId=repo_id,
    )
    envelope = ctx.raw_pull(reader, repo_id)["envelope"]
    ctx.call_error(
        removed,
        "open_envelope",
        {"invalid_tag"},
        step=f"{removed}.open_envelope (new epoch, old key)",
        repoId=repo_id,
        envelope=envelope,
    )


@case(
    "spec/6.lifecycle.two-members",
    "create → pull → push → add → other decrypts → conflict → remove → 403 + old key fails",
    level=Level.SPEC,
    vector_identities=True,
)
def two_members(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.repo_id("life2")
    created = ctx.call("alice", "create_repo", server=s, repoId=repo, alts=[alt("a1")])
    ctx.expect(
        (created.get("payloadVersion"), created.get("keyEpoch")) == (1, 0),
        "alice.create_repo",
        "version 1, epoch 0",
        created,
    )
    first = ctx.call("alice", "pull", server=s, repoId=repo)
    ctx.expect(
        first.get("payloadVersion") == 1 and usernames(first.get("alts")) == ["a1"],
        "alice.pull",
        "v1 with [a1]",
        first,
    )
    pushed = ctx.call("alice", "push", server=s, repoId=repo, alts=[alt("a1"), alt("a2")])
    ctx.expect(
        pushed.get("accepted") is True and pushed.get("payloadVersion") == 2,
        "alice.push",
        "accepted at v2",
        pushed,
    )
    again = ctx.call("alice", "pull", server=s, repoId=repo)
    ctx.expect(again.get("unchanged") is True, "alice.pull (no change since)", "unchanged: true", again)
    added = ctx.call("alice", "add_member", server=s, repoId=repo, inviteToken=ctx.invite("bob"))
    ctx.expect(
        ctx.member("bob").id in added.get("members", []), "alice.add_member", "bob in the roster", added
    )
    seen = ctx.call("bob", "pull", server=s, repoId=repo)
    ctx.expect(
        usernames(seen.get("alts")) == ["a1", "a2"], "bob.pull (decrypts alice's data key)", "[a1, a2]", seen
    )
    entry = ctx.call("bob", "fetch_member", server=s, repoId=repo, memberId=ctx.member("alice").id)
    ctx.expect(
        entry.get("x25519PublicKey") == ctx.member("alice").x25519_b64,
        "bob.fetch_member alice",
        "alice's X25519 key",
        entry,
    )
    ctx.call("alice", "push", server=s, repoId=repo, alts=[alt("a1"), alt("a2"), alt("a3")])
    stale = ctx.call("bob", "push", server=s, repoId=repo, alts=[alt("b-stale")])
    ctx.expect(
        stale.get("conflict") is True and stale.get("accepted") is False and stale.get("payloadVersion") == 3,
        "bob.push at a stale version",
        "conflict at current version 3",
        stale,
    )
    updated = ctx.call("bob", "update", server=s, repoId=repo, addAlts=[alt("b1")])
    ctx.expect(updated.get("payloadVersion") == 4, "bob.update (pull, append, push)", "v4", updated)
    now = ctx.call("alice", "pull", server=s, repoId=repo)
    ctx.expect(usernames(now.get("alts")) == ["a1", "a2", "a3", "b1"], "alice.pull", "[a1, a2, a3, b1]", now)
    removed = ctx.call("alice", "remove_member", server=s, repoId=repo, memberId=ctx.member("bob").id)
    ctx.expect(
        (removed.get("payloadVersion"), removed.get("keyEpoch"), removed.get("members"))
        == (5, 1, [ctx.member("alice").id]),
        "alice.remove_member bob",
        "v5, epoch 1, [alice]",
        removed,
    )
    _removed_cannot_read(ctx, "bob", "alice", repo)
    final = ctx.call("alice", "pull", server=s, repoId=repo)
    ctx.expect(
        final.get("keyEpoch") == 1 and usernames(final.get("alts")) == ["a1", "a2", "a3", "b1"],
        "alice.pull after rotation",
        "epoch 1 with every alt",
        final,
    )


@case(
    "spec/6.lifecycle.three-members",
    "three members on mixed clients; bob removes carol; alice and bob read the new epoch",
    level=Level.SPEC,
    actors=3,
    vector_identities=True,
)
def three_members(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.shared_repo("life3", [alt("a1")])
    ctx.call("bob", "pull", server=s, repoId=repo)
    added = ctx.call("bob", "add_member", server=s, repoId=repo, inviteToken=ctx.invite("carol"))
    ctx.expect(len(added.get("members", [])) == 3, "bob.add_member carol", "three members", added)
    ctx.call("carol", "update", server=s, repoId=repo, addAlts=[alt("c1")])
    seen = ctx.call("alice", "pull", server=s, repoId=repo)
    ctx.expect(usernames(seen.get("alts")) == ["a1", "c1"], "alice.pull", "[a1, c1] (carol's write)", seen)
    removed = ctx.call("bob", "remove_member", server=s, repoId=repo, memberId=ctx.member("carol").id)
    ctx.expect(
        removed.get("keyEpoch") == 1 and len(removed.get("members", [])) == 2,
        "bob.remove_member carol",
        "epoch 1, two members",
        removed,
    )
    _removed_cannot_read(ctx, "carol", "bob", repo)
    for slot in ("alice", "bob"):
        snap = ctx.call(slot, "pull", server=s, repoId=repo)
        ctx.expect(
            snap.get("keyEpoch") == 1 and usernames(snap.get("alts")) == ["a1", "c1"],
            f"{slot}.pull after rotation",
            "epoch 1 with [a1, c1]",
            snap,
        )
    ctx.call("alice", "update", server=s, repoId=repo, addAlts=[alt("a2")])
    final = ctx.call("bob", "pull", server=s, repoId=repo)
    ctx.expect(usernames(final.get("alts")) == ["a1", "a2", "c1"], "bob.pull", "[a1, a2, c1]", final)


CASES: list[Case[Context]] = [
    two_members,
    three_members,
]
