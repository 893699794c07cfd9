"""Reports of a run: results.json (schema-versioned, machine first), JUnit XML, per-pair logs, and
the terminal matrix. The HTML matrix is :mod:`avp.interop.html`.

Everything written here has already been redacted (transcripts are recorded redacted).
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Any

from avp.interop.model import CaseResult, Kind, Outcome
from avp.interop.runner import RunResult

SCHEMA_VERSION = 1
SCHEMA_FILE = "results.schema.json"
SYMBOL = {"pass": "ok", "fail": "FAIL", "warn": "warn", "unsupported": "unsup", "skipped": "skip"}


def results_json(run: RunResult) -> dict[str, Any]:
    counts: dict[str, int] = {o.value: 0 for o in Outcome}
    for r in run.results:
        counts[r.outcome.value] += 1
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": "avp interop",
        "startedAt": datetime.datetime.fromtimestamp(run.started_at, datetime.timezone.utc).isoformat(),
        "durationSeconds": round(run.duration_s, 3),
        "seed": run.seed,
        "strict": run.strict,
        "implementations": run.implementations,
        "columns": run.columns,
        "summary": {"total": len(run.results), **counts, "ok": not run.failed},
        "notes": run.notes,
        "cases": [r.to_json() for r in run.results],
    }


def schema() -> dict[str, Any]:
    """The JSON schema of results.json (shipped next to this module)."""
    text = resources.files("avp.interop").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def junit_xml(run: RunResult) -> bytes:
    """One <testsuite> per column; unsupported and skipped cases are <skipped> with the reason."""
    suites = ET.Element("testsuites", name="avp interop", time=f"{run.duration_s:.3f}")
    by_column: OrderedDict[str, list[CaseResult]] = OrderedDict()
    for r in run.results:
        by_column.setdefault(f"{r.kind.value}:{r.column}", []).append(r)
    for name, cases in by_column.items():
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=name,
            tests=str(len(cases)),
            failures=str(sum(c.outcome is Outcome.FAIL for c in cases)),
            skipped=str(sum(c.outcome in (Outcome.SKIPPED, Outcome.UNSUPPORTED) for c in cases)),
            time=f"{sum(c.duration_ms for c in cases) / 1000:.3f}",
        )
        for c in cases:
            case = ET.SubElement(
                suite, "testcase", classname=name, name=c.case_id, time=f"{c.duration_ms / 1000:.3f}"
            )
            if c.outcome is Outcome.FAIL:
                failure = ET.SubElement(
                    case, "failure", message=(c.reason or "failed")[:500], type=c.level.value
                )
                failure.text = _failure_text(c)
            elif c.outcome in (Outcome.SKIPPED, Outcome.UNSUPPORTED):
                ET.SubElement(case, "skipped", message=f"{c.outcome.value}: {c.reason or ''}"[:500])
            elif c.outcome is Outcome.WARN:
                out = ET.SubElement(case, "system-out")
                out.text = "SHOULD not met (a failure with --strict)\n" + _failure_text(c)
    return bytes(ET.tostring(suites, encoding="utf-8", xml_declaration=True))


def _failure_text(c: CaseResult) -> str:
    lines = [f"{c.level.value}: {c.summary}"]
    if c.step:
        lines += [f"step:     {c.step}", f"expected: {c.expected}", f"actual:   {c.actual}"]
    elif c.reason:
        lines.append(c.reason)
    return "\n".join(lines)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+@-]+", "_", text)


def write_pair_logs(run: RunResult, folder: Path) -> None:
    """One readable log per column: every case, its outcome, Expected vs Actual, its transcript."""
    folder.mkdir(parents=True, exist_ok=True)
    by_column: OrderedDict[str, list[CaseResult]] = OrderedDict()
    for r in run.results:
        by_column.setdefault(f"{r.kind.value}-{r.column}", []).append(r)
    for name, cases in by_column.items():
        with open(folder / f"{slug(name)}.log", "w", encoding="utf-8") as out:
            for c in cases:
                out.write(f"=== {c.case_id} [{c.level.value}] {c.outcome.value} ({c.duration_ms:.0f} ms)\n")
                if c.outcome is not Outcome.PASS:
                    out.write(_failure_text(c) + "\n")
                for entry in c.transcript:
                    out.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
                out.write("\n")


def write_all(run: RunResult, folder: Path) -> dict[str, Path]:
    """Write every report into ``folder`` (replacing the previous run's pair logs)."""
    from avp.interop import html

    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / "results.json",
        "schema": folder / SCHEMA_FILE,
        "junit": folder / "junit.xml",
        "html": folder / "matrix.html",
        "pairs": folder / "pairs",
    }
    data = results_json(run)
    paths["json"].write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["schema"].write_text(json.dumps(schema(), indent=1) + "\n", encoding="utf-8")
    paths["junit"].write_bytes(junit_xml(run))
    paths["html"].write_text(html.render(data), encoding="utf-8")
    if paths["pairs"].exists():
        shutil.rmtree(paths["pairs"])
    write_pair_logs(run, paths["pairs"])
    return paths


