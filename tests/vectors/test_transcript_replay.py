"""transcript.json replayed against our two real servers: the exact request bodies, the same answers.

Only server-chosen values differ on a live server: nonces and tokens (the replay signs the live
nonce with the actor's fixed key and uses the live token), and the discovery document's
``implementation``. The Python server is started with the transcript's fixed signing seed, so its
JWKS and key-binding answers must match byte for byte too; the TypeScript server draws its own key,
so for it those two answers are compared on their key-independent members.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
import requests
from avp.crypto import ed25519_sign

from .conftest import VECTORS

TRANSCRIPT = json.loads((VECTORS / "transcript.json").read_text(encoding="utf-8"))
TS_SERVER = VECTORS.parent / "interop" / "implementations" / "typescript" / "dist" / "main.js"
#: Answers whose bytes depend on the server's signing key.
KEYED_ROUTES = ("/.well-known/jwks.json", "/v1/key-binding")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60  # a readiness bound, not a measured time
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/.well-known/avp", timeout=1).status_code == 200:
                return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


@pytest.fixture
def python_server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    key_file = tmp_path / "signing-key"
    key_file.write_text(TRANSCRIPT["server"]["ed25519SeedB64"])
    cmd = [
        sys.executable,
        "-m",
        "avp.cli",
        "serve",
        "--db",
        str(tmp_path / "db.sqlite3"),
        "--port",
        str(port),
        "--public-url",
        TRANSCRIPT["base"],
        "--signing-key-file",
        str(key_file),
    ]
    proc = _start(cmd, {"PATH": "/usr/bin:/bin"}, port, tmp_path / "server.log")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def typescript_server(tmp_path: Path) -> Iterator[str]:
    node = shutil.which("node")
    if node is None or not TS_SERVER.exists():
        pytest.skip("the TypeScript server is not built (make build-ts)")
    port = _free_port()
    env = {"PORT": str(port), "AVP_PUBLIC_URL": TRANSCRIPT["base"], "AVP_LOG": "off"}
    proc = _start([node, str(TS_SERVER)], env, port, tmp_path / "server.log")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def _expected(step: dict[str, Any], fixed_key: bool) -> Optional[Any]:
    """The answer to compare exactly, or None when only its stable members are compared."""
    path, body = step["request"]["path"], step["response"]["body"]
    if step["response"]["status"] != 200:
        return {"code": body["code"]}
    if step["name"].endswith(("-challenge", "-token")) or path == "/.well-known/avp":
        return None
    if path in KEYED_ROUTES and not fixed_key:
        return None
    return body


def replay(base: str, fixed_key: bool) -> None:
    actors, nonces, tokens = TRANSCRIPT["actors"], {}, {}
    with requests.Session() as http:
        for step in TRANSCRIPT["cases"]:
            who, request = step["actor"], step["request"]
            body = request.get("body")
            if step["name"].endswith("-token"):
                seed = base64.b64decode(actors[who]["ed25519SeedB64"])
                signature = ed25519_sign(seed, base64.b64decode(nonces[who]))
                body = {**body, "nonce": nonces[who], "signature": base64.b64encode(signature).decode()}
            headers = {"Authorization": f"Bearer {tokens[who]}"} if "headers" in request else {}
            answer = http.request(
                request["method"], base + request["path"], json=body, headers=headers, timeout=30
            )
            assert answer.status_code == step["response"]["status"], (step["name"], answer.text)
            got = answer.json()
            if step["name"].endswith("-challenge"):
                nonces[who] = got["nonce"]
            elif step["name"].endswith("-token"):
                tokens[who] = got["token"]
            expected = _expected(step, fixed_key)
            if answer.status_code != 200:
                got = {"code": got.get("code")}
            if expected is not None:
                assert got == expected, step["name"]
            elif request["path"] == "/.well-known/avp":
                stable = ("profiles", "avpVersion", "issuerJwksUrl", "keyBindingUrl")
                assert {k: got.get(k) for k in stable} == {k: step["response"]["body"][k] for k in stable}
            elif request["path"] == "/v1/key-binding":
                members = ("ed25519PublicKey", "x25519PublicKey", "issuerJwksUrl")
                assert {k: got[k] for k in members} == {k: step["response"]["body"][k] for k in members}


def test_python_server_answers_exactly_as_the_transcript(python_server: str) -> None:
    replay(python_server, fixed_key=True)


def test_typescript_server_answers_as_the_transcript(typescript_server: str) -> None:
    replay(typescript_server, fixed_key=False)
