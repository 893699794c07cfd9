"""Internals: the storage backends directly, the logs, and the ``avp serve`` command."""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Optional, TypeVar

import pytest
import requests
from avp.crypto import ed25519_public_key
from avp.errors import DuplicateRepo, QuotaExceeded, StorageFull
from avp.server.store import Capacity, RepoRecord, Store, open_store

from .api import Api, Member, b64, enc
from .conftest import ServerProcess, free_port

pytestmark = pytest.mark.internal

T = TypeVar("T")


def all_at_once(n: int, work: Callable[[int], T]) -> list[Optional[T]]:
    """Run ``work(0)`` … ``work(n - 1)`` in n threads that a barrier releases together; their results
    (None for a thread that raised)."""
    barrier = threading.Barrier(n)
    results: list[Optional[T]] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, workdir: Path) -> Iterator[Store]:
    if request.param == "memory":
        db = "memory:"
    elif request.param == "sqlite":
        db = str(workdir / f"store-{os.urandom(4).hex()}.sqlite3")
    else:
        db = request.getfixturevalue("fresh_pg_dsn")
    opened = open_store(db)
    opened.migrate()
    opened.migrate()  # idempotent
    yield opened
    opened.close()


def record(repo_id: str, rev: int, members: tuple[str, ...], version: int = 1) -> RepoRecord:
    return RepoRecord(repo_id, rev, version, 0, json.dumps({"v": version}), "{}", members)


def test_store_compare_and_set(store: Store) -> None:
    first = record("r", 0, ("alice",))
    store.create_repo(first, "alice", 10)
    loaded = store.load("r")
    assert loaded == first
    second = record("r", 1, ("alice", "bob"), version=2)
    assert store.replace(first, second) is True
    assert store.replace(first, record("r", 1, ("alice",), version=9)) is False  # stale rev
    assert store.load("r") == second
    view = store.pull("r", "bob", 1)
    assert view is not None and view.is_member and view.payload_version == 2 and view.envelope == "{}"
    view = store.pull("r", "carol", 2)
    assert view is not None and not view.is_member and view.envelope is None
    assert store.replace(second, record("r", 2, ("bob",), version=3))
    assert store.pull("r", "alice", 0).is_member is False  # type: ignore[union-attr]
    assert store.load("missing") is None and store.pull("missing", "alice", 0) is None


def test_store_create_duplicate_and_quota(store: Store) -> None:
    store.create_repo(record("a", 0, ("alice",)), "alice", 2)
    with pytest.raises(DuplicateRepo):
        store.create_repo(record("a", 0, ("bob",)), "bob", 2)
    store.create_repo(record("b", 0, ("alice",)), "alice", 2)
    with pytest.raises(QuotaExceeded):
        store.create_repo(record("c", 0, ("alice",)), "alice", 2)
    assert store.load("c") is None


def test_store_capacity_refuses_whole_writes_and_lets_shrinking_ones_through(store: Store) -> None:
    first = record("a", 0, ("alice", "bob"))
    size = len(first.manifest) + len(first.envelope)
    store.capacity = Capacity(max_repos=2, max_member_entries=3, max_stored_bytes=2 * size + 4)
    store.create_repo(first, "alice", 10)
    with pytest.raises(StorageFull):  # a third member entry plus a second would make 4
        store.create_repo(record("b", 0, ("carol", "dave")), "carol", 10)
    assert store.load("b") is None
    store.create_repo(record("b", 0, ("carol",)), "carol", 10)
    with pytest.raises(StorageFull):
        store.create_repo(record("c", 0, ("erin",)), "erin", 10)
    bigger = RepoRecord("a", 1, 2, 0, first.manifest, "x" * 100, ("alice", "bob"))
    with pytest.raises(StorageFull):
        store.replace(first, bigger)
    assert store.load("a") == first
    smaller = record("a", 1, ("alice",), version=2)
    assert store.replace(first, smaller) is True
    store.capacity = Capacity(max_repos=1)  # lowered below the contents: shrinking still works
    assert store.replace(smaller, record("a", 2, ("alice",), version=3)) is True


