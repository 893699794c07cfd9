"""``avp interop observe``: the judges on crafted traffic (each shown failing), then the command on
our own CLI (clean) and on the placeholder client (exactly its known faults), against a real server.

Crafted traffic uses pyca ``cryptography`` for keys and signatures (not the code under test) and
published low-order X25519 points (RFC 7748 §5 / Wycheproof: u = 0 and u = 1).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import jsonschema
import pytest
from avp.interop.observe import checks
from avp.interop.observe.exchanges import Seen
from avp.interop.observe.timeline import steps
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .conftest import ROOT, avp

SCHEME = "X25519-HKDF-SHA256-AESGCM-v1"
REPO = "repo-observed"
PLACEHOLDER = ROOT / "tests" / "fixtures" / "placeholder_client.py"
#: the faults the placeholder client has by construction (tests/fixtures/placeholder_client.py)
PLACEHOLDER_FAULTS = {"spec/observe.wrapped-keys", "spec/observe.envelope.iv-unique"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def raw_public(key: Any) -> bytes:
    return bytes(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


class Member:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.id = b64(raw_public(self.key))
        self.x25519 = b64(raw_public(X25519PrivateKey.generate()))

    def entry(self, epoch: int, ephemeral: Optional[bytes] = None) -> dict[str, Any]:
        return {
            "ed25519PublicKey": self.id,
            "x25519PublicKey": self.x25519,
            "wrappedDataKey": {
                "schemeId": SCHEME,
                "ephemeralPublicKey": b64(ephemeral or raw_public(X25519PrivateKey.generate())),
                "iv": b64(secrets.token_bytes(12)),
                "ciphertext": b64(secrets.token_bytes(48)),
            },
            "keyEpoch": epoch,
        }


def envelope(version: int, epoch: int, iv: Optional[bytes] = None) -> dict[str, Any]:
    return {
        "repoId": REPO,
        "payloadVersion": version,
        "keyEpoch": epoch,
        "iv": b64(iv or secrets.token_bytes(12)),
        "ciphertext": b64(secrets.token_bytes(40)),
    }


class Traffic:
    """Crafted exchanges in the order a client would make them."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []

    def add(
        self, path: str, body: Any, answer: Any = None, status: int = 200, method: str = "POST"
    ) -> Traffic:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.seen.append(Seen(len(self.seen), method, path, raw, status, answer))
        return self

    def login(self, member: Member, sign: Optional[bytes] = None) -> Traffic:
        nonce = secrets.token_bytes(32)
        self.add("/api/auth/keypair/challenge", {"ed25519PublicKey": member.id}, {"nonce": b64(nonce)})
        signature = member.key.sign(nonce if sign is None else sign)
        body = {"ed25519PublicKey": member.id, "nonce": b64(nonce), "signature": b64(signature)}
        return self.add("/api/auth/keypair/token", body, {"token": "opaque", "expiresAt": 1})

    def vault(self, operation: str, body: Any, answer: Any = None, status: int = 200) -> Traffic:
        return self.add(f"/v1/repos/{REPO}/{operation}", body, answer, status)


def manifest(
    version: int, epoch: int, members: list[dict[str, Any]], share: Optional[bool] = True
) -> dict[str, Any]:
    out = {
        "repoId": REPO,
        "schemeId": SCHEME,
        "keyEpoch": epoch,
        "payloadVersion": version,
        "members": members,
    }
    if share is not None:
        out["shareRefreshTokens"] = share
    return out


