"""A deliberately broken AVP server for the conformance suite's own test: the real Python server
behind the runner's proxy, with faults the public reference servers are known for. Each fault breaks
exactly the checks listed in ``EXPECTED_FAILURES``; nothing else may fail."""

from __future__ import annotations

import base64
import http.server
import itertools
import os
from typing import Any

from avp.interop.proxy import Exchange, Mode

SMALL_ORDER_KEY = base64.b64encode(bytes([1]) + bytes(31)).decode()

#: check id -> the fault that breaks it
EXPECTED_FAILURES = {
    "wire/4.challenge.empty-body": "answers a challenge for {} (the reference servers' readiness probe)",
    "wire/4.token.universal-signature": "mints a token for the small-order key's universal signature",
    "wire/1.errors.method-not-allowed": "answers 404 instead of 405 for a wrong method",
    "wire/5.manifest.passthrough": "drops shareRefreshTokens from the manifests it returns",
    # the proxy reads a request body in full before anything else, as a naive server does:
    "wire/6.limits.content-length": "waits for the body of an oversize Content-Length",
    "wire/6.limits.chunked": "does not stop a chunked body at the limit",
}


class Broken(Mode):
    def on_request(self, ex: Exchange) -> None:
        body = ex.json()
        if ex.path == "/api/auth/keypair/challenge" and body == {}:
            ex.answer = (200, {"nonce": base64.b64encode(os.urandom(32)).decode()})
        elif ex.path == "/api/auth/keypair/token" and isinstance(body, dict):
            if body.get("ed25519PublicKey") == SMALL_ORDER_KEY:
                ex.answer = (200, {"token": "universal", "expiresAt": 4102444800000})
        elif ex.path == "/v1/repos" and ex.method == "GET":
            ex.answer = (404, {"error": "not found", "code": "not_found"})

    def on_response(self, ex: Exchange, status: int, body: Any) -> Any:
        if isinstance(body, dict):
            for manifest in (body.get("manifest"), body):
                if isinstance(manifest, dict):
                    manifest.pop("shareRefreshTokens", None)
        return body


#: what the garbage server answers, in turn: every kind of answer a client cannot use
GARBAGE_ANSWERS: list[tuple[int, bytes]] = [
    (200, b"not json at all"),
    (200, b"[]"),
    (200, b'{"nonce": 5, "token": [], "manifest": "x", "members": {}}'),
    (500, b"<html>Internal Server Error</html>"),
    (200, b"{}"),
    (404, b"\xff\xfe"),
    (0, b""),  # the connection is closed without an answer
]


class GarbageHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with the next of :data:`GARBAGE_ANSWERS` (a server to test the suite's
    own robustness: no exception may escape a check, whatever comes back)."""

    turn = itertools.count()
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._garbage()

    def do_POST(self) -> None:
        self._garbage()

    def _garbage(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 4_000_000:
            self.rfile.read(length)
        status, body = GARBAGE_ANSWERS[next(self.turn) % len(GARBAGE_ANSWERS)]
        if status == 0:
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass
