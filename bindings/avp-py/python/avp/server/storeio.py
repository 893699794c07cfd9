"""Where each Store call runs, seen from the event loop.

Request handling (parsing, validation, the repository rules) runs on the event loop; only the
store calls that may block leave it: reads stay on the loop when the store says they never wait
(memory, SQLite WAL), every other call goes to a worker thread. Those threads only wait (for the
disk, the SQLite writer's group commit or PostgreSQL) and hold the GIL for microseconds, so there
can be enough of them for every write in flight to join one commit.
"""

from __future__ import annotations

from typing import Callable, Optional, TypeVar

import anyio
import anyio.to_thread

from avp.server.store import Store

T = TypeVar("T")

#: Worker threads per process (each waits on one store call).
THREADS = 64


class StoreIO:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._limiter: Optional[anyio.CapacityLimiter] = None

    async def read(self, call: Callable[..., T], *args: object) -> T:
        if self.store.inline_reads:
            return call(*args)
        return await self._in_thread(call, *args)

    async def write(self, call: Callable[..., T], *args: object) -> T:
        return await self._in_thread(call, *args)

    async def _in_thread(self, call: Callable[..., T], *args: object) -> T:
        if self._limiter is None:  # created lazily: it belongs to the running event loop
            self._limiter = anyio.CapacityLimiter(THREADS)
        return await anyio.to_thread.run_sync(call, *args, limiter=self._limiter)
