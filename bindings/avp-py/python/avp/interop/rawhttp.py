"""A raw HTTP client for black-box checks: sends exactly the bytes it is given, records a transcript.

The SDK would refuse to send most of what the conformance suite needs to send (wrong types,
duplicate keys, bad base64), so the suite and the scenarios' spot checks use this instead.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union

from avp.errors import TransportError
from avp.interop.redact import redact_body, redact_text

Body = Union[None, bytes, str, Mapping[str, Any], list[Any]]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


def encode_body(body: Body) -> Optional[bytes]:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def quote_segment(value: str) -> str:
    """Percent-encode one path segment (``+``, ``/`` and ``=`` included)."""
    return urllib.parse.quote(value, safe="")


class RawClient:
    """One keep-alive connection to a base URL; every exchange is appended to ``transcript``."""

    def __init__(self, base_url: str, transcript: list[dict[str, Any]], timeout: float = 10.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise TransportError(f"not an http(s) base URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self._prefix = parsed.path.rstrip("/")
        self._timeout = timeout
        self._conn: Optional[http.client.HTTPConnection] = None
        self.transcript = transcript

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        body: Body = None,
        *,
        token: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        note: str = "",
    ) -> Response:
        data = encode_body(body)
        hdrs = {"Accept": "application/json"}
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        hdrs.update(headers or {})
        started = time.perf_counter()
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, self._prefix + path, body=data, headers=hdrs)
                raw = conn.getresponse()
                payload = raw.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as err:
                # a keep-alive connection the server closed: retry once on a fresh one
                self.close()
                if attempt == 2:
                    self._record(method, path, hdrs, data, None, started, note, error=str(err))
                    raise TransportError(f"{method} {path}: {err}") from err
        resp = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, payload)
        if raw.will_close:
            self.close()
        self._record(method, path, hdrs, data, resp, started, note)
        return resp

    def _record(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        data: Optional[bytes],
        resp: Optional[Response],
        started: float,
        note: str,
        error: Optional[str] = None,
    ) -> None:
        entry: dict[str, Any] = {
            "request": {
                "method": method,
                "path": path,
                "headers": {k: redact_text(v) for k, v in headers.items()},
                "body": None if data is None else redact_body(data),
            },
            "durationMs": round((time.perf_counter() - started) * 1000, 3),
        }
        if note:
            entry["note"] = note
        if resp is not None:
            entry["response"] = {
                "status": resp.status,
                "headers": {k: redact_text(v) for k, v in resp.headers.items()},
                "body": redact_body(resp.body),
            }
        if error is not None:
            entry["error"] = error
        self.transcript.append(entry)

    def streamed_over_limit(self, path: str, limit: int, token: str, wait: float = 5.0) -> Optional[int]:
        """POST a chunked body that grows past ``limit`` and then stalls; the status the server
        answered with while the body was still open, or None when it never answered.

        A server that reads the whole body before checking its size never answers here, which is
        the failure this probe exists to show.
        """
        started = time.perf_counter()
        sock = socket.create_connection((self._host, self._port), timeout=wait)
        status: Optional[int] = None
        try:
            head = (
                f"POST {self._prefix}{path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            )
            sock.sendall(head.encode("ascii"))
            chunk = b"[" + b"0," * 32767 + b"0"  # 64 KiB of valid JSON prefix
            sent = 0
            while sent <= limit + len(chunk):
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                try:
                    sock.sendall(f"{len(chunk):x}\r\n".encode("ascii") + chunk + b"\r\n")
                except OSError:
                    break
                sent += len(chunk)
            deadline = time.monotonic() + wait
            buf = b""
            while b"\r\n" not in buf and time.monotonic() < deadline:
                readable, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
                if not readable:
                    break
                try:
                    part = sock.recv(4096)
                except OSError:
                    break
                if not part:
                    break
                buf += part
            first = buf.split(b"\r\n", 1)[0].split()
            if len(first) >= 2 and first[1].isdigit():
                status = int(first[1])
        finally:
            sock.close()
        self.transcript.append(
            {
                "request": {
                    "method": "POST",
                    "path": path,
                    "body": f"<chunked, {limit} + bytes, never ended>",
                },
                "response": {"status": status},
                "durationMs": round((time.perf_counter() - started) * 1000, 3),
            }
        )
        return status
