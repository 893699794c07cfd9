"""``avp vectors generate`` writes ``vectors/``; ``avp vectors check`` regenerates in memory, compares
byte for byte and lints the folder (CI runs it through ``make vectors-check``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from avp.cli import EXIT_FAILURES, EXIT_OK, add_json_flag, emit


def _drift(folder: Path, rendered: dict[str, bytes]) -> list[str]:
    problems = []
    for name, data in rendered.items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name}: missing (run 'avp vectors generate')")
        elif path.read_bytes() != data:
            problems.append(f"{name}: differs from a fresh generation (run 'avp vectors generate')")
    return problems


def _generate(args: argparse.Namespace) -> int:
    from avp.vectors import catalog

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    rendered = catalog.render()
    for name, data in rendered.items():
        (folder / name).write_bytes(data)
    emit(args, {"written": sorted(rendered), "problems": []}, f"wrote {len(rendered)} files to {folder}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from avp.vectors import catalog
    from avp.vectors.lint import lint

    folder = Path(args.dir)
    rendered = catalog.render()
    problems = _drift(folder, rendered) + lint(folder)
    counts = {e["file"]: e["cases"] for e in json.loads(rendered["index.json"])["vectors"]}
    summary = "\n".join(f"  {name:28} {n:5d} cases" for name, n in counts.items())
    verdict = f"{len(problems)} problem(s)" if problems else "vectors are up to date and lint-clean"
    emit(args, {"files": counts, "problems": problems}, f"{summary}\n{verdict}")
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_FAILURES if problems else EXIT_OK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("vectors", help="generate or check the JSON test vectors in vectors/")
    sub = parser.add_subparsers(dest="vectors_command", metavar="ACTION", required=True)
    for name, func, text in (
        (
            "generate",
            _generate,
            "write every vector file and index.json (deterministic: byte-identical each run)",
        ),
        ("check", _check, "regenerate in memory, fail on any drift, and lint the folder"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--dir", default="vectors", help="the vectors folder (default: ./vectors)")
        add_json_flag(p)
        p.set_defaults(func=func)
