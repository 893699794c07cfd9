"""Issue 17: the JDK's own HTTP client (defaults: it offers ``Upgrade: h2c``) logs in and pulls."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from avp.crypto import ed25519_public_key

from .api import Api, Member
from .conftest import REPO, ServerProcess

JAVA_LOGIN = REPO / "tests" / "clients" / "JavaLogin.java"


@pytest.fixture(scope="module")
def java() -> str:
    found = shutil.which("java")
    if found is None:
        pytest.skip("no java on PATH (.ci/run installs openjdk-17-jdk-headless)")
    return found


def test_the_java_http_client_logs_in_and_pulls(
    java: str, both_servers: ServerProcess, tmp_path: Path
) -> None:
    member = Member.new()
    assert ed25519_public_key(member.seed) == base64.b64decode(member.id)
    payload = os.urandom(200)
    with Api(both_servers.url) as api:
        repo_id = api.create(member, payload=payload)["repoId"]
    run = subprocess.run(
        [java, str(JAVA_LOGIN), both_servers.url, base64.b64encode(member.seed).decode(), member.id, repo_id],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    steps = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    status, _, body = steps["pull"].partition(" ")
    assert status == "200"
    pulled = json.loads(body)
    assert pulled["unchanged"] is False and pulled["manifest"]["repoId"] == repo_id
    assert base64.b64decode(pulled["envelope"]["ciphertext"]) == payload
