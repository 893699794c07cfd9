"""A misbehaving HTTP proxy in front of the real server, for the client-defence tests.

Every request is recorded; hooks may answer instead of the server (``before``), or rewrite the
server's answer (``after``), or drop the connection without an answer (``DROP``) — before or after
the request reached the server. The proxy forwards the ``Host`` header unchanged, so the server's
discovery document names the proxy's own URLs (the JWKS is fetched through it too).
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Union
from urllib.parse import unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> str:
        """``challenge``, ``token``, ``create``, ``pull``, ``push``, ``add-member``, ``remove-member``,
        ``member``, ``key-binding``, ``discovery``, ``jwks`` (or the raw path)."""
        parts = self.path.split("?")[0].split("/")
        if self.path.startswith("/api/auth/keypair/"):
            return parts[-1]
        if self.path == "/v1/repos":
            return "create"
        if self.path == "/v1/key-binding":
            return "key-binding"
        if self.path == "/.well-known/avp":
            return "discovery"
        if self.path == "/.well-known/jwks.json":
            return "jwks"
        if len(parts) == 5 and parts[1:3] == ["v1", "repos"]:
            return parts[4]
        if len(parts) == 6 and parts[4] == "member":
            return "member"
        return self.path

    @property
    def repo_id(self) -> Optional[str]:
        parts = self.path.split("/")
        return unquote(parts[3]) if len(parts) >= 4 and parts[1:3] == ["v1", "repos"] else None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    @classmethod
    def of(cls, status: int, value: Any, headers: Optional[dict[str, str]] = None) -> Reply:
        return cls(
            status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})}
        )


class _Drop:
    """Close the connection without any answer."""


DROP = _Drop()
#: Headers not copied from the server's answer: the proxy closes every connection itself (a copied
#: ``Keep-Alive`` would make an HTTP/1.0 client reuse a connection the proxy has closed).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "te",
    "trailer",
    "upgrade",
    "date",
    "server",
}
Before = Callable[[Request], Union[Reply, _Drop, None]]
After = Callable[[Request, Reply], Union[Reply, _Drop, None]]


class HostileProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.seen: list[Request] = []
        self.before: list[Before] = []
        self.after: list[After] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, dict(self.headers.items()), body)
                proxy.seen.append(request)
                reply = proxy._run_before(request)
                if reply is None:
                    reply = proxy._forward(request)
                    reply = proxy._run_after(request, reply)
                if isinstance(reply, _Drop):
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> HostileProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _run_before(self, request: Request) -> Union[Reply, _Drop, None]:
        for hook in list(self.before):
            out = hook(request)
            if out is not None:
                return out
        return None

    def _run_after(self, request: Request, reply: Reply) -> Union[Reply, _Drop]:
        for hook in list(self.after):
            out = hook(request, reply)
            if isinstance(out, _Drop):
                return out
            if out is not None:
                reply = out
        return reply

    def _forward(self, request: Request) -> Reply:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in ("connection",)}
            conn.request(request.method, request.path, body=request.body or None, headers=headers)
            response = conn.getresponse()
            return Reply(response.status, response.read(), dict(response.getheaders()))
        finally:
            conn.close()

    # --- conveniences for tests ---------------------------------------------------------------------
    def routes(self) -> list[str]:
        return [r.route for r in self.seen]

    def rewrite(self, route: str, fn: Callable[[Any], Any]) -> None:
        """Rewrite the JSON of every 2xx answer on ``route`` with ``fn(value) -> value``."""

        def hook(request: Request, reply: Reply) -> Optional[Reply]:
            if request.route != route or not 200 <= reply.status < 300:
                return None
            return Reply(reply.status, json.dumps(fn(reply.json())).encode(), reply.headers)

        self.after.append(hook)

    def clear(self) -> None:
        self.before.clear()
        self.after.clear()
        self.seen.clear()
