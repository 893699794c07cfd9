"""The live progress of a run on stderr: one line on a terminal, one line per finished unit otherwise."""

from __future__ import annotations

import sys
import threading

from avp.interop.model import CaseResult


class Progress:
    """One live line on a terminal (plain lines per finished unit otherwise)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.counts: dict[str, int] = {}
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.lock = threading.Lock()

    def case(self, result: CaseResult) -> None:
        with self.lock:
            self.done += 1
            self.counts[result.outcome.value] = self.counts.get(result.outcome.value, 0) + 1
            if self.enabled and self.tty:
                summary = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
                line = f"[{self.done}/{self.total}] {summary} | {result.case_id} @ {result.column}"
                sys.stderr.write("\r\x1b[2K" + line[:150])
                sys.stderr.flush()

    def unit(self, name: str, results: list[CaseResult]) -> None:
        """Without a terminal, one line per finished unit (a column, a server's suite, a client's vectors)."""
        if self.enabled and not self.tty:
            counts: dict[str, int] = {}
            for r in results:
                counts[r.outcome.value] = counts.get(r.outcome.value, 0) + 1
            summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            self.say(f"[{self.done}/{self.total}] {name}: {summary}")

    def say(self, message: str) -> None:
        with self.lock:
            if self.enabled:
                sys.stderr.write(("\r\x1b[2K" if self.tty else "") + message + "\n")
                sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.tty:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