# --- the terminal matrix ----------------------------------------------------------------------------
def matrix_rows(
    results: list[CaseResult], kind: Kind
) -> tuple[list[str], list[str], dict[tuple[str, str], CaseResult]]:
    cells = {(r.case_id, r.column): r for r in results if r.kind is kind}
    rows = list(OrderedDict.fromkeys(r.case_id for r in results if r.kind is kind))
    cols = list(OrderedDict.fromkeys(r.column for r in results if r.kind is kind))
    return rows, cols, cells


def terminal_matrix(run: RunResult) -> str:
    out: list[str] = []
    titles = {
        Kind.SCENARIO: "Scenarios (rows) x client+client@server "
        "(columns; alice and carol on the first client, bob on the second)",
        Kind.CONFORMANCE: "Server conformance (black-box)",
        Kind.VECTORS: "Vectors, checked by each client with its own crypto",
    }
    for kind in Kind:
        rows, cols, cells = matrix_rows(run.results, kind)
        if not rows:
            continue
        if kind is Kind.CONFORMANCE:
            failing = [
                r
                for r in rows
                if any(cells.get((r, c)) and cells[(r, c)].outcome is not Outcome.PASS for c in cols)
            ]
            passed = {
                c: sum(1 for r in rows if cells.get((r, c)) and cells[(r, c)].outcome is Outcome.PASS)
                for c in cols
            }
            out.append(f"\n{titles[kind]}: " + ", ".join(f"{c} {passed[c]}/{len(rows)} pass" for c in cols))
            rows = failing
            if not rows:
                continue
        else:
            out.append(f"\n{titles[kind]}")
        width = max(len(r) for r in rows) + 2
        colw = [max(len(c), 5) + 2 for c in cols]
        out.append(" " * width + "".join(c.ljust(w) for c, w in zip(cols, colw)))
        for row in rows:
            line = row.ljust(width)
            for col, w in zip(cols, colw):
                cell = cells.get((row, col))
                line += (SYMBOL[cell.outcome.value] if cell else "-").ljust(w)
            out.append(line.rstrip())
    problems = [r for r in run.results if r.outcome in (Outcome.FAIL, Outcome.WARN)]
    if problems:
        out.append("\nFailures and warnings:")
        for r in problems[:40]:
            where = f"{r.case_id} @ {r.column}"
            detail = (
                f"step {r.step}: expected {r.expected}; actual {r.actual}" if r.step else (r.reason or "")
            )
            out.append(f"  {SYMBOL[r.outcome.value]:5} {where}: {detail}"[:400])
        if len(problems) > 40:
            out.append(f"  ... and {len(problems) - 40} more (see results.json)")
    for impl in run.implementations:
        if impl.get("available") is False:
            out.append(f"\nunavailable: {impl['name']}: {impl.get('unavailable')}")
    return "\n".join(out)
