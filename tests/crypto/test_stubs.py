"""The hand-written stubs of avp._native agree with the compiled module (mypy.stubtest)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STUB_DIR = Path(__file__).resolve().parents[2] / "bindings" / "avp-py" / "python"


def test_stubtest_native_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "avp._native"],
        capture_output=True,
        text=True,
        cwd=STUB_DIR,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
