"""Zero knowledge: after a full create/push/add/remove scenario with real encryption, no stored
value holds a plaintext field, a data key or the passphrase (internal: reads the database)."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from avp import Identity
from avp.crypto import seal_payload, wrap_key

from .api import Api, Member, b64, enc, manifest
from .conftest import ServerProcess

pytestmark = pytest.mark.internal

B64_STRING = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")


def sealed_envelope(
    key: bytes, repo_id: str, version: int, epoch: int, alts: list[dict[str, Any]]
) -> dict[str, Any]:
    plaintext = json.dumps({"alts": alts, "payloadVersion": version}).encode()
    iv, ciphertext = seal_payload(key, repo_id, version, epoch, plaintext)
    return {
        "repoId": repo_id,
        "payloadVersion": version,
        "keyEpoch": epoch,
        "iv": b64(iv),
        "ciphertext": b64(ciphertext),
    }


def entry(member: Member, key: bytes, epoch: int) -> dict[str, Any]:
    return {
        "ed25519PublicKey": member.id,
        "x25519PublicKey": member.x_b64,
        "wrappedDataKey": wrap_key(key, member.x_public).to_dict(),
        "keyEpoch": epoch,
    }


def run_scenario(url: str) -> tuple[list[bytes], bytes]:
    """Play the lifecycle; return (secrets that must not be stored, a public canary that must be)."""
    tag = os.urandom(6).hex()
    passphrase = f"correct horse battery {tag}"
    identity = Identity.generate()
    sealed = identity.seal(passphrase, memory_kib=8192, iterations=1)
    assert Identity.open(sealed, passphrase).ed25519_public_key == identity.ed25519_public_key
    alice = Member(
        identity.export_ed25519_seed(),
        identity.ed25519_public_key,
        identity.export_x25519_private(),
        identity.x25519_public_key,
    )
    bob = Member.new()
    canary = f"PUBLIC-CANARY-{tag}"
    alt = {
        "uuid": f"uuid-{tag}",
        "username": f"ZKUSER{tag}",
        "accessToken": f"ZKACCESS{tag}",
        "refreshToken": f"ZKREFRESH{tag}",
        "type": "MICROSOFT",
        "lastUsed": int(time.time() * 1000),
    }
    key1, key2 = os.urandom(32), os.urandom(32)
    repo_id = f"zk-{tag}"
    with Api(url) as api:
        api.login(alice)
        api.login(bob)
        body = {
            "manifest": manifest(repo_id, [entry(alice, key1, 0)], shareRefreshTokens=True, xCanary=canary),
            "initialEnvelope": sealed_envelope(key1, repo_id, 1, 0, [alt]),
        }
        assert api.post("/v1/repos", body, alice.token).status_code == 200
        assert api.push(
            alice, repo_id, 1, sealed_envelope(key1, repo_id, 2, 0, [alt, {**alt, "uuid": "2"}])
        ).json()["accepted"]
        assert api.add(alice, repo_id, entry(bob, key1, 0)).status_code == 200
        r = api.remove(
            alice, repo_id, bob.id, sealed_envelope(key2, repo_id, 3, 1, [alt]), [entry(alice, key2, 1)], 1
        )
        assert r.status_code == 200, r.text
        assert api.push(alice, repo_id, 3, sealed_envelope(key2, repo_id, 4, 1, [alt])).json()["accepted"]
        assert (
            api.call("GET", f"/v1/repos/{enc(repo_id)}/member/{enc(alice.id)}", token=alice.token).status_code
            == 200
        )
    secrets = [passphrase.encode(), *(alt[k].encode() for k in ("username", "accessToken", "refreshToken"))]
    for key in (key1, key2, identity.export_ed25519_seed(), identity.export_x25519_private()):
        secrets += [
            key,
            base64.b64encode(key),
            key.hex().encode(),
            base64.urlsafe_b64encode(key).rstrip(b"="),
        ]
    return secrets, canary.encode()


def expand(haystack: bytes) -> bytes:
    """The stored bytes plus the decoding of every base64 string in them."""
    decoded = []
    for match in B64_STRING.finditer(haystack):
        text = match.group()
        try:
            decoded.append(base64.b64decode(text + b"=" * (-len(text) % 4)))
        except binascii.Error:
            continue
    return haystack + b"\x00".join(decoded)


def assert_zero_knowledge(stored: bytes, secrets: list[bytes], canary: bytes) -> None:
    everything = expand(stored)
    assert canary in everything, "the dump does not cover the stored manifest"
    for secret in secrets:
        assert secret not in everything, f"a secret was stored: {secret[:8]!r}..."


def test_sqlite_stores_nothing_secret(start_server: Callable[..., ServerProcess], workdir: Path) -> None:
    db = workdir / "zk.sqlite3"
    server = start_server(db=str(db))
    secrets, canary = run_scenario(server.url)
    server.stop()
    files = b"".join(p.read_bytes() for p in workdir.glob("zk.sqlite3*"))
    with sqlite3.connect(db) as conn:
        rows = [
            repr(row).encode()
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            for row in conn.execute(f'SELECT * FROM "{table}"')
        ]
    conn.close()
    assert_zero_knowledge(files + b"\n".join(rows), secrets, canary)
    assert server.logs()  # and the logs, which hold no body at all
    assert_zero_knowledge(server.logs().encode() + canary, secrets, canary)


@pytest.mark.postgres
def test_postgres_stores_nothing_secret(
    start_server: Callable[..., ServerProcess], fresh_pg_dsn: str
) -> None:
    import psycopg

    server = start_server(db=fresh_pg_dsn)
    secrets, canary = run_scenario(server.url)
    with psycopg.connect(fresh_pg_dsn) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        rows = [repr(row).encode() for (table,) in tables for row in conn.execute(f'SELECT * FROM "{table}"')]
    assert_zero_knowledge(b"\n".join(rows), secrets, canary)
