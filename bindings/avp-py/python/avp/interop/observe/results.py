"""An observation's verdicts as the runner's case results, so ``observe`` writes the same reports
as ``run`` (terminal summary per level, results.json, JUnit, HTML, pair logs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from avp.interop.model import CaseResult, Failure, Kind, Outcome
from avp.interop.observe.checks import SPEC, Check, Finding, Verdict, judge_all
from avp.interop.observe.exchanges import Seen
from avp.interop.observe.session import Observation
from avp.interop.redact import shorten

CLIENT_CASE = Check(
    "spec/observe.client.completed",
    SPEC,
    "the client command ran to the end (exit status 0, within the timeout) and sent its requests "
    "to AVP_SERVER_URL",
    lambda _steps: Verdict(0),
)
#: exchanges shown with a failed case (the first ones it is about)
MAX_EXCERPTS = 10
SCRIPT_SUFFIXES = (".py", ".sh", ".js", ".mjs", ".ts", ".rb", ".pl")


def column_of(command: tuple[str, ...], server: str) -> str:
    """``placeholder_client.py@python``: the script an interpreter runs, else the program, at the server."""
    scripts = [Path(w).name for w in command[1:] if w.endswith(SCRIPT_SUFFIXES)]
    return f"{scripts[0] if scripts else Path(command[0]).name}@{server}"


def case_results(observation: Observation, column: str) -> list[CaseResult]:
    """One result per check, the client's own run first."""
    results = [_client_result(observation, column)]
    for check, verdict in judge_all(observation.exchanges):
        results.append(_result(check, verdict, observation.exchanges, column))
    return results


def _client_problem(observation: Observation) -> Optional[str]:
    if observation.start_error:
        return observation.start_error
    if observation.timed_out:
        return "stopped at the timeout"
    if observation.exit_code != 0:
        return f"exit status {observation.exit_code} (output: {observation.log.name})"
    if not observation.exchanges:
        return "no request reached AVP_SERVER_URL"
    return None


def _client_result(observation: Observation, column: str) -> CaseResult:
    problem = _client_problem(observation)
    result = _base(CLIENT_CASE, column, Outcome.FAIL if problem else Outcome.PASS)
    result.duration_ms = observation.duration_s * 1000
    result.details = {"exchanges": len(observation.exchanges), "exitCode": observation.exit_code}
    if problem:
        result.reason = problem
        result.failure = Failure("run the client", "a complete run", problem)
    return result


def _base(check: Check, column: str, outcome: Outcome) -> CaseResult:
    return CaseResult(Kind.OBSERVE, check.id, check.level, check.requirement, column, outcome, 0.0)


def _result(check: Check, verdict: Verdict, exchanges: list[Seen], column: str) -> CaseResult:
    if verdict.judged == 0:
        result = _base(check, column, Outcome.SKIP)
        result.reason = "nothing in the observed traffic for this check to judge"
        return result
    if not verdict.findings:
        result = _base(check, column, Outcome.PASS)
        result.details = {"judged": verdict.judged}
        return result
    result = _base(check, column, Outcome.FAIL)
    first = verdict.findings[0]
    # already redacted: shortened as text, so the masks are not masked again
    excerpt = shorten(json.dumps(exchanges[first.seq].excerpt(), sort_keys=True))
    result.failure = Failure(_where(first, exchanges), first.expected, first.actual, excerpt)
    result.reason = f"{len(verdict.findings)} finding(s) in {verdict.judged} judged"
    result.details = {
        "judged": verdict.judged,
        "findings": [_finding_json(f, exchanges) for f in verdict.findings],
    }
    involved = sorted({f.seq for f in verdict.findings})[:MAX_EXCERPTS]
    result.transcript = [exchanges[seq].excerpt() for seq in involved]
    return result


def _where(finding: Finding, exchanges: list[Seen]) -> str:
    seen = exchanges[finding.seq]
    return f"exchange #{finding.seq}: {seen.method} {seen.path}"


def _finding_json(finding: Finding, exchanges: list[Seen]) -> dict[str, Any]:
    return {"where": _where(finding, exchanges), "expected": finding.expected, "actual": finding.actual}
