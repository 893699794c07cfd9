"""Signed writes (docs/extensions/signed-writes.md) against the real servers behind a lying proxy.

Each attack of issue 16 gets its code; mixed pairs with a client that does not sign still work
under the ``report`` policy; servers keep the manifest's unknown fields the extension relies on.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from avp import crypto
from avp.client import signing
from avp.errors import DowngradeDetected, ForkDetected, RosterUnauthenticated, WriteUnauthenticated
from avp.identity import Identity
from avp.interop.scenarios.signedwrites import forge_new_epoch
from avp.models import PullResponse

from . import signed_reference
from .conftest import ClientFactory, alt
from .hostile import HostileProxy


def b64(raw: bytes) -> str:
    return crypto.b64encode(raw)


def served(client: Any, url: str, repo_id: str) -> PullResponse:
    """The full state as the server holds it (a pull from version 0, no client checks)."""
    body = {"repoId": repo_id, "knownPayloadVersion": 0}
    return PullResponse.from_dict(client.transport.call(url, "POST", f"/v1/repos/{repo_id}/pull", body))


def _mark_kept_and_signature_verifies(make_client: ClientFactory, url: str) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(url, [alt(1)])
    stored = served(alice, url, repo.repo_id)
    assert stored.manifest.extra == {"signedWrites": {"v": 1}}
    repo.update(lambda alts: [*alts, alt(2)])
    assert served(alice, url, repo.repo_id).manifest.extra == {"signedWrites": {"v": 1}}  # after a push
    state = repo.ledger.state(2)
    assert state is not None and state.verifies()
    first = repo.ledger.state(1)
    assert first is not None and state.prev == first.state_hash  # the chain
    envelope = served(alice, url, repo.repo_id).envelope
    assert envelope is not None
    raw = crypto.open_payload(
        repo.held_data_keys()[0],
        repo.repo_id,
        2,
        0,
        crypto.b64decode_strict(envelope.iv),
        crypto.b64decode_strict(envelope.ciphertext),
    )
    checked = signed_reference.verify(repo.repo_id, 2, 0, raw, [m.to_dict() for m in stored.manifest.members])
    assert checked["record"]["stateHash"] == state.state_hash


def test_servers_keep_the_manifest_mark_and_the_signature_verifies_independently(
    make_client: ClientFactory, server_url: str
) -> None:
    """Both our servers store and return the unknown manifest field; pyca verifies the record."""
    _mark_kept_and_signature_verifies(make_client, server_url)


def test_the_lax_server_keeps_the_manifest_mark(make_client: ClientFactory, lax_url: str) -> None:
    """So does a lax AVP 0.4 server we did not harden (tests/fixtures/lax_server.py)."""
    _mark_kept_and_signature_verifies(make_client, lax_url)


def test_substituted_contents_under_a_new_epoch(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(proxy.url, [alt(1)])
    proxy.rewrite("pull", lambda body: forge_new_epoch(body, None))
    with pytest.raises(DowngradeDetected):  # unsigned contents in a signed repository
        repo.pull()
    proxy.clear()
    outsider = Identity.generate()
    proxy.rewrite("pull", lambda body: forge_new_epoch(body, outsider))
    with pytest.raises(WriteUnauthenticated):  # signed, but not by a member
        repo.pull()
    proxy.clear()
    assert repo.pull().alts == (alt(1, refresh_token=None, expires_at=None),)  # nothing was accepted


def test_an_injected_member(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice, bob = make_client("alice"), make_client("bob")
    repo = alice.create_repo(proxy.url, [alt(1)])
    repo.add_member(bob.invite_token())
    mallory = Identity.generate()

    def inject(body: Any) -> Any:
        out = copy.deepcopy(body)
        manifest = out["manifest"]
        manifest["members"].append(
            {
                "ed25519PublicKey": mallory.member_id,
                "x25519PublicKey": mallory.x25519_public_key_b64,
                "wrappedDataKey": crypto.wrap_key(
                    crypto.generate_data_key(), mallory.x25519_public_key
                ).to_dict(),
                "keyEpoch": manifest["keyEpoch"],
            }
        )
        return out

    proxy.rewrite("pull", inject)
    with pytest.raises(RosterUnauthenticated):  # the roster is not the signed one
        repo.pull()
    with pytest.raises(RosterUnauthenticated):  # a joiner sees the same
        bob.join(repo.locator_token())
    proxy.clear()
    # Mallory signs a new state with herself in the roster: not a member of the previous roster.
    proxy.rewrite("pull", lambda body: forge_new_epoch(inject(body), mallory))
    with pytest.raises(RosterUnauthenticated):
        repo.pull()


def test_a_forked_history_leaves_evidence(make_client: ClientFactory, proxy: HostileProxy) -> None:
    alice, bob = make_client("alice"), make_client("bob")
    repo = alice.create_repo(proxy.url, [alt(1)])
    repo.add_member(bob.invite_token())
    bob_repo = bob.join(repo.locator_token())
    # The server shows Bob a version 3 of Bob's own and Alice another (both genuinely signed).
    assert repo.push([alt(1), alt(2)]).accepted  # Bob never pulls Alice's version 3
    key = bob_repo.held_data_keys()[0]
    members = list(bob_repo.snapshot.manifest.members) if bob_repo.snapshot else []
    _, state3 = bob_repo.seal_write(key, 3, 0, [alt(3)], members, False)
    bob_repo.record_write(state3)
    fork4, _ = bob_repo.seal_write(key, 4, 0, [alt(3), alt(4)], members, False)

    def serve_bobs_branch(body: Any) -> Any:
        out = copy.deepcopy(body)
        out["manifest"]["payloadVersion"] = 4
        out["envelope"], out["unchanged"] = fork4.to_dict(), False
        return out

    proxy.rewrite("pull", serve_bobs_branch)
    with pytest.raises(ForkDetected):
        repo.pull()
    evidence = repo.ledger.evidence()
    assert len(evidence["forks"]) == 1
    fork = evidence["forks"][0]
    assert fork["held"]["payloadVersion"] == 3 and fork["served"]["payloadVersion"] == 4
    assert signing.SignedState.from_dict(fork["served"]).verifies()
    # Exchanged out of band, the two ledgers show two signed states for version 3.
    found = signing.compare(evidence, bob_repo.ledger.evidence())
    assert [f["held"]["payloadVersion"] for f in found] == [3]
    assert found[0]["served"]["stateHash"] == state3.state_hash != found[0]["held"]["stateHash"]


def test_stripped_signatures_and_the_report_policy(make_client: ClientFactory, server_url: str) -> None:
    """A client that does not sign writes into a signed repository: refused by default, accepted
    (and reported) under 'report' — the mixed pair completes its lifecycle."""
    reports: list[str] = []
    alice = make_client("alice", unsigned_policy="report", progress=reports.append)
    strict = make_client("alice-strict", alice.identity)
    bob = make_client("bob", sign_writes=False, unsigned_policy="report")  # as an AVP 0.4 client
    repo = alice.create_repo(server_url, [alt(1)])
    strict.repository(repo.address).pull()
    repo.add_member(bob.invite_token())
    bob_repo = bob.join(repo.locator_token())
    bob_repo.update(lambda alts: [*alts, alt(2)])  # unsigned
    with pytest.raises(DowngradeDetected):
        strict.repository(repo.address).pull()
    assert [a.uuid for a in repo.pull().alts] == ["uuid-1", "uuid-2"]
    assert any("report" in r and "not signed" in r for r in reports)
    carol = make_client("carol", sign_writes=False)
    bob_repo.add_member(carol.invite_token())  # an unsigned roster change: reported, accepted
    assert carol.identity.member_id in repo.pull().members
    result = repo.remove_member(bob.identity.member_id)  # signed again
    assert bob.identity.member_id not in result.members
    assert repo.ledger.state(result.payload_version) is not None


def test_a_member_added_unsigned_then_writing_signed(make_client: ClientFactory, server_url: str) -> None:
    """Bob (no signing) adds Carol, who signs her write: nobody signed her addition, so it is an
    unsigned roster change — refused by default, accepted and reported under 'report'."""
    reports: list[str] = []
    alice = make_client("alice", unsigned_policy="report", progress=reports.append)
    strict = make_client("alice-strict", alice.identity)
    bob = make_client("bob", sign_writes=False, unsigned_policy="report")
    carol = make_client("carol", unsigned_policy="report")
    repo = alice.create_repo(server_url, [alt(1)])
    repo.add_member(bob.invite_token())
    strict.repository(repo.address).pull()
    bob_repo = bob.join(repo.locator_token())
    bob_repo.add_member(carol.invite_token())
    carol.join(bob_repo.locator_token()).update(lambda alts: [*alts, alt(3)])
    with pytest.raises(RosterUnauthenticated):
        strict.repository(repo.address).pull()
    assert [a.uuid for a in repo.pull().alts] == ["uuid-1", "uuid-3"]
    assert any("report" in r and "roster changed" in r for r in reports)


def test_a_joiner_refuses_an_unsigned_state_in_a_repository_marked_signed(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    alice, bob = make_client("alice"), make_client("bob")
    repo = alice.create_repo(proxy.url, [alt(1)])
    repo.add_member(bob.invite_token())
    proxy.rewrite("pull", lambda body: forge_new_epoch(body, None))
    with pytest.raises(DowngradeDetected):  # first contact: the manifest's mark is the only clue
        bob.join(repo.locator_token())
    assert b64(bytes(32)) == signing.SignedState.from_dict(repo.ledger.evidence()["signedStates"][0]).prev


def test_a_member_added_in_a_version_not_seen_proves_its_admission(
    make_client: ClientFactory, proxy: HostileProxy
) -> None:
    """Alice misses the version where Bob added Carol; Carol's write carries her admission."""
    alice, bob, carol = make_client("alice"), make_client("bob"), make_client("carol")
    repo = alice.create_repo(proxy.url, [alt(1)])
    repo.add_member(bob.invite_token())
    bob_repo = bob.join(repo.locator_token())
    bob_repo.add_member(carol.invite_token())
    carol_repo = carol.join(bob_repo.locator_token())
    carol_repo.update(lambda alts: [*alts, alt(3)])
    assert [a.uuid for a in repo.pull().alts] == ["uuid-1", "uuid-3"]
    # Mallory, injected by the server, copies Carol's admission: it does not list her.
    mallory = Identity.generate()
    admission = carol_repo.ledger.admission()
    assert admission is not None and admission["state"]["writer"] == bob.identity.member_id

    def mallory_writes(body: Any) -> Any:
        out = copy.deepcopy(body)
        out["manifest"]["members"].append(
            {
                "ed25519PublicKey": mallory.member_id,
                "x25519PublicKey": mallory.x25519_public_key_b64,
                "wrappedDataKey": crypto.wrap_key(
                    crypto.generate_data_key(), mallory.x25519_public_key
                ).to_dict(),
                "keyEpoch": out["manifest"]["keyEpoch"],
            }
        )
        return forge_new_epoch(out, mallory, admission)

    proxy.rewrite("pull", mallory_writes)
    with pytest.raises(RosterUnauthenticated):
        repo.pull()
