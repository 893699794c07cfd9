"""The ``avp`` CLI through subprocess, with real files and a real server."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional

import pytest
from avp import crypto

from .conftest import avp_command, free_port
from .hostile import HostileProxy

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"
#: The CLI is a thin layer over the SDK, whose tests run against both servers: one server is enough here.
ONLY_PYTHON_SERVER = pytest.mark.parametrize("server", ["python"], indirect=True)


def run(
    home: Path, *args: str, passphrase: Optional[str] = "pw", env: Optional[dict[str, str]] = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AVP_")}
    full_env["AVP_HOME"] = str(home)
    if passphrase is not None:
        full_env["AVP_PASSPHRASE"] = passphrase
    full_env.update(env or {})
    return subprocess.run(
        [*avp_command(), *args],
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the quick start waits for the server with curl")
def test_quick_start_in_the_docs_runs_as_written(tmp_path: Path) -> None:
    text = DOCS.read_text()
    block = text.split("<!-- quickstart:begin -->")[1].split("<!-- quickstart:end -->")[0]
    script = block.strip().removeprefix("```bash").removesuffix("```")
    script = script.replace("8787", str(free_port()))  # the only change: a free port
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVP_")}
    env["PATH"] = f"{Path(avp_command()[0]).parent}{os.pathsep}{env['PATH']}"
    prelude = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
    result = subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Notch" in result.stdout
    assert "Bob was removed" in result.stdout
    assert "error[forbidden]" in result.stderr
    assert re.search(r"version 4, epoch 1, 1 alt\(s\), 1 member\(s\)", result.stdout)


def test_identity_commands(tmp_path: Path) -> None:
    home = tmp_path / "me"
    created = json.loads(ok(run(home, "id", "new", "--json")))
    assert set(created) == {"memberId", "x25519PublicKey", "recoveryCode", "path"}
    assert Path(created["path"]).stat().st_mode & 0o077 == 0  # owner-only
    shown = json.loads(ok(run(home, "id", "show", "--json", passphrase=None)))
    assert shown["memberId"] == created["memberId"]
    assert ok(run(home, "id", "show", "--member-id", passphrase=None)) == created["memberId"]
    token = ok(run(home, "id", "export"))
    assert json.loads(ok(run(home, "id", "export", "--json")))["inviteToken"] == token
    # The recovery code unlocks too; a wrong passphrase is a clean error with its code.
    assert (
        ok(run(home, "id", "export", passphrase=None, env={"AVP_RECOVERY_CODE": created["recoveryCode"]}))
        == token
    )
    wrong = run(home, "id", "export", passphrase="nope")
    assert wrong.returncode == 3 and "error[invalid_passphrase]" in wrong.stderr
    # An identity is never overwritten by accident.
    again = run(home, "id", "new")
    assert again.returncode == 3 and "error[local_state_error]" in again.stderr
    assert (
        json.loads(ok(run(home, "id", "show", "--json", passphrase=None)))["memberId"] == created["memberId"]
    )


def test_secrets_are_never_taken_from_argv(tmp_path: Path) -> None:
    home = tmp_path / "me"
    no_pass = run(home, "id", "new", passphrase=None)
    assert no_pass.returncode == 2 and "AVP_PASSPHRASE" in no_pass.stderr
    assert not (home / "identity.json").exists()
    ok(run(home, "id", "new"))
    no_token = run(home, "repo", "add-alt", "avp://127.0.0.1:1/x", "--uuid", "u", "--username", "n")
    assert no_token.returncode == 2 and "AVP_ACCESS_TOKEN" in no_token.stderr
    for command in (["id", "new"], ["repo", "add-alt"], ["member", "remove"]):
        help_text = ok(run(home, *command, "--help"))
        assert "--passphrase" not in help_text and "--access-token" not in help_text


@ONLY_PYTHON_SERVER
def test_repository_commands_end_to_end(tmp_path: Path, server_url: str) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    ok(run(alice, "id", "new"))
    ok(run(bob, "id", "new"))
    alts = tmp_path / "alts.json"
    alts.write_text(
        json.dumps(
            [
                {"uuid": "u1", "username": "one", "accessToken": "a1", "type": "COOKIE", "lastUsed": 1},
                {
                    "uuid": "u2",
                    "username": "two",
                    "accessToken": "a2",
                    "type": "OFFLINE",
                    "lastUsed": 2,
                    "refreshToken": "r2",
                    "ban": {"banned": True, "observedAt": 3, "source": "s", "detail": "d"},
                },
            ]
        )
    )
    created = json.loads(
        ok(run(alice, "repo", "create", "--server", server_url, "--alts", str(alts), "--json"))
    )
    address = created["address"]
    assert (created["payloadVersion"], created["keyEpoch"], created["alts"]) == (1, 0, 2)

    listed = ok(run(alice, "repo", "list-alts", address))
    assert "banned on unknown" in listed and "a1" not in listed
    hidden = json.loads(ok(run(alice, "repo", "list-alts", address, "--json")))
    assert all("accessToken" not in a for a in hidden)
    revealed = json.loads(ok(run(alice, "repo", "list-alts", address, "--json", "--reveal")))
    assert [a["accessToken"] for a in revealed] == ["a1", "a2"]
    assert "refreshToken" not in revealed[1]  # the repository does not share refresh tokens

    env = {"AVP_ACCESS_TOKEN": "a3"}
    ok(run(alice, "repo", "add-alt", address, "--uuid", "u3", "--username", "three", env=env))
    pushed = json.loads(ok(run(alice, "repo", "push", address, str(alts), "--json")))
    assert pushed["payloadVersion"] == 3

    invite = ok(run(bob, "id", "export"))
    ok(run(alice, "member", "add", address, invite))
    locator = ok(run(alice, "repo", "locator", address))
    assert ok(run(bob, "repo", "join", locator)) == address
    members = json.loads(ok(run(bob, "member", "list", address, "--json")))
    assert len(members["members"]) == 2

    bob_id = ok(run(bob, "id", "show", "--member-id"))
    removed = json.loads(ok(run(alice, "member", "remove", address, bob_id, "--json")))
    assert (removed["payloadVersion"], removed["keyEpoch"], len(removed["members"])) == (
        5,
        1,
        1,
    )  # adds: pushes
    refused = run(bob, "repo", "pull", address, "--json")
    assert refused.returncode == 3
    assert json.loads(refused.stdout)["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "command",
    [["id"], ["repo"], ["member"], ["id", "new"], ["repo", "create"], ["repo", "join"], ["member", "invite"]],
)
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    assert "usage: avp" in ok(run(tmp_path, *command, "--help"))


@ONLY_PYTHON_SERVER
def test_key_change_is_refused_until_accepted(tmp_path: Path, proxy: HostileProxy) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    ok(run(alice, "id", "new"))
    ok(run(bob, "id", "new"))
    address = ok(run(alice, "repo", "create", "--server", proxy.url))
    assert ok(run(alice, "repo", "list", passphrase=None)) == address
    ok(run(alice, "member", "add", address, ok(run(bob, "id", "export"))))
    ok(run(alice, "repo", "pull", address))  # pins Bob's key
    bob_id = ok(run(bob, "id", "show", "--member-id", passphrase=None))
    new_x = base64.b64encode(crypto.x25519_generate()[1]).decode()

    def swap(body: Any) -> Any:
        for entry in body["manifest"]["members"]:
            if entry["ed25519PublicKey"] == bob_id:
                entry["x25519PublicKey"] = new_x
        return body

    proxy.rewrite("pull", swap)
    refused = run(alice, "repo", "pull", address)
    assert refused.returncode == 3 and "error[key_changed]" in refused.stderr
    ok(run(alice, "member", "accept-key", address, bob_id, new_x))
    # Accepted locally, but the last signed write names Bob's real key: the signed roster wins...
    still = run(alice, "repo", "pull", address)
    assert still.returncode == 3 and "error[roster_unauthenticated]" in still.stderr
    # ...unless this user accepts unsigned roster changes (repositories shared with non-signers).
    assert "2 member(s)" in ok(run(alice, "repo", "pull", address, "--unsigned-policy", "report"))


def test_passwd_with_the_recovery_code(tmp_path: Path) -> None:
    home = tmp_path / "me"
    created = json.loads(ok(run(home, "id", "new", "--json", passphrase="old")))
    env = {"AVP_RECOVERY_CODE": created["recoveryCode"], "AVP_NEW_PASSPHRASE": "new"}
    changed = json.loads(ok(run(home, "id", "passwd", "--json", passphrase=None, env=env)))
    assert changed["memberId"] == created["memberId"] and changed["recoveryCode"] != created["recoveryCode"]
    assert run(home, "id", "export", passphrase="old").returncode == 3
    old_code = run(home, "id", "export", passphrase=None, env={"AVP_RECOVERY_CODE": created["recoveryCode"]})
    assert old_code.returncode == 3 and "invalid_passphrase" in old_code.stderr
    token = ok(run(home, "id", "export", passphrase="new"))
    assert (
        ok(run(home, "id", "export", passphrase=None, env={"AVP_RECOVERY_CODE": changed["recoveryCode"]}))
        == token
    )
