"""A client-side sliding-window rate limiter shared by every tool of one server process.

Gist's own limit is unknown; one integrator publishes 100 requests per 10 seconds. Queuing here is
kinder than provoking 429s, which cost a retry and a `Retry-After` wait each.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

import anyio


class RateLimiter:
    """Allow at most `requests` acquisitions in any `window` seconds; later callers wait in order."""

    def __init__(self, requests: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.requests = requests
        self.window = window
        self._clock = clock
        self._stamps: deque[float] = deque()
        self._lock = anyio.Lock()

    def delay(self) -> float:
        """Seconds until a slot frees up (0 when one is free now)."""
        now = self._clock()
        while self._stamps and now - self._stamps[0] >= self.window:
            self._stamps.popleft()
        if len(self._stamps) < self.requests:
            return 0.0
        return max(0.0, self._stamps[0] + self.window - now)

    async def acquire(self, deadline: float = math.inf) -> bool:
        """Wait for a slot and take it; give up (return False) if it would free only after `deadline`.

        `deadline` is on the limiter's clock. Holding the lock while sleeping keeps callers in order.
        """
        async with self._lock:
            wait = self.delay()
            if self._clock() + wait > deadline:
                return False
            while wait > 0:
                await anyio.sleep(wait)
                wait = self.delay()
            self._stamps.append(self._clock())
            return True
