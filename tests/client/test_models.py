"""The typed payload and wire models: tolerant reading, legacy bans, refresh-token policy, strictness."""

from __future__ import annotations

import json

import pytest
from avp.errors import CounterOutOfRange, InvalidEncoding, ProtocolError
from avp.models import (
    AltAccount,
    BanInfo,
    PullResponse,
    PushResponse,
    VaultManifest,
    VaultPayload,
    alts_from_json,
    apply_refresh_policy,
    loads_strict,
    shares_refresh_tokens,
)

MEMBER = "ERERERERERERERERERERERERERERERERERERERERERE="
X25519 = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
WRAPPED = {
    "schemeId": "X25519-HKDF-SHA256-AESGCM-v1",
    "ephemeralPublicKey": X25519,
    "iv": "AAAAAAAAAAAAAAAA",
    "ciphertext": "AA==",
}

MINIMAL_ALT = {"uuid": "u-1", "username": "steve", "accessToken": "at", "type": "MICROSOFT", "lastUsed": 5}
BAN = {"banned": True, "observedAt": 7, "source": "hypixel", "detail": "kicked"}


def full_alt() -> dict[str, object]:
    return {
        **MINIMAL_ALT,
        "refreshToken": "rt",
        "expiresAt": 99,
        "lastUsedBy": MEMBER,
        "bans": {"mc.example": {**BAN, "observedBy": MEMBER}},
        "sourceClient": "client-x",
        "sourceUser": "user-y",
    }


def test_minimal_alt_tolerates_absent_optional_fields() -> None:
    alt = AltAccount.from_dict(MINIMAL_ALT)
    assert (alt.refresh_token, alt.expires_at, alt.bans, alt.last_used_by) == (None, None, None, None)
    assert alt.to_dict() == MINIMAL_ALT


def test_full_alt_round_trips() -> None:
    raw = full_alt()
    alt = AltAccount.from_dict(raw)
    assert alt.bans is not None and alt.bans["mc.example"].observed_by == MEMBER
    assert alt.to_dict() == raw


def test_nulls_read_as_absent() -> None:
    alt = AltAccount.from_dict({**MINIMAL_ALT, "lastUsedBy": None, "bans": None, "refreshToken": None})
    assert alt.to_dict() == MINIMAL_ALT


def test_legacy_ban_reads_as_unknown_server() -> None:
    alt = AltAccount.from_dict({**MINIMAL_ALT, "ban": BAN})
    assert alt.bans == {"unknown": BanInfo(True, 7, "hypixel", "kicked")}
    # Written back in the current shape, never as "ban".
    assert alt.to_dict()["bans"] == {"unknown": BAN} and "ban" not in alt.to_dict()


def test_legacy_ban_merges_with_bans_and_explicit_unknown_wins() -> None:
    other = {**BAN, "source": "other"}
    merged = AltAccount.from_dict({**MINIMAL_ALT, "ban": BAN, "bans": {"s1": other}})
    assert merged.bans is not None and set(merged.bans) == {"s1", "unknown"}
    explicit = AltAccount.from_dict({**MINIMAL_ALT, "ban": BAN, "bans": {"unknown": other}})
    assert explicit.bans is not None and explicit.bans["unknown"].source == "other"


def test_unknown_alt_fields_survive_a_rewrite() -> None:
    alt = AltAccount.from_dict({**MINIMAL_ALT, "skinUrl": "https://x", "nested": {"a": [1]}})
    assert alt.to_dict()["skinUrl"] == "https://x" and alt.to_dict()["nested"] == {"a": [1]}


@pytest.mark.parametrize(
    "mutation",
    [
        {"type": "PREMIUM"},
        {"uuid": 5},
        {"lastUsed": "5"},
        {"lastUsed": True},
        {"bans": []},
        {"bans": {"s": {**BAN, "banned": 1}}},
        {"ban": {"banned": True}},
    ],
)
def test_malformed_alts_raise_invalid_encoding(mutation: dict[str, object]) -> None:
    with pytest.raises(InvalidEncoding):
        AltAccount.from_dict({**MINIMAL_ALT, **mutation})


@pytest.mark.parametrize("value", [-1, 2**53, 1.0, 1e400])
def test_counters_out_of_range(value: object) -> None:
    with pytest.raises(CounterOutOfRange):
        AltAccount.from_dict({**MINIMAL_ALT, "lastUsed": value})


