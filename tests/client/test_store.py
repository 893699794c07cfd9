"""The durable local state: scoping by owner, monotonic high-water marks, atomic private files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from avp.client.store import RepoState, Store, resolve_home, write_private_file
from avp.errors import LocalStateError

ADDR = "avp://127.0.0.1:1/repo"


def state(version: int, epoch: int, **over: object) -> RepoState:
    fields: dict[str, object] = dict(
        hw_version=version,
        hw_epoch=epoch,
        share_refresh_tokens=False,
        issuer_jwks_url=None,
        manifest="{}",
        envelope=None,
    )
    fields.update(over)
    return RepoState(**fields)  # type: ignore[arg-type]


def test_home_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AVP_HOME", str(tmp_path / "env"))
    assert resolve_home() == tmp_path / "env"
    assert resolve_home(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("AVP_HOME")
    assert resolve_home() == Path("~/.local/share/avp").expanduser()


def test_high_water_marks_never_go_down(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.save_repo_state("alice", ADDR, state(5, 2, issuer_jwks_url="http://i/jwks"))
        store.save_repo_state("alice", ADDR, state(3, 1, manifest='{"m":1}'))
        got = store.repo_state("alice", ADDR)
        assert got is not None and (got.hw_version, got.hw_epoch) == (5, 2)
        # The rest of the row follows the latest write; a known issuer is not forgotten.
        assert got.manifest == '{"m":1}' and got.issuer_jwks_url == "http://i/jwks"
    # Durable across handles (and processes).
    with Store(tmp_path) as again:
        got = again.repo_state("alice", ADDR)
        assert got is not None and got.hw_version == 5


def test_state_is_scoped_by_owner(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.save_repo_state("alice", ADDR, state(2, 0))
        store.pin("alice", ADDR, "bob", "x1")
        store.save_sealed_data_key("alice", ADDR, 0, "sealed0")
        assert store.repo_state("bob", ADDR) is None
        assert store.pins("bob", ADDR) == {} and store.sealed_data_keys("bob", ADDR) == {}
        assert store.addresses("alice") == [ADDR] and store.addresses("bob") == []


def test_pins_and_sealed_keys(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.pin("alice", ADDR, "bob", "x1")
        store.pin("alice", ADDR, "bob", "x2")  # an explicit re-pin replaces
        assert store.pins("alice", ADDR) == {"bob": "x2"}
        store.save_sealed_data_key("alice", ADDR, 1, "s1")
        store.save_sealed_data_key("alice", ADDR, 0, "s0")
        assert store.sealed_data_keys("alice", ADDR) == {0: "s0", 1: "s1"}


def test_hosts_and_issuer_keys(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        assert store.base_url("h:1") is None
        store.remember_base_url("h:1", "http://h:1")
        assert store.base_url("h:1") == "http://h:1"
        store.pin_issuer_keys("http://h:1/jwks", {"k1"})
        store.pin_issuer_keys("http://h:1/jwks", {"k1", "k2"})
        assert store.issuer_keys("http://h:1/jwks") == {"k1", "k2"}


def test_unusable_home_is_a_local_state_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LocalStateError):
        Store(blocker / "sub")


def test_write_private_file_is_atomic_and_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "d" / "identity.json"
    write_private_file(target, b"one")
    write_private_file(target, b"two")
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["identity.json"]  # no temp file left behind
