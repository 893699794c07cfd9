"""The HTTP/1.1 connection layer: uvicorn's httptools protocol with the limits hostile traffic needs.

uvicorn + httptools (llhttp) is the fastest stack we measured (docs/server.md, "Why this stack"), but it
has no limit on header size or count, no deadline for a request's headers or body, never closes a
connection that has not sent a request yet, and loses the body of a request offering
``Upgrade: h2c``. This subclass adds each of those where the parser's callbacks run, and answers
every refusal with the wire contract's JSON error body:

- a head (request line + headers) over ``max_header_bytes`` or with more than ``max_headers``
  headers → 431 ``headers_too_large``; counted on the raw bytes too, so a header that never ends
  cannot grow the parser's buffer past the limit;
- a head not complete ``header_timeout_seconds`` after its first byte (or after the connection
  opened) → 408 ``request_timeout``; a body not complete within the same time plus its size divided
  by ``min_body_bytes_per_second`` → 408; an idle keep-alive connection closes after
  ``idle_timeout_seconds``;
- beyond ``max_connections`` open connections a new one gets 503 ``overloaded`` and is closed at once;
- a malformed request → 400 ``bad_request`` (uvicorn sends plain text);
- ``Upgrade: h2c`` (or any other upgrade: the server has no WebSocket) is ignored as RFC 9110 §7.8
  allows: llhttp stops at the end of the head of such a request, so the body and any request after
  it are parsed by a fresh parser primed with the request's framing headers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar, Optional

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from avp.server.config import Limits

# Headers that frame a message: all a fresh parser needs to read the body of an upgrade request.
_FRAMING = (b"content-length", b"transfer-encoding")


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing; the answer was already written."""


def error_response(status: int, code: str, message: str) -> bytes:
    """A complete ``Connection: close`` response with the wire contract's JSON error body."""
    body = json.dumps({"error": message, "code": code}, separators=(",", ":")).encode()
    head = b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    return STATUS_LINE[status] + head + body


class _CoalescingTransport:
    """What a request's response is written to: the writes of one event-loop step (uvicorn writes
    the status line and headers, then the body) leave in one send, so a small response is one
    segment and one system call instead of two."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with header, time and connection limits (see the module docstring)."""

    #: Set once per process (:func:`configure`) before the server starts.
    limits: ClassVar[Limits] = Limits()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: Optional[asyncio.AbstractEventLoop] = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.timeout_keep_alive = int(max(1, self.limits.idle_timeout_seconds))
        self._reading_head = True
        self._head_bytes = 0
        self._header_count = 0
        self._deadline: Optional[asyncio.TimerHandle] = None
        self._upgrade_pending = False
        self._replay: Optional[tuple[bytes, list[tuple[bytes, bytes]], Any]] = None

    # --- connections and deadlines ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._out = _CoalescingTransport(transport, self.loop)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(503, "overloaded", "too many open connections")
            return
        # A connection that never sends a request is closed like a slow head (silently: no request).
        self._arm(self.limits.header_timeout_seconds, self._on_head_timeout)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _on_head_timeout(self) -> None:
        self._deadline = None
        if self._head_bytes:
            self._refuse(408, "request_timeout", "the request headers took too long")
        elif not self.transport.is_closing():
            self.transport.close()

    def _on_body_timeout(self) -> None:
        self._deadline = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            # The application must not answer too: it now sees a disconnect.
            cycle.disconnected = True
            cycle.message_event.set()
            self._refuse(408, "request_timeout", "the request body took too long")
        elif not self.transport.is_closing():
            self.transport.close()

    def _refuse(self, status: int, code: str, message: str) -> None:
        self._disarm()
        self._out.flush()
        if not self.transport.is_closing():
            self.transport.write(error_response(status, code, message))
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "bad_request", "malformed HTTP request")

    # --- parsing ---------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        piece = b""
        try:
            while data and not self.transport.is_closing():
                if self._reading_head:
                    if self._head_bytes == 0 and self._deadline is None:
                        self._arm(self.limits.header_timeout_seconds, self._on_head_timeout)
                    # Feed at most one byte past the limit while a head is incomplete, so that a
                    # never-ending header cannot grow the parser's buffer.
                    room = self.limits.max_header_bytes - self._head_bytes + 1
                    piece, data = data[:room], data[room:]
                    self._head_bytes += len(piece)
                    self.parser.feed_data(piece)
                    if self._reading_head and self._head_bytes > self.limits.max_header_bytes:
                        self._refuse_head()
                else:
                    piece, data = data, b""
                    self.parser.feed_data(piece)
        except httptools.HttpParserUpgrade as upgrade:
            self._continue_after_upgrade(piece[int(upgrade.args[0]) :] + data)
        except httptools.HttpParserError as err:
            if not isinstance(err.__context__, _Refused):
                self.send_400_response("")
        except _Refused:
            pass

    def _refuse_head(self) -> None:
        self._refuse(431, "headers_too_large", "request headers too large")
        raise _Refused

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True
        self._header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            self._refuse_head()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        if self._replay is not None:
            # The fresh parser saw only the framing headers: restore the real request.
            self.url, self.headers, self.scope = self._replay
            self._replay = None
        elif self.parser.should_upgrade():
            # llhttp will skip the body and stop (HttpParserUpgrade): start the request only once a
            # fresh parser reads the body (_continue_after_upgrade). avp serve has no WebSocket.
            self._upgrade_pending = True
            return
        super().on_headers_complete()
        self.cycle.transport = self._out  # type: ignore[assignment]
        self._arm(self._body_seconds(), self._on_body_timeout)

    def _body_seconds(self) -> float:
        size = self.limits.max_header_bytes
        for name, value in self.headers:
            if name == b"content-length" and value.isdigit():
                size = int(value)
            elif name == b"transfer-encoding":
                size = self.limits.max_body_bytes  # chunked: as long as the largest body allowed
        return self.limits.header_timeout_seconds + size / self.limits.min_body_bytes_per_second

    def on_message_complete(self) -> None:
        if self._upgrade_pending:
            return  # the empty message llhttp reports for an upgrade request whose body it skips
        self._disarm()
        self._reading_head = True
        self._head_bytes = 0
        super().on_message_complete()

    def _continue_after_upgrade(self, rest: bytes) -> None:
        """Parse the body (and later requests) of a request that offered an upgrade we ignore."""
        self._upgrade_pending = False
        head = [self.parser.get_method(), b" / HTTP/", self.parser.get_http_version().encode()]
        head.append(b"\r\n")
        for name, value in self.headers:
            if name in _FRAMING:
                head += [name, b": ", value, b"\r\n"]
            elif name == b"connection" and b"close" in value.lower():
                head.append(b"connection: close\r\n")
        self._replay = (self.url, self.headers, self.scope)
        self.parser = httptools.HttpRequestParser(self)
        self.parser.feed_data(b"".join(head) + b"\r\n")
        self._head_bytes = 0
        self.data_received(rest)


def configure(limits: Limits) -> None:
    """Set the limits of every connection this process accepts."""
    GuardedHttpProtocol.limits = limits
