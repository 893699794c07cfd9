"""The signed-writes extension (docs/extensions/signed-writes.md) through the adversarial proxy.

Level ``extension``, ids ``ext/signed-writes.*``: a client that does not announce the extension in its
``hello`` (``extensions: ["signed-writes"]``) gets ``unsupported`` for the attacks, never a failure —
it is never required of an AVP 0.4 peer. The mixed pair shows that a client that does not sign (any
client in bob's slot, told ``signWrites: false``) still completes the lifecycle with one that does
(under the ``report`` policy).
"""

from __future__ import annotations

import copy
import threading
from typing import Any, Optional

from avp import Identity, crypto
from avp.client import signing
from avp.client.repository import seal_envelope
from avp.interop.material import Member, alt
from avp.interop.model import Case, CaseUnsupported, Level, case
from avp.interop.proxy import Exchange, Mode, manifests_in
from avp.interop.scenarios.context import SIGNED_WRITES, Context, usernames
from avp.models import MemberEntry


def _signing(ctx: Context, *slots: str) -> None:
    """Unsupported unless every slot's client announces the extension."""
    for slot in slots:
        if not ctx.has_extension(slot, SIGNED_WRITES):
            name = ctx.actors[slot].impl.name
            raise CaseUnsupported(f"{slot} ({name}) does not implement the {SIGNED_WRITES} extension")


def forge_new_epoch(body: Any, signer: Optional[Identity], admission: Any = None) -> Any:
    """What a malicious server builds from public keys alone, from a pull answer: the next version at
    a new epoch, a data key of its choice wrapped to every served member, contents of its choice —
    signed by ``signer`` (with ``admission`` in the body, if given) or unsigned."""
    out = copy.deepcopy(body)
    manifest = out["manifest"]
    version, epoch = manifest["payloadVersion"] + 1, manifest["keyEpoch"] + 1
    key = crypto.generate_data_key()
    for entry in manifest["members"]:
        x = crypto.b64decode_strict(entry["x25519PublicKey"], 32)
        entry["wrappedDataKey"], entry["keyEpoch"] = crypto.wrap_key(key, x).to_dict(), epoch
    manifest["payloadVersion"], manifest["keyEpoch"] = version, epoch
    members = [MemberEntry.from_dict(m) for m in manifest["members"]]
    if signer is None:
        forged = seal_envelope(key, manifest["repoId"], version, epoch, [])
    else:
        signed = signing.Signer(signer, members, None, admission)
        forged, _ = signing.seal(key, manifest["repoId"], version, epoch, [], True, signed)
    out["envelope"], out["unchanged"] = forged.to_dict(), False
    return out


class NewEpochOfItsOwn(Mode):
    """Once armed, answer pulls with :func:`forge_new_epoch`."""

    def __init__(self, signer: Optional[Identity]) -> None:
        self.signer = signer
        self.armed = False
        self.served = False

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        if not self.armed or ex.route != "pull" or status != 200 or not isinstance(body, dict):
            return body
        self.served = True
        return forge_new_epoch(body, self.signer)


class InjectMember(Mode):
    """Once armed, list one more member (the proxy's) in every manifest served."""

    def __init__(self) -> None:
        self.intruder = Member.random()
        self.armed = False
        self.injected = False

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        if not self.armed or status != 200:
            return body
        for manifest in manifests_in(body):
            entry = {
                "ed25519PublicKey": self.intruder.id,
                "x25519PublicKey": self.intruder.x25519_b64,
                "wrappedDataKey": crypto.wrap_key(
                    crypto.generate_data_key(), crypto.b64decode_strict(self.intruder.x25519_b64, 32)
                ).to_dict(),
                "keyEpoch": manifest.get("keyEpoch"),
            }
            manifest.setdefault("members", []).append(entry)
            self.injected = True
        return body


class Branch(Mode):
    """One client's view of a forked history: every push is recorded; once armed, pushes are
    accepted here and never reach the server; ``serve`` answers pulls with a given envelope."""

    def __init__(self) -> None:
        self.armed = False
        self.serve: Optional[dict[str, Any]] = None
        self.pushes: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def on_request(self, ex: Exchange) -> None:
        body = ex.json()
        if ex.route != "push" or not isinstance(body, dict):
            return
        envelope = body["envelope"]
        with self.lock:
            self.pushes.append(envelope)
        if self.armed:
            ex.answer = (
                200,
                {
                    "accepted": True,
                    "conflict": False,
                    "payloadVersion": envelope["payloadVersion"],
                    "keyEpoch": envelope["keyEpoch"],
                },
            )

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        if self.serve is None or ex.route != "pull" or status != 200 or not isinstance(body, dict):
            return body
        out = copy.deepcopy(body)
        out["manifest"]["payloadVersion"] = self.serve["payloadVersion"]
        out["envelope"], out["unchanged"] = self.serve, False
        return out


def _forged_epoch(ctx: Context, signer: Optional[Identity], code: str) -> None:
    """alice writes twice (signed) through the proxy, then is served a forged new epoch."""
    _signing(ctx, "alice")
    mode = NewEpochOfItsOwn(signer)
    with ctx.proxy(mode) as url:
        repo = ctx.repo_id("forged")
        ctx.call("alice", "create_repo", server=url, repoId=repo, alts=[alt("mine")])
        ctx.call("alice", "update", server=url, repoId=repo, addAlts=[alt("mine2")])
        mode.armed = True
        ctx.call_error("alice", "pull", {code}, step="alice.pull of a forged epoch", server=url, repoId=repo)
    ctx.expect(mode.served, "proxy", "a forged epoch served", "never served")


