"""Crash durability and several processes on one database (internal: own processes, kill -9)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from .api import Api, Member, envelope, error_code
from .conftest import ServerProcess
from .test_concurrency import decode_list, encode_list

pytestmark = pytest.mark.internal


def test_kill_9_during_pushes_loses_no_acknowledged_push(
    start_server: Callable[..., ServerProcess], workdir: Path
) -> None:
    db = str(workdir / "durability.sqlite3")
    server = start_server(db=db)
    owner = Member.new()
    with Api(server.url) as api:
        repo_id = api.create(owner, payload=encode_list([]))["repoId"]
    acked: list[tuple[str, int]] = []
    lock = threading.Lock()
    enough = threading.Event()

    def writer(w: int) -> None:
        with Api(server.url) as api:
            for i in range(10_000):  # bounded; the kill ends it long before
                try:
                    state = api.state(owner, repo_id)
                    version = state["manifest"]["payloadVersion"]
                    items = [*decode_list(state["envelope"]), f"w{w}-{i}"]
                    env = envelope(repo_id, version + 1, 0, encode_list(items))
                    r = api.push(owner, repo_id, version, env)
                except requests.RequestException:  # refused, reset or cut mid-answer
                    return  # the server is gone
                if r.status_code == 200 and r.json()["accepted"]:
                    with lock:
                        acked.append((items[-1], version + 1))
                        if len(acked) >= 150:
                            enough.set()

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(writer, w) for w in range(4)]
        assert enough.wait(timeout=120), "the pushes did not get going"
        server.stop(kill=True)
        for future in futures:
            future.result()
    restarted = start_server(db=db)
    with Api(restarted.url) as api:
        owner_token_still_valid = api.pull(owner, repo_id)  # the issuer key is persisted too
        assert owner_token_still_valid.status_code == 200
        final = owner_token_still_valid.json()
    items = decode_list(final["envelope"])
    version = final["manifest"]["payloadVersion"]
    assert version == 1 + len(items)
    assert version >= max(v for _, v in acked)
    for marker, v in acked:
        assert items[v - 2] == marker  # acknowledged, durable, at its version: monotonic history


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_processes_share_nonces_tokens_and_the_compare_and_set(
    start_server: Callable[..., ServerProcess], workdir: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    db = str(workdir / "shared.sqlite3")
    if backend == "postgres":
        import psycopg

        dsn: str = request.getfixturevalue("pg_dsn")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE avp_two_processes")
        db = dsn.rsplit("/", 1)[0] + "/avp_two_processes"
    first, second = start_server(db=db), start_server(db=db)
    check_two_processes(first.url, second.url)


def check_two_processes(a_url: str, b_url: str) -> None:
    member = Member.new()
    with Api(a_url) as a, Api(b_url) as b:
        nonce = a.nonce(member)
        assert b.token_response(member, nonce).status_code == 200  # issued by A, taken at B
        assert error_code(a.token_response(member, nonce)) == (401, "unauthorized")  # and gone at A
        repo_id = a.create(member)["repoId"]  # token from A...
        assert b.state(member, repo_id)["manifest"]["repoId"] == repo_id  # ...valid at B
        assert (
            a.call("GET", "/.well-known/jwks.json").json() == b.call("GET", "/.well-known/jwks.json").json()
        )

    def race(url: str) -> Any:
        with Api(url) as api:
            return api.push(member, repo_id, 1).json()["accepted"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(race, [a_url, b_url] * 8))
    assert results.count(True) == 1