def lifecycle() -> tuple[Traffic, Member, Member, list[dict[str, Any]]]:
    """A correct lifecycle up to (not including) a removal: login, create, pull, push, add bob."""
    alice, bob = Member(), Member()
    roster = [alice.entry(0)]
    t = Traffic().login(alice)
    created = manifest(1, 0, roster)
    t.add("/v1/repos", {"manifest": created, "initialEnvelope": envelope(1, 0)}, created)
    t.vault("pull", {"repoId": REPO, "knownPayloadVersion": 1}, {"manifest": created, "unchanged": True})
    push = {"repoId": REPO, "envelope": envelope(2, 0), "expectedPayloadVersion": 1}
    t.vault("push", push, {"accepted": True, "payloadVersion": 2, "keyEpoch": 0, "conflict": False})
    roster = [*roster, bob.entry(0)]
    t.vault("add-member", {"repoId": REPO, "member": roster[1]}, manifest(2, 0, roster))
    return t, alice, bob, roster


def with_removal(t: Traffic, alice: Member, bob: Member, **change: Any) -> Traffic:
    body = {
        "repoId": REPO,
        "removedMemberId": bob.id,
        "rotatedEnvelope": envelope(3, 1),
        "rewrappedMembers": [alice.entry(1)],
        "newKeyEpoch": 1,
    }
    body.update(change)
    return t.vault("remove-member", body, manifest(3, 1, body["rewrappedMembers"]))


def findings(judge: Any, t: Traffic) -> list[checks.Finding]:
    verdict = judge(steps(t.seen))
    assert verdict.judged > 0, "the judge had nothing to judge"
    return list(verdict.findings)


def test_a_correct_lifecycle_passes_every_judge() -> None:
    t, alice, bob, _ = lifecycle()
    with_removal(t, alice, bob)
    t.vault(
        "pull", {"repoId": REPO, "knownPayloadVersion": 0}, {"manifest": manifest(3, 1, [alice.entry(1)])}
    )
    for check, verdict in checks.judge_all(t.seen):
        assert verdict.judged > 0, check.id
        assert verdict.findings == (), (check.id, verdict.findings)


def test_schema_judge_finds_missing_unknown_and_mistyped_fields() -> None:
    t = Traffic()
    t.vault("pull", {"repoId": REPO})
    t.vault("pull", {"repoId": REPO, "knownPayloadVersion": "1"})
    t.vault("pull", {"repoId": REPO, "knownPayloadVersion": 1, "extra": True})
    t.add("/api/auth/keypair/challenge", {"ed25519PublicKey": b64(bytes(31))})
    t.vault("pull", b"not json")
    found = findings(checks.request_schema, t)
    assert [f.seq for f in found] == [0, 1, 2, 3, 4]
    assert "knownPayloadVersion: is required" in found[0].actual
    assert "must be a JSON number" in found[1].actual
    assert "extra: is not a field" in found[2].actual
    assert "decodes to 31 bytes" in found[3].actual
    assert findings(checks.strict_encoding, t) == []  # none of these is an encoding matter


def test_strict_encoding_judge_finds_what_only_the_project_rules_refuse() -> None:
    member = Member()
    raw = base64.b64decode(member.id)
    text = b64(raw)
    # 32 bytes leave two unused bits in the last character: set one (the stdlib still decodes it)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    loose = text[:42] + alphabet[alphabet.index(text[42]) | 1] + "="
    assert base64.b64decode(loose, validate=True) == raw and loose != text
    t = Traffic()
    t.add("/api/auth/keypair/challenge", {"ed25519PublicKey": loose})
    t.vault("pull", {"repoId": REPO, "knownPayloadVersion": 2**53})
    t.vault("pull", b'{"repoId": "a", "repoId": "b", "knownPayloadVersion": 1}')
    t.add("/api/auth/keypair/challenge", {"ed25519PublicKey": text})
    found = findings(checks.strict_encoding, t)
    assert [f.seq for f in found] == [0, 1, 2]
    assert "canonical" in found[0].actual and "2^53-1" in found[1].actual and "duplicate" in found[2].actual
    assert findings(checks.request_schema, t) == []


