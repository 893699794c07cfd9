"""The independent Python verifier over every file of vectors/, and the published cases' presence.

Nothing here imports ``avp``: the files were made by the Rust core; this is other code agreeing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import VECTORS

SHARED = VECTORS.parent.parent / "shared" / "avp-spec-vectors"
INDEX = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))
FILES = [entry["file"] for entry in INDEX["vectors"]]


@pytest.mark.parametrize("name", FILES)
def test_every_case_verifies(name: str, vector_results: dict[str, dict[str, Any]]) -> None:
    result = vector_results[name]
    assert result["failures"] == []
    assert result["checked"] > 0


#: Every file of the published set, as its own index lists them (none without ../shared).
PUBLISHED_FILES = (
    [e["file"] for e in json.loads((SHARED / "index.json").read_text(encoding="utf-8"))["vectors"]]
    if SHARED.is_dir()
    else []
)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/avp-spec-vectors is absent (a fresh clone)")
@pytest.mark.parametrize("name", PUBLISHED_FILES)
def test_published_cases_are_present_with_the_same_values(name: str) -> None:
    published = json.loads((SHARED / name).read_text(encoding="utf-8"))
    ours = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    for key in ("cases", "tokens", "uris"):
        for case in published.get(key, []):
            # Every published field must appear with the same value in one of our cases.
            matches = [c for c in ours.get(key, []) if all(c.get(k) == v for k, v in case.items())]
            assert matches, f"{name}: published case {case.get('name', case)} is missing or changed"
