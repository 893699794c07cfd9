"""Every client defence, each against the real server behind a proxy that misbehaves on purpose."""

from __future__ import annotations

import base64
import copy
import dataclasses
from typing import Any

import pytest
from avp import crypto, federation
from avp.client import Client, Repository, RepoState
from avp.client.repository import seal_envelope
from avp.errors import (
    BindingInvalid,
    InvalidKey,
    InvalidTag,
    KeyChanged,
    ProtocolError,
    RefreshPolicyChanged,
    RollbackDetected,
)

from .conftest import ClientFactory, alice_adds_bob, alt
from .hostile import HostileProxy, Reply, Request

#: Low-order X25519 points (RFC 7748 §6.1 notes; each gives an all-zero shared secret).
LOW_ORDER = [
    bytes(32),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def shared_repo(
    make_client: ClientFactory, url: str, **options: Any
) -> tuple[Client, Client, Repository, Repository]:
    """Alice creates a repository at ``url`` and adds Bob; both have pulled (and pinned) the roster."""
    alice, bob = make_client("alice", **options), make_client("bob", **options)
    repo = alice.create_repo(url, [alt(1)])
    repo.add_member(bob.invite_token(), bob.key_binding(url).key_binding_sig)
    bob_repo = bob.join(repo.locator_token())
    repo.pull()
    return alice, bob, repo, bob_repo


def substitute_x25519(member_id: str, new_x: str) -> Any:
    """A rewrite of pull answers serving ``new_x`` as ``member_id``'s X25519 key."""

    def rewrite(body: Any) -> Any:
        for entry in body["manifest"]["members"]:
            if entry["ed25519PublicKey"] == member_id:
                entry["x25519PublicKey"] = new_x
        return body

    return rewrite


def attacker_x25519() -> str:
    return b64(crypto.x25519_generate()[1])


# --- key pinning ------------------------------------------------------------------------------------


def test_substituted_member_key_is_refused_and_nothing_is_wrapped(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice, bob, repo, _ = shared_repo(make_client, proxy.url)
    carol = make_client("carol")
    repo.add_member(carol.invite_token())
    proxy.rewrite("pull", substitute_x25519(bob.identity.member_id, attacker_x25519()))
    proxy.seen.clear()
    with pytest.raises(KeyChanged):
        repo.pull()
    with pytest.raises(KeyChanged):
        repo.remove_member(carol.identity.member_id)
    assert "remove-member" not in proxy.routes()
    # The state is kept: without the proxy's lie the repository reads as before.
    proxy.clear()
    assert repo.pull().members == (alice.identity.member_id, bob.identity.member_id, carol.identity.member_id)


def test_an_accepted_key_change_is_honoured(make_client: ClientFactory, proxy: HostileProxy) -> None:
    # Without signed writes: with them the signed roster pins the key (test_signed_writes.py).
    _, bob, repo, _ = shared_repo(make_client, proxy.url, sign_writes=False)
    new_x = attacker_x25519()
    proxy.rewrite("pull", substitute_x25519(bob.identity.member_id, new_x))
    with pytest.raises(KeyChanged):
        repo.pull()
    repo.accept_key_change(bob.identity.member_id, new_x)
    assert bob.identity.member_id in repo.pull().members


def test_own_key_substitution_is_refused(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice, _, repo, _ = shared_repo(make_client, proxy.url)
    proxy.rewrite("pull", substitute_x25519(alice.identity.member_id, attacker_x25519()))
    with pytest.raises(KeyChanged):
        repo.pull()


def test_fetch_member_checks_the_pin(make_client: ClientFactory, proxy: HostileProxy) -> None:
    _, bob, repo, _ = shared_repo(make_client, proxy.url)
    assert repo.fetch_member(bob.identity.member_id).x25519_public_key == bob.identity.x25519_public_key_b64

    def swap(body: Any) -> Any:
        return {**body, "x25519PublicKey": attacker_x25519()}

    proxy.rewrite("member", swap)
    with pytest.raises(KeyChanged):
        repo.fetch_member(bob.identity.member_id)


def test_substituted_data_key_for_a_known_epoch_is_refused(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    """The server can wrap a key of its choice to our public key; a second key for one epoch is an attack."""
    alice, _, repo, _ = shared_repo(make_client, proxy.url)
    fake_key = crypto.generate_data_key()
    fake_wrap = crypto.wrap_key(fake_key, alice.identity.x25519_public_key).to_dict()

    def rewrap(body: Any) -> Any:
        manifest = body["manifest"]
        for entry in manifest["members"]:
            if entry["ed25519PublicKey"] == alice.identity.member_id:
                entry["wrappedDataKey"] = fake_wrap
        # ...and a payload of its own under that key, so that the AEAD alone would accept it.
        forged = seal_envelope(fake_key, manifest["repoId"], manifest["payloadVersion"], 0, [alt(666)])
        return {**body, "envelope": forged.to_dict(), "unchanged": False}

    proxy.rewrite("pull", rewrap)
    with pytest.raises(KeyChanged):
        repo.pull()


# --- key bindings -----------------------------------------------------------------------------------


def test_bindings_verify_when_required(make_client: ClientFactory, proxy: HostileProxy) -> None:
    _, _, repo, _ = shared_repo(make_client, proxy.url, require_binding=True)
    carol = make_client("carol", require_binding=True)
    repo.add_member(carol.invite_token(), carol.key_binding(proxy.url).key_binding_sig)
    result = repo.remove_member(carol.identity.member_id)  # re-wraps to Bob: his binding verifies
    assert result.key_epoch == 1


@pytest.mark.parametrize("attack", ["drop", "forge", "other-member"])
def test_missing_or_forged_binding_is_refused_before_wrapping(
    make_client: ClientFactory, proxy: HostileProxy, attack: str
) -> None:
    _, bob, repo, _ = shared_repo(make_client, proxy.url, require_binding=True)
    carol = make_client("carol", require_binding=True)
    carol_sig = carol.key_binding(proxy.url).key_binding_sig
    repo.add_member(carol.invite_token(), carol_sig)
    bob_id = bob.identity.member_id

    def tamper(body: Any) -> Any:
        for entry in body["manifest"]["members"]:
            if entry["ed25519PublicKey"] == bob_id:
                if attack == "drop":
                    entry.pop("keyBindingSig", None)
                elif attack == "forge":
                    entry["keyBindingSig"] = b64(bytes(64))
                else:  # a real signature, but over Carol's keys
                    entry["keyBindingSig"] = carol_sig
        return body

    proxy.rewrite("pull", tamper)
    proxy.seen.clear()
    with pytest.raises(BindingInvalid):
        repo.remove_member(carol.identity.member_id)
    assert "remove-member" not in proxy.routes()


def test_binding_catches_a_substitution_that_pinning_cannot(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    """A device that never saw Bob (nothing pinned) is served an attacker key under Bob's real binding."""
    alice, bob, repo, _ = shared_repo(make_client, proxy.url, require_binding=True, sign_writes=False)
    fresh_device = make_client("alice-2", alice.identity, require_binding=True, sign_writes=False)
    proxy.rewrite("pull", substitute_x25519(bob.identity.member_id, attacker_x25519()))
    handle = fresh_device.repository(repo.address)
    handle.pull()  # first sight: trusted on first use...
    carol = make_client("carol")
    with pytest.raises(BindingInvalid):  # ...but the binding does not cover the served key
        handle.add_member(carol.invite_token())
    proxy.seen.clear()
    with pytest.raises(BindingInvalid):
        handle.remove_member(alice.identity.member_id)
    assert "remove-member" not in proxy.routes()


def test_binding_is_not_required_by_default_on_loopback(make_client: ClientFactory) -> None:
    alice = make_client("alice")
    assert not alice.binding_required("127.0.0.1:8787") and alice.binding_required("vault.example")
    operated = make_client("op", operated_hosts=["vault.example"])
    assert not operated.binding_required("vault.example")


def test_present_but_forged_binding_is_refused_even_when_optional(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice, bob = make_client("alice"), make_client("bob")
    repo = alice.create_repo(proxy.url, [alt(1)])
    with pytest.raises(BindingInvalid):
        repo.add_member(bob.invite_token(), b64(bytes(64)))
    assert "add-member" not in proxy.routes()


def test_issuer_key_change_is_refused(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice, _, repo, _ = shared_repo(make_client, proxy.url, require_binding=True)
    carol = make_client("carol")
    other = base64.urlsafe_b64encode(crypto.ed25519_generate()[1]).decode().rstrip("=")

    def new_issuer(body: Any) -> Any:
        return {"keys": [{**body["keys"][0], "x": other}]}

    carol_sig = carol.key_binding(proxy.url).key_binding_sig
    proxy.rewrite("jwks", new_issuer)
    # A new client session (the JWKS is re-fetched once per session), same local state.
    again = make_client("alice", alice.identity, require_binding=True)
    with pytest.raises(KeyChanged):
        again.repository(repo.address).add_member(carol.invite_token(), carol_sig)


# --- rollback ---------------------------------------------------------------------------------------


def capture(proxy: HostileProxy, route: str) -> list[Any]:
    answers: list[Any] = []

    def keep(request: Request, reply: Reply) -> None:
        if request.route == route and reply.status == 200:
            answers.append(reply.json())

    proxy.after.append(keep)
    return answers


def replay(answer: Any) -> Any:
    def hook(request: Request) -> Any:
        return Reply.of(200, answer) if request.route == "pull" else None

    return hook


def test_version_rollback_is_refused_and_nothing_is_pushed(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)])
    pulls = capture(proxy, "pull")
    repo.update(lambda alts: [*alts, alt(2)])  # pull sees v1
    old = pulls[0]
    repo.update(lambda alts: [*alts, alt(3)])
    proxy.before.append(replay(old))
    proxy.seen.clear()
    with pytest.raises(RollbackDetected):
        repo.update(lambda alts: [*alts, alt(4)])
    assert "push" not in proxy.routes()
    # Local state is kept, also for a new process on the same home.
    state = alice.store.repo_state(alice.identity.member_id, repo.address)
    assert state is not None and state.hw_version == 3
    later = make_client("alice", alice.identity)
    with pytest.raises(RollbackDetected):
        later.repository(repo.address).pull()
    proxy.clear()
    assert len(later.repository(repo.address).pull().alts) == 3


def test_epoch_rollback_is_refused(make_client: ClientFactory, proxy: HostileProxy) -> None:
    _, bob, repo, _ = shared_repo(make_client, proxy.url)
    pulls = capture(proxy, "pull")
    repo.pull()
    before_rotation = copy.deepcopy(pulls[-1])
    repo.remove_member(bob.identity.member_id)
    # Serve the pre-removal roster (Bob still in it) far ahead in version: the epoch went down.
    before_rotation["manifest"]["payloadVersion"] = 99
    proxy.before.append(replay(before_rotation))
    with pytest.raises(RollbackDetected):
        repo.pull()


def test_locator_epoch_is_a_floor_for_the_joiner(make_client: ClientFactory, proxy: HostileProxy) -> None:
    _alice, bob, repo = alice_adds_bob(make_client, proxy.url)
    locator = federation.decode_locator(repo.locator_token())
    lying = federation.encode_locator(
        federation.RepoLocator(locator.host, locator.repo_id, locator.scheme_id, 3, locator.issuer_jwks_url)
    )
    with pytest.raises(RollbackDetected):  # the inviter said epoch 3; the server serves epoch 0
        bob.join(lying)


def test_push_answer_below_the_high_water_mark_is_refused(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)])
    repo.update(lambda alts: [*alts, alt(2)])
    proxy.before.append(
        lambda r: (
            Reply.of(200, {"accepted": False, "conflict": True, "payloadVersion": 1, "keyEpoch": 0})
            if r.route == "push"
            else None
        )
    )
    with pytest.raises(RollbackDetected):
        repo.push([alt(3)])


def test_replayed_envelope_under_a_new_version_fails_authentication(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)])
    old_envelope = next(r for r in proxy.seen if r.route == "create").json()["initialEnvelope"]
    repo.update(lambda alts: [*alts, alt(2)])

    def relabel(body: Any) -> Any:
        manifest = body["manifest"]
        body["envelope"] = {**old_envelope, "payloadVersion": manifest["payloadVersion"]}
        body["unchanged"] = False
        return body

    proxy.rewrite("pull", relabel)
    # Forget the local copy of the envelope so the client asks the server for it.
    alice.store.save_repo_state(alice.identity.member_id, repo.address, _without_envelope(alice, repo))
    with pytest.raises(InvalidTag):
        repo.pull()


def _without_envelope(client: Client, repo: Repository) -> RepoState:
    state = client.store.repo_state(client.identity.member_id, repo.address)
    assert state is not None
    return dataclasses.replace(state, envelope=None)


def test_envelope_header_must_match_the_manifest(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)])
    repo.update(lambda alts: [*alts, alt(2)])

    def skew(body: Any) -> Any:
        if body.get("envelope"):
            body["envelope"]["keyEpoch"] = 5
        return body

    proxy.rewrite("pull", skew)
    alice.store.save_repo_state(alice.identity.member_id, repo.address, _without_envelope(alice, repo))
    with pytest.raises(ProtocolError):
        repo.pull()