def test_signature_judge_uses_the_raw_nonce_and_the_strict_policy() -> None:
    alice = Member()
    assert findings(checks.challenge_signature, Traffic().login(alice)) == []
    nonce_text = Traffic().login(alice)  # sign the base64 text instead of the bytes
    text_signed = Traffic()
    text_signed.seen = nonce_text.seen[:1]
    issued = json.loads(json.dumps(nonce_text.seen[0].answer))["nonce"]
    text_signed.add(
        "/api/auth/keypair/token",
        {"ed25519PublicKey": alice.id, "nonce": issued, "signature": b64(alice.key.sign(issued.encode()))},
    )
    assert "base64 text" in findings(checks.challenge_signature, text_signed)[0].actual
    # the small-order "universal" signature (AVP-PROTOCOL §2) that lax verifiers accept for any message
    universal_key, universal_sig = b64(b"\x01" + bytes(31)), b64(b"\x01" + bytes(63))
    t = Traffic().add(
        "/api/auth/keypair/challenge", {"ed25519PublicKey": universal_key}, {"nonce": b64(bytes(32))}
    )
    t.add(
        "/api/auth/keypair/token",
        {"ed25519PublicKey": universal_key, "nonce": b64(bytes(32)), "signature": universal_sig},
    )
    assert "strict Ed25519 policy" in findings(checks.challenge_signature, t)[0].actual
    never_issued = Traffic().login(alice)
    never_issued.seen = never_issued.seen[1:]
    assert "never issued" in findings(checks.challenge_signature, never_issued)[0].actual


def test_header_judge_compares_envelope_path_body_and_manifest() -> None:
    t, _, _, _ = lifecycle()
    wrong_repo = {**envelope(3, 0), "repoId": "elsewhere"}
    t.vault("push", {"repoId": REPO, "envelope": wrong_repo, "expectedPayloadVersion": 2})
    t.vault("push", {"repoId": REPO, "envelope": envelope(5, 0), "expectedPayloadVersion": 2})
    bad_create = manifest(1, 0, [Member().entry(0)])
    t.add("/v1/repos", {"manifest": bad_create, "initialEnvelope": envelope(1, 1)}, status=400)
    found = findings(checks.envelope_header, t)
    assert [f.seq for f in found] == [6, 6, 7, 8]  # path and body repoId; version; epoch
    assert "expectedPayloadVersion + 1" in found[2].expected


def test_counters_judge_finds_skipped_versions_bad_starts_and_rollbacks() -> None:
    t, _, _, roster = lifecycle()
    t.vault("push", {"repoId": REPO, "envelope": envelope(4, 0), "expectedPayloadVersion": 3}, status=400)
    t.vault(
        "pull",
        {"repoId": REPO, "knownPayloadVersion": 9},
        {"manifest": manifest(1, 0, roster), "unchanged": False},
    )
    t.add(
        "/v1/repos",
        {"manifest": {**manifest(2, 0, roster[:1]), "repoId": "other"}, "initialEnvelope": envelope(2, 0)},
    )
    found = findings(checks.counters_monotonic, t)
    assert [f.seq for f in found] == [6, 7, 7, 8]
    assert found[0].expected == "payloadVersion 3"
    assert "at most 2" in found[1].expected and "served manifest" in found[2].expected
    # a push answered as a conflict was computed against an older state: allowed
    stale, _, _, _ = lifecycle()
    stale.vault(
        "push", {"repoId": REPO, "envelope": envelope(2, 0), "expectedPayloadVersion": 1}, {"conflict": True}
    )
    assert findings(checks.counters_monotonic, stale) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"schemeId": "X25519-HKDF-SHA512"}, "schemeId"),
        ({"ephemeralPublicKey": b64(bytes(32))}, "low-order"),
        ({"ephemeralPublicKey": b64(b"\x01" + bytes(31))}, "low-order"),
        ({"ephemeralPublicKey": b64(bytes(31))}, "ephemeralPublicKey is not base64 of 32 bytes"),
        ({"iv": b64(bytes(16))}, "iv is not base64 of 12 bytes"),
        ({"ciphertext": b64(bytes(32))}, "ciphertext is not base64 of 48 bytes"),
    ],
)
def test_wrapped_key_judge_finds_malformed_keys(change: dict[str, Any], problem: str) -> None:
    t, _, _, _ = lifecycle()
    carol = Member().entry(0)
    carol["wrappedDataKey"].update(change)
    t.vault("add-member", {"repoId": REPO, "member": carol})
    found = findings(checks.wrapped_keys, t)
    assert [f.seq for f in found] == [6] and problem in found[0].actual


