"""Hostile traffic from a client with no account (issue 11): each test is one finding of the
resource-exhaustion probe, bounded in count and time, on 127.0.0.1 only.

The black-box tests run against every server of ``AVP_TEST_SERVERS`` (default ``python,typescript``):
each starts its own server with short deadlines through the ``AVP_*`` variables both servers read.
Tests marked ``internal`` read the Python server's database files.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
from pathlib import Path
from typing import Callable, Optional

import pytest
import requests

from .api import Api, Member, envelope, error_code, manifest, new_repo_id
from .conftest import ServerProcess
from .rawhttp import json_code, read_response

#: Short deadlines so that a test waits seconds, not the production defaults.
HOSTILE_ENV = {
    "AVP_HEADER_TIMEOUT_SECONDS": "2",
    "AVP_IDLE_TIMEOUT_SECONDS": "2",
    "AVP_MIN_BODY_BYTES_PER_SECOND": "1000",
}
#: Longer than every deadline above plus scheduling slack: a read that outlasts it is a finding.
PATIENCE = 10.0

Start = Callable[..., ServerProcess]


@pytest.fixture
def start_hostile(start_server: Start, server_kind: str) -> Callable[..., ServerProcess]:
    def start(**env: str) -> ServerProcess:
        return start_server(db="memory:", env={**HOSTILE_ENV, **env}, kind=server_kind)

    return start


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server closes the connection (after an optional response) within PATIENCE."""
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


GET = b"GET /.well-known/avp HTTP/1.1\r\nHost: 127.0.0.1\r\n"


