"""The implementations registry (``interop/implementations.toml``): who can be played, and how.

Users add their own servers and clients here without touching code. Command strings may use
``{python}`` (this interpreter), ``{port}`` (a free port the runner picked), ``{tmp}`` (a private
temporary directory, removed afterwards) and ``{here}`` (the registry's directory); a relative
``cwd`` is taken from the registry's directory.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older interpreters only
    import tomli as tomllib

REGISTRY_SCHEMA = 1
ROLES = ("server", "client", "both")
#: ``ready = "tcp"``: the server is ready once its port accepts a connection
READY_TCP = "tcp"


class RegistryError(ValueError):
    """The registry file cannot be read or an entry is malformed (the message names the entry)."""


@dataclass(frozen=True)
class Launch:
    """How to start one side of an implementation as a local process (or a container)."""

    command: tuple[str, ...]
    cwd: Optional[Path] = None
    env: tuple[tuple[str, str], ...] = ()
    #: the readiness probe: a path answered with ``ready_status`` (any status when None) once the
    #: server is ready, or :data:`READY_TCP` for a port that accepts a connection
    ready_path: str = "/.well-known/avp"
    ready_status: Optional[int] = 200
    ready_timeout: float = 30.0
    #: an image the docker backend runs instead of ``command`` (a server may give only this)
    docker_image: Optional[str] = None
    #: a command that builds ``docker_image`` (keeping its own cache), run before first use
    docker_build: tuple[str, ...] = ()


@dataclass(frozen=True)
class Build:
    """A build step run before first use, skipped while every output is newer than every input."""

    commands: tuple[tuple[str, ...], ...]
    cwd: Path
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Implementation:
    name: str
    role: str
    language: str
    version: str
    server: Optional[Launch] = None
    client: Optional[Launch] = None
    build: Optional[Build] = None
    #: a running server given by URL (``--server URL``): nothing to start or stop
    url: Optional[str] = None
    notes: str = ""
    #: the registry's folder (``{here}`` in commands)
    home: Path = Path()

    @property
    def is_server(self) -> bool:
        return self.role in ("server", "both")

    @property
    def is_client(self) -> bool:
        return self.role in ("client", "both")


def remote_server(url: str) -> Implementation:
    """An ad-hoc registry entry for a server that is already running (possibly remote)."""
    url = url.rstrip("/")
    return Implementation(name=url, role="server", language="auto", version="auto", url=url)


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RegistryError(f"{where} must be a string or a list of strings")
    return tuple(value)


def _launch(raw: Any, where: str, here: Path) -> Launch:
    if not isinstance(raw, dict) or not ("command" in raw or isinstance(raw.get("docker_image"), str)):
        raise RegistryError(f"{where} needs a 'command' list (or, for a server, a 'docker_image')")
    env = raw.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise RegistryError(f"{where}.env must map names to strings")
    cwd = raw.get("cwd")
    return Launch(
        command=_strs(raw.get("command", []), f"{where}.command"),
        cwd=(here / cwd) if isinstance(cwd, str) else None,
        env=tuple(sorted(env.items())),
        ready_path=str(raw.get("ready", "/.well-known/avp")),
        ready_status=_ready_status(raw.get("ready_status", 200), where),
        ready_timeout=float(raw.get("ready_timeout", 30.0)),
        docker_image=raw.get("docker_image"),
        docker_build=_strs(raw.get("docker_build", []), f"{where}.docker_build"),
    )


def _ready_status(raw: Any, where: str) -> Optional[int]:
    """``ready_status``: an HTTP status, or ``"any"`` for a server that answers its probe path
    with whatever status (e.g. 401 on every route without a token)."""
    if raw == "any":
        return None
    if isinstance(raw, int) and 100 <= raw <= 599:
        return raw
    raise RegistryError(f'{where}.ready_status must be an HTTP status or "any"')


def _build(raw: Any, where: str, here: Path) -> Build:
    if not isinstance(raw, dict):
        raise RegistryError(f"{where} must be a table")
    commands = raw.get("commands", [])
    if not isinstance(commands, list) or not commands:
        raise RegistryError(f"{where}.commands must be a non-empty list of command lists")
    return Build(
        commands=tuple(_strs(c, f"{where}.commands[]") for c in commands),
        cwd=here / str(raw.get("cwd", ".")),
        inputs=_strs(raw.get("inputs", []), f"{where}.inputs"),
        outputs=_strs(raw.get("outputs", []), f"{where}.outputs"),
    )


def load(path: Path) -> list[Implementation]:
    """Parse and check a registry file; a malformed entry is a :class:`RegistryError` naming the entry."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise RegistryError(f"cannot read the registry {path}: {err}") from err
    if data.get("schema") != REGISTRY_SCHEMA:
        raise RegistryError(f"{path}: expected 'schema = {REGISTRY_SCHEMA}'")
    here = path.resolve().parent
    out: list[Implementation] = []
    for i, raw in enumerate(data.get("implementation", [])):
        where = f"{path.name}: implementation[{i}]"
        name = raw.get("name")
        role = raw.get("role")
        if not isinstance(name, str) or not name or role not in ROLES:
            raise RegistryError(f"{where} needs a 'name' and a 'role' in {ROLES}")
        impl = Implementation(
            name=name,
            role=role,
            language=str(raw.get("language", "unknown")),
            version=str(raw.get("version", "unknown")),
            server=_launch(raw["server"], f"{where}.server", here) if "server" in raw else None,
            client=_launch(raw["client"], f"{where}.client", here) if "client" in raw else None,
            build=_build(raw["build"], f"{where}.build", here) if "build" in raw else None,
            url=raw.get("url"),
            notes=str(raw.get("notes", "")),
            home=here,
        )
        if impl.is_server and impl.server is None and impl.url is None:
            raise RegistryError(f"{where}: a server needs a [server] table or a 'url'")
        if impl.client is not None and not impl.client.command:
            raise RegistryError(f"{where}.client needs a 'command' list (a client runs as a process)")
        if impl.is_client and impl.client is None:
            raise RegistryError(f"{where}: a client needs a [client] table")
        if any(o.name == name for o in out):
            raise RegistryError(f"{where}: duplicate name {name!r}")
        out.append(impl)
    return out


