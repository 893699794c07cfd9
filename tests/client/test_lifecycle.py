"""The whole repository lifecycle through the SDK against a real ``avp serve`` process."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest
from avp import Identity, federation
from avp.client import Client, open_envelope
from avp.client.repository import seal_envelope
from avp.errors import Conflict, DuplicateRepo, Forbidden, InvalidAddress, InvalidTag, NotFound
from avp.models import AltAccount, EncryptedEnvelope, PullResponse
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import signed_reference
from .conftest import FAST_KDF, ClientFactory, Sleeps, alice_adds_bob, alt


def served_pull(client: Client, server: str, repo_id: str) -> PullResponse:
    """The raw pull answer (no client-side processing), authenticated as ``client``."""
    path = f"/v1/repos/{repo_id}/pull"
    return PullResponse.from_dict(
        client.transport.call(server, "POST", path, {"repoId": repo_id, "knownPayloadVersion": 0})
    )


def test_create_starts_at_version_1_epoch_0(make_client: ClientFactory, server_url: str) -> None:
    alice = make_client("alice")
    repo = alice.create_repo(server_url, [alt(1)], share_refresh_tokens=True)
    assert repo.snapshot is not None
    assert (repo.snapshot.payload_version, repo.snapshot.key_epoch) == (1, 0)
    assert repo.address == f"avp://127.0.0.1:{server_url.rsplit(':', 1)[1]}/{repo.repo_id}"
    served = served_pull(alice, server_url, repo.repo_id)
    assert served.manifest.share_refresh_tokens is True  # stored and served exactly as sent
    assert served.manifest.members[0].key_binding_sig is not None  # asked the issuer for a binding
    # The same identity on a second device (empty local state) reads it.
    device2 = make_client("alice-2", alice.identity)
    snapshot = device2.repository(repo.address).pull()
    assert snapshot.alts == (alt(1),) and snapshot.share_refresh_tokens is True


def test_envelope_and_wrap_follow_the_spec_per_an_independent_implementation(
    make_client: ClientFactory, server_url: str
) -> None:
    """Decrypt what the server stores with pyca/cryptography and the spec's formulas only."""
    identity = Identity.generate()
    alice = make_client("alice", identity)
    repo = alice.create_repo(server_url, [alt(1)], share_refresh_tokens=True)
    served = served_pull(alice, server_url, repo.repo_id)
    wrapped = served.manifest.members[0].wrapped_data_key
    eph = base64.b64decode(wrapped["ephemeralPublicKey"])
    mine = X25519PrivateKey.from_private_bytes(identity.export_x25519_private())
    shared = mine.exchange(X25519PublicKey.from_public_bytes(eph))
    kek = HKDF(hashes.SHA256(), 32, salt=eph, info=b"avp/rdk-wrap/v1").derive(shared)
    label = b"avp/rdk-wrap/v1"
    data_key = AESGCM(kek).decrypt(
        base64.b64decode(wrapped["iv"]), base64.b64decode(wrapped["ciphertext"]), label
    )
    env = served.envelope
    assert env is not None
    aad = env.repo_id.encode() + b"\x1f" + struct.pack(">QQ", env.payload_version, env.key_epoch)
    plaintext = AESGCM(data_key).decrypt(base64.b64decode(env.iv), base64.b64decode(env.ciphertext), aad)
    signed = signed_reference.verify(
        env.repo_id, 1, 0, plaintext, [m.to_dict() for m in served.manifest.members]
    )
    assert signed["record"]["writer"] == identity.member_id
    assert signed["record"]["prev"] == base64.b64encode(bytes(32)).decode()
    assert json.loads(signed["body"]) == {"alts": [alt(1).to_dict()], "payloadVersion": 1}


def test_refresh_tokens_are_stripped_on_encrypt_when_the_policy_is_off(
    make_client: ClientFactory, server_url: str
) -> None:
    alice = make_client("alice")
    for policy in (None, False):
        repo = alice.create_repo(server_url, [alt(1)], share_refresh_tokens=policy)
        served = served_pull(alice, server_url, repo.repo_id)
        assert served.envelope is not None
        raw = open_envelope(served.envelope, repo.held_data_keys()[0]).alts[0]
        assert raw.refresh_token is None and raw.expires_at is None and raw.access_token == "access-1"
        assert served.manifest.share_refresh_tokens is policy