def test_wrapped_key_judge_finds_reused_ephemeral_keys_and_duplicate_members() -> None:
    t, alice, _, roster = lifecycle()
    shared = base64.b64decode(roster[1]["wrappedDataKey"]["ephemeralPublicKey"])
    t.vault("add-member", {"repoId": REPO, "member": Member().entry(0, ephemeral=shared)})
    t.vault("add-member", {"repoId": REPO, "member": roster[1]})  # the same entry again: idempotent, fine
    twice = manifest(1, 0, [alice.entry(0), alice.entry(0)])
    t.add("/v1/repos", {"manifest": {**twice, "repoId": "two"}, "initialEnvelope": envelope(1, 0)})
    found = findings(checks.wrapped_keys, t)
    assert [f.seq for f in found] == [6, 8]
    assert (
        "already used in exchange #5" in found[0].actual
        and found[1].expected == "one entry per roster member"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"newKeyEpoch": 2, "rotatedEnvelope": envelope(3, 2)}, "newKeyEpoch 1"),
        ({"rotatedEnvelope": envelope(4, 1)}, "envelope payloadVersion 3"),
        ("keep-bob", "rewrappedMembers = the roster minus the removed member"),
        ("stale-wrap", "a fresh wrapped key"),
        ("not-a-member", "removedMemberId on the roster"),
    ],
)
def test_removal_judge_finds_broken_rotations(change: Any, expected: str) -> None:
    t, alice, bob, roster = lifecycle()
    if change == "keep-bob":
        change = {"rewrappedMembers": [alice.entry(1), bob.entry(1)]}
    elif change == "stale-wrap":
        change = {"rewrappedMembers": [{**roster[0], "keyEpoch": 1}]}
    elif change == "not-a-member":
        change = {"removedMemberId": Member().id}
    with_removal(t, alice, bob, **change)
    found = findings(checks.removal_rotation, t)
    assert expected in [
        f.expected.split(" (")[0] if "fresh" not in f.expected else "a fresh wrapped key" for f in found
    ]


def test_removal_judge_leaves_a_removal_the_server_called_stale_alone() -> None:
    t, alice, bob, _ = lifecycle()
    t.vault(
        "remove-member",
        {
            "repoId": REPO,
            "removedMemberId": bob.id,
            "rotatedEnvelope": envelope(2, 1),
            "rewrappedMembers": [alice.entry(1)],
            "newKeyEpoch": 1,
        },
        {"error": "stale"},
        status=409,
    )
    assert checks.removal_rotation(steps(t.seen)).judged == 0


def test_iv_judge_finds_reuse_under_one_epoch_only() -> None:
    iv = secrets.token_bytes(12)
    t, alice, bob, _ = lifecycle()
    same = {"repoId": REPO, "envelope": envelope(3, 0, iv), "expectedPayloadVersion": 2}
    t.vault("push", same, {"accepted": True, "payloadVersion": 3, "keyEpoch": 0, "conflict": False})
    t.vault(
        "push", same, {"accepted": False, "payloadVersion": 3, "keyEpoch": 0, "conflict": True}
    )  # a resend
    assert findings(checks.iv_unique, t) == []
    with_removal(t, alice, bob, rotatedEnvelope=envelope(4, 1, iv))  # same IV, next epoch: another key
    assert findings(checks.iv_unique, t) == []
    t.vault("push", {"repoId": REPO, "envelope": envelope(4, 0, iv), "expectedPayloadVersion": 3})
    found = findings(checks.iv_unique, t)
    assert [f.seq for f in found] == [9] and "version 3" in found[0].actual


