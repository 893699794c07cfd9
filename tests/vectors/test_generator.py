"""The generator and the lint (these import ``avp``; the independent verifier does not)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from avp.cli import main
from avp.errors import BY_CODE
from avp.vectors import catalog
from avp.vectors.lint import lint

from .conftest import VECTORS


def test_generation_is_byte_identical_and_matches_the_committed_files(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert catalog.render() == catalog.render()
    assert main(["vectors", "check", "--dir", str(VECTORS)]) == 0
    assert "up to date and lint-clean" in capsys.readouterr().out


#: Run in a fresh interpreter in which importing pyca ``cryptography`` or PyNaCl fails.
_WITHOUT_PEERS = """
import sys


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("cryptography", "nacl"):
            raise ImportError(f"{name} is refused in this test")
        return None


sys.meta_path.insert(0, Refuse())
from avp.cli import main

code = main(["vectors", "check", "--dir", sys.argv[1]])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("cryptography", "nacl"))
assert not loaded, loaded
sys.exit(code)
"""


def test_generation_needs_only_the_rust_core() -> None:
    """``avp vectors check`` regenerates every file byte for byte with pyca ``cryptography`` and
    PyNaCl unimportable: every value (Argon2id slot keys and HKDF PRKs included) comes from the
    Rust core."""
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PEERS, str(VECTORS)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date and lint-clean" in result.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "vectors"
    shutil.copytree(VECTORS, folder)
    return folder


def _edit(folder: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / name
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def test_check_reports_drift(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(copy, "aad.json", lambda d: d["cases"][0].update(expectedAadHex="00"))
    assert main(["vectors", "check", "--dir", str(copy)]) == 1
    assert "aad.json: differs from a fresh generation" in capsys.readouterr().err


def _duplicate_name(d: dict[str, Any]) -> None:
    d["cases"][1]["name"] = d["cases"][0]["name"]


def _drop_case(d: dict[str, Any]) -> None:
    d["cases"].pop()


def _string_counter(d: dict[str, Any]) -> None:
    d["cases"][0]["payloadVersion"] = "1"


@pytest.mark.parametrize(
    ("name", "change", "problem"),
    [
        ("hkdf.json", _duplicate_name, "is not unique"),
        ("x25519.json", _drop_case, "x25519.json: index.json says"),
        ("aad.json", _string_counter, "aad.json: schema: /cases/0/payloadVersion"),
    ],
)
def test_lint_finds_broken_files(
    copy: Path, name: str, change: Callable[[dict[str, Any]], None], problem: str
) -> None:
    assert lint(copy) == []
    _edit(copy, name, change)
    assert any(problem in p for p in lint(copy)), lint(copy)


def test_lint_requires_the_index_to_list_exactly_the_files_present(copy: Path) -> None:
    (copy / "extra.json").write_text("{}\n", encoding="utf-8")
    (copy / "key-wrap.json").unlink()
    (copy / "schemas" / "orphan.schema.json").write_text("{}\n", encoding="utf-8")
    problems = lint(copy)
    assert "extra.json is in the folder but not in index.json" in problems
    assert "index.json lists key-wrap.json, which is not in the folder" in problems
    assert "schemas/orphan.schema.json belongs to no index entry" in problems


def _codes(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["expectedError"]} if isinstance(node.get("expectedError"), str) else set()
        return found.union(*(_codes(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_codes(v) for v in node))
    return set()


def test_every_expected_error_is_a_code_of_the_vocabulary() -> None:
    used: set[str] = set()
    for path in VECTORS.glob("*.json"):
        used |= _codes(json.loads(path.read_text(encoding="utf-8")))
    assert used, "no expectedError found"
    assert used <= set(BY_CODE), sorted(used - set(BY_CODE))


def test_the_readme_table_shows_the_index_counts() -> None:
    readme = (VECTORS / "README.md").read_text(encoding="utf-8")
    index = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))
    for entry in index["vectors"]:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{entry['file']}` |")), None)
        assert row is not None, f"{entry['file']} has no row in vectors/README.md"
        assert row.split("|")[4].strip() == str(entry["cases"]), entry["file"]
