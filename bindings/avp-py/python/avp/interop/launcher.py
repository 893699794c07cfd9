"""Build, start, probe and stop the servers the runner plays against.

Everything started here is stopped here: each server runs in its own process group so that a
wrapper (npm, a shell) cannot leave a child behind, and its output goes to a log file in the report
folder. A server given by URL is only probed, never started, and its storage is never touched.

Discovery is optional (AVP 0.4 §6): a server without it is played with the spec's defaults, and
:func:`extensions` says which of the optional parts (:data:`avp.interop.model.EXTENSIONS`) it offers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Mapping, Optional

from avp.interop.registry import READY_TCP, Build, Implementation, Launch, command_and_env


class Unavailable(Exception):
    """An implementation cannot be played here (build failed, missing file, never ready)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _newest(root: Path, names: tuple[str, ...]) -> Optional[float]:
    stamps: list[float] = []
    for name in names:
        path = root / name
        if path.is_dir():
            stamps.extend(p.stat().st_mtime for p in path.rglob("*") if p.is_file())
        elif path.exists():
            stamps.append(path.stat().st_mtime)
    return max(stamps) if stamps else None


def build_is_fresh(build: Build) -> bool:
    """True when every output exists and is newer than every input (the build can be skipped)."""
    if not all((build.cwd / o).exists() for o in build.outputs):
        return False
    oldest_output = min((build.cwd / o).stat().st_mtime for o in build.outputs)
    newest_input = _newest(build.cwd, build.inputs)
    return newest_input is None or oldest_output >= newest_input


def run_build(impl: Implementation, log_dir: Path, say: Callable[[str], None]) -> None:
    build = impl.build
    if build is None or build_is_fresh(build):
        return
    say(f"building {impl.name} in {build.cwd} (first use or sources changed)")
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"build-{impl.name}.log", "wb") as log:
        for command in build.commands:
            try:
                proc = subprocess.run(  # noqa: S603 - commands come from the user's own registry
                    list(command), cwd=build.cwd, stdout=log, stderr=subprocess.STDOUT, check=False
                )
            except OSError as err:
                raise Unavailable(f"build step {' '.join(command)!r} could not start: {err}") from err
            if proc.returncode != 0:
                raise Unavailable(
                    f"build step {' '.join(command)!r} exited {proc.returncode} (log: {log.name})"
                )
    # tsc keeps the mtime of unchanged outputs: mark the build so the cache check sees it as new
    now = time.time()
    for output in build.outputs:
        with contextlib.suppress(OSError):
            os.utime(build.cwd / output, (now, now))


def probe(url: str, timeout: float = 2.0) -> dict[str, Any]:
    """GET ``url`` and return its JSON object (raises on any failure)."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - http(s) URLs only
        data = json.loads(resp.read())
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def discovery(url: str, timeout: float = 5.0) -> dict[str, Any]:
    """The server's discovery document, or ``{}`` when it publishes none (it is optional)."""
    try:
        return probe(url + "/.well-known/avp", timeout=timeout)
    except (OSError, ValueError, urllib.error.URLError):
        return {}


def extensions(url: str, doc: dict[str, Any]) -> frozenset[str]:
    """The optional parts of AVP a server offers, from its discovery document and one probe: a vault
    request without a token, whose 401 body carries a ``code`` when the server emits error codes."""
    found = set()
    if doc:
        found.add("discovery")
    if isinstance(doc.get("issuerJwksUrl"), str):
        found.add("jwks")
    if isinstance(doc.get("keyBindingUrl"), str):
        found.add("key-binding")
    limits = doc.get("limits")
    if isinstance(limits, dict) and {"maxReposPerMember", "maxMembersPerRepo"} & limits.keys():
        found.add("quotas")
    request = urllib.request.Request(url + "/v1/repos", data=b"{}", method="POST")  # noqa: S310
    try:
        urllib.request.urlopen(request, timeout=5.0).close()  # noqa: S310 - http(s) URLs only
    except urllib.error.HTTPError as err:
        with contextlib.suppress(ValueError, OSError):
            body = json.loads(err.read())
            if isinstance(body, dict) and isinstance(body.get("code"), str):
                found.add("error-codes")
    except (OSError, ValueError):
        pass
    return frozenset(found)


