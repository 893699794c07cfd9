"""What ``avp interop observe`` records: every request a client made and the answer it got.

:class:`Recorder` is a :class:`~avp.interop.proxy.Mode` of the existing proxy that rewrites
nothing; it keeps the raw request bytes (the judges need signatures and nonces, which the proxy's
redacted transcript hides) and the parsed JSON answer. Recordings stay in memory and only reach
a report redacted.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any, Optional

from avp.interop.proxy import Exchange, Mode
from avp.interop.redact import redact, redact_body

#: operation name by the last segment of a vault route (``/v1/repos/{repoId}/<segment>``)
VAULT_OPERATIONS = {
    "pull": "pull",
    "push": "push",
    "add-member": "add-member",
    "remove-member": "remove-member",
}
AUTH_OPERATIONS = {"/api/auth/keypair/challenge": "challenge", "/api/auth/keypair/token": "token"}


@dataclass(frozen=True)
class Seen:
    """One exchange as the client saw it. ``status`` is None when no answer reached the recorder."""

    seq: int
    method: str
    path: str
    body: bytes
    status: Optional[int] = None
    answer: Any = None

    @property
    def operation(self) -> str:
        """``challenge``, ``token``, ``create``, ``pull``, ``push``, ``add-member``,
        ``remove-member``, ``fetch-member``, or ``other``."""
        return parse_route(self.method, self.path)[0]

    @property
    def path_repo_id(self) -> Optional[str]:
        return parse_route(self.method, self.path)[1]

    def request(self) -> Any:
        """The request body as JSON (duplicate keys: the last wins), or None when it does not parse."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def excerpt(self) -> dict[str, Any]:
        """The exchange for a report: method, path, status and both bodies, redacted."""
        answer = None if self.answer is None else redact(self.answer)
        return {
            "seq": self.seq,
            "request": {
                "method": self.method,
                "path": self.path,
                "body": redact_body(self.body) if self.body else None,
            },
            "response": {"status": self.status, "body": answer},
        }


def parse_route(method: str, path: str) -> tuple[str, Optional[str], Optional[str]]:
    """(operation, repoId, memberId) of a request path; ids are percent-decoded per segment after
    splitting the escaped path (``+`` stays ``+``)."""
    raw = path.split("?", 1)[0]
    if method == "POST" and raw in AUTH_OPERATIONS:
        return AUTH_OPERATIONS[raw], None, None
    parts = [urllib.parse.unquote(p) for p in raw.split("/")]
    if parts[1:3] != ["v1", "repos"]:
        return "other", None, None
    if len(parts) == 3 and method == "POST":
        return "create", None, None
    if len(parts) == 5 and method == "POST" and parts[4] in VAULT_OPERATIONS:
        return VAULT_OPERATIONS[parts[4]], parts[3], None
    if len(parts) == 6 and method == "GET" and parts[4] == "member":
        return "fetch-member", parts[3], parts[5]
    return "other", None, None


class Recorder(Mode):
    """Honest: forwards every answer unchanged and records the exchange (thread-safe, in order of
    arrival). A non-JSON answer is not shown to a mode, so its exchange keeps ``status`` None."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[Seen] = []
        #: id() of an exchange in flight -> its index (an id may be reused once the exchange is gone)
        self._in_flight: dict[int, int] = {}

    def on_request(self, ex: Exchange) -> None:
        with self._lock:
            self._in_flight[id(ex)] = len(self._seen)
            self._seen.append(Seen(len(self._seen), ex.method, ex.path, ex.body))

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        with self._lock:
            seq = self._in_flight.pop(id(ex))
            self._seen[seq] = dataclasses.replace(self._seen[seq], status=status, answer=body)
        return body

    def exchanges(self) -> list[Seen]:
        """Everything recorded so far, in the order the requests arrived."""
        with self._lock:
            return list(self._seen)