def test_sqlite_usage_totals_are_computed_for_an_existing_database(workdir: Path) -> None:
    from avp.server.store.sqlite import MIGRATIONS, SqliteStore

    path = workdir / f"usage-{os.urandom(4).hex()}.sqlite3"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("INSERT INTO repos VALUES ('r', 0, 1, 0, '{\"m\":1}', '{}')")
    conn.execute("INSERT INTO repo_members VALUES ('alice', 'r')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    store = SqliteStore(str(path))
    try:
        store.migrate()
        totals = store._conn().execute("SELECT repos, member_entries, stored_bytes FROM avp_usage").fetchone()
        assert totals == (1, 1, len('{"m":1}') + len("{}"))
    finally:
        store.close()


def test_store_concurrent_compare_and_set_has_one_winner(store: Store) -> None:
    base = record("race", 0, ("alice",))
    store.create_repo(base, "alice", 10)
    results = all_at_once(16, lambda i: store.replace(base, record("race", 1, ("alice",), version=100 + i)))
    assert results.count(True) == 1


def test_store_nonce_is_used_once(store: Store) -> None:
    now = time.time()
    results = all_at_once(8, lambda _: store.use_nonce(b"n" * 32, now + 60, now))
    assert results.count(True) == 1
    assert store.use_nonce(b"m" * 32, now + 60, now) is True


def test_store_signing_seed_is_settled_once(store: Store) -> None:
    first = store.signing_seed(b"a" * 32)
    assert store.signing_seed(b"b" * 32) == first == b"a" * 32


def test_sqlite_schema_is_versioned_and_wal(workdir: Path) -> None:
    from avp.server.store.sqlite import MIGRATIONS

    path = workdir / "schema.sqlite3"
    opened = open_store(str(path))
    opened.migrate()
    opened.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_sqlite_group_commit_undoes_only_the_failing_write(workdir: Path) -> None:
    """Writes share one transaction; a write that fails after writing must leave no trace, and the
    writes batched with it must still commit."""
    from avp.server.store.sqlite import SqliteStore

    store = SqliteStore(str(workdir / f"group-{os.urandom(4).hex()}.sqlite3"))
    store.migrate()
    now = time.time()
    errors: list[BaseException] = []

    def failing(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO used_nonces VALUES (?, ?)", (b"f" * 32, now + 60))
        raise DuplicateRepo("fails after writing")

    def write(i: int) -> None:
        try:
            if i == 5:
                store._write(failing)
            else:
                assert store.use_nonce(bytes([i]) * 32, now + 60, now)
        except DuplicateRepo as err:
            errors.append(err)

    all_at_once(12, write)
    try:
        assert len(errors) == 1
        assert store.use_nonce(b"f" * 32, now + 60, now) is True  # the failed write left nothing
        assert not any(store.use_nonce(bytes([i]) * 32, now + 60, now) for i in range(12) if i != 5)
    finally:
        store.close()


# --- logs ------------------------------------------------------------------------------------------
def test_one_structured_line_per_request_and_no_secrets(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server(db="memory:")
    member = Member.new()
    with Api(server.url) as api:
        nonce = api.nonce(member)
        r = api.token_response(member, nonce)
        token = r.json()["token"]
        member.token = token
        repo_id = api.create(member)["repoId"]
        api.pull(member, repo_id)
        api.fetch(member, repo_id, member.id)
        api.post(f"/v1/repos/{enc(repo_id)}/push", b"{bad", token)
        api.call("GET", "/nope")
        api.post("/v1/repos", b"{}")
    server.stop()
    lines = [json.loads(line) for line in server.logs().splitlines() if line.strip()]
    requests_logged = [line for line in lines if line.get("msg") == "request"]
    routes = [(line["method"], line["route"], line["status"], line["code"]) for line in requests_logged]
    assert routes == [
        ("GET", "/.well-known/avp", 200, None),  # the fixture's readiness probe
        ("POST", "/api/auth/keypair/challenge", 200, None),
        ("POST", "/api/auth/keypair/token", 200, None),
        ("POST", "/v1/repos", 200, None),
        ("POST", "/v1/repos/{repoId}/pull", 200, None),
        ("GET", "/v1/repos/{repoId}/member/{memberId}", 200, None),
        ("POST", "/v1/repos/{repoId}/push", 400, "bad_request"),
        ("GET", "(unknown)", 404, "not_found"),
        ("POST", "/v1/repos", 401, "unauthorized"),
    ]
    assert all(isinstance(line["ms"], (int, float)) and line["ms"] >= 0 for line in requests_logged)
    text = server.logs()
    for secret in [token, *token.split("."), b64(nonce), member.id, enc(member.id), repo_id, member.x_b64]:
        assert secret not in text


# --- the command -----------------------------------------------------------------------------------
def test_avp_serve_starts_with_no_configuration_and_stops_gracefully(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVP_")}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    port = free_port()
    env["AVP_PORT"] = str(port)  # the default 8787 may be taken on a shared machine
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "avp.cli", "serve"], env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with requests.Session() as session:
                    body = session.get(f"http://127.0.0.1:{port}/.well-known/avp", timeout=1).json()
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        assert body["limits"]["maxBodyBytes"] == 2_097_152
        with Api(f"http://127.0.0.1:{port}") as api:
            api.create(Member.new())
        assert (tmp_path / "data" / "avp" / "server.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    # uvicorn finishes in-flight requests and the lifespan (store closed), then re-raises the signal.
    assert code in (0, -signal.SIGTERM), log.read_text()
    assert "Application shutdown complete" in log.read_text()


def test_avp_serve_with_two_workers_on_sqlite(two_worker_server: ServerProcess) -> None:
    server = two_worker_server
    member = Member.new()
    with Api(server.url) as api:
        repo_id = api.create(member)["repoId"]
        for _ in range(8):  # connections land on both workers; every one knows the token
            with Api(server.url) as fresh:
                assert fresh.pull(member, repo_id).status_code == 200


def test_avp_serve_refuses_bad_configuration(tmp_path: Path) -> None:
    env = {**os.environ, "AVP_MAX_BODY_BYTES": "lots"}
    r = subprocess.run(
        [sys.executable, "-m", "avp.cli", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "AVP_MAX_BODY_BYTES" in r.stderr
    for args in (["--db", "memory:", "--workers", "2"], ["--workers", "0"], ["--max-body-bytes", "0"]):
        r = subprocess.run(
            [sys.executable, "-m", "avp.cli", "serve", *args], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 2 and "error" in r.stderr, args


def test_public_url_is_the_base_and_the_issuer(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server(db="memory:", args=("--public-url", "https://vault.example.org/"))
    with Api(server.url) as api:
        doc = api.call("GET", "/.well-known/avp").json()
        assert doc["issuerJwksUrl"] == "https://vault.example.org/.well-known/jwks.json"
        assert doc["keyBindingUrl"] == "https://vault.example.org/v1/key-binding"
        claims = json.loads(base64.urlsafe_b64decode(api.login(Member.new()).split(".")[1] + "=="))
        assert claims["iss"] == claims["aud"] == "https://vault.example.org"


def test_signing_key_file_is_created_private_and_published(
    start_server: Callable[..., ServerProcess], workdir: Path
) -> None:
    key_file = workdir / f"issuer-{os.urandom(4).hex()}.key"
    server = start_server(db="memory:", args=("--signing-key-file", str(key_file)))
    assert key_file.stat().st_mode & 0o777 == 0o600
    seed = base64.b64decode(key_file.read_text().strip())
    with Api(server.url) as api:
        (key,) = api.call("GET", "/.well-known/jwks.json").json()["keys"]
    assert base64.urlsafe_b64decode(key["x"] + "=") == ed25519_public_key(seed)
