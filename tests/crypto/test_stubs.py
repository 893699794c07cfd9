"""The hand-written stubs of avp._native agree with the compiled module (mypy.stubtest).

Run from an empty directory so the module and its ``.pyi`` are the installed ones (the editable
install in development, the wheel in a fresh environment).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_stubtest_native_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "avp._native",
            "--mypy-config-file",
            str(_empty_config(tmp_path)),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _empty_config(tmp_path: Path) -> Path:
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    return config
