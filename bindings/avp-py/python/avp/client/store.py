"""The client's durable local state: one SQLite file under the AVP home directory.

What it holds is either public (base URLs, pinned public keys, counters, manifests, ciphertext
envelopes) or sealed to the identity (data keys, stored wrapped to the owner's own X25519 key). It
never holds a passphrase, a private key or a plaintext data key. Every row is scoped by the *owner*
(the member id of the identity using it), so two identities sharing one home never mix state.

High-water marks only ever go up, inside SQLite's own transaction (``max()`` in the upsert), so a
crash or a concurrent process can never lower them.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from avp.errors import LocalStateError

DEFAULT_HOME = Path("~/.local/share/avp")
_SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, base_url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS issuer_keys (
    jwks_url TEXT NOT NULL, public_key TEXT NOT NULL, PRIMARY KEY (jwks_url, public_key));
CREATE TABLE IF NOT EXISTS repos (
    owner TEXT NOT NULL, address TEXT NOT NULL,
    hw_version INTEGER NOT NULL, hw_epoch INTEGER NOT NULL,
    share_refresh_tokens INTEGER NOT NULL,
    issuer_jwks_url TEXT,
    manifest TEXT, envelope TEXT,
    PRIMARY KEY (owner, address));
CREATE TABLE IF NOT EXISTS pins (
    owner TEXT NOT NULL, address TEXT NOT NULL, member_id TEXT NOT NULL, x25519 TEXT NOT NULL,
    PRIMARY KEY (owner, address, member_id));
CREATE TABLE IF NOT EXISTS signed_states (
    owner TEXT NOT NULL, address TEXT NOT NULL, payload_version INTEGER NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (owner, address, payload_version));
CREATE TABLE IF NOT EXISTS forks (owner TEXT NOT NULL, address TEXT NOT NULL, evidence TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS admissions (
    owner TEXT NOT NULL, address TEXT NOT NULL, admission TEXT NOT NULL, PRIMARY KEY (owner, address));
CREATE TABLE IF NOT EXISTS data_keys (
    owner TEXT NOT NULL, address TEXT NOT NULL, key_epoch INTEGER NOT NULL, sealed TEXT NOT NULL,
    PRIMARY KEY (owner, address, key_epoch));
"""


def resolve_home(home: Optional[os.PathLike[str] | str] = None) -> Path:
    """The state directory: ``home`` if given, else ``$AVP_HOME``, else ``~/.local/share/avp``."""
    chosen = home if home is not None else os.environ.get("AVP_HOME") or DEFAULT_HOME
    return Path(chosen).expanduser()


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass(frozen=True)
class RepoState:
    """What this client remembers of one repository (per owner and ``avp://`` address)."""

    #: Highest payloadVersion / keyEpoch ever accepted from the server (the rollback high-water marks).
    hw_version: int
    hw_epoch: int
    #: The last refresh-token policy this client honoured (False until a true was seen and accepted).
    share_refresh_tokens: bool
    #: The issuer whose key bindings are trusted for this repository (from the locator or discovery).
    issuer_jwks_url: Optional[str]
    #: The last manifest and envelope accepted (JSON text, public/ciphertext only).
    manifest: Optional[str]
    envelope: Optional[str]


