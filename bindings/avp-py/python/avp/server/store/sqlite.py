"""SQLite store: the default of ``avp serve`` (one file, WAL, a durable commit per write).

Each thread has its own connection. Writes in one process are serialized by a lock before
``BEGIN IMMEDIATE`` (so threads never spin in SQLite's busy handler); several processes on one
file are serialized by SQLite itself (``busy_timeout``). ``synchronous=FULL``: a write that got
its answer survives a crash of the process or of the machine.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

from avp.errors import DuplicateRepo, QuotaExceeded
from avp.server.store import PullView, RepoRecord, Store

#: Versioned schema: migration N (1-based) upgrades user_version N-1 to N. Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE server_key (id INTEGER PRIMARY KEY CHECK (id = 1), seed BLOB NOT NULL);
    CREATE TABLE nonces (nonce BLOB PRIMARY KEY, member_id TEXT NOT NULL, expires_at REAL NOT NULL);
    CREATE INDEX nonces_expiry ON nonces (expires_at);
    CREATE TABLE repos (
        repo_id TEXT PRIMARY KEY,
        rev INTEGER NOT NULL,
        payload_version INTEGER NOT NULL,
        key_epoch INTEGER NOT NULL,
        manifest TEXT NOT NULL,
        envelope TEXT NOT NULL
    );
    CREATE TABLE repo_members (
        member_id TEXT NOT NULL,
        repo_id TEXT NOT NULL,
        PRIMARY KEY (member_id, repo_id)
    ) WITHOUT ROWID;
    CREATE INDEX repo_members_repo ON repo_members (repo_id);
    """,
)

_INSERT_REPO = (
    "INSERT INTO repos (repo_id, rev, payload_version, key_epoch, manifest, envelope)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_LOAD_REPO = (
    "SELECT repo_id, rev, payload_version, key_epoch, manifest, envelope FROM repos WHERE repo_id = ?"
)
_PULL = (
    "SELECT payload_version, manifest, CASE WHEN payload_version = ? THEN NULL ELSE envelope END,"
    " EXISTS (SELECT 1 FROM repo_members m WHERE m.member_id = ? AND m.repo_id = r.repo_id)"
    " FROM repos r WHERE repo_id = ?"
)


class SqliteStore(Store):
    # WAL readers never wait for the writer; a read is a few page lookups in the page cache.
    inline_reads = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._nonce_writes = 0

    def _conn(self) -> sqlite3.Connection:
        conn: Optional[sqlite3.Connection] = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread=False only so that close() may close every thread's connection;
            # each connection is otherwise used by its own thread alone.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA busy_timeout = 30000")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def migrate(self) -> None:
        conn = self._conn()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RuntimeError(f"SQLite refused WAL mode for {self.path} (got {mode})")
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def signing_seed(self, candidate: bytes) -> bytes:
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO server_key (id, seed) VALUES (1, ?)", (candidate,))
            seed: bytes = conn.execute("SELECT seed FROM server_key WHERE id = 1").fetchone()[0]
        return seed

    def add_nonce(self, nonce: bytes, member_id: str, expires_at: float, now: float) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO nonces VALUES (?, ?, ?)", (nonce, member_id, expires_at))
            self._nonce_writes += 1
            if self._nonce_writes % 1024 == 0:
                conn.execute("DELETE FROM nonces WHERE expires_at <= ?", (now,))

    def take_nonce(self, nonce: bytes, member_id: str, now: float) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "DELETE FROM nonces WHERE nonce = ? AND member_id = ? AND expires_at > ?",
                (nonce, member_id, now),
            )
            return cursor.rowcount == 1

    def create_repo(self, record: RepoRecord, creator: str, max_repos_per_member: int) -> None:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM repos WHERE repo_id = ?", (record.repo_id,)).fetchone():
                raise DuplicateRepo("repository already exists")
            owned = conn.execute("SELECT count(*) FROM repo_members WHERE member_id = ?", (creator,))
            if owned.fetchone()[0] >= max_repos_per_member:
                raise QuotaExceeded("too many repositories for this member", retry_after=60)
            conn.execute(
                _INSERT_REPO,
                (
                    record.repo_id,
                    record.rev,
                    record.payload_version,
                    record.key_epoch,
                    record.manifest,
                    record.envelope,
                ),
            )
            conn.executemany(
                "INSERT INTO repo_members VALUES (?, ?)", [(m, record.repo_id) for m in record.member_ids]
            )

    def load(self, repo_id: str) -> Optional[RepoRecord]:
        conn = self._conn()
        # One read transaction for the row and its index, so they are from the same commit.
        conn.execute("BEGIN")
        try:
            row = conn.execute(
                _LOAD_REPO,
                (repo_id,),
            ).fetchone()
            members = conn.execute("SELECT member_id FROM repo_members WHERE repo_id = ?", (repo_id,))
            member_ids = tuple(sorted(m for (m,) in members))
        finally:
            conn.execute("COMMIT")
        if row is None:
            return None
        return RepoRecord(row[0], row[1], row[2], row[3], row[4], row[5], member_ids)

    def pull(self, repo_id: str, member_id: str, known_version: int) -> Optional[PullView]:
        row = self._conn().execute(_PULL, (known_version, member_id, repo_id)).fetchone()
        if row is None:
            return None
        return PullView(is_member=bool(row[3]), payload_version=row[0], manifest=row[1], envelope=row[2])

    def replace(self, old: RepoRecord, new: RepoRecord) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE repos SET rev = ?, payload_version = ?, key_epoch = ?, manifest = ?, envelope = ?"
                " WHERE repo_id = ? AND rev = ?",
                (
                    new.rev,
                    new.payload_version,
                    new.key_epoch,
                    new.manifest,
                    new.envelope,
                    old.repo_id,
                    old.rev,
                ),
            )
            if cursor.rowcount != 1:
                return False
            gone = set(old.member_ids) - set(new.member_ids)
            added = set(new.member_ids) - set(old.member_ids)
            conn.executemany(
                "DELETE FROM repo_members WHERE member_id = ? AND repo_id = ?",
                [(m, old.repo_id) for m in gone],
            )
            conn.executemany("INSERT INTO repo_members VALUES (?, ?)", [(m, old.repo_id) for m in added])
            return True
