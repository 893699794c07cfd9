"""Per client address token buckets: the login routes and createRepo cost one token a request.

A bucket holds up to ``burst`` tokens and refills at ``per_minute``; an empty bucket is a 429
``rate_limited`` with ``Retry-After``. Buckets live in the process (each worker has its own), and
their number is bounded: full buckets are forgotten first, since forgetting them changes nothing.
"""

from __future__ import annotations

import math
from typing import Optional

_MAX_ADDRESSES = 65536


class TokenBuckets:
    def __init__(self, burst: int, per_minute: int) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        #: address -> (tokens, time of that count)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, address: str, now: float) -> Optional[int]:
        """None when ``address`` may go on (one token spent), else the seconds until it may."""
        tokens, then = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate))
        if len(self._buckets) >= _MAX_ADDRESSES and address not in self._buckets:
            self._forget_full(now)
        self._buckets[address] = (tokens - 1, now)
        return None

    def _forget_full(self, now: float) -> None:
        self._buckets = {
            a: (t, s) for a, (t, s) in self._buckets.items() if t + (now - s) * self.rate < self.burst
        }
        if len(self._buckets) >= _MAX_ADDRESSES:  # all busy: start afresh rather than grow
            self._buckets.clear()
