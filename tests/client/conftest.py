"""Fixtures for the SDK and CLI tests: a real ``avp serve`` process, identities, clients, proxies."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Optional

import pytest
import requests
from avp import Identity
from avp.client import Client
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


class ServerProcess:
    """``avp serve`` on a free loopback port with a SQLite file; logs go to a file."""

    def __init__(self, workdir: Path, env: Optional[dict[str, str]] = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.env = {**os.environ, **(env or {})}
        for var in ("AVP_PUBLIC_URL", "AVP_DB", "AVP_PORT", "AVP_HOST"):
            self.env.pop(var, None)
        self.log_path = workdir / "server.log"
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        cmd = [*avp_command(), "serve", "--port", str(self.port), "--db", str(self.workdir / "db.sqlite")]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log, cwd=self.workdir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"avp serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                with requests.get(f"{self.url}/.well-known/avp", timeout=1) as r:
                    if r.status_code == 200:
                        return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("avp serve did not become ready in 30 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("server")).start()
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