def test_share_refresh_tokens_judge_finds_a_dropped_policy() -> None:
    t, _, _, roster = lifecycle()
    assert findings(checks.share_refresh_tokens_kept, t) == []
    t.vault(
        "pull", {"repoId": REPO, "knownPayloadVersion": 0}, {"manifest": manifest(2, 0, roster, share=None)}
    )
    found = findings(checks.share_refresh_tokens_kept, t)
    assert [f.seq for f in found] == [6] and found[0].actual == "'absent'"


# --- the command, end to end ------------------------------------------------------------------------
def observe(
    tmp_path: Path, *command: str, server: str = "python"
) -> tuple[subprocess.CompletedProcess[str], dict]:
    report = tmp_path / "report"
    out = avp("observe", "--server", server, "--report-dir", str(report), "--timeout", "180", "--", *command)
    doc = json.loads((report / "results.json").read_text()) if (report / "results.json").exists() else {}
    if doc:
        jsonschema.validate(doc, json.loads((report / "results.schema.json").read_text()))
    return out, doc


def outcomes(doc: dict, outcome: str) -> set[str]:
    return {c["id"] for c in doc["cases"] if c["outcome"] == outcome}


LIFECYCLE = """
set -euo pipefail
as() { local who=$1; shift; AVP_HOME="$WORK/$who" AVP_PASSPHRASE="$who passphrase" avp "$@"; }
for who in alice bob carol; do as $who id new > /dev/null; done
REPO=$(as alice repo create --server "$AVP_SERVER_URL" --share-refresh-tokens)
NOTCH=069a79f4-44e9-4726-a5be-fca90e38aaf5
JEB=61699b2e-d327-4a01-9f1e-0ea8c3f06bc6
AVP_ACCESS_TOKEN=token-1 as alice repo add-alt "$REPO" --uuid "$NOTCH" --username Notch
as alice member add "$REPO" "$(as bob id export)" > /dev/null
as alice member add "$REPO" "$(as carol id export)" > /dev/null
as alice member remove "$REPO" "$(as bob id show --member-id)"
AVP_ACCESS_TOKEN=token-2 as alice repo add-alt "$REPO" --uuid "$JEB" --username jeb_
as alice repo pull "$REPO"
"""


