"""A sliding-window rate limit per workspace (gist-api.md §5: "100 requests per 10 seconds per workspace" [C]).

Every key of the workspace shares the one window, as Nexla's guide states (pass 3).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """Allow `limit` requests in any `window` seconds; refused requests do not count."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: deque[float] = deque()

    def acquire(self) -> int | None:
        """Count a request: None when allowed, else the whole seconds until a slot frees (>= 1)."""
        now = self.clock()
        hits = self._hits
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            return None
        return max(1, math.ceil(hits[0] + self.window - now))

    def clear(self) -> None:
        """Forget every request seen so far."""
        self._hits.clear()