# --- headers ------------------------------------------------------------------------------------
def test_a_header_over_16_kib_is_431_json(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile()
    with connect(server) as sock:
        sock.sendall(GET + b"X-Big: " + b"a" * 20000 + b"\r\n\r\n")
        status, _, body = read_response(sock)
    assert (status, json_code(body)) == (431, "headers_too_large")


def test_more_than_100_headers_is_431_json(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile()
    with connect(server) as sock:
        sock.sendall(GET + b"".join(b"X-H%d: 1\r\n" % i for i in range(150)) + b"\r\n")
        status, _, body = read_response(sock)
    assert (status, json_code(body)) == (431, "headers_too_large")


def test_a_header_that_never_ends_is_refused_before_it_grows(
    start_hostile: Callable[..., ServerProcess],
) -> None:
    """The probe sent 64 MiB of header per connection; the server must answer after 16 KiB."""
    server = start_hostile()
    with connect(server) as sock:
        sock.sendall(GET + b"X-Endless: ")
        sent = 0
        try:
            while sent < 4 * 1024 * 1024:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, _, body = read_response(sock)
    assert sent < 4 * 1024 * 1024 or status == 431
    assert status in (0, 431)
    assert status == 0 or json_code(body) == "headers_too_large"


# --- deadlines ----------------------------------------------------------------------------------
def test_a_connection_that_sends_nothing_is_closed(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile()
    with connect(server) as sock:
        assert closed_by_server(sock)


def test_headers_sent_slowly_get_408_json(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile()
    with connect(server) as sock:
        sock.sendall(GET)  # the head never ends
        status, _, body = read_response(sock)
    assert (status, json_code(body)) == (408, "request_timeout")


def test_a_body_sent_slowly_gets_408_json(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile()
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
        )
        status, _, body = read_response(sock)
    assert (status, json_code(body)) == (408, "request_timeout")


def test_an_idle_keep_alive_connection_is_closed(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile()
    with connect(server) as sock:
        sock.sendall(GET + b"\r\n")
        assert read_response(sock)[0] == 200
        assert closed_by_server(sock)


def test_beyond_the_connection_cap_new_connections_are_refused_and_old_ones_work(
    start_hostile: Callable[..., ServerProcess],
) -> None:
    server = start_hostile(
        AVP_MAX_CONNECTIONS="32", AVP_HEADER_TIMEOUT_SECONDS="8", AVP_IDLE_TIMEOUT_SECONDS="8"
    )
    keeper = connect(server)
    extra: list[socket.socket] = []
    try:
        keeper.sendall(GET + b"\r\n")
        assert read_response(keeper)[0] == 200
        extra = [connect(server) for _ in range(40)]
        refused = []
        for sock in extra[-8:]:  # beyond 32 open connections
            sock.settimeout(3)
            status, _, body = read_response(sock)
            refused.append((status, json_code(body)))
        assert refused == [(503, "overloaded")] * 8
        keeper.sendall(GET + b"\r\n")
        assert read_response(keeper)[0] == 200
    finally:
        keeper.close()
        for sock in extra:
            sock.close()


# --- HTTP-level errors are JSON ------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        b"GET /" + b"a" * 102400 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        b"Content-Length: 3\r\n\r\n{}",
        b"POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(32) + b"\r\n\r\n",
    ],
    ids=["100k-path", "negative-length", "two-lengths", "length-and-chunked", "0xff-path", "tls-hello"],
)
def test_malformed_http_gets_a_json_error(start_hostile: Callable[..., ServerProcess], raw: bytes) -> None:
    server = start_hostile()
    with connect(server) as sock:
        sock.sendall(raw)
        status, headers, body = read_response(sock)
    assert 400 <= status < 500, (status, body[:200])
    assert headers.get("content-type", "").startswith("application/json")
    assert json_code(body) in ("bad_request", "headers_too_large", "not_found")


# --- login state and rate --------------------------------------------------------------------------
def test_login_routes_are_rate_limited_per_address(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile(AVP_LOGIN_BURST="10", AVP_LOGIN_PER_MINUTE="6")
    member = Member.new()
    with requests.Session() as session:
        answers = [
            session.post(
                server.url + "/api/auth/keypair/challenge", json={"ed25519PublicKey": member.id}, timeout=10
            )
            for _ in range(12)
        ]
    assert [r.status_code for r in answers[:10]] == [200] * 10
    last = answers[-1]
    assert (last.status_code, last.json()["code"]) == (429, "rate_limited")
    assert int(last.headers["Retry-After"]) >= 1


def test_create_repo_is_rate_limited_per_address(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile(AVP_CREATE_BURST="3", AVP_CREATE_PER_MINUTE="1")
    member = Member.new()
    with Api(server.url) as api:
        for _ in range(3):
            api.create(member)
        assert error_code(create_response(api, member)) == (429, "rate_limited")


def create_response(api: Api, member: Member, payload: Optional[bytes] = None) -> requests.Response:
    repo_id = new_repo_id()
    body = {
        "manifest": manifest(repo_id, [member.entry(0)]),
        "initialEnvelope": envelope(repo_id, 1, 0, payload),
    }
    return api.post("/v1/repos", body, member.token or api.login(member))


@pytest.mark.internal
def test_a_challenge_flood_writes_nothing(start_server: Start, tmp_path: Path) -> None:
    """The probe grew the database 1.6 MB per 10k challenges; a challenge now stores nothing."""
    db = tmp_path / "flood.sqlite3"
    server = start_server(db=str(db), env={"AVP_LOGIN_BURST": "5000"})

    def size() -> int:
        return sum(p.stat().st_size for p in tmp_path.glob("flood.sqlite3*"))

    member = Member.new()
    with requests.Session() as session:
        session.post(server.url + "/api/auth/keypair/challenge", json={"ed25519PublicKey": member.id})
        before = size()
        for _ in range(2000):
            r = session.post(
                server.url + "/api/auth/keypair/challenge", json={"ed25519PublicKey": member.id}, timeout=10
            )
            assert r.status_code == 200
    assert size() == before


@pytest.mark.internal
def test_a_sweep_gives_the_space_of_expired_used_nonces_back(tmp_path: Path) -> None:
    from avp.server.store.sqlite import SqliteStore

    path = tmp_path / "sweep.sqlite3"
    store = SqliteStore(str(path))
    store.migrate()
    now = time.time()
    try:
        store._write(
            lambda conn: conn.executemany(
                "INSERT INTO used_nonces VALUES (?, ?)", ((os.urandom(32), now - 1) for _ in range(50000))
            )
        )
        store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        flooded = path.stat().st_size
        store.sweep(now)
        swept = path.stat().st_size
        wal = Path(str(path) + "-wal")
        assert swept < flooded / 4, (flooded, swept)
        assert not wal.exists() or wal.stat().st_size < flooded / 4
    finally:
        store.close()


def test_a_nonce_is_accepted_once(
    start_hostile: Callable[..., ServerProcess],
) -> None:
    """Only a successful login records its nonce: a second use of it is refused."""
    server = start_hostile()
    member = Member.new()
    with Api(server.url) as api:
        nonce = api.nonce(member)
        assert api.token_response(member, nonce).status_code == 200
        assert error_code(api.token_response(member, nonce)) == (401, "unauthorized")
        assert len(base64.b64encode(nonce)) == 100  # 73 bytes: the wire format is still base64


# --- global storage bounds ------------------------------------------------------------------------
def test_the_repository_bound_is_507_and_writes_nothing(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile(AVP_MAX_REPOS="3")
    with Api(server.url) as api:
        for _ in range(3):
            api.create(Member.new())
        member = Member.new()
        refused = create_response(api, member)
        assert error_code(refused) == (507, "storage_full")
        repo_id = json.loads(refused.request.body or b"{}")["manifest"]["repoId"]
        assert error_code(api.pull(member, repo_id)) == (404, "not_found")


def test_the_stored_bytes_bound_refuses_a_growing_push_and_keeps_the_old_payload(
    start_hostile: Callable[..., ServerProcess],
) -> None:
    server = start_hostile(AVP_MAX_STORED_BYTES="24000")
    member = Member.new()
    with Api(server.url) as api:
        repo_id = api.create(member, payload=os.urandom(6000))["repoId"]
        assert create_response(api, Member.new(), os.urandom(6000)).status_code == 200
        big = envelope(repo_id, 2, 0, os.urandom(15000))
        assert error_code(api.push(member, repo_id, 1, big)) == (507, "storage_full")
        assert api.state(member, repo_id)["manifest"]["payloadVersion"] == 1
        small = envelope(repo_id, 2, 0, os.urandom(100))
        assert api.push(member, repo_id, 1, small).json()["accepted"] is True


def test_the_member_entry_bound_refuses_an_add(start_hostile: Callable[..., ServerProcess]) -> None:
    server = start_hostile(AVP_MAX_MEMBER_ENTRIES="2")
    owner, bob, carol = Member.new(), Member.new(), Member.new()
    with Api(server.url) as api:
        repo_id = api.create(owner)["repoId"]
        assert api.add(owner, repo_id, bob.entry(0)).status_code == 200
        assert error_code(api.add(owner, repo_id, carol.entry(0))) == (507, "storage_full")
        members = api.state(owner, repo_id)["manifest"]["members"]
        assert sorted(m["ed25519PublicKey"] for m in members) == sorted([owner.id, bob.id])
