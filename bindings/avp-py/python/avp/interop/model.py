"""What a run produces: one :class:`CaseResult` per (case, column), and the failures that end a case.

A *case* is a scenario played by clients against a server, a conformance check against a server, or
a vector file checked by a client. Outcomes never collapse "could not run" into "passed".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Optional


class Outcome(str, enum.Enum):
    PASS = "pass"  # noqa: S105 - an outcome, not a secret
    FAIL = "fail"
    #: a SHOULD that was not met (a failure only with --strict)
    WARN = "warn"
    #: an implementation answered "unsupported" for an operation the case needs
    UNSUPPORTED = "unsupported"
    #: the case could not run (a piece is missing, a precondition does not hold); always has a reason
    SKIPPED = "skipped"


class Level(str, enum.Enum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    #: An optional extension (docs/extensions/): reported like a SHOULD, never required of a peer.
    EXTENSION = "extension"


class Kind(str, enum.Enum):
    SCENARIO = "scenario"
    CONFORMANCE = "conformance"
    VECTORS = "vectors"


class CaseFailed(Exception):
    """A step did not give what the protocol requires: the report shows Expected vs Actual."""

    def __init__(self, step: str, expected: str, actual: str, *, hard: bool = False) -> None:
        super().__init__(f"{step}: expected {expected}, got {actual}")
        self.step = step
        self.expected = expected
        self.actual = actual
        #: a failure of the case's own setup (e.g. the proxy never lied): a failure even for a SHOULD
        self.hard = hard


class CaseSkipped(Exception):
    """The case cannot run here; the reason is reported."""


class CaseUnsupported(Exception):
    """An implementation does not support an operation the case needs."""


@dataclass
class CaseResult:
    kind: Kind
    case_id: str
    level: Level
    summary: str
    #: column key: "client+client@server" for scenarios, the server for conformance, the client for vectors
    column: str
    outcome: Outcome
    duration_ms: float
    reason: Optional[str] = None
    step: Optional[str] = None
    expected: Optional[str] = None
    actual: Optional[str] = None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "id": self.case_id,
            "level": self.level.value,
            "summary": self.summary,
            "column": self.column,
            "outcome": self.outcome.value,
            "durationMs": round(self.duration_ms, 3),
        }
        for key, value in (
            ("reason", self.reason),
            ("step", self.step),
            ("expected", self.expected),
            ("actual", self.actual),
        ):
            if value is not None:
                out[key] = value
        if self.details:
            out["details"] = self.details
        out["transcript"] = self.transcript
        return out


def outcome_for_failure(level: Level, strict: bool) -> Outcome:
    """A broken MUST fails; a broken SHOULD or extension fails only under --strict."""
    return Outcome.FAIL if level is Level.MUST or strict else Outcome.WARN