def answers(url: str, path: str, status: Optional[int], timeout: float) -> None:
    """One readiness probe: ``path`` answers with ``status`` (any when None), or for
    :data:`~avp.interop.registry.READY_TCP` the port accepts a connection; raises otherwise."""
    if path == READY_TCP:
        parsed = urllib.parse.urlsplit(url)
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 80), timeout=timeout):
            return
    try:
        with urllib.request.urlopen(url + path, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            got = resp.status
    except urllib.error.HTTPError as err:
        got = err.code
    if status is not None and got != status:
        raise ValueError(f"HTTP {got}, expected {status}")


def start_group(
    command: list[str], log: IO[bytes], env: Mapping[str, str], cwd: Optional[Path] = None
) -> subprocess.Popen[bytes]:
    """Start ``command`` in a session of its own (so :func:`stop_group` ends all it starts), its
    stdout and stderr into ``log``, no stdin. Raises OSError when it cannot be started."""
    return subprocess.Popen(  # noqa: S603 - the command is the user's own (registry or command line)
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End a process started with ``start_new_session`` and everything it started (a wrapper such
    as npm or a shell cannot leave a child behind): SIGTERM, then SIGKILL after 5 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class RunningServer:
    impl: Implementation
    url: str
    discovery: dict[str, Any]
    extensions: frozenset[str] = frozenset()
    proc: Optional[subprocess.Popen[bytes]] = None
    log: Optional[IO[bytes]] = None
    tmp: Optional[tempfile.TemporaryDirectory[str]] = None
    container: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def described(self, field: str) -> str:
        """``version`` or ``language`` from the registry, or from discovery's ``implementation``
        object when the registry says "auto"."""
        value = str(getattr(self.impl, field))
        info = self.discovery.get("implementation")
        if value != "auto" or not isinstance(info, dict):
            return value
        return str(info.get(field, "unknown"))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_group(self.proc)
        if self.container is not None:
            self.container.stop()
            self.container = None
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None


def wait_ready(url: str, launch: Launch, proc: Optional[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + launch.ready_timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise Unavailable(f"exited with status {proc.returncode} before it was ready")
        try:
            answers(url, launch.ready_path, launch.ready_status, timeout=1.0)
            return
        except (OSError, ValueError, urllib.error.URLError) as err:
            last = str(err)
        time.sleep(0.05)
    raise Unavailable(f"not ready after {launch.ready_timeout:.0f} s at {url} {launch.ready_path} ({last})")


def start_server(impl: Implementation, log_dir: Path, docker: Any = None) -> RunningServer:
    """Start (or, for a URL, probe) a server; raises :class:`Unavailable` with a reason.

    ``docker`` is a Docker SDK client (:func:`avp.interop.containers.engine`): when given, entries
    with a ``docker_image`` run as containers instead of local processes.
    """
    if impl.url is not None:
        try:
            answers(impl.url, READY_TCP, None, timeout=5.0)
        except OSError as err:
            raise Unavailable(f"{impl.url} does not accept connections: {err}") from err
        return _described(RunningServer(impl, impl.url, {}))
    launch = impl.server
    if launch is None:
        raise Unavailable("no [server] section")
    if docker is not None and launch.docker_image:
        return _start_container(impl, launch, docker, log_dir)
    if not launch.command:
        raise Unavailable(f"only a docker_image ({launch.docker_image}): needs the docker backend")
    return _start_process(impl, launch, log_dir)


def _start_container(impl: Implementation, launch: Launch, docker: Any, log_dir: Path) -> RunningServer:
    from avp.interop import containers

    def ready(url: str) -> None:
        answers(url, launch.ready_path, launch.ready_status, timeout=1.0)

    containers.ensure_image(docker, impl, log_dir)
    box = containers.start(docker, impl, launch, log_dir, ready)
    return _when_ready(RunningServer(impl, box.url, {}, container=box), launch)


def _start_process(impl: Implementation, launch: Launch, log_dir: Path) -> RunningServer:
    port = free_port()
    tmp = tempfile.TemporaryDirectory(prefix=f"avp-interop-{impl.name}-")
    values = {"python": sys.executable, "port": str(port), "tmp": tmp.name, "here": str(impl.home)}
    command, env = command_and_env(launch, values)
    if launch.cwd is not None and not launch.cwd.is_dir():
        tmp.cleanup()
        raise Unavailable(f"missing folder {launch.cwd}")
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"server-{impl.name}.log", "wb")
    try:
        proc = start_group(command, log, env, launch.cwd)
    except OSError as err:
        log.close()
        tmp.cleanup()
        raise Unavailable(f"could not start {command[0]!r}: {err}") from err
    return _when_ready(
        RunningServer(impl, f"http://127.0.0.1:{port}", {}, proc=proc, log=log, tmp=tmp), launch
    )


def _when_ready(server: RunningServer, launch: Launch) -> RunningServer:
    """``server`` once it answers its readiness probe; one that never does is stopped."""
    try:
        wait_ready(server.url, launch, server.proc)
    except Unavailable:
        server.stop()
        raise
    return _described(server)


def _described(server: RunningServer) -> RunningServer:
    server.discovery = discovery(server.url)
    server.extensions = extensions(server.url, server.discovery)
    return server
