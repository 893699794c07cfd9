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

from avp.interop.model import CaseResult, Kind, Level, Outcome
from avp.interop.runner import RunResult

#: 2: levels spec/hardening/extension (was MUST/SHOULD), outcomes skip/error (was skipped/warn),
#: ids namespaced by document, per-level counts, security findings, server extensions
SCHEMA_VERSION = 2
SCHEMA_FILE = "results.schema.json"
SYMBOL = {"pass": "ok", "fail": "FAIL", "unsupported": "unsup", "skip": "skip", "error": "ERROR"}


def level_counts(results: list[CaseResult]) -> dict[str, dict[str, int]]:
    """Per level, how many cases had each outcome."""
    out = {lv.value: {o.value: 0 for o in Outcome} for lv in Level}
    for r in results:
        out[r.level.value][r.outcome.value] += 1
    return out


def security_findings(results: list[CaseResult]) -> list[CaseResult]:
    """The failed cases whose failure is a security finding, one per case id."""
    seen: dict[str, CaseResult] = {}
    for r in results:
        if r.outcome is Outcome.FAIL and r.security:
            seen.setdefault(r.case_id, r)
    return list(seen.values())


def level_line(results: list[CaseResult]) -> str:
    """``spec 41/41 · hardening 9/24 (security: ...) · extensions unsupported``: passed of played."""
    counts = level_counts(results)
    parts = []
    for lv in Level:
        c = counts[lv.value]
        played = c["pass"] + c["fail"] + c["error"]
        name = "extensions" if lv is Level.EXTENSION else lv.value
        if not any(c.values()):
            continue  # no case of this level in the run
        if played == 0 and c["unsupported"]:
            parts.append(f"{name} unsupported")
            continue
        text = f"{name} {c['pass']}/{played}"
        if c["unsupported"]:
            text += f" ({c['unsupported']} unsupported)"
        if lv is Level.HARDENING:
            found = security_findings([r for r in results if r.level is lv])
            if found:
                text += " (security: " + ", ".join(r.case_id for r in found) + ")"
        parts.append(text)
    return " · ".join(parts)


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
        "level": run.level,
        "implementations": [i.to_json() for i in run.implementations],
        "columns": [c.to_json() for c in run.columns],
        "summary": {
            "total": len(run.results),
            **counts,
            "ok": not run.failed and not run.errored,
            "levels": level_counts(run.results),
            "line": level_line(run.results),
            "security": [
                {"id": r.case_id, "column": r.column, "why": r.security}
                for r in security_findings(run.results)
            ],
        },
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
            errors=str(sum(c.outcome is Outcome.ERROR for c in cases)),
            skipped=str(sum(c.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED) for c in cases)),
            time=f"{sum(c.duration_ms for c in cases) / 1000:.3f}",
        )
        for c in cases:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{name}:{c.level.value}",
                name=c.case_id,
                time=f"{c.duration_ms / 1000:.3f}",
            )
            if c.outcome in (Outcome.FAIL, Outcome.ERROR):
                tag = "failure" if c.outcome is Outcome.FAIL else "error"
                element = ET.SubElement(case, tag, message=(c.reason or tag)[:500], type=c.level.value)
                element.text = _failure_text(c)
            elif c.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED):
                ET.SubElement(case, "skipped", message=f"{c.outcome.value}: {c.reason or ''}"[:500])
    return bytes(ET.tostring(suites, encoding="utf-8", xml_declaration=True))


def _failure_text(c: CaseResult) -> str:
    lines = [f"{c.level.value}: {c.summary}"]
    if c.failure is not None:
        f = c.failure
        lines += [f"step:     {f.step}", f"expected: {f.expected}", f"actual:   {f.actual}"]
        if f.excerpt:
            lines.append(f"exchange: {f.excerpt}")
    elif c.reason:
        lines.append(c.reason)
    if c.security and c.outcome is Outcome.FAIL:
        lines.append(f"security: {c.security}")
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
                if c.traceback:
                    out.write(c.traceback + "\n")
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
        Kind.OBSERVE: "Client traffic judged by observe",
    }
    for kind in Kind:
        rows, cols, cells = matrix_rows(run.results, kind)
        if not rows:
            continue
        if kind in (Kind.CONFORMANCE, Kind.OBSERVE):
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
        levels = {r: next(c for (i, _), c in cells.items() if i == r).level.value for r in rows}
        labels = {r: f"{r} [{levels[r]}]" for r in rows}
        width = max(len(label) for label in labels.values()) + 2
        colw = [max(len(c), 5) + 2 for c in cols]
        out.append(" " * width + "".join(c.ljust(w) for c, w in zip(cols, colw)))
        for row in rows:
            line = labels[row].ljust(width)
            for col, w in zip(cols, colw):
                cell = cells.get((row, col))
                line += (SYMBOL[cell.outcome.value] if cell else "-").ljust(w)
            out.append(line.rstrip())
    problems = [r for r in run.results if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
    if problems:
        out.append("\nFailures and errors:")
        out += [f"  {problem_line(r)}"[:400] for r in problems[:40]]
        if len(problems) > 40:
            out.append(f"  ... and {len(problems) - 40} more (see results.json)")
    findings = security_findings(run.results)
    if findings:
        out.append("\nSecurity findings:")
        out += [f"  {r.case_id}: {r.security}" for r in findings]
    for impl in run.implementations:
        if impl.unavailable is not None:
            out.append(f"\nunavailable: {impl.name}: {impl.unavailable}")
    out.append("\n" + level_line(run.results))
    return "\n".join(out)


def problem_line(r: CaseResult) -> str:
    """One failed or errored case: where, its level, Expected vs Actual (or the reason)."""
    f = r.failure
    detail = f"step {f.step}: expected {f.expected}; actual {f.actual}" if f else (r.reason or "")
    return f"{SYMBOL[r.outcome.value]:5} {r.case_id} @ {r.column} [{r.level.value}]: {detail}"
