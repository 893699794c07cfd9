"""The error vocabulary in one source: error-codes.toml. Every consumer is read from its own source
text (or its live classes) and compared with the list, so any one of them drifting fails here:
the Rust core's ``Error::code``, the binding (which looks the class up by code, with no fallback),
``avp/errors.py``, the TypeScript server's ``ErrorCode`` type and status map, and the table of
docs/wire-contract.md §1."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from avp import crypto, errors

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LIST = tomllib.loads((ROOT / "error-codes.toml").read_text(encoding="utf-8"))
CODES: dict[str, dict[str, Any]] = {entry["code"]: entry for entry in LIST["codes"]}


def emitted_by(who: str) -> dict[str, Any]:
    return {code: entry.get("status") for code, entry in CODES.items() if who in entry["by"]}


def test_the_list_is_well_formed() -> None:
    assert LIST["schema"] == 1
    assert len(CODES) == len(LIST["codes"]), "a code is listed twice"
    for code, entry in CODES.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code
        assert set(entry["by"]) <= {"crate", "server", "client"} and entry["by"], code
        assert ("status" in entry) == (entry["by"] == ["server"] or code == "server_error"), code


def test_rust_error_code_matches_the_list() -> None:
    text = (ROOT / "crates" / "avp-crypto" / "src" / "error.rs").read_text(encoding="utf-8")
    body = text[text.index("pub fn code(&self)") :]
    body = body[: body.index("\n    }\n")]
    rust = set(re.findall(r'Error::\w+(?:\(_\))? => "(\w+)"', body))
    assert rust == set(emitted_by("crate"))


def test_python_classes_match_the_list() -> None:
    python = {code: cls.status for code, cls in errors.BY_CODE.items() if code != "avp_error"}
    assert python == {code: entry.get("status") for code, entry in CODES.items()}


def test_typescript_server_codes_and_statuses_match_the_list() -> None:
    """The ``ErrorCode`` type and its status map, plus the codes the server writes itself on a raw
    connection (node:http's client errors, the connection cap)."""
    src = ROOT / "interop" / "implementations" / "typescript" / "src"
    text = (src / "errors.ts").read_text(encoding="utf-8")
    union = text[
        text.index("export type ErrorCode =") : text.index(";", text.index("export type ErrorCode ="))
    ]
    statuses = text[text.index("const STATUS") : text.index("};", text.index("const STATUS"))]
    typed = {c: int(s) for c, s in re.findall(r"(\w+): (\d{3})", statuses)}
    assert set(re.findall(r'"(\w+)"', union)) == set(typed)
    raw = (src / "connections.ts").read_text(encoding="utf-8") if (src / "connections.ts").exists() else ""
    connection = {c: int(s) for s, c in re.findall(r'(?:rawResponse\(|\[)(\d{3}), "(\w+)"', raw)}
    assert {**typed, **connection} == emitted_by("server")


def test_wire_contract_table_matches_the_list() -> None:
    text = (ROOT / "docs" / "wire-contract.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d{3}) \| `(\w+)` \|", text, flags=re.M)
    assert {code: int(status) for status, code in rows} == emitted_by("server")


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: crypto.open_payload(bytes(32), "r", 1, 0, bytes(12), bytes(32)), "invalid_tag"),
        (lambda: crypto.b64decode_strict("a==="), "invalid_encoding"),
    ],
)
def test_the_binding_raises_the_class_of_the_crate_code(call: Any, code: str) -> None:
    with pytest.raises(errors.AvpError) as err:
        call()
    assert type(err.value) is errors.BY_CODE[code] and err.value.code == code