class Store:
    """A handle on ``<home>/state.sqlite3``. Close it (or use ``with``) when done."""

    def __init__(self, home: Optional[os.PathLike[str] | str] = None) -> None:
        self.home = resolve_home(home)
        try:
            self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
            # One connection, usable from any thread of the process, one statement at a time (the lock).
            self._db = sqlite3.connect(
                self.home / "state.sqlite3", timeout=30, isolation_level=None, check_same_thread=False
            )
            self._lock = threading.Lock()
        except (OSError, sqlite3.Error) as exc:
            raise LocalStateError(f"cannot open the local state in {self.home}", detail=str(exc)) from None
        try:
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (str(_SCHEMA_VERSION),)
            )
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row[0] != str(_SCHEMA_VERSION):
                raise LocalStateError("the local state was written by another version", detail=row[0])
        except sqlite3.Error as exc:
            self._db.close()
            raise LocalStateError(f"cannot use the local state in {self.home}", detail=str(exc)) from None
        except LocalStateError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exec(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        try:
            with self._lock, self._db:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise LocalStateError("local state write failed", detail=str(exc)) from None

    # --- hosts --------------------------------------------------------------------------------------
    def base_url(self, host: str) -> Optional[str]:
        rows = self._exec("SELECT base_url FROM hosts WHERE host = ?", (host,))
        return str(rows[0][0]) if rows else None

    def remember_base_url(self, host: str, base_url: str) -> None:
        self._exec(
            "INSERT INTO hosts (host, base_url) VALUES (?, ?)"
            " ON CONFLICT (host) DO UPDATE SET base_url = excluded.base_url",
            (host, base_url),
        )

    # --- issuer keys (trust on first use, per JWKS URL) ---------------------------------------------
    def issuer_keys(self, jwks_url: str) -> set[str]:
        rows = self._exec("SELECT public_key FROM issuer_keys WHERE jwks_url = ?", (jwks_url,))
        return {str(r[0]) for r in rows}

    def pin_issuer_keys(self, jwks_url: str, public_keys: set[str]) -> None:
        for key in sorted(public_keys):
            self._exec(
                "INSERT OR IGNORE INTO issuer_keys (jwks_url, public_key) VALUES (?, ?)", (jwks_url, key)
            )

    # --- repositories -------------------------------------------------------------------------------
    def repo_state(self, owner: str, address: str) -> Optional[RepoState]:
        rows = self._exec(
            "SELECT hw_version, hw_epoch, share_refresh_tokens, issuer_jwks_url, manifest, envelope"
            " FROM repos WHERE owner = ? AND address = ?",
            (owner, address),
        )
        if not rows:
            return None
        v, e, share, issuer, manifest, envelope = rows[0]
        return RepoState(
            hw_version=int(str(v)),
            hw_epoch=int(str(e)),
            share_refresh_tokens=bool(share),
            issuer_jwks_url=None if issuer is None else str(issuer),
            manifest=None if manifest is None else str(manifest),
            envelope=None if envelope is None else str(envelope),
        )

    def save_repo_state(self, owner: str, address: str, state: RepoState) -> None:
        """Upsert; the high-water marks become the maximum of the stored and the given ones."""
        self._exec(
            "INSERT INTO repos (owner, address, hw_version, hw_epoch, share_refresh_tokens,"
            " issuer_jwks_url, manifest, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (owner, address) DO UPDATE SET"
            " hw_version = max(hw_version, excluded.hw_version),"
            " hw_epoch = max(hw_epoch, excluded.hw_epoch),"
            " share_refresh_tokens = excluded.share_refresh_tokens,"
            " issuer_jwks_url = coalesce(excluded.issuer_jwks_url, issuer_jwks_url),"
            " manifest = excluded.manifest, envelope = excluded.envelope",
            (
                owner,
                address,
                state.hw_version,
                state.hw_epoch,
                int(state.share_refresh_tokens),
                state.issuer_jwks_url,
                state.manifest,
                state.envelope,
            ),
        )

    def addresses(self, owner: str) -> list[str]:
        rows = self._exec("SELECT address FROM repos WHERE owner = ? ORDER BY address", (owner,))
        return [str(r[0]) for r in rows]

    # --- member key pins ----------------------------------------------------------------------------
    def pins(self, owner: str, address: str) -> dict[str, str]:
        rows = self._exec(
            "SELECT member_id, x25519 FROM pins WHERE owner = ? AND address = ?", (owner, address)
        )
        return {str(m): str(x) for m, x in rows}

    def pin(self, owner: str, address: str, member_id: str, x25519: str) -> None:
        """Pin (or, after an explicit acceptance, re-pin) a member's X25519 key."""
        self._exec(
            "INSERT INTO pins (owner, address, member_id, x25519) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (owner, address, member_id) DO UPDATE SET x25519 = excluded.x25519",
            (owner, address, member_id, x25519),
        )

    # --- data keys, sealed to the owner's identity --------------------------------------------------
    def sealed_data_keys(self, owner: str, address: str) -> dict[int, str]:
        rows = self._exec(
            "SELECT key_epoch, sealed FROM data_keys WHERE owner = ? AND address = ? ORDER BY key_epoch",
            (owner, address),
        )
        return {int(str(e)): str(s) for e, s in rows}

    def save_sealed_data_key(self, owner: str, address: str, key_epoch: int, sealed: str) -> None:
        self._exec(
            "INSERT INTO data_keys (owner, address, key_epoch, sealed) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (owner, address, key_epoch) DO UPDATE SET sealed = excluded.sealed",
            (owner, address, key_epoch, sealed),
        )

    # --- signed writes: the signed states accepted, and fork evidence (public data only) -----------
    def signed_state(self, owner: str, address: str, payload_version: int) -> Optional[str]:
        rows = self._exec(
            "SELECT state FROM signed_states WHERE owner = ? AND address = ? AND payload_version = ?",
            (owner, address, payload_version),
        )
        return str(rows[0][0]) if rows else None

    def has_signed_states(self, owner: str, address: str) -> bool:
        return bool(
            self._exec(
                "SELECT 1 FROM signed_states WHERE owner = ? AND address = ? LIMIT 1", (owner, address)
            )
        )

    def save_signed_state(self, owner: str, address: str, payload_version: int, state: str) -> None:
        """Keep the first signed state seen for a version (a second one is a fork, never a replacement)."""
        self._exec(
            "INSERT OR IGNORE INTO signed_states (owner, address, payload_version, state)"
            " VALUES (?, ?, ?, ?)",
            (owner, address, payload_version, state),
        )

    def signed_states(self, owner: str, address: str) -> list[str]:
        rows = self._exec(
            "SELECT state FROM signed_states WHERE owner = ? AND address = ? ORDER BY payload_version",
            (owner, address),
        )
        return [str(r[0]) for r in rows]

    def admission(self, owner: str, address: str) -> Optional[str]:
        rows = self._exec(
            "SELECT admission FROM admissions WHERE owner = ? AND address = ?", (owner, address)
        )
        return str(rows[0][0]) if rows else None

    def save_admission(self, owner: str, address: str, admission: str) -> None:
        """Keep the first signed state seen that lists the owner (later ones change nothing)."""
        self._exec(
            "INSERT OR IGNORE INTO admissions (owner, address, admission) VALUES (?, ?, ?)",
            (owner, address, admission),
        )

    def save_fork(self, owner: str, address: str, evidence: str) -> None:
        self._exec(
            "INSERT INTO forks (owner, address, evidence) VALUES (?, ?, ?)", (owner, address, evidence)
        )

    def forks(self, owner: str, address: str) -> list[str]:
        rows = self._exec(
            "SELECT evidence FROM forks WHERE owner = ? AND address = ? ORDER BY rowid", (owner, address)
        )
        return [str(r[0]) for r in rows]
