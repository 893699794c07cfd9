"""Driving a client under test: one process per actor slot, JSON lines per docs/actor-contract.md.

A process is reused across scenarios (each scenario starts with ``identity``, which resets it); one
that exits, times out or writes garbage is killed and the next case gets a fresh one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, NoReturn, Optional

from avp.interop.launcher import Unavailable
from avp.interop.redact import redact, redact_text, shorten
from avp.interop.registry import Implementation, command_and_env

DEFAULT_TIMEOUT = 20.0


class ActorError(Exception):
    """The actor answered ``ok: false``: the error code (and HTTP status) it reported."""

    def __init__(self, op: str, code: str, status: Optional[int], message: str) -> None:
        super().__init__(f"{op} -> {code}" + (f" ({status})" if status is not None else "") + f": {message}")
        self.op = op
        self.code = code
        self.status = status
        self.message = message


class ActorBroken(Exception):
    """The actor process died, timed out or broke the framing; the case fails with this reason."""


class Actor:
    def __init__(self, impl: Implementation, slot: str, log_dir: Path) -> None:
        launch = impl.client
        if launch is None:
            raise Unavailable(f"{impl.name} has no [client] section")
        values = {"python": sys.executable, "port": "", "tmp": "", "here": str(impl.home)}
        command, env = command_and_env(launch, values)
        log_dir.mkdir(parents=True, exist_ok=True)
        self.impl = impl
        self.slot = slot
        self._stderr: IO[bytes] = open(log_dir / f"actor-{impl.name}-{slot}.log", "ab")
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - the command comes from the user's own registry
                command,
                cwd=launch.cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                start_new_session=True,
            )
        except OSError as err:
            self._stderr.close()
            raise Unavailable(f"could not start actor {command[0]!r}: {err}") from err
        self._lines: queue.Queue[Optional[bytes]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name=f"actor-{impl.name}-{slot}", daemon=True)
        self._reader.start()
        self._next_id = 0
        self.broken: Optional[str] = None
        self.transcript: Optional[list[dict[str, Any]]] = None
        self.hello: dict[str, Any] = {}

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def call(self, op: str, timeout: float = DEFAULT_TIMEOUT, **args: Any) -> dict[str, Any]:
        """Send one request; the result object, or :class:`ActorError` / :class:`ActorBroken`."""
        if self.broken is not None:
            raise ActorBroken(self.broken)
        self._next_id += 1
        request = {"id": self._next_id, "op": op, "args": args}
        started = time.perf_counter()
        entry: dict[str, Any] = {"actor": f"{self.slot}:{self.impl.name}", "op": op, "args": redact(args)}
        if self.transcript is not None:
            self.transcript.append(entry)
        try:
            reply = self._exchange(request, timeout)
        except ActorBroken as err:
            entry["broken"] = str(err)
            raise
        finally:
            entry["durationMs"] = round((time.perf_counter() - started) * 1000, 3)
        if reply.get("ok") is True:
            result = reply.get("result")
            if not isinstance(result, dict):
                self._break(f"{op}: 'result' is not an object: {shorten(reply)}")
            entry["result"] = redact(result)
            return result
        error = reply.get("error")
        if (
            reply.get("ok") is not False
            or not isinstance(error, dict)
            or not isinstance(error.get("code"), str)
        ):
            self._break(f"{op}: reply is neither a result nor an error: {shorten(reply)}")
        status = error.get("status")
        entry["error"] = redact(error)
        raise ActorError(
            op, error["code"], status if isinstance(status, int) else None, str(error.get("message", ""))
        )

    def _exchange(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            self._proc.stdin.flush()
        except OSError as err:
            self._break(f"{request['op']}: cannot write to the actor ({err})")
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._break(f"{request['op']}: no reply within {timeout:.0f} s")
        if line is None:
            try:
                status = self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                status = None
            self._break(f"{request['op']}: the actor exited (status {status}){self._last_words()}")
        try:
            reply = json.loads(line)
        except ValueError:
            self._break(f"{request['op']}: reply is not JSON: {line[:200]!r}")
        if not isinstance(reply, dict) or reply.get("id") != request["id"]:
            self._break(f"{request['op']}: reply does not carry the request id: {shorten(reply)}")
        return reply

    def _last_words(self) -> str:
        """The telling line of what the actor wrote to stderr (an import error, a crash)."""
        try:
            self._stderr.flush()
            with open(self._stderr.name, "rb") as log:
                log.seek(max(0, os.path.getsize(self._stderr.name) - 2000))
                lines = [ln for ln in log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        errors = [ln for ln in lines if "Error" in ln or "Exception" in ln]
        last = (errors or lines)[-1:]  # an exception line says more than a trailing version banner
        return f": {redact_text(last[0].strip())[:300]}" if last else ""

    def _break(self, reason: str) -> NoReturn:
        self.broken = reason
        self.close()
        raise ActorBroken(reason)

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.write(b'{"id": 0, "op": "shutdown", "args": {}}\n')
                proc.stdin.flush()
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._reader.join(timeout=2)
        self._stderr.close()


class ActorPool:
    """Live actor processes keyed by (implementation, slot), owned by one worker thread."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._actors: dict[tuple[str, str], Actor] = {}

    def get(self, impl: Implementation, slot: str) -> Actor:
        key = (impl.name, slot)
        actor = self._actors.get(key)
        if actor is None or actor.broken is not None:
            actor = Actor(impl, slot, self._log_dir)
            self._actors[key] = actor
            actor.hello = actor.call("hello", timeout=30.0)
        return actor

    def close(self) -> None:
        for actor in self._actors.values():
            actor.close()
        self._actors.clear()
