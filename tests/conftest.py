"""Fixtures shared by several test folders: the lax AVP 0.4 server (tests/fixtures/lax_server.py),
a server we did not harden, for the interop runner's tests and the SDK's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

LAX_SERVER = Path(__file__).resolve().parent / "fixtures" / "lax_server.py"


@pytest.fixture(scope="session")
def lax_script() -> Path:
    """The lax server's script (for a test that starts it itself, e.g. from a registry entry)."""
    return LAX_SERVER


@pytest.fixture(scope="module")
def lax_url() -> Iterator[str]:
    """The lax server fixture (tests/fixtures/lax_server.py) on a free port: its URL."""
    proc = subprocess.Popen([sys.executable, str(LAX_SERVER)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on "), line
        yield line.split()[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