def test_refresh_tokens_are_stripped_on_decrypt_when_the_policy_is_off(
    make_client: ClientFactory, server_url: str
) -> None:
    """Another client that ignores the policy (and does not sign) writes refresh tokens: ours still
    withholds them."""
    alice = make_client("alice", unsigned_policy="report")
    repo = alice.create_repo(server_url, [alt(1)])
    key = repo.held_data_keys()[0]
    careless = seal_envelope(key, repo.repo_id, 2, 0, [alt(1), alt(2)])  # not policy-stripped
    body = {"repoId": repo.repo_id, "envelope": careless.to_dict(), "expectedPayloadVersion": 1}
    alice.transport.call(server_url, "POST", f"/v1/repos/{repo.repo_id}/push", body)
    snapshot = repo.pull()
    assert [a.refresh_token for a in snapshot.alts] == [None, None]
    assert [a.expires_at for a in snapshot.alts] == [None, None]


def test_full_lifecycle_with_removal_and_rotation(make_client: ClientFactory, server_url: str) -> None:
    alice, bob, carol = make_client("alice"), make_client("bob"), make_client("carol")
    repo = alice.create_repo(server_url, [alt(1)])
    assert repo.update(lambda alts: [*alts, alt(2)]).payload_version == 2

    members = repo.add_member(bob.invite_token())
    assert set(members) == {alice.identity.member_id, bob.identity.member_id}
    assert repo.add_member(bob.invite_token()) == members  # idempotent
    repo.add_member(carol.invite_token())

    locator = federation.decode_locator(repo.locator_token())
    assert (locator.host, locator.repo_id, locator.key_epoch) == (repo.host, repo.repo_id, 0)
    assert locator.issuer_jwks_url == f"{server_url}/.well-known/jwks.json"

    bob_repo = bob.join(repo.locator_token())
    assert bob_repo.snapshot is not None and [a.username for a in bob_repo.snapshot.alts] == [
        "player1",
        "player2",
    ]
    bob_repo.update(lambda alts: [*alts, alt(3)])
    carol_repo = carol.join(repo.locator_token())
    assert len(carol_repo.snapshot.alts if carol_repo.snapshot else ()) == 3
    old_key = bob_repo.held_data_keys()[0]

    result = repo.remove_member(bob.identity.member_id)
    # create 1, update 2, signed adds of Bob and Carol 3 and 4, Bob's update 5, the removal 6
    assert (result.payload_version, result.key_epoch) == (6, 1)
    assert set(result.members) == {alice.identity.member_id, carol.identity.member_id}
    assert repo.held_data_keys()[1] != old_key

    # Carol, still a member, follows the rotation; Bob is refused and cannot read the new epoch.
    after = carol_repo.pull()
    assert (after.payload_version, after.key_epoch, len(after.alts)) == (6, 1, 3)
    with pytest.raises(Forbidden):
        bob_repo.pull()
    current = served_pull(alice, server_url, repo.repo_id).envelope
    assert current is not None
    with pytest.raises(InvalidTag):
        bob_repo.open_envelope(current)
    with pytest.raises(InvalidTag):  # even relabelled to the old epoch, the AAD no longer matches
        open_envelope(EncryptedEnvelope(current.repo_id, 6, 0, current.iv, current.ciphertext), old_key)
    # Alice's own handle opens it, with the new key.
    assert len(repo.open_envelope(current)) == 3


def test_push_is_one_attempt_and_reports_a_conflict(make_client: ClientFactory, server_url: str) -> None:
    alice, bob, repo = alice_adds_bob(make_client, server_url)
    bob_repo = bob.join(repo.locator_token())
    repo.pull()
    assert bob_repo.push([alt(2)]).accepted
    stale = alice.repository(repo.address).push([alt(3)])  # a new handle: the stored state decides
    assert (stale.accepted, stale.conflict, stale.payload_version) == (False, True, 3)  # 2: add Bob
    assert repo.pull().alts == (alt(2, refresh_token=None, expires_at=None),)


