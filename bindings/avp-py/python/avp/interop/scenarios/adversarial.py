"""Scenarios through the adversarial proxy: which defences each client has.

The proxy sits between the client and a real server and lies the way a malicious server would. A
client with the defence refuses with the matching code; one without it accepts the lie, and the
case shows it (a failure for a MUST, a warning for a SHOULD unless --strict).
"""

from __future__ import annotations

from typing import Any

from avp.interop.material import Member, alt
from avp.interop.model import Case, Level, case
from avp.interop.proxy import DropShareRefreshTokens, ReplayEnvelope, ReplayPull, SubstituteKey
from avp.interop.scenarios.context import Context, usernames


def _three_member_repo(ctx: Context, s: str, label: str, bind: bool) -> str:
    """alice creates at ``s``; bob and carol join (with server-issued key bindings when ``bind``)."""
    repo = ctx.repo_id(label)
    sigs = {
        slot: ctx.call(slot, "key_binding", server=s).get("keyBindingSig") if bind else None
        for slot in ("alice", "bob", "carol")
    }
    extra: dict[str, Any] = {"requireBinding": True} if bind else {}
    ctx.call(
        "alice", "create_repo", server=s, repoId=repo, alts=[alt("x1")], keyBindingSig=sigs["alice"], **extra
    )
    for slot in ("bob", "carol"):
        ctx.call(
            "alice",
            "add_member",
            server=s,
            repoId=repo,
            inviteToken=ctx.invite(slot),
            keyBindingSig=sigs[slot],
            **extra,
        )
    return repo


def _substitution(ctx: Context, bind: bool) -> None:
    attacker = Member.random()
    mode = SubstituteKey(ctx.member("bob").id, attacker.x25519_b64)
    extra: dict[str, Any] = {"requireBinding": True} if bind else {}
    # everything goes through the proxy: a client keys its pins by address, and the proxy's
    # address differs from the server's
    with ctx.proxy(mode) as url:
        repo = _three_member_repo(ctx, url, "subst", bind)
        mode.armed = True
        # removing carol re-wraps the new data key to every remaining member *as served*
        try:
            ctx.call_error(
                "alice",
                "remove_member",
                {"binding_invalid", "key_changed"},
                step="alice.remove_member carol while bob's X25519 key is substituted",
                server=url,
                repoId=repo,
                memberId=ctx.member("carol").id,
                **extra,
            )
        finally:
            ctx.expect(mode.swapped, "proxy", "bob's key substituted in what alice read", "never substituted")
    ctx.details["dataKeyWrappedToAttacker"] = mode.leaked
    ctx.expect(
        not mode.leaked,
        "proxy",
        "no data key wrapped to the substituted key",
        "the client wrapped to the attacker's key",
    )


@case(
    "spec/9.adversarial.substituted-key-binding",
    "substituted X25519 key, bindings required: refused (binding_invalid)",
    level=Level.EXTENSION,
    needs=("key-binding", "jwks"),
    actors=3,
)
def substituted_with_binding(ctx: Context) -> None:
    _substitution(ctx, bind=True)


@case(
    "spec/9.adversarial.substituted-key-pinning",
    "substituted X25519 key of a known member, no bindings: refused by key pinning (key_changed)",
    level=Level.HARDENING,
    actors=3,
)
def substituted_pinning(ctx: Context) -> None:
    _substitution(ctx, bind=False)


def _refuses_replayed_pull(
    ctx: Context, mode: ReplayPull, slot: str, url: str, repo: str, step: str, served: str
) -> None:
    """Arms ``mode``: ``slot``'s next pull through the proxy at ``url`` is served an older state and
    must be refused with rollback_detected; the proxy must really have replayed (``served``)."""
    mode.armed = True
    try:
        ctx.call_error(slot, "pull", {"rollback_detected"}, step=step, server=url, repoId=repo)
    finally:
        ctx.expect(mode.replayed, "proxy", served, "the proxy never replayed")


