"""Fixtures: real server processes on free ports, and a real PostgreSQL.

Black-box tests take ``server_url``: by default a fresh ``avp serve`` on SQLite started by the
suite; with ``AVP_TEST_SERVER_URL`` set, any running server (then run ``-m "not internal"``:
tests marked ``internal`` start their own processes, read databases, or kill servers).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests

from .api import Api

EXTERNAL = os.environ.get("AVP_TEST_SERVER_URL")
REPO = Path(__file__).resolve().parents[2]
TS_MAIN = REPO / "interop" / "implementations" / "typescript" / "dist" / "main.js"
#: The servers the cross-server probes (test_exhaustion, test_client_shapes, test_java_client) start:
#: AVP_TEST_SERVERS=python,typescript (the default; "python" alone skips the other). Both servers read
#: the same AVP_* variables.
SERVER_KINDS = tuple(filter(None, os.environ.get("AVP_TEST_SERVERS", "python,typescript").split(",")))
#: Small quotas for the suite's own servers so the 429 tests stay fast (read back from discovery).
TEST_LIMITS = {"AVP_MAX_REPOS_PER_MEMBER": "12", "AVP_MAX_MEMBERS_PER_REPO": "10"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``python -m avp.cli serve`` as a child process; its stderr (the logs) goes to a file."""

    def __init__(
        self,
        workdir: Path,
        db: str,
        env: Optional[dict[str, str]] = None,
        args: tuple[str, ...] = (),
        kind: str = "python",
    ):
        self.kind = kind
        self.workdir = workdir
        self.db = db
        self.env = {**os.environ, **TEST_LIMITS, **(env or {})}
        for var in ("AVP_TEST_SERVER_URL", "AVP_PUBLIC_URL"):
            self.env.pop(var, None)
        self.args = args
        self.port = 0
        self.log_path = workdir / f"server-{id(self)}.log"
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "typescript":  # in memory; PORT and HOST come from the environment
            self.env.update({"PORT": str(self.port), "HOST": "127.0.0.1"})
            return ["node", str(TS_MAIN), *self.args]
        if self.kind != "python":
            raise ValueError(f"unknown server kind {self.kind!r} (python, typescript)")
        return [
            sys.executable,
            "-m",
            "avp.cli",
            "serve",
            "--db",
            self.db,
            "--port",
            str(self.port),
            *self.args,
        ]

    def start(self) -> ServerProcess:
        self.port = free_port()
        cmd = self.command()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log, cwd=self.workdir)
        deadline = time.monotonic() + 30
        with requests.Session() as session:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
                try:
                    if session.get(self.url + "/.well-known/avp", timeout=1).status_code == 200:
                        return self
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")
                time.sleep(0.05)

    def stop(self, kill: bool = False) -> int:
        """SIGKILL or SIGTERM (graceful); the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def logs(self) -> str:
        return self.log_path.read_text()


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="avp-server-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def start_server(workdir: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start own server processes (stopped at the end of the session)."""
    started: list[ServerProcess] = []

    def start(
        db: Optional[str] = None,
        env: Optional[dict[str, str]] = None,
        args: tuple[str, ...] = (),
        kind: str = "python",
    ) -> ServerProcess:
        server = ServerProcess(workdir, db or str(workdir / f"db-{len(started)}.sqlite3"), env, args, kind)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def _runnable(kind: str) -> str:
    if kind == "typescript" and not (shutil.which("node") and TS_MAIN.exists()):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no node or no {TS_MAIN} (make build-ts)")
        pytest.skip(f"no node or no {TS_MAIN} (make build-ts)")
    return kind


@pytest.fixture(params=SERVER_KINDS)
def server_kind(request: pytest.FixtureRequest) -> str:
    """Each server of AVP_TEST_SERVERS in turn; the TypeScript one needs its build (make build-ts)."""
    return _runnable(str(request.param))


@pytest.fixture(scope="session", params=["python", "typescript"])
def both_servers(request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess]) -> ServerProcess:
    """Our two servers with their defaults (Python on SQLite, TypeScript in memory), for the tests of
    what real HTTP clients send."""
    return start_server(kind=_runnable(str(request.param)))


@pytest.fixture(scope="session")
def sqlite_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server()


@pytest.fixture(scope="session")
def server_url(request: pytest.FixtureRequest) -> str:
    if EXTERNAL:
        return EXTERNAL.rstrip("/")
    server: ServerProcess = request.getfixturevalue("sqlite_server")
    return server.url


@pytest.fixture
def api(server_url: str) -> Iterator[Api]:
    client = Api(server_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def limits(server_url: str) -> dict[str, Any]:
    with requests.Session() as session:
        return dict(session.get(server_url + "/.well-known/avp", timeout=10).json()["limits"])


# --- PostgreSQL -----------------------------------------------------------------------------------
def _pg_bin() -> Optional[Path]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A PostgreSQL database: AVP_TEST_POSTGRES_DSN, or a throw-away cluster from initdb."""
    given = os.environ.get("AVP_TEST_POSTGRES_DSN")
    if given:
        yield given
        return
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no PostgreSQL binaries (install Debian's postgresql)")
        pytest.skip("no PostgreSQL binaries (/usr/lib/postgresql/*/bin); install Debian's postgresql")
    root = Path(tempfile.mkdtemp(prefix="avp-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use an unprivileged user
        user = "postgres" if _user_exists("postgres") else "nobody"
        as_user = ["runuser", "-u", user, "--"]
        shutil.chown(root, user)
        os.chmod(root, 0o700)
    port = free_port()
    subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "avp",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            *as_user,
            str(bindir / "postgres"),
            "-D", str(data),
            "-p", str(port),
            "-k", str(root),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "max_connections=200",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    dsn = f"postgresql://avp@127.0.0.1:{port}/postgres"
    try:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(dsn, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield dsn
    finally:
        # Stop through pg_ctl: a signal to runuser would not reach the postmaster.
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "stop", "-m", "fast", "-w"],
            capture_output=True,
        )
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fresh_pg_dsn(pg_dsn: str) -> Iterator[str]:
    """A new empty database in the session's cluster."""
    import psycopg

    name = "avp_" + os.urandom(6).hex()
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_dsn.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_server(start_server: Callable[..., ServerProcess], pg_dsn: str) -> ServerProcess:
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE avp_server")
    return start_server(db=pg_dsn.rsplit("/", 1)[0] + "/avp_server")


@pytest.fixture(scope="session")
def two_worker_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    """Two processes on one SQLite file (their writers take turns on the file's flock)."""
    return start_server(args=("--workers", "2"))


@pytest.fixture(
    params=[
        "default",
        pytest.param("sqlite-2-workers", marks=pytest.mark.internal),
        pytest.param("postgres", marks=[pytest.mark.internal, pytest.mark.postgres]),
    ]
)
def backend_url(request: pytest.FixtureRequest) -> str:
    """The server under test, then the suite's own servers: two workers on SQLite, PostgreSQL."""
    if request.param == "default":
        return str(request.getfixturevalue("server_url"))
    fixture = "two_worker_server" if request.param == "sqlite-2-workers" else "pg_server"
    server: ServerProcess = request.getfixturevalue(fixture)
    return server.url