# --- refresh-token policy ---------------------------------------------------------------------------


def test_policy_flip_to_true_needs_confirmation(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)], share_refresh_tokens=False)

    def flip(body: Any) -> Any:
        body["manifest"]["shareRefreshTokens"] = True
        return body

    proxy.rewrite("pull", flip)
    with pytest.raises(RefreshPolicyChanged):
        repo.pull()
    state = alice.store.repo_state(alice.identity.member_id, repo.address)
    assert state is not None and state.share_refresh_tokens is False
    snapshot = repo.pull(confirm_refresh_policy=True)
    assert snapshot.share_refresh_tokens is True
    assert repo.pull().share_refresh_tokens is True  # confirmed once, then honoured


def test_policy_dropped_by_the_server_means_off(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice, bob = make_client("alice"), make_client("bob")
    repo = alice.create_repo(proxy.url, [alt(1)], share_refresh_tokens=True)
    repo.add_member(bob.invite_token())

    def drop(body: Any) -> Any:
        body["manifest"].pop("shareRefreshTokens", None)
        return body

    proxy.rewrite("pull", drop)
    snapshot = bob.join(repo.locator_token()).snapshot
    assert snapshot is not None and snapshot.alts[0].refresh_token is None


# --- low-order keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize("point", LOW_ORDER, ids=["zero", "order8-a", "order8-b"])
def test_low_order_invitee_is_refused_before_any_request(
    make_client: ClientFactory, proxy: HostileProxy, point: bytes
) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)])
    invite = federation.encode_invite(federation.InviteRequest(b64(crypto.ed25519_generate()[1]), b64(point)))
    proxy.seen.clear()
    with pytest.raises(InvalidKey):
        repo.add_member(invite)
    assert proxy.seen == []