def observe_our_cli(tmp_path: Path, server: str) -> None:
    script = tmp_path / "lifecycle.sh"
    script.write_text(LIFECYCLE)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    out, doc = observe(
        tmp_path, "env", f"WORK={tmp_path}", f"PATH={path}", "bash", str(script), server=server
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert outcomes(doc, "fail") == set()
    assert outcomes(doc, "skip") == set()  # the lifecycle gives every judge something to judge
    assert "spec 9/9 · hardening 1/1" in out.stdout


def test_observe_our_cli_is_clean(tmp_path: Path) -> None:
    observe_our_cli(tmp_path, "python")


def test_observe_our_cli_is_clean_on_the_lax_server_by_url(tmp_path: Path, lax_url: str) -> None:
    observe_our_cli(tmp_path, lax_url)


def test_observe_the_placeholder_client_finds_exactly_its_faults(tmp_path: Path) -> None:
    out, doc = observe(tmp_path, sys.executable, str(PLACEHOLDER))
    assert out.returncode == 1, out.stdout + out.stderr
    assert outcomes(doc, "fail") == PLACEHOLDER_FAULTS
    assert outcomes(doc, "skip") == {
        "spec/observe.removal.rotation",
        "spec/observe.manifest.share-refresh-tokens",
    }
    assert "placeholder_client.py@python" in out.stdout
    assert "spec 5/7 · hardening 1/1" in out.stdout
    text = (tmp_path / "report" / "results.json").read_text()
    assert "Bearer" not in text and '"token": "ey' not in text  # transcripts are redacted
    # only the spec level counts with --level spec, and the faults are spec faults: still 1
    assert (
        avp(
            "observe",
            "--level",
            "spec",
            "--report-dir",
            str(tmp_path / "again"),
            "--",
            sys.executable,
            str(PLACEHOLDER),
        ).returncode
        == 1
    )


def test_observe_the_placeholder_client_against_the_lax_server_by_url(tmp_path: Path, lax_url: str) -> None:
    out, doc = observe(tmp_path, sys.executable, str(PLACEHOLDER), server=lax_url)
    assert out.returncode == 1, out.stdout + out.stderr
    assert outcomes(doc, "fail") == PLACEHOLDER_FAULTS
    assert doc["implementations"][0]["url"] == lax_url


def test_observe_usage_errors(tmp_path: Path) -> None:
    assert avp("observe", "--report-dir", str(tmp_path)).returncode == 2
    assert avp("observe", "--server", "nonesuch", "--", "true").returncode == 2


def test_a_client_that_fails_or_sends_nothing_is_not_clean(tmp_path: Path) -> None:
    out, doc = observe(tmp_path, sys.executable, "-c", "raise SystemExit(4)")
    assert out.returncode == 1
    assert outcomes(doc, "fail") == {"spec/observe.client.completed"}
    assert outcomes(doc, "pass") == set()


def test_a_bug_in_the_judges_is_exit_status_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from avp.cli import build_parser
    from avp.interop.observe import results

    def broken(_exchanges: Any) -> Any:
        raise RuntimeError("a bug of the runner")

    monkeypatch.setattr(results, "judge_all", broken)
    args = build_parser().parse_args(
        ["interop", "observe", "--report-dir", str(tmp_path), "--", sys.executable, "-c", "pass"]
    )
    assert args.func(args) == 3
    assert "RuntimeError: a bug of the runner" in capsys.readouterr().err


def test_the_judges_survive_any_traffic() -> None:
    """Whatever a client sends or a server answers, every judge gives a verdict (no exception)."""
    odd: list[Any] = [None, [], {}, "x", 1.5, -1, True, {"a": []}, "A" * 44]
    t = lifecycle()[0]
    for value in odd:
        t.vault("pull", {"repoId": value, "knownPayloadVersion": value}, {"manifest": {"members": [value]}})
        env = {"repoId": value, "payloadVersion": value, "keyEpoch": value, "iv": value, "ciphertext": value}
        member = {
            "ed25519PublicKey": value,
            "wrappedDataKey": {"ephemeralPublicKey": value},
            "keyEpoch": value,
        }
        t.vault("push", {"repoId": REPO, "envelope": env, "rotatedMembers": [member, value]}, value)
        t.vault("push", {"repoId": REPO, "envelope": env, "rotatedMembers": value}, {"accepted": True})
        t.vault(
            "remove-member",
            {"removedMemberId": value, "rewrappedMembers": [member], "rotatedEnvelope": env},
            value,
            status=400,
        )
        t.add(
            "/v1/repos", {"manifest": {"repoId": value, "members": [member]}, "initialEnvelope": env}, value
        )
        t.add("/api/auth/keypair/challenge", {"ed25519PublicKey": value}, {"nonce": value})
        t.add(
            "/api/auth/keypair/token", {"ed25519PublicKey": value, "nonce": value, "signature": value}, value
        )
        t.vault("add-member", value, value)
    t.vault("pull", b"[" * 100_000 + b"]" * 100_000)
    t.add("/v1/repos/%ZZ/member/%2F", b"", {"ed25519PublicKey": None}, method="GET")
    verdicts = checks.judge_all(t.seen)
    assert {c.id for c, _ in verdicts} == {c.id for c in checks.CHECKS}
    assert all(v.judged for _, v in verdicts)
    assert next(v for c, v in verdicts if c.id == "spec/observe.request.schema").findings