def builtin() -> list[Implementation]:
    """What an installed package can always play without a registry file: the Python server and
    the Python actor (``avp interop run --server URL`` from anywhere)."""
    return [
        Implementation(
            name="python",
            role="both",
            language="python",
            version="auto",
            server=Launch(
                command=(
                    "{python}",
                    "-m",
                    "avp.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "{port}",
                    "--db",
                    "{tmp}/avp.sqlite3",
                    "--log-level",
                    "warning",
                ),
            ),
            client=Launch(command=("{python}", "-m", "avp.interop.python_actor")),
            notes="built in (no interop/implementations.toml found)",
        )
    ]


def find_registry(start: Optional[Path] = None) -> Optional[Path]:
    """``interop/implementations.toml`` in the working directory or the nearest parent that has one."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "interop" / "implementations.toml"
        if candidate.is_file():
            return candidate
    return None


def expand(arg: str, values: dict[str, str]) -> str:
    """Substitute ``{python}``, ``{port}``, ``{tmp}``, ``{here}`` (and nothing else) in one argument."""
    for key, value in values.items():
        arg = arg.replace("{" + key + "}", value)
    return arg


def command_and_env(launch: Launch, values: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """``launch``'s command, and this process's environment with the entry's ``env`` on top, with
    the placeholders of :func:`expand` filled in."""
    command = [expand(a, values) for a in launch.command]
    env = dict(os.environ)
    env.update({k: expand(v, values) for k, v in launch.env})
    return command, env
