"""Token buckets per key (session): ``rate`` per second, bursts up to ``burst``."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable


class RateLimiter:
    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, at)

    def allow(self, key: Hashable) -> bool:
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > self._max_keys:
            self._forget_full(now)
        return True

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold nothing a fresh bucket would not."""
        refill_s = self._burst / self._rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill_s}
