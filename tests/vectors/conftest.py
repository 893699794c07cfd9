"""Runs the independent verifier once per session and prints its per-file counts in the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from . import independent

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
RESULTS = pytest.StashKey[dict[str, dict[str, Any]]]()


@pytest.fixture(scope="session")
def vector_results(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    results = independent.verify_folder(VECTORS)
    request.config.stash[RESULTS] = results
    return results


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, None)
    if not results:
        return
    terminalreporter.section("vectors: independent Python verifier (pyca cryptography)")
    for name, r in results.items():
        terminalreporter.write_line(f"{name:28} checked {r['checked']:5d}  failed {r['failed']:3d}")
