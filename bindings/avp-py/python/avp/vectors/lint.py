"""The lint of ``vectors/``: schemas, unique case names, counts, and an index that lists exactly the
files present. It reads the folder as a user would, independent of the generator's output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from avp.vectors.catalog import case_lists

#: Files of the folder that are not vector files.
NOT_VECTORS = {"index.json"}


def _load(path: Path, problems: list[str]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        problems.append(f"{path.name}: cannot read: {err}")
        return None


def _validate(name: str, document: Any, schema_path: Path, problems: list[str]) -> None:
    schema = _load(schema_path, problems)
    if schema is None:
        return
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{name}: schema: /{where}: {error.message[:200]}")


def lint(folder: Path) -> list[str]:
    """Every problem found in ``folder`` (empty when the folder is clean)."""
    problems: list[str] = []
    index = _load(folder / "index.json", problems)
    if index is None:
        return problems
    _validate("index.json", index, folder / "schemas" / "index.schema.json", problems)
    entries = index.get("vectors", []) if isinstance(index, dict) else []
    listed = {e.get("file") for e in entries}
    present = {p.name for p in folder.glob("*.json")} - NOT_VECTORS
    problems += [
        f"index.json lists {f}, which is not in the folder" for f in sorted(listed - present, key=str)
    ]
    problems += [f"{f} is in the folder but not in index.json" for f in sorted(present - listed)]
    schemas = {p.name for p in (folder / "schemas").glob("*.schema.json")} - {"index.schema.json"}
    wanted = {f"{e.get('id')}.schema.json" for e in entries}
    problems += [f"schemas/{s} belongs to no index entry" for s in sorted(schemas - wanted)]
    for entry in entries:
        name, file_id = entry.get("file"), entry.get("id")
        if name not in present:
            continue
        if name != f"{file_id}.json" or entry.get("schema") != f"schemas/{file_id}.schema.json":
            problems.append(f"index.json: entry {file_id!r} must name {file_id}.json and its schema")
            continue
        document = _load(folder / name, problems)
        if document is None:
            continue
        _validate(name, document, folder / "schemas" / f"{file_id}.schema.json", problems)
        names = [c.get("name") for key in case_lists(file_id) for c in document.get(key, [])]
        duplicates = sorted({n for n in names if names.count(n) > 1}, key=str)
        problems += [f"{name}: case name {n!r} is not unique" for n in duplicates]
        if entry.get("cases") != len(names):
            problems.append(f"{name}: index.json says {entry.get('cases')} cases, the file has {len(names)}")
    return problems
