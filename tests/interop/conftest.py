"""Fixtures of the interop runner's tests: our two servers, started through the runner's own
launcher from the repository's registry (the lax server fixture is in tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from avp.interop import launcher, registry
from avp.interop.launcher import RunningServer, Unavailable

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "interop" / "implementations.toml"


def avp(*args: str, cwd: Path = ROOT, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``avp interop ARGS`` in a child process (its exit code and output, never raised)."""
    return subprocess.run(
        [sys.executable, "-m", "avp.cli", "interop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session", autouse=True)
def process_backend() -> Iterator[None]:
    """Runs of these tests start their servers as local processes unless a test says
    ``--backend docker`` (tests/interop/test_docker.py): an engine on the machine changes nothing."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AVP_INTEROP_BACKEND", "process")
        yield


def implementation(name: str) -> registry.Implementation:
    return next(i for i in registry.load(REGISTRY) if i.name == name)


def _server(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    impl = implementation(name)
    logs = tmp_path_factory.mktemp(f"logs-{name}")
    try:
        launcher.run_build(impl, logs, lambda _message: None)  # cached: a no-op after 'make build-ts'
        server = launcher.start_server(impl, logs)
    except Unavailable as err:
        pytest.fail(f"the {name} server did not start: {err}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def python_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from _server("python", tmp_path_factory)


@pytest.fixture(scope="session")
def typescript_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    yield from _server("typescript", tmp_path_factory)
