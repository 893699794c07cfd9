"""The Docker backend of the interop runner: a server entry's ``docker_image`` run as a container.

A container shares the host's network and is told, through the entry's ``env``, to listen on
127.0.0.1 and a free port the runner picked, so every byte stays on loopback (the image's own
command runs; ``{port}`` in ``env`` is that port). Every container carries the label
:data:`LABEL` with the runner's process id, and is removed with its anonymous volumes by
:meth:`Container.stop` — after a pass, a failure, a readiness timeout — or, for a run cut short
(Ctrl-C), by :func:`close`, which removes whatever of this run is still there.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Optional

from avp.interop.launcher import Unavailable, free_port
from avp.interop.registry import Implementation, Launch, expand

#: ``--backend``: containers when an engine answers (auto), always (docker) or never (process)
BACKENDS = ("auto", "docker", "process")
#: the label every container of ours carries; its value is the runner's process id
LABEL = "avp.interop.runner"


class NoEngine(ValueError):
    """``--backend docker`` where no Docker engine answers (or the SDK is missing)."""


def _unix_socket_answers() -> None:
    """Raise OSError when the engine's unix socket takes no connection.

    The SDK's client asks the engine for its API version while it is being built, and when that
    connection fails it leaves the socket it opened to the garbage collector (a ResourceWarning):
    so a local socket is tried first. A TCP or SSH ``DOCKER_HOST`` is left to the SDK.
    """
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if host.startswith("unix://"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(2)
            probe.connect(host.removeprefix("unix://"))


def engine(backend: str) -> tuple[Any, str]:
    """The Docker SDK client the run uses (None: local processes) and one line saying which.

    Containers left by a runner that was killed outright (its process is gone) are removed here."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")
    if backend == "process":
        return None, "backend: local processes (--backend process)"
    try:
        docker: Any = importlib.import_module("docker")
    except ImportError:
        reason = "the Docker SDK is not installed (pip install 'avp[docker]')"
    else:
        client = None
        try:
            _unix_socket_answers()
            client = docker.from_env(timeout=5)
            client.ping()
        except Exception as err:  # whatever fails, the engine does not answer
            if client is not None:
                client.close()
            reason = f"no Docker engine answers ({type(err).__name__})"
        else:
            _remove_orphans(client)
            return client, "backend: docker (servers with a docker_image run as containers)"
    if backend == "docker":
        raise NoEngine(f"--backend docker: {reason}")
    return None, f"backend: local processes ({reason})"


def ensure_image(client: Any, impl: Implementation, log_dir: Path) -> None:
    """Run the entry's ``docker_build`` command (which keeps its own cache), then check the image
    exists; raises :class:`Unavailable` with the reason."""
    launch = impl.server
    if launch is None or not launch.docker_image:
        return
    if launch.docker_build:
        command = [expand(a, {"here": str(impl.home)}) for a in launch.docker_build]
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(log_dir / f"image-{impl.name}.log", "wb") as log:
            try:
                proc = subprocess.run(  # noqa: S603 - the command comes from the user's own registry
                    command, cwd=impl.home, stdout=log, stderr=subprocess.STDOUT, check=False
                )
            except OSError as err:
                raise Unavailable(f"docker_build could not start: {err}") from err
        if proc.returncode != 0:
            raise Unavailable(f"docker_build exited {proc.returncode} (log: {log.name})")
    try:
        client.images.get(launch.docker_image)
    except Exception as err:  # NotFound, or the engine went away
        raise Unavailable(f"image {launch.docker_image} is not available: {type(err).__name__}") from err


class Container:
    """One server container: its URL on 127.0.0.1, its log file, and how to get rid of it."""

    def __init__(self, container: Any, url: str, log_path: Path) -> None:
        self.container = container
        self.url = url
        self.log_path = log_path

    def exited(self) -> Optional[str]:
        """Why the container is no longer running, or None while it runs."""
        self.container.reload()
        if self.container.status in ("created", "running"):
            return None
        code = self.container.attrs.get("State", {}).get("ExitCode")
        return f"container {self.container.status} with status {code} before it was ready"

    def stop(self) -> None:
        """Stop (SIGTERM, then SIGKILL after 5 s), keep its output in the log, remove it and its volumes."""
        with contextlib.suppress(Exception):
            self.container.stop(timeout=5)
        with contextlib.suppress(Exception):
            self.log_path.write_bytes(self.container.logs(stdout=True, stderr=True))
        with contextlib.suppress(Exception):
            self.container.remove(v=True, force=True)


def start(
    client: Any,
    impl: Implementation,
    launch: Launch,
    log_dir: Path,
    ready: Callable[[str], object],
) -> Container:
    """Create and start ``launch.docker_image`` and wait until ``ready(url)`` stops raising; a
    container that exits or never gets ready is removed and :class:`Unavailable` raised."""
    port = free_port()
    values = {"python": "python3", "port": str(port), "tmp": "/tmp", "here": "/"}  # noqa: S108
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        created = client.containers.create(
            launch.docker_image,
            environment={k: expand(v, values) for k, v in launch.env},
            network_mode="host",
            labels={LABEL: str(os.getpid())},
            detach=True,
        )
    except Exception as err:  # the SDK's APIError, ImageNotFound, a connection error
        raise Unavailable(f"could not create a container of {launch.docker_image}: {err}") from err
    box = Container(created, f"http://127.0.0.1:{port}", log_dir / f"server-{impl.name}.log")
    try:
        created.start()
        deadline = time.monotonic() + launch.ready_timeout
        last = "no answer"
        while True:
            gone = box.exited()
            if gone is not None:
                raise Unavailable(gone)
            try:
                ready(box.url)
                return box
            except Exception as err:  # not answering yet: connection refused, a 5xx, no JSON
                last = str(err)
            if time.monotonic() > deadline:
                raise Unavailable(f"not ready after {launch.ready_timeout:.0f} s at {box.url} ({last})")
            time.sleep(0.1)
    except BaseException as err:  # not ready, Ctrl-C, the engine failed: nothing may stay behind
        box.stop()
        if isinstance(err, Unavailable) or not isinstance(err, Exception):
            raise
        raise Unavailable(f"could not start a container of {launch.docker_image}: {err}") from err


def ours(client: Any, pid: Optional[int] = None) -> list[Any]:
    """The containers (running or not) that interop runners created; only process ``pid``'s if given.

    Sparse: the list's own fields (``status``, ``attrs["Labels"]``) without inspecting each
    container, so one removed in the meantime is not an error."""
    label = LABEL if pid is None else f"{LABEL}={pid}"
    found: list[Any] = client.containers.list(all=True, sparse=True, filters={"label": label})
    return found


def _remove_orphans(client: Any) -> None:
    for container in ours(client):
        pid = (container.attrs.get("Labels") or {}).get(LABEL, "")
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # its runner is gone
            with contextlib.suppress(Exception):
                container.remove(v=True, force=True)
        except (ValueError, PermissionError):  # not a pid, or another user's live process
            continue


def close(client: Any) -> None:
    """Remove every container this process created that is still there, and close the client."""
    with contextlib.suppress(Exception):
        for container in ours(client, os.getpid()):
            with contextlib.suppress(Exception):
                container.remove(v=True, force=True)
    client.close()