def test_update_retries_conflicts_with_backoff(make_client: ClientFactory, server_url: str) -> None:
    sleeps = Sleeps()
    alice, bob = make_client("alice", sleep=sleeps), make_client("bob")
    repo = alice.create_repo(server_url, [alt(1)])
    repo.add_member(bob.invite_token())
    bob_repo = bob.join(repo.locator_token())
    calls = []

    def racing(alts: list[AltAccount]) -> list[AltAccount]:
        calls.append(len(alts))
        if len(calls) == 1:  # a concurrent writer lands between Alice's pull and push
            bob_repo.update(lambda theirs: [*theirs, alt(2)])
        return [*alts, alt(3)]

    result = repo.update(racing)
    assert (result.attempts, result.payload_version) == (2, 4)  # 2 was the signed add of Bob
    assert calls == [1, 2]
    assert [a.uuid for a in repo.pull().alts] == ["uuid-1", "uuid-2", "uuid-3"]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 2.0  # one jittered backoff between the attempts


def test_remove_unknown_member_and_duplicate_create(make_client: ClientFactory, server_url: str) -> None:
    alice, bob = make_client("alice"), make_client("bob")
    repo = alice.create_repo(server_url, [alt(1)])
    with pytest.raises(NotFound):
        repo.remove_member(bob.identity.member_id)
    other = make_client("alice-2", alice.identity)
    with pytest.raises(DuplicateRepo):
        other.create_repo(server_url, [alt(1)], repo_id=repo.repo_id)


def test_local_state_holds_no_plaintext_secret(
    make_client: ClientFactory, server_url: str, tmp_path: Path
) -> None:
    identity = Identity.generate()
    passphrase = "correct horse battery staple"
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "identity.json").write_text(identity.seal(passphrase, **FAST_KDF))  # type: ignore[arg-type]
    alice = make_client("alice", identity)
    repo = alice.create_repo(server_url, [alt(1)])
    keys = repo.held_data_keys()
    secrets = [
        passphrase.encode(),
        identity.export_x25519_private(),
        identity.export_ed25519_seed(),
        b"access-1",
    ]
    for key in keys.values():
        secrets += [key, base64.b64encode(key)]
    secrets += [base64.b64encode(s) for s in secrets[1:3]]
    for path in (tmp_path / "alice").rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for secret in secrets:
                assert secret not in blob, f"{path.name} holds a secret"


def test_update_gives_up_after_the_bounded_attempts(make_client: ClientFactory, server_url: str) -> None:
    sleeps = Sleeps()
    alice, bob = make_client("alice", sleep=sleeps), make_client("bob")
    repo = alice.create_repo(server_url, [alt(1)])
    repo.add_member(bob.invite_token())
    bob_repo = bob.join(repo.locator_token())

    def always_raced(alts: list[AltAccount]) -> list[AltAccount]:
        bob_repo.update(lambda theirs: [*theirs, alt(len(theirs) + 1)])
        return [*alts, alt(100)]

    with pytest.raises(Conflict):
        repo.update(always_raced, max_attempts=3)
    assert len(sleeps) == 2  # a backoff between attempts, none after the last
    assert all(a.uuid != "uuid-100" for a in repo.pull().alts)  # nothing of Alice's landed


def test_key_binding_agrees_with_an_independent_verifier(make_client: ClientFactory, server_url: str) -> None:
    """The binding the client accepted verifies with pyca over UTF8(ed25519B64 "|" x25519B64)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    alice = make_client("alice")
    binding = alice.key_binding(server_url)
    jwks = alice.transport.get_json(binding.issuer_jwks_url)
    x = jwks["keys"][0]["x"]
    issuer = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    message = f"{alice.identity.member_id}|{alice.identity.x25519_public_key_b64}".encode()
    issuer.verify(base64.b64decode(binding.key_binding_sig), message)  # raises if it does not verify
    assert alice.store.issuer_keys(binding.issuer_jwks_url) == {
        base64.b64encode(issuer.public_bytes_raw()).decode()
    }


@pytest.mark.parametrize("repo_id", ["a/b", "..", "x" * 256, "ünicode", "tab\there"])
def test_create_refuses_ids_outside_the_unreserved_set(make_client: ClientFactory, repo_id: str) -> None:
    alice = make_client("alice")
    # Refused before any request: the server URL does not even have to be reachable.
    with pytest.raises(InvalidAddress):
        alice.create_repo("http://127.0.0.1:9", [alt(1)], repo_id=repo_id)
