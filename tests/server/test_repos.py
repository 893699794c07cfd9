"""Every vault route and every rule of wire contract §5, each failure with "nothing changed"."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .api import Api, Member, b64, enc, envelope, error_code, manifest, new_repo_id


@dataclass
class Repo:
    id: str
    owner: Member
    api: Api

    def snapshot(self) -> Any:
        return self.api.state(self.owner, self.id)

    def version(self) -> tuple[int, int]:
        m = self.snapshot()["manifest"]
        return m["payloadVersion"], m["keyEpoch"]


@pytest.fixture
def repo(api: Api) -> Repo:
    owner = Member.new()
    served = api.create(owner)
    return Repo(served["repoId"], owner, api)


def joined(repo: Repo) -> Member:
    """A second member, added at the current epoch and logged in."""
    other = Member.new()
    _, epoch = repo.version()
    assert repo.api.add(repo.owner, repo.id, other.entry(epoch)).status_code == 200
    repo.api.login(other)
    return other


def member_with_url_characters() -> Member:
    """A member whose id contains '+' and '/' (and, as every 32-byte key, '=')."""
    while True:
        member = Member.new()
        if "+" in member.id and "/" in member.id:
            return member


# --- createRepo ------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [{}, {"shareRefreshTokens": True}, {"shareRefreshTokens": False}])
def test_create_returns_the_manifest_as_sent(api: Api, extra: dict[str, Any]) -> None:
    owner = Member.new()
    api.login(owner)
    repo_id = new_repo_id()
    sent = manifest(repo_id, [owner.entry(0, keyBindingSig=b64(os.urandom(64)))], **extra)
    r = api.post("/v1/repos", {"manifest": sent, "initialEnvelope": envelope(repo_id, 1, 0)}, owner.token)
    assert r.status_code == 200, r.text
    assert r.json() == sent
    assert ("shareRefreshTokens" in r.json()) == ("shareRefreshTokens" in extra)
    assert api.state(owner, repo_id)["manifest"] == sent


def test_unknown_manifest_fields_survive_every_write(api: Api) -> None:
    owner = Member.new()
    extra = {
        "shareRefreshTokens": True,
        "x-future": {"nested": [1, 2.5, None, True, "é\u2603"], "deep": {"a": {"b": []}}},
        "zLast": -7,
    }
    repo_id = api.create(owner, **extra)["repoId"]
    other = Member.new()
    assert api.push(owner, repo_id, 1).status_code == 200
    assert api.add(owner, repo_id, other.entry(0)).status_code == 200
    rotated = envelope(repo_id, 3, 1)
    r = api.remove(owner, repo_id, other.id, rotated, [owner.entry(1)], 1)
    assert r.status_code == 200, r.text
    for served in (r.json(), api.state(owner, repo_id)["manifest"]):
        assert {k: served[k] for k in extra} == extra
        assert list(served)[-3:] == list(extra)  # the client's field order is kept too
        assert (served["payloadVersion"], served["keyEpoch"]) == (3, 1)


def test_create_duplicate_is_409(api: Api) -> None:
    owner = Member.new()
    repo_id = api.create(owner)["repoId"]
    before = api.state(owner, repo_id)
    body = {"manifest": manifest(repo_id, [owner.entry(0)]), "initialEnvelope": envelope(repo_id, 1, 0)}
    assert error_code(api.post("/v1/repos", body, owner.token)) == (409, "duplicate_repo")
    intruder = Member.new()
    api.login(intruder)
    body = {"manifest": manifest(repo_id, [intruder.entry(0)]), "initialEnvelope": envelope(repo_id, 1, 0)}
    assert error_code(api.post("/v1/repos", body, intruder.token)) == (409, "duplicate_repo")
    assert api.state(owner, repo_id) == before


@pytest.mark.parametrize("roster", ["other", "two", "none"])
def test_create_whose_sole_member_is_not_the_caller_is_403(api: Api, roster: str) -> None:
    caller, other = Member.new(), Member.new()
    api.login(caller)
    members = {"other": [other.entry(0)], "two": [caller.entry(0), other.entry(0)], "none": []}[roster]
    repo_id = new_repo_id()
    body = {"manifest": manifest(repo_id, members), "initialEnvelope": envelope(repo_id, 1, 0)}
    assert error_code(api.post("/v1/repos", body, caller.token)) == (403, "forbidden")
    assert error_code(api.pull(caller, repo_id)) == (404, "not_found")


@pytest.mark.parametrize(
    "change",
    [
        {"manifest.payloadVersion": 0},
        {"manifest.payloadVersion": 2},
        {"manifest.keyEpoch": 1},
        {"envelope.payloadVersion": 2},
        {"envelope.keyEpoch": 1},
        {"member.keyEpoch": 1},
        {"envelope.repoId": "another"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_create_must_start_at_version_1_epoch_0_and_agree(api: Api, change: dict[str, Any]) -> None:
    owner = Member.new()
    api.login(owner)
    repo_id = new_repo_id()
    body = {"manifest": manifest(repo_id, [owner.entry(0)]), "initialEnvelope": envelope(repo_id, 1, 0)}
    ((where, value),) = change.items()
    target = {
        "manifest": body["manifest"],
        "envelope": body["initialEnvelope"],
        "member": body["manifest"]["members"][0],
    }
    target[where.split(".")[0]][where.split(".")[1]] = value
    assert error_code(api.post("/v1/repos", body, owner.token)) == (400, "bad_request")
    assert error_code(api.pull(owner, repo_id)) == (404, "not_found")


def test_repos_per_member_quota_is_429_with_retry_after(api: Api, limits: dict[str, Any]) -> None:
    owner = Member.new()
    for _ in range(limits["maxReposPerMember"]):
        api.create(owner)
    repo_id = new_repo_id()
    body = {"manifest": manifest(repo_id, [owner.entry(0)]), "initialEnvelope": envelope(repo_id, 1, 0)}
    r = api.post("/v1/repos", body, owner.token)
    assert error_code(r) == (429, "quota_exceeded")
    assert r.headers["retry-after"] == "60"
    assert error_code(api.pull(owner, repo_id)) == (404, "not_found")


def test_unicode_repo_id_in_path_and_body(api: Api) -> None:
    owner = Member.new()
    repo_id = "répo ☃ a+b/c=d %41 ~._-"
    api.create(owner, repo_id=repo_id)
    assert api.state(owner, repo_id)["manifest"]["repoId"] == repo_id
    assert api.push(owner, repo_id, 1).json()["accepted"] is True


# --- pull ------------------------------------------------------------------------------------------
def test_pull_unchanged_and_changed(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    full = api.state(owner, repo.id)
    assert full["unchanged"] is False and full["envelope"]["payloadVersion"] == 1
    r = api.pull(owner, repo.id, known=1)
    assert r.status_code == 200
    body = r.json()
    assert body["unchanged"] is True and body.get("envelope") is None
    assert body["manifest"] == full["manifest"]
    pushed = envelope(repo.id, 2, 0)
    assert api.push(owner, repo.id, 1, pushed).json()["accepted"] is True
    changed = api.pull(owner, repo.id, known=1).json()
    assert changed["unchanged"] is False and changed["envelope"] == pushed
    # A known version from the future is simply "not current".
    assert api.pull(owner, repo.id, known=99).json()["envelope"] == pushed


def test_pull_of_unknown_repo_is_404_and_of_a_stranger_403(repo: Repo) -> None:
    stranger = Member.new()
    repo.api.login(stranger)
    assert error_code(repo.api.pull(stranger, repo.id)) == (403, "forbidden")
    assert error_code(repo.api.pull(repo.owner, new_repo_id())) == (404, "not_found")


# --- push ------------------------------------------------------------------------------------------
def test_push_accepts_the_next_version_and_conflicts_on_a_stale_one(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    r = api.push(owner, repo.id, 1)
    assert r.json() == {"accepted": True, "payloadVersion": 2, "keyEpoch": 0, "conflict": False}
    before = repo.snapshot()
    stale = api.push(owner, repo.id, 1)
    assert stale.status_code == 200
    assert stale.json() == {"accepted": False, "payloadVersion": 2, "keyEpoch": 0, "conflict": True}
    # The conflict is decided before the envelope rules: a stale push with a bad envelope is a conflict.
    assert api.push(owner, repo.id, 0, envelope("elsewhere", 7, 5)).json()["conflict"] is True
    assert api.push(owner, repo.id, 5).json()["conflict"] is True
    assert repo.snapshot() == before


def push_cases(repo_id: str, caller: Member, other: Member) -> dict[str, dict[str, Any]]:
    return {
        "envelope-other-repo": {"env": envelope(repo_id + "x", 3, 1), "rotated": None},
        "version-not-next": {"env": envelope(repo_id, 4, 1), "rotated": None},
        "version-same": {"env": envelope(repo_id, 2, 1), "rotated": None},
        "epoch-down": {"env": envelope(repo_id, 3, 0), "rotated": None},
        "epoch-up-without-roster": {"env": envelope(repo_id, 3, 2), "rotated": None},
        "empty-roster": {"env": envelope(repo_id, 3, 2), "rotated": []},
        "roster-without-caller": {"env": envelope(repo_id, 3, 2), "rotated": [other.entry(2)]},
        "roster-duplicate": {"env": envelope(repo_id, 3, 2), "rotated": [caller.entry(2), caller.entry(2)]},
        "roster-wrong-epoch": {"env": envelope(repo_id, 3, 2), "rotated": [caller.entry(2), other.entry(1)]},
        "drop-without-raise": {"env": envelope(repo_id, 3, 1), "rotated": [caller.entry(1)]},
    }


@pytest.mark.parametrize("case", list(push_cases("r", Member.new(), Member.new())))
def test_push_rule_violations_are_400_and_change_nothing(repo: Repo, case: str) -> None:
    api, owner = repo.api, repo.owner
    other = joined(repo)
    # Move to version 2, epoch 1 (a rotation keeping both members) so "epoch down" is expressible.
    rotate = api.push(owner, repo.id, 1, envelope(repo.id, 2, 1), rotated=[owner.entry(1), other.entry(1)])
    assert rotate.json()["accepted"] is True, rotate.text
    before = repo.snapshot()
    args = push_cases(repo.id, owner, other)[case]
    assert error_code(api.push(owner, repo.id, 2, args["env"], args["rotated"])) == (400, "bad_request")
    assert repo.snapshot() == before


def test_push_rotation_that_drops_a_member_raises_the_epoch(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    other = joined(repo)
    r = api.push(owner, repo.id, 1, envelope(repo.id, 2, 1), rotated=[owner.entry(1)])
    assert r.json() == {"accepted": True, "payloadVersion": 2, "keyEpoch": 1, "conflict": False}
    served = repo.snapshot()["manifest"]
    assert [m["ed25519PublicKey"] for m in served["members"]] == [owner.id]
    assert error_code(api.pull(other, repo.id)) == (403, "forbidden")
    # rotatedMembers: null is "no rotation".
    assert (
        api.push(owner, repo.id, 2, envelope(repo.id, 3, 1), rotatedMembers=None).json()["accepted"] is True
    )


def test_push_roster_over_the_member_limit_is_429(repo: Repo, limits: dict[str, Any]) -> None:
    roster = [repo.owner.entry(1)] + [Member.new().entry(1) for _ in range(limits["maxMembersPerRepo"])]
    before = repo.snapshot()
    r = repo.api.push(repo.owner, repo.id, 1, envelope(repo.id, 2, 1), rotated=roster)
    assert error_code(r) == (429, "quota_exceeded")
    assert r.headers["retry-after"] == "60"
    assert repo.snapshot() == before


def test_push_by_a_stranger_is_403_and_to_no_repo_404(repo: Repo) -> None:
    stranger = Member.new()
    repo.api.login(stranger)
    assert error_code(repo.api.push(stranger, repo.id, 1)) == (403, "forbidden")
    missing = new_repo_id()
    assert error_code(repo.api.push(repo.owner, missing, 1)) == (404, "not_found")


# --- addMember / fetchMemberKey ---------------------------------------------------------------------
def test_add_member_then_fetch_it_by_a_percent_encoded_id(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    other = member_with_url_characters()
    entry = other.entry(0, keyBindingSig=None)
    r = api.add(owner, repo.id, entry)
    assert r.status_code == 200
    assert r.json()["members"][-1] == entry and r.json()["payloadVersion"] == 1
    for viewer in (owner, other):
        api.login(viewer)
        fetched = api.fetch(viewer, repo.id, other.id)
        assert fetched.status_code == 200 and fetched.json() == entry
    assert api.fetch(owner, repo.id, owner.id).json()["ed25519PublicKey"] == owner.id
    # A raw '+' in the path is a '+', never a space.
    raw_plus = enc(other.id).replace("%2B", "+")
    r = api.call("GET", f"/v1/repos/{enc(repo.id)}/member/{raw_plus}", token=owner.token)
    assert r.status_code == 200 and r.json() == entry


def test_add_member_is_idempotent_and_a_changed_key_is_409(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    other = Member.new()
    first = api.add(owner, repo.id, other.entry(0)).json()
    assert api.add(owner, repo.id, other.entry(0)).json() == first
    assert repo.snapshot()["manifest"] == first
    impostor = Member.new()
    impostor.public, impostor.seed = other.public, other.seed
    assert error_code(api.add(owner, repo.id, impostor.entry(0))) == (409, "duplicate_member")
    assert repo.snapshot()["manifest"] == first


def test_a_retried_add_after_a_rotation_is_still_idempotent(repo: Repo) -> None:
    """An existing member is recognized before the epoch rule (wire contract §1, step 10)."""
    api, owner = repo.api, repo.owner
    other = Member.new()
    stale_entry = other.entry(0)
    assert api.add(owner, repo.id, stale_entry).status_code == 200
    rotated = [owner.entry(1), other.entry(1)]
    assert api.push(owner, repo.id, 1, envelope(repo.id, 2, 1), rotated=rotated).json()["accepted"] is True
    before = repo.snapshot()
    r = api.add(owner, repo.id, stale_entry)
    assert r.status_code == 200 and r.json() == before["manifest"]
    assert repo.snapshot() == before


def test_add_member_at_another_epoch_is_400(repo: Repo) -> None:
    before = repo.snapshot()
    assert error_code(repo.api.add(repo.owner, repo.id, Member.new().entry(1))) == (400, "bad_request")
    assert repo.snapshot() == before


def test_add_member_over_the_limit_is_429(repo: Repo, limits: dict[str, Any]) -> None:
    for _ in range(limits["maxMembersPerRepo"] - 1):
        assert repo.api.add(repo.owner, repo.id, Member.new().entry(0)).status_code == 200
    before = repo.snapshot()
    r = repo.api.add(repo.owner, repo.id, Member.new().entry(0))
    assert error_code(r) == (429, "quota_exceeded") and r.headers["retry-after"] == "60"
    assert repo.snapshot() == before


def test_add_member_by_a_stranger_is_403(repo: Repo) -> None:
    stranger = Member.new()
    repo.api.login(stranger)
    assert error_code(repo.api.add(stranger, repo.id, stranger.entry(0))) == (403, "forbidden")


def test_fetch_member_errors(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    assert error_code(api.fetch(owner, repo.id, Member.new().id)) == (404, "not_found")
    assert error_code(api.fetch(owner, new_repo_id(), owner.id)) == (404, "not_found")
    for bad in (
        "abc",
        b64(os.urandom(31)),
        owner.id.rstrip("="),
        owner.id.replace("+", "-").replace("/", "_"),
    ):
        if bad != owner.id:
            assert error_code(api.fetch(owner, repo.id, bad)) == (400, "bad_request")
    stranger = Member.new()
    api.login(stranger)
    assert error_code(api.fetch(stranger, repo.id, owner.id)) == (403, "forbidden")


# --- removeMember ----------------------------------------------------------------------------------
def test_remove_member_rotates_atomically(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    other, third = joined(repo), joined(repo)
    rotated = envelope(repo.id, 2, 1)
    rewrapped = [third.entry(1), owner.entry(1)]
    r = api.remove(owner, repo.id, other.id, rotated, rewrapped, 1)
    assert r.status_code == 200, r.text
    served = r.json()
    assert (served["payloadVersion"], served["keyEpoch"]) == (2, 1)
    assert served["members"] == rewrapped
    state = repo.snapshot()
    assert state["manifest"] == served and state["envelope"] == rotated
    assert error_code(api.pull(other, repo.id)) == (403, "forbidden")
    assert error_code(api.fetch(owner, repo.id, other.id)) == (404, "not_found")


def test_a_member_may_remove_itself(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    other = joined(repo)
    r = api.remove(other, repo.id, other.id, envelope(repo.id, 2, 1), [owner.entry(1)], 1)
    assert r.status_code == 200, r.text
    assert error_code(api.pull(other, repo.id)) == (403, "forbidden")


def test_a_stale_removal_is_409_version_conflict_and_keeps_the_newer_payload(repo: Repo) -> None:
    api, owner = repo.api, repo.owner
    other = joined(repo)
    newer = envelope(repo.id, 2, 0)
    assert api.push(other, repo.id, 1, newer).json()["accepted"] is True
    before = repo.snapshot()
    r = api.remove(owner, repo.id, other.id, envelope(repo.id, 2, 1), [owner.entry(1)], 1)
    assert error_code(r) == (409, "version_conflict")
    assert repo.snapshot() == before and before["envelope"] == newer
    r = api.remove(owner, repo.id, other.id, envelope(repo.id, 1, 1), [owner.entry(1)], 1)
    assert error_code(r) == (409, "version_conflict")
    assert repo.snapshot() == before


def remove_cases(repo_id: str, owner: Member, other: Member, third: Member) -> dict[str, tuple[Any, ...]]:
    """name -> (removed id, envelope, rewrapped, newKeyEpoch); the repo is at version 1, epoch 0."""
    ok_roster = [owner.entry(1), third.entry(1)]
    return {
        "version-too-high": (other.id, envelope(repo_id, 3, 1), ok_roster, 1),
        "envelope-other-repo": (other.id, envelope(repo_id + "x", 2, 1), ok_roster, 1),
        "epoch-not-raised": (other.id, envelope(repo_id, 2, 0), [owner.entry(0), third.entry(0)], 0),
        "epoch-mismatch": (other.id, envelope(repo_id, 2, 2), [owner.entry(1), third.entry(1)], 1),
        "roster-keeps-removed": (other.id, envelope(repo_id, 2, 1), [*ok_roster, other.entry(1)], 1),
        "roster-misses-one": (other.id, envelope(repo_id, 2, 1), [owner.entry(1)], 1),
        "roster-extra": (other.id, envelope(repo_id, 2, 1), [*ok_roster, Member.new().entry(1)], 1),
        "roster-duplicate": (other.id, envelope(repo_id, 2, 1), [*ok_roster, owner.entry(1)], 1),
        "roster-other-x25519": (
            other.id,
            envelope(repo_id, 2, 1),
            [owner.entry(1), swapped_x(third).entry(1)],
            1,
        ),
        "roster-wrong-entry-epoch": (other.id, envelope(repo_id, 2, 1), [owner.entry(1), third.entry(0)], 1),
    }


def swapped_x(member: Member) -> Member:
    fresh = Member.new()
    return Member(member.seed, member.public, fresh.x_private, fresh.x_public)


@pytest.mark.parametrize("case", list(remove_cases("r", Member.new(), Member.new(), Member.new())))
def test_remove_member_rule_violations_are_400_and_change_nothing(repo: Repo, case: str) -> None:
    api, owner = repo.api, repo.owner
    other, third = joined(repo), joined(repo)
    before = repo.snapshot()
    removed, env, rewrapped, epoch = remove_cases(repo.id, owner, other, third)[case]
    assert error_code(api.remove(owner, repo.id, removed, env, rewrapped, epoch)) == (400, "bad_request")
    assert repo.snapshot() == before


def test_removing_the_last_member_is_400(repo: Repo) -> None:
    before = repo.snapshot()
    r = repo.api.remove(repo.owner, repo.id, repo.owner.id, envelope(repo.id, 2, 1), [], 1)
    assert error_code(r) == (400, "bad_request")
    assert repo.snapshot() == before


def test_removing_a_non_member_is_404(repo: Repo) -> None:
    before = repo.snapshot()
    r = repo.api.remove(
        repo.owner, repo.id, Member.new().id, envelope(repo.id, 2, 1), [repo.owner.entry(1)], 1
    )
    assert error_code(r) == (404, "not_found")
    assert repo.snapshot() == before


# --- key binding -----------------------------------------------------------------------------------
def test_key_binding_is_signed_by_the_jwks_key(api: Api) -> None:
    member = Member.new()
    api.login(member)
    r = api.post("/v1/key-binding", {"x25519PublicKey": member.x_b64}, member.token)
    assert r.status_code == 200, r.text
    body = r.json()
    (key,) = api.call("GET", "/.well-known/jwks.json").json()["keys"]
    assert body["ed25519PublicKey"] == member.id and body["x25519PublicKey"] == member.x_b64
    assert body["kid"] == key["kid"]
    assert body["issuerJwksUrl"] == api.call("GET", "/.well-known/avp").json()["issuerJwksUrl"]
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["x"] + "="))
    public.verify(base64.b64decode(body["keyBindingSig"]), f"{member.id}|{member.x_b64}".encode())


LOW_ORDER_X25519 = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]


@pytest.mark.parametrize("point", LOW_ORDER_X25519)
def test_key_binding_refuses_low_order_x25519_keys(api: Api, point: str) -> None:
    member = Member.new()
    api.login(member)
    r = api.post("/v1/key-binding", {"x25519PublicKey": b64(bytes.fromhex(point))}, member.token)
    assert error_code(r) == (400, "bad_request")


@pytest.mark.parametrize("body", [{}, {"x25519PublicKey": "AAAA"}, {"x25519PublicKey": None}, {"x": 1}])
def test_key_binding_malformed_is_400_and_anonymous_401(api: Api, body: dict[str, Any]) -> None:
    member = Member.new()
    api.login(member)
    assert error_code(api.post("/v1/key-binding", body, member.token)) == (400, "bad_request")
    assert error_code(api.post("/v1/key-binding", {"x25519PublicKey": member.x_b64})) == (401, "unauthorized")
