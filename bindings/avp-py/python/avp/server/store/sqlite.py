"""SQLite store: the default of ``avp serve`` (one file, WAL, durable commits).

Reads use one connection per thread. Writes go through one writer thread per process that
**group-commits**: it takes every write waiting in its queue, runs each in its own savepoint of
one ``BEGIN IMMEDIATE`` transaction (in order, so each sees the ones before it and every
compare-and-set stays exact), commits once, and only then answers the callers. One fsync thus
serves every write that arrived meanwhile, instead of one each. ``synchronous=FULL``: a write
that got its answer survives a crash of the process or of the machine. The writers of several
processes on one file take turns on an flock of ``<file>.lock`` (SQLite's ``busy_timeout`` stays
as the fallback for any other writer).
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
from concurrent.futures import Future
from typing import Any, Callable, Optional, TypeVar

from avp.errors import DuplicateRepo, QuotaExceeded
from avp.server.store import USAGE_MIGRATION, PullView, RepoRecord, Store, account, repo_row, roster_change

try:
    import fcntl
except ImportError:  # Windows: no flock; processes fall back to SQLite's busy handler
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
#: Most writes one transaction takes (bounds the latency a batch adds to its first write).
_BATCH = 64
_INCREMENTAL = 2

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
    # Challenges are self-authenticating (avp.server.nonces): only used nonces are kept.
    """
    DROP TABLE nonces;
    CREATE TABLE used_nonces (id BLOB PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID;
    CREATE INDEX used_nonces_expiry ON used_nonces (expires_at);
    """,
    USAGE_MIGRATION,
)

_INSERT_REPO = (
    "INSERT INTO repos (repo_id, rev, payload_version, key_epoch, manifest, envelope)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
# One statement reads the row and its member index from one snapshot ("," is not a base64 character).
_LOAD_REPO = (
    "SELECT repo_id, rev, payload_version, key_epoch, manifest, envelope,"
    " (SELECT group_concat(member_id, ',') FROM repo_members m WHERE m.repo_id = r.repo_id)"
    " FROM repos r WHERE repo_id = ?"
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
        self._jobs: queue.SimpleQueue[Optional[tuple[Job, Future[Any]]]] = queue.SimpleQueue()
        self._writer: Optional[threading.Thread] = None
        self._writer_lock = threading.Lock()
        self._nonce_writes = 0

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so that close() may close every thread's connection;
        # each connection is otherwise used by one thread alone.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 30000")
        # A checkpoint truncates the WAL back to this size (a burst of writes may grow it).
        conn.execute("PRAGMA journal_size_limit = 16777216")
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn: Optional[sqlite3.Connection] = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``job`` in the writer's next transaction; its result once that is durable."""
        with self._writer_lock:
            if self._writer is None:
                # Open what the writer needs here, so that a failure reaches the caller.
                conn = self._connect()
                # Writers of other processes on this file (--workers N) queue on an flock of a lock
                # file beside it: the kernel hands the lock over at once, where SQLite's busy
                # handler would sleep and retry (up to 100 ms a turn).
                lock = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600) if fcntl else None
                self._writer = threading.Thread(
                    target=self._write_loop, args=(conn, lock), name="avp-sqlite-writer", daemon=True
                )
                self._writer.start()
        done: Future[T] = Future()
        self._jobs.put((job, done))
        return done.result()

    def _write_loop(self, conn: sqlite3.Connection, lock: Optional[int]) -> None:
        try:
            running = True
            while running:
                first = self._jobs.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < _BATCH:
                    try:
                        item = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        running = False
                        break
                    batch.append(item)
                self._commit_locked(conn, lock, batch)
        finally:
            if lock is not None:
                os.close(lock)

    def _commit_locked(
        self, conn: sqlite3.Connection, lock: Optional[int], batch: list[tuple[Job, Future[Any]]]
    ) -> None:
        if lock is None:
            self._commit(conn, batch)
            return
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError as err:  # never leave a caller waiting
            for _, done in batch:
                done.set_exception(err)
            return
        try:
            self._commit(conn, batch)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _commit(conn: sqlite3.Connection, batch: list[tuple[Job, Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], Any, Optional[BaseException]]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, done in batch:
                conn.execute("SAVEPOINT job")
                try:
                    value = job(conn)
                except Exception as err:  # the job's own failure (e.g. DuplicateRepo): undo only it
                    conn.execute("ROLLBACK TO job")
                    outcomes.append((done, None, err))
                else:
                    outcomes.append((done, value, None))
                conn.execute("RELEASE job")
            conn.execute("COMMIT")
        except Exception as err:  # the transaction itself failed: nothing of the batch happened
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, done in batch:
                done.set_exception(err)
            return
        for done, value, error in outcomes:
            if error is None:
                done.set_result(value)
            else:
                done.set_exception(error)

    def migrate(self) -> None:
        mode = self._conn().execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise RuntimeError(f"SQLite refused WAL mode for {self.path} (got {mode})")

        conn = self._conn()
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != _INCREMENTAL:
            # Sweeps give space back (incremental_vacuum) only in this mode; an existing file
            # switches with one VACUUM, once.
            conn.execute(f"PRAGMA auto_vacuum = {_INCREMENTAL}")
            conn.execute("VACUUM")

        def upgrade(conn: sqlite3.Connection) -> None:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

        self._write(upgrade)

    def close(self) -> None:
        with self._writer_lock:
            if self._writer is not None:
                self._jobs.put(None)
                self._writer.join()
                self._writer = None
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def signing_seed(self, candidate: bytes) -> bytes:
        def settle(conn: sqlite3.Connection) -> bytes:
            conn.execute("INSERT OR IGNORE INTO server_key (id, seed) VALUES (1, ?)", (candidate,))
            seed: bytes = conn.execute("SELECT seed FROM server_key WHERE id = 1").fetchone()[0]
            return seed

        return self._write(settle)

    def use_nonce(self, nonce_id: bytes, expires_at: float, now: float) -> bool:
        swept = []

        def use(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute("INSERT OR IGNORE INTO used_nonces VALUES (?, ?)", (nonce_id, expires_at))
            self._nonce_writes += 1  # only the writer thread runs jobs
            if self._nonce_writes % 1024 == 0:
                conn.execute("DELETE FROM used_nonces WHERE expires_at <= ?", (now,))
                swept.append(True)
            return cursor.rowcount == 1

        used = self._write(use)
        if swept:
            self._reclaim()
        return used

    def sweep(self, now: float) -> None:
        """Forget every expired used nonce now and give the space back."""
        self._write(lambda conn: conn.execute("DELETE FROM used_nonces WHERE expires_at <= ?", (now,)))
        self._reclaim()

    def _reclaim(self) -> None:
        """Give the pages freed by a sweep back to the file system and truncate the WAL. A script,
        because a pragma statement frees one page per step and execute() steps it once."""
        self._conn().executescript("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")

    def create_repo(self, record: RepoRecord, creator: str, max_repos_per_member: int) -> None:
        def create(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM repos WHERE repo_id = ?", (record.repo_id,)).fetchone():
                raise DuplicateRepo("repository already exists")
            owned = conn.execute("SELECT count(*) FROM repo_members WHERE member_id = ?", (creator,))
            if owned.fetchone()[0] >= max_repos_per_member:
                raise QuotaExceeded("too many repositories for this member", retry_after=60)
            conn.execute(_INSERT_REPO, repo_row(record))
            conn.executemany(
                "INSERT INTO repo_members VALUES (?, ?)", [(m, record.repo_id) for m in record.member_ids]
            )
            self._account(conn, None, record)

        self._write(create)

    def load(self, repo_id: str) -> Optional[RepoRecord]:
        row = self._conn().execute(_LOAD_REPO, (repo_id,)).fetchone()
        if row is None:
            return None
        members = tuple(sorted(row[6].split(","))) if row[6] else ()
        return RepoRecord(row[0], row[1], row[2], row[3], row[4], row[5], members)

    def pull(self, repo_id: str, member_id: str, known_version: int) -> Optional[PullView]:
        row = self._conn().execute(_PULL, (known_version, member_id, repo_id)).fetchone()
        return None if row is None else PullView.from_row(row)

    def replace(self, old: RepoRecord, new: RepoRecord) -> bool:
        def compare_and_set(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE repos SET rev = ?, payload_version = ?, key_epoch = ?, manifest = ?,"
                " envelope = ? WHERE repo_id = ? AND rev = ?",
                (*repo_row(new)[1:], old.repo_id, old.rev),  # every column but repo_id, then the key
            )
            if cursor.rowcount != 1:
                return False
            gone, added = roster_change(old, new)
            conn.executemany("DELETE FROM repo_members WHERE member_id = ? AND repo_id = ?", gone)
            conn.executemany("INSERT INTO repo_members VALUES (?, ?)", added)
            self._account(conn, old, new)
            return True

        return self._write(compare_and_set)

    def _account(self, conn: sqlite3.Connection, old: Optional[RepoRecord], new: RepoRecord) -> None:
        account(lambda sql, args: conn.execute(sql, args).fetchone(), "?", self.capacity, old, new)