def test_low_order_served_member_is_refused_before_removal(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice, bob, repo, _ = shared_repo(make_client, proxy.url, sign_writes=False)
    carol = make_client("carol")
    repo.add_member(carol.invite_token())
    fresh_device = make_client("alice-2", alice.identity, sign_writes=False)  # nothing pinned yet
    proxy.rewrite("pull", substitute_x25519(bob.identity.member_id, b64(LOW_ORDER[1])))
    proxy.seen.clear()
    with pytest.raises(InvalidKey):
        fresh_device.repository(repo.address).remove_member(carol.identity.member_id)
    assert "remove-member" not in proxy.routes()


def test_join_refuses_a_roster_without_the_envelope_it_claims(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    _alice, bob, repo = alice_adds_bob(make_client, proxy.url)
    proxy.rewrite("pull", lambda body: {**body, "unchanged": True, "envelope": None})
    with pytest.raises(ProtocolError):
        bob.join(repo.locator_token())


def test_a_second_envelope_for_a_known_version_is_refused(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    """A forked history: another (validly encrypted) payload under a version the client already holds.

    Without signed writes (with them, an unsigned payload is downgrade_detected and a signed one
    fork_detected: test_signed_writes.py)."""
    alice = make_client("alice", sign_writes=False)
    repo = alice.create_repo(proxy.url, [alt(1)])
    key = repo.held_data_keys()[0]

    def fork(body: Any) -> Any:
        other = seal_envelope(key, repo.repo_id, body["manifest"]["payloadVersion"], 0, [alt(2)])
        return {**body, "envelope": other.to_dict(), "unchanged": False}

    proxy.rewrite("pull", fork)
    with pytest.raises(ProtocolError):
        repo.pull()


def test_members_appearing_in_the_roster_are_reported(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    messages: list[str] = []
    alice, bob = make_client("alice", progress=messages.append), make_client("bob")
    repo = alice.create_repo(proxy.url, [alt(1)])
    repo.add_member(bob.invite_token())
    carol = make_client("carol")
    bob.repository(repo.address).add_member(carol.invite_token())  # Alice learns it from the server only
    messages.clear()
    repo.pull()
    assert messages == [f"new member in {repo.address}: {carol.identity.member_id}"]
