"""A sliding-window rate limit per API key (gist-api.md §5: "100 requests per 10 seconds" [C])."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """Allow `limit` requests per key in any `window` seconds; refused requests do not count."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> int | None:
        """Count a request for `key`: None when allowed, else the whole seconds until a slot frees (>= 1)."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            return None
        return max(1, math.ceil(hits[0] + self.window - now))

    def clear(self) -> None:
        """Forget every request seen so far."""
        self._hits.clear()
