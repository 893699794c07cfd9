"""Optimistic concurrency under real contention, on the server under test and on PostgreSQL."""

from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .api import Api, Member, envelope

WRITERS, LOOPS, RACERS = 8, 200, 32


def encode_list(items: list[str]) -> bytes:
    """The 'ciphertext' of these tests: a JSON list the server treats as opaque bytes (>= 16)."""
    return json.dumps(items).encode().ljust(16)


def decode_list(env: dict[str, Any]) -> list[str]:
    return list(json.loads(base64.b64decode(env["ciphertext"])))


def test_32_concurrent_pushes_at_one_version_have_exactly_one_winner(backend_url: str) -> None:
    owner = Member.new()
    with Api(backend_url) as api:
        repo_id = api.create(owner)["repoId"]
    barrier = threading.Barrier(RACERS)
    envelopes = [envelope(repo_id, 2, 0) for _ in range(RACERS)]

    def race(i: int) -> dict[str, Any]:
        with Api(backend_url) as api:
            api.call("GET", "/.well-known/avp")  # connect first, so the pushes really overlap
            barrier.wait()
            r = api.push(owner, repo_id, 1, envelopes[i])
            assert r.status_code == 200, r.text
            return dict(r.json())

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(race, range(RACERS)))
    winners = [i for i, a in enumerate(answers) if a["accepted"]]
    assert len(winners) == 1
    for i, answer in enumerate(answers):
        if i not in winners:
            assert answer == {"accepted": False, "payloadVersion": 2, "keyEpoch": 0, "conflict": True}
    with Api(backend_url) as api:
        assert api.state(owner, repo_id)["envelope"] == envelopes[winners[0]]


def test_read_modify_push_loops_lose_no_update(backend_url: str) -> None:
    owner = Member.new()
    with Api(backend_url) as api:
        repo_id = api.create(owner, payload=encode_list([]))["repoId"]

    def writer(w: int) -> list[tuple[str, int]]:
        accepted: list[tuple[str, int]] = []
        with Api(backend_url) as api:
            for i in range(LOOPS):
                state = api.state(owner, repo_id)
                version = state["manifest"]["payloadVersion"]
                marker = f"w{w}-{i}"
                items = [*decode_list(state["envelope"]), marker]
                r = api.push(owner, repo_id, version, envelope(repo_id, version + 1, 0, encode_list(items)))
                assert r.status_code == 200, r.text
                if r.json()["accepted"]:
                    accepted.append((marker, version + 1))
                else:
                    assert r.json()["payloadVersion"] > version
        return accepted

    with ThreadPoolExecutor(WRITERS) as pool:
        accepted = [a for result in pool.map(writer, range(WRITERS)) for a in result]
    with Api(backend_url) as api:
        final = api.state(owner, repo_id)
    items = decode_list(final["envelope"])
    # Every accepted push is in the final payload, exactly once, at the position of its version.
    assert final["manifest"]["payloadVersion"] == 1 + len(accepted) == 1 + len(items)
    assert sorted(items) == sorted(marker for marker, _ in accepted)
    for marker, version in accepted:
        assert items[version - 2] == marker
    assert len(accepted) >= LOOPS  # contention happened, yet progress was made
