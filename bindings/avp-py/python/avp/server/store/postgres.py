"""PostgreSQL store: several stateless server processes on one database (psycopg 3).

Nonce consumption and the repository compare-and-set are single statements or short
transactions, so they hold across processes; createRepo takes a per-member advisory lock so the
repos-per-member quota cannot be overrun by concurrent creates. Connections come from a small
pool shared by the process's worker threads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from avp.errors import DuplicateRepo, QuotaExceeded
from avp.server.store import USAGE_MIGRATION, PullView, RepoRecord, Store, account, repo_row, roster_change

try:
    import psycopg
except ImportError as err:  # pragma: no cover - depends on the installation
    raise ImportError("the PostgreSQL store needs psycopg: pip install 'avp[postgres]'") from err

#: Versioned schema: migration N (1-based) brings avp_schema_version from N-1 to N. Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE server_key (id integer PRIMARY KEY CHECK (id = 1), seed bytea NOT NULL);
    CREATE TABLE nonces (
        nonce bytea PRIMARY KEY, member_id text NOT NULL, expires_at double precision NOT NULL
    );
    CREATE INDEX nonces_expiry ON nonces (expires_at);
    CREATE TABLE repos (
        repo_id text PRIMARY KEY,
        rev bigint NOT NULL,
        payload_version bigint NOT NULL,
        key_epoch bigint NOT NULL,
        manifest text NOT NULL,
        envelope text NOT NULL
    );
    CREATE TABLE repo_members (
        member_id text NOT NULL,
        repo_id text NOT NULL,
        PRIMARY KEY (member_id, repo_id)
    );
    CREATE INDEX repo_members_repo ON repo_members (repo_id);
    """,
    # Challenges are self-authenticating (avp.server.nonces): only used nonces are kept.
    """
    DROP TABLE nonces;
    CREATE TABLE used_nonces (id bytea PRIMARY KEY, expires_at double precision NOT NULL);
    CREATE INDEX used_nonces_expiry ON used_nonces (expires_at);
    """,
    USAGE_MIGRATION,
)

_INSERT_REPO = (
    "INSERT INTO repos (repo_id, rev, payload_version, key_epoch, manifest, envelope)"
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
# One statement reads the row and its member index from one snapshot.
_LOAD_REPO = (
    "SELECT repo_id, rev, payload_version, key_epoch, manifest, envelope,"
    " array(SELECT member_id FROM repo_members m WHERE m.repo_id = r.repo_id ORDER BY member_id)"
    " FROM repos r WHERE repo_id = %s"
)
#: Arbitrary constant key of the advisory lock that serializes migrations across processes.
_MIGRATION_LOCK = 0x415650
_POOL_SIZE = 16


class PostgresStore(Store):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(_POOL_SIZE)
        self._all: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._nonce_writes = 0

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        with self._slots:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = psycopg.connect(self.dsn, autocommit=True)
                with self._lock:
                    self._all.append(conn)
            try:
                yield conn
            finally:
                if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.close()
                    with self._lock:
                        self._all.remove(conn)
                else:
                    self._idle.put(conn)

    def migrate(self) -> None:
        with self._conn() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS avp_schema_version (version integer NOT NULL)")
            row = conn.execute("SELECT max(version) FROM avp_schema_version").fetchone()
            version = (row[0] if row else None) or 0
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement.encode())
                conn.execute("INSERT INTO avp_schema_version VALUES (%s)", (number,))

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()

    def signing_seed(self, candidate: bytes) -> bytes:
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO server_key (id, seed) VALUES (1, %s) ON CONFLICT (id) DO NOTHING", (candidate,)
            )
            row = conn.execute("SELECT seed FROM server_key WHERE id = 1").fetchone()
        assert row is not None
        return bytes(row[0])

    def use_nonce(self, nonce_id: bytes, expires_at: float, now: float) -> bool:
        with self._conn() as conn:
            cursor = conn.execute(
                "INSERT INTO used_nonces VALUES (%s, %s) ON CONFLICT DO NOTHING", (nonce_id, expires_at)
            )
            with self._lock:
                self._nonce_writes += 1
                purge = self._nonce_writes % 1024 == 0
            if purge:
                # Autovacuum reuses the space of the deleted rows.
                conn.execute("DELETE FROM used_nonces WHERE expires_at <= %s", (now,))
            return cursor.rowcount == 1

    def create_repo(self, record: RepoRecord, creator: str, max_repos_per_member: int) -> None:
        with self._conn() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (creator,))
            owned = conn.execute("SELECT count(*) FROM repo_members WHERE member_id = %s", (creator,))
            row = owned.fetchone()
            over_quota = row is not None and row[0] >= max_repos_per_member
            if conn.execute("SELECT 1 FROM repos WHERE repo_id = %s", (record.repo_id,)).fetchone():
                raise DuplicateRepo("repository already exists")
            if over_quota:
                raise QuotaExceeded("too many repositories for this member", retry_after=60)
            inserted = conn.execute(_INSERT_REPO, repo_row(record))
            if inserted.rowcount != 1:
                raise DuplicateRepo("repository already exists")
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO repo_members VALUES (%s, %s)",
                    [(m, record.repo_id) for m in record.member_ids],
                )
            self._account(conn, None, record)

    def load(self, repo_id: str) -> Optional[RepoRecord]:
        with self._conn() as conn:
            row = conn.execute(_LOAD_REPO, (repo_id,)).fetchone()
        if row is None:
            return None
        return RepoRecord(row[0], row[1], row[2], row[3], row[4], row[5], tuple(row[6]))

    def pull(self, repo_id: str, member_id: str, known_version: int) -> Optional[PullView]:
        with self._conn() as conn:
            row = conn.execute(
                "SELECT payload_version, manifest,"
                " CASE WHEN payload_version = %s THEN NULL ELSE envelope END,"
                " EXISTS (SELECT 1 FROM repo_members m WHERE m.member_id = %s AND m.repo_id = r.repo_id)"
                " FROM repos r WHERE repo_id = %s",
                (known_version, member_id, repo_id),
            ).fetchone()
        return None if row is None else PullView.from_row(row)

    def replace(self, old: RepoRecord, new: RepoRecord) -> bool:
        with self._conn() as conn, conn.transaction():
            cursor = conn.execute(
                "UPDATE repos SET rev = %s, payload_version = %s, key_epoch = %s, manifest = %s,"
                " envelope = %s WHERE repo_id = %s AND rev = %s",
                (*repo_row(new)[1:], old.repo_id, old.rev),  # every column but repo_id, then the key
            )
            if cursor.rowcount != 1:
                return False
            gone, added = roster_change(old, new)
            with conn.cursor() as cur:
                if gone:
                    cur.executemany("DELETE FROM repo_members WHERE member_id = %s AND repo_id = %s", gone)
                if added:
                    cur.executemany("INSERT INTO repo_members VALUES (%s, %s)", added)
            self._account(conn, old, new)
            return True

    def _account(self, conn: psycopg.Connection[Any], old: Optional[RepoRecord], new: RepoRecord) -> None:
        # The one totals row serializes the writes of every process; a write is short.
        def run(sql: str, args: tuple[int, ...]) -> Any:
            return conn.execute(sql.encode(), args).fetchone() or ()

        account(run, "%s", self.capacity, old, new)
