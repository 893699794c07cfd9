"""Fixtures for the SDK and CLI tests: a real ``avp serve`` process, identities, clients, proxies."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests
from avp import Identity
from avp.client import Client, Repository
from avp.models import AltAccount

from .hostile import HostileProxy

#: Argon2id parameters for identities sealed by the tests (the format stores them; the CLI uses defaults).
FAST_KDF = {"memory_kib": 1024, "iterations": 1, "parallelism": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def avp_command() -> list[str]:
    """The ``avp`` entry point of the running interpreter's environment."""
    script = Path(sys.executable).with_name("avp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "avp.cli"]


REPO_ROOT = Path(__file__).resolve().parents[2]
TS_SERVER = REPO_ROOT / "interop" / "implementations" / "typescript" / "dist" / "main.js"


class ServerProcess:
    """A real server on a free loopback port: ``avp serve`` (SQLite file) or the TypeScript server."""

    def __init__(self, workdir: Path, kind: str = "python") -> None:
        self.workdir = workdir
        self.kind = kind
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AVP_")}
        self.log_path = workdir / "server.log"
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "typescript":
            self.env.update(PORT=str(self.port), AVP_LOG="off")
            return ["node", str(TS_SERVER)]
        return [*avp_command(), "serve", "--port", str(self.port), "--db", str(self.workdir / "db.sqlite")]

    def start(self) -> ServerProcess:
        cmd = self.command()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log, cwd=self.workdir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with requests.get(f"{self.url}/.well-known/avp", timeout=1) as r:
                    if r.status_code == 200:
                        return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the {self.kind} server did not become ready in 30 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _server_kinds() -> list[Any]:
    ts_missing = shutil.which("node") is None or not TS_SERVER.exists()
    reason = "the TypeScript server is not built (make build-ts) or node is missing"
    return ["python", pytest.param("typescript", marks=pytest.mark.skipif(ts_missing, reason=reason))]


@pytest.fixture(scope="session", params=_server_kinds())
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """Every SDK test runs against both servers of the project."""
    proc = ServerProcess(tmp_path_factory.mktemp(f"server-{request.param}"), request.param).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def server_url(server: ServerProcess) -> str:
    return server.url


@pytest.fixture
def proxy(server: ServerProcess) -> Iterator[HostileProxy]:
    with HostileProxy(server.url) as p:
        yield p


class Sleeps(list[float]):
    """An injectable ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


ClientFactory = Callable[..., Client]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    """``make_client(name, identity=None, **options)``: a Client with its own home under tmp_path."""
    made: list[Client] = []

    def make(name: str, identity: Optional[Identity] = None, **options: object) -> Client:
        options.setdefault("sleep", Sleeps())
        client = Client(identity or Identity.generate(), home=tmp_path / name, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def alt(n: int, **over: object) -> AltAccount:
    """A test alt; ``refresh_token``/``expires_at`` are set so the policy has something to strip."""
    fields: dict[str, object] = dict(
        uuid=f"uuid-{n}",
        username=f"player{n}",
        access_token=f"access-{n}",
        type="MICROSOFT",
        last_used=1_700_000_000_000 + n,
        refresh_token=f"refresh-{n}",
        expires_at=1_800_000_000_000,
        source_client="avp-tests",
    )
    fields.update(over)
    return AltAccount(**fields)  # type: ignore[arg-type]


def alice_adds_bob(make_client: ClientFactory, url: str) -> tuple[Client, Client, Repository]:
    """Alice creates a repository at ``url`` holding ``alt(1)`` and adds Bob (who has not joined)."""
    alice, bob = make_client("alice"), make_client("bob")
    repo = alice.create_repo(url, [alt(1)])
    repo.add_member(bob.invite_token())
    return alice, bob, repo
