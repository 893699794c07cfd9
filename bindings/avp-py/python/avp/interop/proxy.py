"""The adversarial server: an HTTP proxy in front of a real server that misbehaves on purpose.

A :class:`Mode` sees every exchange and may rewrite the answer (or answer itself). The modes are
the attacks of a malicious server that a careful client can detect: a substituted member key, a
rolled-back version, a stale epoch, a dropped ``shareRefreshTokens``, a replayed envelope, refused
or "expired" tokens. The proxy only rewrites JSON it understands and forwards everything else.
"""

from __future__ import annotations

import copy
import http.client
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from avp.interop.redact import redact_body, redact_text

#: request headers worth a line in a transcript (values redacted)
LOGGED_HEADERS = frozenset({"authorization", "content-type", "content-length", "host"})
HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)


#: bodies larger than this are summarized in a transcript, not parsed and redacted field by field
MAX_LOGGED_BODY = 65536


def _logged(body: bytes) -> Any:
    if not body:
        return None
    if len(body) > MAX_LOGGED_BODY:
        return f"<{len(body)} bytes, not recorded>"
    return redact_body(body)


class Exchange:
    """One request seen by the proxy; a mode may set ``answer`` to reply without the upstream."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.answer: Optional[tuple[int, Any]] = None

    @property
    def route(self) -> str:
        """The last path segment for vault routes (``pull``, ``push``, ...), else the path."""
        parts = self.path.split("?")[0].split("/")
        if len(parts) >= 5 and parts[1:3] == ["v1", "repos"]:
            return "member" if len(parts) == 6 and parts[4] == "member" else parts[4]
        return self.path.split("?")[0]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Mode:
    """Honest by default: subclasses override the hooks they need."""

    def on_request(self, ex: Exchange) -> None:
        """Inspect (or answer) a request before it goes upstream."""

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        """The JSON answer the client gets (``body`` is parsed JSON, or None when it was not JSON)."""
        return body


def manifests_in(body: Any) -> list[dict[str, Any]]:
    """Every VaultManifest inside an answer (pull answers nest it; create/add/remove answer one)."""
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("manifest"), dict):
        return [body["manifest"]]
    return [body] if "members" in body and "schemeId" in body else []


class SubstituteKey(Mode):
    """Serve ``fake_x25519`` as one member's X25519 key; notice if a client wraps a data key to it."""

    def __init__(self, member_id: str, fake_x25519: str) -> None:
        self.member_id = member_id
        self.fake = fake_x25519
        self.leaked = False
        self.armed = False
        self.swapped = False
        self.lock = threading.Lock()

    def _swap(self, entry: Any) -> None:
        if isinstance(entry, dict) and entry.get("ed25519PublicKey") == self.member_id:
            entry["x25519PublicKey"] = self.fake
            self.swapped = True

    def on_request(self, ex: Exchange) -> None:
        if self.armed and self.fake.encode() in ex.body:
            with self.lock:
                self.leaked = True  # the client sent (wrapped to) the attacker's key

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        if not self.armed:
            return body
        for manifest in manifests_in(body):
            for entry in manifest.get("members", []):
                self._swap(entry)
        if ex.route == "member":
            self._swap(body)
        return body


class DropShareRefreshTokens(Mode):
    """Remove ``shareRefreshTokens`` from every manifest served (the classic server bug)."""

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        for manifest in manifests_in(body):
            manifest.pop("shareRefreshTokens", None)
        return body


class ReplayPull(Mode):
    """Record the first full state seen (a createRepo request or a pull answer with an envelope);
    once armed, answer every pull with it.

    Recorded before a write this is a version rollback; before a member removal, a stale epoch.
    """

    def __init__(self) -> None:
        self.recorded: Optional[Any] = None
        self.armed = False
        self.replayed = False

    def on_request(self, ex: Exchange) -> None:
        body = ex.json() if self.recorded is None and ex.path == "/v1/repos" else None
        if isinstance(body, dict) and isinstance(body.get("manifest"), dict):
            self.recorded = {
                "manifest": body["manifest"],
                "envelope": body.get("initialEnvelope"),
                "unchanged": False,
            }

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        if ex.route != "pull" or status != 200 or not isinstance(body, dict):
            return body
        if self.armed and self.recorded is not None:
            self.replayed = True
            return copy.deepcopy(self.recorded)
        if self.recorded is None and isinstance(body.get("envelope"), dict):
            self.recorded = copy.deepcopy(body)
        return body


