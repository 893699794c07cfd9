"""Structured logs: one JSON object per line on stderr.

Request lines carry only the method, the route template, the status, the error code and the
duration: never a token, nonce, signature, key, id or body (wire contract §8).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Optional, TextIO

LOGGER = logging.getLogger("avp.server")
#: Where configure() sends the lines; request lines then skip the logging machinery (a LogRecord,
#: a lock and a write per request cost a tenth of a pull) and leave in one write per loop turn.
_stream: Optional[TextIO] = None
_pending: list[str] = []


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type only: a traceback's locals or messages could echo request data.
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, separators=(",", ":"))


def configure(level: str) -> None:
    """Send avp.server and uvicorn's own messages as JSON lines to stderr."""
    global _stream
    _stream = sys.stderr
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("avp.server", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


def request(method: str, route: str, status: int, code: Optional[str], started: float) -> None:
    if not LOGGER.isEnabledFor(logging.INFO):
        return
    ms = round((time.perf_counter() - started) * 1000, 2)
    fields = {"method": method, "route": route, "status": status, "code": code, "ms": ms}
    if _stream is None:  # embedded: the host's logging configuration decides
        LOGGER.info("request", extra={"fields": fields})
        return
    line = {"ts": round(time.time(), 3), "level": "info", "logger": LOGGER.name, "msg": "request", **fields}
    if not _pending:
        asyncio.get_running_loop().call_soon(_flush)
    _pending.append(json.dumps(line, separators=(",", ":")) + "\n")


def _flush() -> None:
    if _stream is not None and _pending:
        _stream.write("".join(_pending))
        _stream.flush()
    _pending.clear()
