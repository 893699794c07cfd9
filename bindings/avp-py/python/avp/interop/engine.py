"""The one engine: runs any :class:`~avp.interop.model.Case` (scenario, conformance check, vector
check) in its context and turns *every* exception into an outcome.

- the implementation broke the requirement, or answered something the protocol does not allow
  (non-JSON, a wrong type, a missing field, a reset, a timeout, a 5xx): ``fail``, with Expected vs
  Actual and the last request/response as an excerpt;
- a missing extension or operation: ``unsupported``; a case that cannot run here: ``skip``;
- a bug of the runner itself: ``error``, with the traceback (kept for the pair log).
"""

from __future__ import annotations

import http.client
import time
import traceback
from typing import Any, Optional, TypeVar

from avp.errors import AvpError
from avp.interop import material
from avp.interop.actor_pool import ActorBroken, ActorError
from avp.interop.model import (
    Case,
    CaseFailed,
    CaseResult,
    CaseSkipped,
    CaseUnsupported,
    Failure,
    Kind,
    Outcome,
)
from avp.interop.redact import shorten

#: what an unexpected answer raises in a case's code: a field missing (KeyError), the wrong JSON type
#: (TypeError, AttributeError), not JSON or not base64 (ValueError), a reset or a timeout (OSError,
#: HTTPException)
SURPRISES = (
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    AttributeError,
    OSError,
    http.client.HTTPException,
)


class CaseContext:
    """What every case's context has: the transcript it records, the server's extensions and limits,
    and the ``expect`` helper."""

    def __init__(
        self, transcript: list[dict[str, Any]], discovery: dict[str, Any], extensions: frozenset[str]
    ) -> None:
        self.transcript = transcript
        self.discovery = discovery
        self.extensions = extensions
        self.details: dict[str, Any] = {}

    def limit(self, name: str, default: int) -> int:
        return material.discovery_limit(self.discovery, name, default)

    def expect(self, condition: bool, step: str, expected: str, actual: Any) -> None:
        if not condition:
            raise CaseFailed(step, expected, actual if isinstance(actual, str) else shorten(actual))

    def prepare(self) -> None:
        """The first steps of every case of this kind (a failure there is the case's failure)."""

    def close(self) -> None:
        """Release what the context holds (connections, proxies)."""


Ctx = TypeVar("Ctx", bound=CaseContext)


def excerpt(transcript: list[dict[str, Any]]) -> Optional[str]:
    """The last exchange of a transcript, shortened: what the failure is about."""
    if not transcript:
        return None
    last = transcript[-1]
    parts = []
    request = last.get("request")
    if isinstance(request, dict):
        parts.append(f"{request.get('method')} {request.get('path')} {shorten(request.get('body'), 200)}")
    response = last.get("response")
    if isinstance(response, dict):
        parts.append(f"-> {response.get('status')} {shorten(response.get('body'), 200)}")
    if last.get("error"):
        parts.append(f"-> {last['error']}")
    return " ".join(parts) or None


def execute(case: Case[Ctx], ctx: Ctx, *, kind: Kind, column: str) -> CaseResult:
    """Run ``case`` in ``ctx`` (closed afterwards); never raises for anything the case does."""
    started = time.perf_counter()
    outcome, reason, failure, trace = _run(case, ctx)
    if failure is not None and failure.excerpt is None:
        failure = Failure(failure.step, failure.expected, failure.actual, excerpt(ctx.transcript))
    return CaseResult(
        kind=kind,
        case_id=case.id,
        level=case.level,
        summary=case.requirement,
        column=column,
        outcome=outcome,
        duration_ms=(time.perf_counter() - started) * 1000,
        reason=reason or (f"{failure.step}: expected {failure.expected}" if failure else None),
        failure=failure,
        security=case.security,
        transcript=ctx.transcript,
        details=ctx.details,
        traceback=trace,
    )


def _run(case: Case[Ctx], ctx: Ctx) -> tuple[Outcome, Optional[str], Optional[Failure], Optional[str]]:
    missing = sorted(case.needs - ctx.extensions)
    try:
        if missing:
            return Outcome.UNSUPPORTED, f"needs the {', '.join(missing)} extension, not offered", None, None
        ctx.prepare()
        case.run(ctx)
    except CaseFailed as err:
        return Outcome.FAIL, None, err.failure, None
    except CaseUnsupported as err:
        return Outcome.UNSUPPORTED, str(err), None, None
    except CaseSkipped as err:
        return Outcome.SKIP, str(err), None, None
    except ActorBroken as err:
        return Outcome.FAIL, f"actor broke: {err}", None, None
    except ActorError as err:
        return Outcome.FAIL, f"actor error {err.code}: {err.message[:300]}", None, None
    except AvpError as err:  # the runner's own raw HTTP or crypto step met a wrong answer
        return Outcome.FAIL, f"{err.code}: {err}", None, None
    except SURPRISES as err:
        actual = f"{type(err).__name__}: {shorten(str(err), 200)}"
        return Outcome.FAIL, None, Failure("answer", "an answer the protocol allows", actual), None
    except Exception as err:  # a bug of the runner: reported as such, the run goes on
        return Outcome.ERROR, f"runner error: {type(err).__name__}: {err}", None, format_exception(err)
    finally:
        ctx.close()
    return Outcome.PASS, None, None, None


def format_exception(err: BaseException) -> str:
    """The traceback of a runner bug, for the pair log."""
    return "".join(traceback.format_exception(type(err), err, err.__traceback__))
