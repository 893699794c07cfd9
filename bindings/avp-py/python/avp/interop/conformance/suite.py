"""The engine of the black-box server conformance suite: registered checks, their context, a run.

Each check is a small function registered with an id by spec section (``4.token.reused-nonce``), a
level (MUST / SHOULD) and a one-line summary; it talks to the server only over HTTP with
:class:`~avp.interop.rawhttp.RawClient`, so any server, local or remote, can be checked.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Optional

from avp.errors import AvpError
from avp.interop import material
from avp.interop.material import Member
from avp.interop.model import (
    CaseFailed,
    CaseResult,
    CaseSkipped,
    Kind,
    Level,
    Outcome,
    outcome_for_failure,
)
from avp.interop.rawhttp import Body, RawClient, Response, quote_segment
from avp.interop.redact import shorten


@dataclass(frozen=True)
class Check:
    id: str
    level: Level
    summary: str
    func: Callable[[Context], None]


CHECKS: list[Check] = []


def check(
    check_id: str, summary: str, level: Level = Level.MUST
) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
    def register(func: Callable[[Context], None]) -> Callable[[Context], None]:
        if any(c.id == check_id for c in CHECKS):
            raise ValueError(f"duplicate conformance check id {check_id}")
        CHECKS.append(Check(check_id, level, summary, func))
        return func

    return register


class Context:
    """What a check gets: an HTTP client recording its transcript, the discovery document, helpers."""

    def __init__(self, base_url: str, discovery: dict[str, Any], transcript: list[dict[str, Any]]) -> None:
        self.base_url = base_url
        self.discovery = discovery
        self.http = RawClient(base_url, transcript)
        self._tokens: dict[str, str] = {}
        self.step = "setup"

    # --- limits ---------------------------------------------------------------------------------
    def limit(self, name: str, default: int) -> int:
        return material.discovery_limit(self.discovery, name, default)

    def small_limit(self, name: str, default: int, most: int, too_large: str) -> int:
        """A limit the check must exhaust or wait out: above ``most`` the check is skipped, and
        ``too_large`` says why."""
        value = self.limit(name, default)
        if value > most:
            raise CaseSkipped(f"{name} is {value}: {too_large}")
        return value

    # --- requests -------------------------------------------------------------------------------
    def request(
        self, method: str, path: str, body: Body = None, *, token: Optional[str] = None, **kw: Any
    ) -> Response:
        return self.http.request(method, path, body, token=token, **kw)

    def token(self, member: Member) -> str:
        if member.id not in self._tokens:
            self._tokens[member.id] = material.login(self.http, member)
        return self._tokens[member.id]

    def repo_path(self, repo_id: str, action: str) -> str:
        return f"/v1/repos/{quote_segment(repo_id)}/{action}"

    def member_path(self, repo_id: str, member_id: str) -> str:
        return f"/v1/repos/{quote_segment(repo_id)}/member/{quote_segment(member_id)}"

    def create(
        self,
        owner: Member,
        repo_id: Optional[str] = None,
        alts: Optional[list[dict[str, Any]]] = None,
        **kw: Any,
    ) -> tuple[str, dict[str, Any], bytes]:
        """Create a repository as ``owner`` (a setup step: anything but 200 fails the check)."""
        repo_id = repo_id or new_repo_id()
        body, key = material.new_repo(owner, repo_id, alts, **kw)
        resp = self.request("POST", "/v1/repos", body, token=self.token(owner))
        self.expect_ok(resp, "createRepo (setup)")
        return repo_id, body, key

    def pull(self, member: Member, repo_id: str, known: int = 0) -> Response:
        return self.request(
            "POST",
            self.repo_path(repo_id, "pull"),
            {"repoId": repo_id, "knownPayloadVersion": known},
            token=self.token(member),
        )

    def manifest(self, member: Member, repo_id: str) -> dict[str, Any]:
        resp = self.pull(member, repo_id)
        data = self.expect_ok(resp, "pull (state)")
        manifest = data.get("manifest")
        if not isinstance(manifest, dict):
            raise CaseFailed("pull (state)", "a manifest object", shorten(data))
        return manifest

    def post_add_member(self, actor: Member, repo_id: str, entry: dict[str, Any]) -> Response:
        """addMember of ``entry`` as ``actor``: the answer, whatever it is."""
        return self.request(
            "POST",
            self.repo_path(repo_id, "add-member"),
            {"repoId": repo_id, "member": entry},
            token=self.token(actor),
        )

    def add(self, owner: Member, repo_id: str, joiner: Member, key: bytes, epoch: int = 0) -> dict[str, Any]:
        resp = self.post_add_member(owner, repo_id, material.member_entry(joiner, key, epoch))
        return self.expect_ok(resp, "addMember (setup)")

    # --- expectations ---------------------------------------------------------------------------
    def expect_ok(self, resp: Response, step: str) -> dict[str, Any]:
        data = resp.json()
        if resp.status != 200 or not isinstance(data, dict):
            raise CaseFailed(
                step,
                "200 with a JSON object",
                f"{resp.status} {shorten(resp.body.decode('utf-8', 'replace'))}",
            )
        return data

    def expect_error(self, resp: Response, status: int, code: str, step: str) -> None:
        """The status, the ``code``, and the error body shape every non-2xx must have."""
        data = resp.json()
        got = data.get("code") if isinstance(data, dict) else None
        if resp.status != status or got != code:
            raise CaseFailed(
                step,
                f"{status} {code}",
                f"{resp.status} {got or shorten(resp.body.decode('utf-8', 'replace'), 120)}",
            )
        if not (resp.header("content-type") or "").startswith("application/json"):
            raise CaseFailed(step, "Content-Type: application/json", str(resp.header("content-type")))
        if not isinstance(data, dict) or not isinstance(data.get("error"), str):
            raise CaseFailed(step, "an error body {error, code}", shorten(data))

    def expect(self, condition: bool, step: str, expected: str, actual: Any) -> None:
        if not condition:
            raise CaseFailed(step, expected, actual if isinstance(actual, str) else shorten(actual))

    def expect_unchanged(self, owner: Member, repo_id: str, version: int, epoch: int, step: str) -> None:
        """A rejected request changes nothing."""
        manifest = self.manifest(owner, repo_id)
        got = (manifest.get("payloadVersion"), manifest.get("keyEpoch"))
        self.expect(
            got == (version, epoch),
            step + " (state unchanged)",
            f"version/epoch {(version, epoch)}",
            str(got),
        )


def new_repo_id(prefix: str = "conf") -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def run_check(chk: Check, base_url: str, discovery: dict[str, Any], strict: bool, column: str) -> CaseResult:
    transcript: list[dict[str, Any]] = []
    started = time.perf_counter()
    ctx = Context(base_url, discovery, transcript)
    outcome, reason, failed = Outcome.PASS, None, None
    try:
        chk.func(ctx)
    except CaseFailed as err:
        outcome, failed = outcome_for_failure(chk.level, strict), err
    except CaseSkipped as err:
        outcome, reason = Outcome.SKIPPED, str(err)
    except AvpError as err:
        outcome, reason = outcome_for_failure(chk.level, strict), f"{err.code}: {err}"
    finally:
        ctx.http.close()
    return CaseResult(
        kind=Kind.CONFORMANCE,
        case_id=chk.id,
        level=chk.level,
        summary=chk.summary,
        column=column,
        outcome=outcome,
        duration_ms=(time.perf_counter() - started) * 1000,
        reason=reason or (str(failed) if failed else None),
        step=failed.step if failed else None,
        expected=failed.expected if failed else None,
        actual=failed.actual if failed else None,
        transcript=transcript,
    )


def run_suite(
    base_url: str,
    discovery: dict[str, Any],
    *,
    strict: bool = False,
    column: Optional[str] = None,
    select: Callable[[str], bool] = lambda _id: True,
    workers: int = 2,
    on_result: Callable[[CaseResult], None] = lambda _r: None,
) -> list[CaseResult]:
    """Every selected check against one server; results in registration order."""
    checks = [c for c in CHECKS if select(c.id)]
    column = column or base_url

    def one(chk: Check) -> CaseResult:
        result = run_check(chk, base_url, discovery, strict, column)
        on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="conformance") as pool:
        return list(pool.map(one, checks))