def test_counter_limit_is_inclusive() -> None:
    assert AltAccount.from_dict({**MINIMAL_ALT, "lastUsed": 2**53 - 1}).last_used == 2**53 - 1


@pytest.mark.parametrize("policy", [None, False, 1, "true", "True", [True]])
def test_refresh_policy_is_off_unless_exactly_true(policy: object) -> None:
    assert not shares_refresh_tokens(policy)
    stripped = apply_refresh_policy([AltAccount.from_dict(full_alt())], policy)[0].to_dict()
    assert "refreshToken" not in stripped and "expiresAt" not in stripped
    assert stripped["accessToken"] == "at"


def test_refresh_policy_true_keeps_credentials() -> None:
    kept = apply_refresh_policy([AltAccount.from_dict(full_alt())], True)[0]
    assert (kept.refresh_token, kept.expires_at) == ("rt", 99)


def test_payload_round_trip_and_strict_json() -> None:
    payload = VaultPayload((AltAccount.from_dict(full_alt()),), 3)
    assert VaultPayload.from_json(payload.to_json()) == payload
    assert json.loads(payload.to_json()) == {"alts": [full_alt()], "payloadVersion": 3}
    for bad in (
        b'{"alts": [], "payloadVersion": NaN}',
        b'{"alts": [], "alts": [], "payloadVersion": 1}',
        b"\xff",
    ):
        with pytest.raises(InvalidEncoding):
            VaultPayload.from_json(bad)


def test_alts_from_json_requires_an_array() -> None:
    assert alts_from_json(json.dumps([MINIMAL_ALT])) == [AltAccount.from_dict(MINIMAL_ALT)]
    with pytest.raises(InvalidEncoding):
        alts_from_json(json.dumps(MINIMAL_ALT))


def manifest_dict(**over: object) -> dict[str, object]:
    member = {"ed25519PublicKey": MEMBER, "x25519PublicKey": X25519, "wrappedDataKey": WRAPPED, "keyEpoch": 0}
    base: dict[str, object] = {
        "repoId": "r",
        "schemeId": "X25519-HKDF-SHA256-AESGCM-v1",
        "keyEpoch": 0,
        "payloadVersion": 1,
        "members": [member],
    }
    return {**base, **over}


def test_manifest_keeps_absent_policy_and_unknown_fields() -> None:
    raw = manifest_dict(futureField={"x": 1})
    manifest = VaultManifest.from_dict(raw)
    assert manifest.share_refresh_tokens is None and manifest.to_dict() == raw
    assert manifest.member(MEMBER) is not None and manifest.member_ids == [MEMBER]
    assert VaultManifest.from_dict(manifest_dict(shareRefreshTokens=False)).share_refresh_tokens is False


@pytest.mark.parametrize(
    "raw",
    [
        manifest_dict(shareRefreshTokens="true"),
        manifest_dict(keyEpoch="0"),
        manifest_dict(members={}),
        manifest_dict(members=[{"ed25519PublicKey": MEMBER}]),
        manifest_dict(
            members=[
                {
                    "ed25519PublicKey": MEMBER,
                    "x25519PublicKey": X25519,
                    "keyEpoch": 0,
                    "wrappedDataKey": {**WRAPPED, "extra": "x"},
                }
            ]
        ),
    ],
)
def test_bad_manifests_are_protocol_errors(raw: dict[str, object]) -> None:
    with pytest.raises(ProtocolError):
        VaultManifest.from_dict(raw)


def test_pull_response_accepts_absent_or_null_envelope_when_unchanged() -> None:
    for body in (
        {"manifest": manifest_dict(), "unchanged": True},
        {"manifest": manifest_dict(), "unchanged": True, "envelope": None},
    ):
        assert PullResponse.from_dict(body).envelope is None
    with pytest.raises(ProtocolError):
        PullResponse.from_dict({"manifest": manifest_dict(), "unchanged": False})


def test_push_response_must_be_accepted_xor_conflict() -> None:
    ok = PushResponse.from_dict({"accepted": True, "conflict": False, "payloadVersion": 2, "keyEpoch": 0})
    assert ok.accepted and ok.payload_version == 2
    with pytest.raises(ProtocolError):
        PushResponse.from_dict({"accepted": True, "conflict": True, "payloadVersion": 2, "keyEpoch": 0})


def test_loads_strict_rejects_duplicates_at_depth() -> None:
    with pytest.raises(ProtocolError):
        loads_strict(b'{"a": {"b": 1, "b": 2}}', ProtocolError)
