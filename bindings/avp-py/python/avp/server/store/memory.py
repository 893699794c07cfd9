"""In-memory store: one process, nothing persisted (tests and throw-away servers)."""

from __future__ import annotations

import threading
from typing import Optional

from avp.errors import DuplicateRepo, QuotaExceeded
from avp.server.store import PullView, RepoRecord, Store, check_capacity, usage_delta


class MemoryStore(Store):
    inline_reads = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seed: Optional[bytes] = None
        self._used_nonces: dict[bytes, float] = {}
        self._repos: dict[str, RepoRecord] = {}
        self._repos_of: dict[str, set[str]] = {}
        #: repositories, member entries, stored size (see Capacity)
        self._usage = (0, 0, 0)

    def migrate(self) -> None:
        pass

    def close(self) -> None:
        pass

    def signing_seed(self, candidate: bytes) -> bytes:
        with self._lock:
            if self._seed is None:
                self._seed = candidate
            return self._seed

    def use_nonce(self, nonce_id: bytes, expires_at: float, now: float) -> bool:
        with self._lock:
            if len(self._used_nonces) % 1024 == 1023:
                self._used_nonces = {n: e for n, e in self._used_nonces.items() if e > now}
            if nonce_id in self._used_nonces:
                return False
            self._used_nonces[nonce_id] = expires_at
            return True

    def create_repo(self, record: RepoRecord, creator: str, max_repos_per_member: int) -> None:
        with self._lock:
            if record.repo_id in self._repos:
                raise DuplicateRepo("repository already exists")
            if len(self._repos_of.get(creator, ())) >= max_repos_per_member:
                raise QuotaExceeded("too many repositories for this member", retry_after=60)
            self._grow(usage_delta(None, record))
            self._repos[record.repo_id] = record
            self._index(record, ())

    def load(self, repo_id: str) -> Optional[RepoRecord]:
        return self._repos.get(repo_id)

    def pull(self, repo_id: str, member_id: str, known_version: int) -> Optional[PullView]:
        record = self._repos.get(repo_id)
        if record is None:
            return None
        changed = record.payload_version != known_version
        return PullView(
            is_member=member_id in record.member_ids,
            payload_version=record.payload_version,
            manifest=record.manifest,
            envelope=record.envelope if changed else None,
        )

    def replace(self, old: RepoRecord, new: RepoRecord) -> bool:
        with self._lock:
            current = self._repos.get(old.repo_id)
            if current is None or current.rev != old.rev:
                return False
            self._grow(usage_delta(old, new))
            self._repos[new.repo_id] = new
            self._index(new, old.member_ids)
            return True

    def _grow(self, delta: tuple[int, int, int]) -> None:
        totals = (self._usage[0] + delta[0], self._usage[1] + delta[1], self._usage[2] + delta[2])
        check_capacity(self.capacity, totals, delta)
        self._usage = totals

    def _index(self, record: RepoRecord, old_members: tuple[str, ...]) -> None:
        for member in old_members:
            self._repos_of[member].discard(record.repo_id)
        for member in record.member_ids:
            self._repos_of.setdefault(member, set()).add(record.repo_id)
