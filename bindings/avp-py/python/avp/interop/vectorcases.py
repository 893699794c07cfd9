"""Vector files as cases: each client checks every file of ``vectors/`` with its own crypto.

One ``verify_vectors`` call of the actor contract answers for every file; the cases of one client
share it (:class:`Context` asks once), and each file is one case, ``vectors/<file stem>``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable, Optional

from avp.interop.actor_pool import Actor, ActorError
from avp.interop.engine import CaseContext
from avp.interop.model import Case, CaseFailed, CaseUnsupported, Level


class Answer:
    """The one ``verify_vectors`` answer of a client, asked for by its first case."""

    def __init__(self, actor: Actor, vectors_dir: Path) -> None:
        self.actor = actor
        self.vectors_dir = vectors_dir
        self._files: Optional[dict[str, Any]] = None
        self._error: Optional[ActorError] = None
        self._lock = threading.Lock()

    def files(self) -> dict[str, Any]:
        with self._lock:
            if self._files is None and self._error is None:
                try:
                    reply = self.actor.call("verify_vectors", timeout=120.0, dir=str(self.vectors_dir))
                    files = reply.get("files")
                    self._files = files if isinstance(files, dict) else {}
                except ActorError as err:
                    self._error = err
            if self._error is not None:
                if self._error.code == "unsupported":
                    raise CaseUnsupported(f"the client does not check vectors: {self._error.message}")
                raise self._error
            assert self._files is not None
            return self._files


class Context(CaseContext):
    def __init__(self, answer: Answer) -> None:
        super().__init__([], {}, frozenset())
        self.answer = answer


def vector_files(vectors_dir: Optional[Path]) -> list[str]:
    """The files ``vectors/index.json`` lists (none without a vectors folder)."""
    if vectors_dir is None:
        return []
    try:
        index = json.loads((vectors_dir / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = index.get("vectors", index.get("files", []))
    return sorted(str(e["file"]) for e in entries if isinstance(e, dict) and isinstance(e.get("file"), str))


def case_id(name: str) -> str:
    return f"vectors/{name.removesuffix('.json')}"


def cases(files: list[str]) -> list[Case[Context]]:
    return [
        Case(
            case_id(name),
            Level.SPEC,
            f"every case of vectors/{name}, checked with the client's own crypto",
            _check(name),
        )
        for name in files
    ]


def _check(name: str) -> Callable[[Context], None]:
    def run(ctx: Context) -> None:
        entry = ctx.answer.files().get(name)
        if not isinstance(entry, dict):
            raise CaseUnsupported("the client did not check this file")
        checked, failed, skipped = (int(entry.get(k, 0)) for k in ("checked", "failed", "skipped"))
        failures = entry.get("failures", [])[:20]
        ctx.details.update(checked=checked, failed=failed, skipped=skipped, failures=failures)
        if failed:
            raise CaseFailed(
                f"vectors/{name}", "every case verifies", f"{failed} of {checked} failed: {failures[:3]}"
            )
        if checked == 0 or skipped:
            raise CaseUnsupported(f"{skipped} of {checked + skipped} cases not checked by the client")

    return run