@case(
    "spec/10.adversarial.version-rollback",
    "the server serves an older version than the client has seen: rollback_detected",
    level=Level.HARDENING,
    actors=1,
)
def version_rollback(ctx: Context) -> None:
    repo = ctx.repo_id("rollback")
    mode = ReplayPull()
    with ctx.proxy(mode) as url:
        ctx.call("alice", "create_repo", server=url, repoId=repo, alts=[alt("v1")])
        ctx.call("alice", "update", server=url, repoId=repo, addAlts=[alt("v2")])
        ctx.call("alice", "update", server=url, repoId=repo, addAlts=[alt("v3")])
        _refuses_replayed_pull(
            ctx, mode, "alice", url, repo, "alice.pull served an old version", "the old version was served"
        )


@case(
    "spec/10.adversarial.stale-epoch",
    "after a rotation the server serves the old epoch's envelope: rollback_detected",
    level=Level.HARDENING,
)
def stale_epoch(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.shared_repo("stale", [alt("e0")])
    ctx.call("alice", "add_member", server=s, repoId=repo, inviteToken=Member.random().invite_token())
    mode = ReplayPull()
    with ctx.proxy(mode) as url:
        ctx.call("bob", "pull", server=url, repoId=repo)  # recorded: epoch 0
        roster = ctx.raw_pull("alice", repo)["manifest"]["members"]
        ctx.call("alice", "remove_member", server=s, repoId=repo, memberId=roster[-1]["ed25519PublicKey"])
        after = ctx.call("bob", "pull", server=url, repoId=repo)
        ctx.expect(after.get("keyEpoch") == 1, "bob.pull after the rotation", "epoch 1", after)
        _refuses_replayed_pull(
            ctx, mode, "bob", url, repo, "bob.pull served the epoch-0 envelope", "the old epoch was served"
        )


@case(
    "spec/5.1.adversarial.dropped-share-refresh-tokens",
    "the server drops shareRefreshTokens: the client treats the policy as off and strips",
    level=Level.SPEC,
)
def dropped_flag(ctx: Context) -> None:
    repo = ctx.shared_repo(
        "drop", [alt("d1", refreshToken="rt-d1", expiresAt=1900000000000)], shareRefreshTokens=True
    )
    with ctx.proxy(DropShareRefreshTokens()) as url:
        seen = ctx.call("bob", "pull", server=url, repoId=repo)
    alts = seen.get("alts") or [{}]
    ctx.expect(seen.get("shareRefreshTokens") is not True, "bob.pull", "the policy seen as off", seen)
    ctx.expect(
        "refreshToken" not in alts[0] and not alts[0].get("expiresAt"),
        "bob.pull without the flag",
        "refreshToken/expiresAt stripped",
        alts,
    )


@case(
    "spec/4.adversarial.replayed-envelope",
    "an old envelope served under a new version fails authentication (invalid_tag)",
    level=Level.SPEC,
)
def replayed_envelope(ctx: Context) -> None:
    s = ctx.server
    repo = ctx.shared_repo("replay", [alt("old")])
    mode = ReplayEnvelope()
    with ctx.proxy(mode) as url:
        ctx.call("bob", "pull", server=url, repoId=repo)  # recorded: version 1
        ctx.call("alice", "update", server=s, repoId=repo, addAlts=[alt("new")])
        mode.armed = True
        ctx.call_error(
            "bob",
            "pull",
            {"invalid_tag"},
            step="bob.pull of v1's ciphertext under a v2 header",
            server=url,
            repoId=repo,
        )
    ctx.expect(mode.replayed, "proxy", "the replay was served", "the proxy never replayed")
    ctx.details["alts"] = usernames(ctx.stored_alts("alice", repo))


CASES: list[Case[Context]] = [
    substituted_with_binding,
    substituted_pinning,
    version_rollback,
    stale_epoch,
    dropped_flag,
    replayed_envelope,
]
