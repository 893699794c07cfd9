"""Storage behind one small interface: in-memory, SQLite (the default) and PostgreSQL.

A repository is one record: counters, the manifest as served (JSON text) and the current envelope
(JSON text), plus ``rev``, a write counter that every accepted write increments. Writers read a
record, decide, and call :meth:`Store.replace` with the ``rev`` they read: a single atomic
compare-and-set, so two processes can never both win (no read-then-write race). A member index
(repo, member id) serves the per-member quota and the pull fast path.

The interface is synchronous; the ASGI app calls it from a worker thread.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class RepoRecord:
    repo_id: str
    rev: int
    payload_version: int
    key_epoch: int
    #: The manifest as served: the client's createRepo manifest with the current counters and roster.
    manifest: str
    envelope: str
    member_ids: tuple[str, ...]


@dataclass(frozen=True)
class PullView:
    is_member: bool
    payload_version: int
    manifest: str
    #: None when the caller already has the current payload version.
    envelope: Optional[str]


class Store(abc.ABC):
    """What the server keeps. Implementations are thread-safe; all methods may block."""

    #: True when load() and pull() never wait (on a lock, the network or the disk beyond a page
    #: read), so the server may call them on its event loop instead of a worker thread.
    inline_reads: bool = False

    @abc.abstractmethod
    def migrate(self) -> None:
        """Create or upgrade the schema (idempotent; safe when several processes start at once)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def signing_seed(self, candidate: bytes) -> bytes:
        """The persisted issuer seed; ``candidate`` is stored first when there is none yet."""

    @abc.abstractmethod
    def add_nonce(self, nonce: bytes, member_id: str, expires_at: float, now: float) -> None:
        """Record a challenge nonce (and, now and then, forget the expired ones)."""

    @abc.abstractmethod
    def take_nonce(self, nonce: bytes, member_id: str, now: float) -> bool:
        """Atomically delete an unexpired nonce issued for ``member_id``; False when there is none."""

    @abc.abstractmethod
    def create_repo(self, record: RepoRecord, creator: str, max_repos_per_member: int) -> None:
        """Insert a new repository; DuplicateRepo or QuotaExceeded (creator's repo count) otherwise."""

    @abc.abstractmethod
    def load(self, repo_id: str) -> Optional[RepoRecord]: ...

    @abc.abstractmethod
    def pull(self, repo_id: str, member_id: str, known_version: int) -> Optional[PullView]:
        """One consistent read for a pull; None when the repository does not exist."""

    @abc.abstractmethod
    def replace(self, old: RepoRecord, new: RepoRecord) -> bool:
        """Compare-and-set: write ``new`` (whose rev is ``old.rev + 1``) if the stored rev is still
        ``old.rev``; False, with nothing written, otherwise. The member index follows the roster."""


def open_store(db: str) -> Store:
    """``memory:`` → in-memory; ``postgresql://…``/``postgres://…`` → PostgreSQL; else a SQLite path."""
    if db in ("memory:", ":memory:"):
        from avp.server.store.memory import MemoryStore

        return MemoryStore()
    if db.startswith(("postgresql://", "postgres://")):
        from avp.server.store.postgres import PostgresStore

        return PostgresStore(db)
    from avp.server.store.sqlite import SqliteStore

    return SqliteStore(db.removeprefix("sqlite:"))
