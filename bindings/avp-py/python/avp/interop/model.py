"""The one case model of the interop runner: a :class:`Case`, its :class:`Outcome`, its :class:`Level`,
and the :class:`CaseResult` every report is written from.

A *case* is a scenario played by clients against a server, a conformance check against a server, or
a vector file checked by a client. Its id is namespaced by the document whose rule it checks
(``spec/6.push.conflict`` is AVP 0.4 §6, ``wire/3.strict.base64`` is docs/wire-contract.md §3); its
level says whose rule it is. Outcomes never collapse "could not run" into "passed".

A producer that is not the engine (e.g. ``avp interop observe``, which judges recorded traffic)
builds :class:`CaseResult` values itself — ``CaseResult(kind, case_id, level, summary, column,
outcome, duration_ms, failure=Failure(step, expected, actual))`` — wraps them in a
:class:`avp.interop.runner.RunResult` and calls :func:`avp.interop.report.write_all` and
:func:`avp.interop.report.terminal_matrix`, like ``run`` does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Optional, TypeVar


class Outcome(str, enum.Enum):
    PASS = "pass"  # noqa: S105 - an outcome, not a secret
    #: the implementation broke the case's requirement
    FAIL = "fail"
    #: the implementation lacks an extension or an operation the case needs
    UNSUPPORTED = "unsupported"
    #: the case could not run here (a piece is missing, --fail-fast stopped the run); always has a reason
    SKIP = "skip"
    #: the runner itself failed (a bug of ours, not of the implementation): exit status 3
    ERROR = "error"


class Level(str, enum.Enum):
    #: a MUST of published AVP 0.4
    SPEC = "spec"
    #: one of our stricter rules (docs/wire-contract.md [project]); a conformant server may break it
    HARDENING = "hardening"
    #: something AVP 0.4 leaves optional (discovery, JWKS/JWT, key binding, error codes, quotas)
    EXTENSION = "extension"


class Kind(str, enum.Enum):
    SCENARIO = "scenario"
    CONFORMANCE = "conformance"
    VECTORS = "vectors"
    #: a client's recorded traffic, judged by ``avp interop observe``
    OBSERVE = "observe"


#: the extensions a case may need; a server without one gets ``unsupported`` for that case
EXTENSIONS = ("discovery", "jwks", "key-binding", "error-codes", "quotas")


@dataclass(frozen=True)
class Failure:
    """Why a case failed: what the requirement expects and what the implementation did."""

    step: str
    expected: str
    actual: str
    #: the request/response that showed it (redacted, shortened), when there is one
    excerpt: Optional[str] = None


class CaseFailed(Exception):
    """A step did not give what the requirement demands: the report shows Expected vs Actual."""

    def __init__(self, step: str, expected: str, actual: str) -> None:
        super().__init__(f"{step}: expected {expected}, got {actual}")
        self.failure = Failure(step, expected, actual)


class CaseSkipped(Exception):
    """The case cannot run here; the reason is reported."""


class CaseUnsupported(Exception):
    """An implementation does not support an extension or an operation the case needs."""


Ctx = TypeVar("Ctx")


@dataclass(frozen=True)
class Case(Generic[Ctx]):
    """One requirement and the code that checks it against a context of type ``Ctx``."""

    id: str
    level: Level
    #: the requirement, one sentence
    requirement: str
    run: Callable[[Ctx], None]
    #: extensions of :data:`EXTENSIONS` the case needs
    needs: frozenset[str] = frozenset()
    #: for a hardening case whose failure is a security finding: why, in one sentence
    security: Optional[str] = None
    #: scenarios: how many actor slots it uses (1: played only where every slot is the same client)
    actors: int = 2
    #: scenarios: play with the fixed identities of the transcript vector
    vector_identities: bool = False

    @property
    def document(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def section(self) -> str:
        """``6`` for ``spec/6.push.conflict``, ``5.1`` for ``spec/5.1.refresh-tokens.shared``."""
        parts = self.id.split("/", 1)[-1].split(".")
        digits = [p for p in parts[:2] if p.isdigit()]
        return ".".join(digits)


def case(
    case_id: str,
    requirement: str,
    *,
    level: Level = Level.SPEC,
    needs: tuple[str, ...] = (),
    security: Optional[str] = None,
    actors: int = 2,
    vector_identities: bool = False,
) -> Callable[[Callable[[Ctx], None]], Case[Ctx]]:
    """Make a function a :class:`Case` (no registry: each module lists its cases in ``CASES``)."""
    unknown = set(needs) - set(EXTENSIONS)
    if unknown:
        raise ValueError(f"{case_id}: unknown extension {sorted(unknown)}")

    def make(func: Callable[[Ctx], None]) -> Case[Ctx]:
        return Case(case_id, level, requirement, func, frozenset(needs), security, actors, vector_identities)

    return make


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
    failure: Optional[Failure] = None
    #: a hardening failure that is a security finding: why
    security: Optional[str] = None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    #: an ERROR's traceback (pair log only)
    traceback: Optional[str] = None

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
        if self.reason is not None:
            out["reason"] = self.reason
        if self.failure is not None:
            out["step"] = self.failure.step
            out["expected"] = self.failure.expected
            out["actual"] = self.failure.actual
            if self.failure.excerpt is not None:
                out["excerpt"] = self.failure.excerpt
        if self.security is not None and self.outcome is Outcome.FAIL:
            out["security"] = self.security
        if self.details:
            out["details"] = self.details
        out["transcript"] = self.transcript
        return out