@case(
    "ext/signed-writes.substituted-contents",
    "a new epoch with the server's data key and contents signed by a non-member: write_unauthenticated",
    actors=1,
    level=Level.EXTENSION,
)
def substituted_contents(ctx: Context) -> None:
    _forged_epoch(ctx, Identity.generate(), "write_unauthenticated")


@case(
    "ext/signed-writes.stripped-signatures",
    "after signed writes the server serves unsigned contents (its own epoch): downgrade_detected",
    actors=1,
    level=Level.EXTENSION,
)
def stripped_signatures(ctx: Context) -> None:
    _forged_epoch(ctx, None, "downgrade_detected")


@case(
    "ext/signed-writes.injected-member",
    "the server lists a member nobody added: roster_unauthenticated, before any key is wrapped to it",
    level=Level.EXTENSION,
)
def injected_member(ctx: Context) -> None:
    _signing(ctx, "alice", "bob")
    mode = InjectMember()
    with ctx.proxy(mode) as url:
        repo = ctx.repo_id("injected")
        ctx.call("alice", "create_repo", server=url, repoId=repo, alts=[alt("a1")])
        ctx.call("alice", "add_member", server=url, repoId=repo, inviteToken=ctx.invite("bob"))
        ctx.call("bob", "pull", server=url, repoId=repo)
        mode.armed = True
        for slot in ("alice", "bob"):
            ctx.call_error(
                slot,
                "pull",
                {"roster_unauthenticated"},
                step=f"{slot}.pull with an injected member",
                server=url,
                repoId=repo,
            )
        ctx.call_error(
            "alice",
            "remove_member",
            {"roster_unauthenticated"},
            step="alice.remove_member bob (would re-wrap to the intruder)",
            server=url,
            repoId=repo,
            memberId=ctx.member("bob").id,
        )
    ctx.expect(mode.injected, "proxy", "a member injected", "never injected")


@case(
    "ext/signed-writes.forked-history",
    "alice and bob are shown different branches of one history: both refuse with fork_detected",
    level=Level.EXTENSION,
)
def forked_history(ctx: Context) -> None:
    _signing(ctx, "alice", "bob")
    alice_view, bob_view = Branch(), Branch()
    with ctx.proxy(alice_view) as alice_url, ctx.proxy(bob_view) as bob_url:
        repo = ctx.repo_id("fork")
        ctx.call("alice", "create_repo", server=alice_url, repoId=repo, alts=[alt("a1")])
        ctx.call("alice", "add_member", server=alice_url, repoId=repo, inviteToken=ctx.invite("bob"))
        ctx.call("bob", "pull", server=bob_url, repoId=repo)
        ctx.call("alice", "pull", server=alice_url, repoId=repo)
        bob_view.armed = True  # bob's write stays on his branch; alice's reaches the server
        ctx.call("bob", "push", server=bob_url, repoId=repo, alts=[alt("a1"), alt("b1")])
        ctx.call("alice", "push", server=alice_url, repoId=repo, alts=[alt("a1"), alt("a2")])
        bobs, alices = bob_view.pushes[-1], alice_view.pushes[-1]
        ctx.expect(
            bobs["payloadVersion"] == alices["payloadVersion"],
            "proxy",
            "two writes for one version",
            f"{bobs['payloadVersion']} and {alices['payloadVersion']}",
        )
        alice_view.serve, bob_view.serve = bobs, alices  # each is shown the other's branch
        for slot, url in (("alice", alice_url), ("bob", bob_url)):
            ctx.call_error(
                slot,
                "pull",
                {"fork_detected"},
                step=f"{slot}.pull of the other branch",
                server=url,
                repoId=repo,
            )


@case(
    "ext/signed-writes.mixed-pair",
    "bob does not sign (an AVP 0.4 client); with alice on the 'report' policy the lifecycle completes",
    level=Level.EXTENSION,
)
def mixed_pair(ctx: Context) -> None:
    _signing(ctx, "alice")
    s = ctx.server
    plain: dict[str, Any] = {"signWrites": False, "unsignedPolicy": "report"}
    report: dict[str, Any] = {"unsignedPolicy": "report"}
    repo = ctx.repo_id("mixed")
    ctx.call("alice", "create_repo", server=s, repoId=repo, alts=[alt("a1")])
    ctx.call("alice", "add_member", server=s, repoId=repo, inviteToken=ctx.invite("bob"), **report)
    ctx.call("bob", "update", server=s, repoId=repo, addAlts=[alt("b1")], **plain)
    seen = ctx.call("alice", "pull", server=s, repoId=repo, **report)
    ctx.expect(
        usernames(seen.get("alts")) == ["a1", "b1"], "alice.pull of bob's unsigned write", "[a1, b1]", seen
    )
    ctx.call("alice", "update", server=s, repoId=repo, addAlts=[alt("a2")], **report)
    again = ctx.call("bob", "pull", server=s, repoId=repo, **plain)
    ctx.expect(usernames(again.get("alts")) == ["a1", "a2", "b1"], "bob.pull", "[a1, a2, b1]", again)
    removed = ctx.call(
        "alice", "remove_member", server=s, repoId=repo, memberId=ctx.member("bob").id, **report
    )
    ctx.expect(removed.get("keyEpoch") == 1, "alice.remove_member bob", "epoch 1", removed)
    ctx.call_error(
        "bob", "pull", {"forbidden"}, status=403, step="bob.pull after removal", server=s, repoId=repo
    )


CASES: list[Case[Context]] = [
    substituted_contents,
    stripped_signatures,
    injected_member,
    forked_history,
    mixed_pair,
]