class ReplayEnvelope(Mode):
    """Once armed, serve an old envelope's IV and ciphertext under the current header (new version)."""

    def __init__(self) -> None:
        self.old: Optional[dict[str, Any]] = None
        self.armed = False
        self.replayed = False

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        if ex.route != "pull" or status != 200 or not isinstance(body, dict):
            return body
        envelope = body.get("envelope")
        if not isinstance(envelope, dict):
            return body
        if self.old is None:
            self.old = dict(envelope)
        elif self.armed and envelope.get("payloadVersion") != self.old.get("payloadVersion"):
            envelope["iv"], envelope["ciphertext"] = self.old["iv"], self.old["ciphertext"]
            self.replayed = True
        return body


class RejectTokens(Mode):
    """Answer every token request with 401: the client must surface ``unauthorized`` and stop."""

    def on_request(self, ex: Exchange) -> None:
        if ex.path.startswith("/api/auth/keypair/token"):
            ex.answer = (401, {"error": "signature rejected", "code": "unauthorized"})


class ExpireOnce(Mode):
    """Answer the first authenticated vault request with 401, as if its token had just expired."""

    def __init__(self) -> None:
        self.fired = False

    def on_request(self, ex: Exchange) -> None:
        if not self.fired and ex.path.startswith("/v1/repos") and "authorization" in ex.headers:
            self.fired = True
            ex.answer = (401, {"error": "token expired", "code": "unauthorized"})


class Proxy:
    """A threaded HTTP proxy on 127.0.0.1:<free port> in front of ``upstream``; a context manager.

    With ``transcript``, every exchange a client makes through it is appended there (redacted):
    that is how a case's report shows the clients' own HTTP traffic.
    """

    def __init__(
        self, upstream: str, mode: Optional[Mode] = None, transcript: Optional[list[dict[str, Any]]] = None
    ) -> None:
        parts = urllib.parse.urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.mode = mode or Mode()
        self.transcript = transcript
        self._local = threading.local()
        self._conns: list[http.client.HTTPConnection] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the runner's transcripts record what matters (redacted)."""

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, out_headers, payload = proxy.forward(Exchange(self.command, self.path, headers, body))
                try:
                    self.send_response(status)
                    for key, value in out_headers:
                        if key.lower() not in HOP_HEADERS:
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True  # the client went away: nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="avp-proxy", daemon=True)

    def forward(self, ex: Exchange) -> tuple[int, list[tuple[str, str]], bytes]:
        started = time.perf_counter()
        status, headers, payload = self._forward(ex)
        if self.transcript is not None:
            self.transcript.append(
                {
                    "via": "proxy"
                    if type(self.mode) is Mode
                    else f"adversarial proxy ({type(self.mode).__name__})",
                    "request": {
                        "method": ex.method,
                        "path": ex.path,
                        "headers": {k: redact_text(v) for k, v in ex.headers.items() if k in LOGGED_HEADERS},
                        "body": _logged(ex.body),
                    },
                    "response": {"status": status, "body": _logged(payload)},
                    "durationMs": round((time.perf_counter() - started) * 1000, 3),
                }
            )
        return status, headers, payload

    def _forward(self, ex: Exchange) -> tuple[int, list[tuple[str, str]], bytes]:
        self.mode.on_request(ex)
        if ex.answer is not None:
            status, answer = ex.answer
            return status, [("Content-Type", "application/json")], json.dumps(answer).encode()
        headers = {k: v for k, v in ex.headers.items() if k not in HOP_HEADERS}
        try:
            status, out_headers, raw = self._upstream(ex, headers)
        except (OSError, http.client.HTTPException) as err:
            return (
                502,
                [("Content-Type", "application/json")],
                json.dumps({"error": str(err), "code": "server_error"}).encode(),
            )
        if type(self.mode) is Mode:
            return status, out_headers, raw  # honest: forward the exact bytes, parse nothing
        try:
            parsed = json.loads(raw)
        except ValueError:
            return status, out_headers, raw
        rewritten = self.mode.on_response(ex, status, parsed)
        if rewritten is parsed and json.dumps(parsed) == json.dumps(json.loads(raw)):
            return status, out_headers, raw  # untouched: forward the exact bytes
        return status, out_headers, json.dumps(rewritten).encode()

    def _upstream(self, ex: Exchange, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        """One exchange with the server on this thread's keep-alive connection (fresh when stale)."""
        for attempt in (1, 2):
            conn: Optional[http.client.HTTPConnection] = getattr(self._local, "conn", None)
            if conn is None:
                conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
                self._local.conn = conn
                self._conns.append(conn)
            try:
                try:
                    conn.request(ex.method, ex.path, body=ex.body or None, headers=headers)
                except (BrokenPipeError, ConnectionResetError):
                    if attempt == 1 and not ex.body:
                        raise
                    # the server answered (413) and closed before the whole body was sent: read it
                resp = conn.getresponse()
                raw = resp.read()
                if resp.will_close:
                    conn.close()
                    self._local.conn = None
                return resp.status, resp.getheaders(), raw
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        for conn in self._conns:
            conn.close()
