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
from typing import Any, Callable, Optional, Sequence

from avp.errors import StorageFull


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

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> PullView:
        """From the row both SQL stores select: payload_version, manifest, envelope (NULL when the
        caller has that version), is_member."""
        return cls(is_member=bool(row[3]), payload_version=row[0], manifest=row[1], envelope=row[2])


def repo_row(record: RepoRecord) -> tuple[str, int, int, int, str, str]:
    """The columns of the SQL stores' ``repos`` table, in order (repo_id, rev, payload_version,
    key_epoch, manifest, envelope)."""
    return (
        record.repo_id,
        record.rev,
        record.payload_version,
        record.key_epoch,
        record.manifest,
        record.envelope,
    )


def roster_change(old: RepoRecord, new: RepoRecord) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (member_id, repo_id) rows of the member index to delete and to insert when ``old`` becomes
    ``new``."""
    gone = set(old.member_ids) - set(new.member_ids)
    added = set(new.member_ids) - set(old.member_ids)
    return [(m, old.repo_id) for m in gone], [(m, old.repo_id) for m in added]


@dataclass(frozen=True)
class Capacity:
    """Global storage bounds; a write that would pass one is refused whole (507 storage_full).
    Stored size counts the characters of the manifest and envelope JSON texts (their bytes: the
    texts are ASCII but for unknown manifest fields)."""

    max_repos: int = 1_000_000
    max_member_entries: int = 10_000_000
    max_stored_bytes: int = 10 * 1024**3


def usage_delta(old: Optional[RepoRecord], new: RepoRecord) -> tuple[int, int, int]:
    """(repositories, member entries, stored size) that writing ``new`` over ``old`` adds."""
    size = len(new.manifest) + len(new.envelope)
    if old is None:
        return 1, len(new.member_ids), size
    return 0, len(new.member_ids) - len(old.member_ids), size - len(old.manifest) - len(old.envelope)


#: The SQL stores' running totals: one row, updated in the transaction of each write.
USAGE_MIGRATION = """
    CREATE TABLE avp_usage (
        id integer PRIMARY KEY CHECK (id = 1),
        repos bigint NOT NULL,
        member_entries bigint NOT NULL,
        stored_bytes bigint NOT NULL
    );
    INSERT INTO avp_usage SELECT 1, (SELECT count(*) FROM repos), (SELECT count(*) FROM repo_members),
        (SELECT coalesce(sum(length(manifest) + length(envelope)), 0) FROM repos)
    """
_ACCOUNT = (
    "UPDATE avp_usage SET repos = repos + {p}, member_entries = member_entries + {p},"
    " stored_bytes = stored_bytes + {p} WHERE id = 1 RETURNING repos, member_entries, stored_bytes"
)


def account(
    run: Callable[[str, tuple[int, ...]], Sequence[Any]],
    placeholder: str,
    capacity: Capacity,
    old: Optional[RepoRecord],
    new: RepoRecord,
) -> None:
    """Add what writing ``new`` over ``old`` adds to the SQL totals (inside the write's transaction)
    and raise StorageFull, which rolls the write back, when a total that grew is now over its bound."""
    delta = usage_delta(old, new)
    totals = run(_ACCOUNT.format(p=placeholder), delta)
    check_capacity(capacity, (int(totals[0]), int(totals[1]), int(totals[2])), delta)


def check_capacity(capacity: Capacity, totals: tuple[int, int, int], delta: tuple[int, int, int]) -> None:
    bounds = (capacity.max_repos, capacity.max_member_entries, capacity.max_stored_bytes)
    names = ("repositories", "member entries", "stored bytes")
    for total, grew, bound, name in zip(totals, delta, bounds, names):
        if grew > 0 and total > bound:
            raise StorageFull("the server is full", detail=f"it holds at most {bound} {name}")


class Store(abc.ABC):
    """What the server keeps. Implementations are thread-safe; all methods may block."""

    #: True when load() and pull() never wait (on a lock, the network or the disk beyond a page
    #: read), so the server may call them on its event loop instead of a worker thread.
    inline_reads: bool = False
    #: Set by the server from its configuration before the first write.
    capacity: Capacity = Capacity()

    @abc.abstractmethod
    def migrate(self) -> None:
        """Create or upgrade the schema (idempotent; safe when several processes start at once)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def signing_seed(self, candidate: bytes) -> bytes:
        """The persisted issuer seed; ``candidate`` is stored first when there is none yet."""

    @abc.abstractmethod
    def use_nonce(self, nonce_id: bytes, expires_at: float, now: float) -> bool:
        """Record a login nonce as used until ``expires_at``, atomically: False when it already
        was. Now and then forgets the expired records and gives their space back."""

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
