"""A client-side sliding-window rate limiter shared by every tool of one server process.

Gist's own limit is unknown; one integrator publishes 100 requests per 10 seconds. Queuing here is
kinder than provoking 429s, which cost a retry and a `Retry-After` wait each.

A request holds its slot while in flight, and the slot frees `window` seconds after the request
*ended*. Gist counts a request when it arrives, which is between our send and its answer; counting
from the answer keeps Gist's window under the limit even when a request waited in a queue or on the
network (counting from the send let the 101st request of a burst arrive inside the first one's window).

`Limiter` is the interface the Gist client uses; `RateLimiter` counts in this process (the default),
`gist_mcp.scale.ratelimit.RedisRateLimiter` counts across replicas in Redis (`GIST_MCP_REDIS_URL`).
The clock is the event loop's (`anyio.current_time`), the one its `move_on_after` waits run on.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Protocol

import anyio


class Limiter(Protocol):
    """What the Gist client needs: a slot per request, held from `acquire` until `release`."""

    async def acquire(self, deadline: float = math.inf) -> bool:
        """Wait for a slot (in order); False if none frees before `deadline` (on the event loop's clock)."""
        ...

    async def release(self) -> None:
        """A request holding a slot ended (answered or failed): its slot frees a window from now.

        Called while the request's task may be cancelled: an implementation that awaits anything shields it,
        so the slot is let go of all the same."""
        ...

    async def aclose(self) -> None:
        """Let go of any connection the limiter holds."""
        ...


class RateLimiter:
    """At most `requests` requests in flight or ended within the last `window` seconds; callers queue in order."""

    def __init__(self, requests: int, window: float, clock: Callable[[], float] = anyio.current_time) -> None:
        self.requests = requests
        self.window = window
        self._clock = clock
        self._ended: deque[float] = deque()
        self._in_flight = 0
        self._lock = anyio.Lock(fast_acquire=True)  # uncontended: no trip through the event loop per request
        self._released = anyio.Event()

    def delay(self) -> float | None:
        """Seconds until a slot frees (0 when one is free now; None while every slot is in flight)."""
        now = self._clock()
        while self._ended and now - self._ended[0] >= self.window:
            self._ended.popleft()
        if len(self._ended) + self._in_flight < self.requests:
            return 0.0
        if not self._ended:
            return None
        return max(0.0, self._ended[0] + self.window - now)

    async def acquire(self, deadline: float = math.inf) -> bool:
        """Wait for a slot and hold it until `release()`; False if none frees before `deadline`.

        `deadline` is on the limiter's clock. Holding the lock while waiting keeps callers in order.
        """
        async with self._lock:
            while (wait := self.delay()) != 0.0:
                left = deadline - self._clock()
                if wait is not None and wait > left:
                    return False
                released = self._released
                with anyio.move_on_after(left if wait is None else wait):
                    await released.wait()
                if wait is None and self.delay() is None and self._clock() >= deadline:
                    return False
            self._in_flight += 1
            return True

    async def release(self) -> None:
        """The request holding a slot has ended (answered or failed): its slot frees `window` seconds from now.

        Nothing here awaits, so a cancelled caller cannot stop it halfway."""
        self._in_flight -= 1
        self._ended.append(self._clock())
        self._released.set()
        self._released = anyio.Event()

    async def aclose(self) -> None:
        """Nothing to close: the counts live in this process."""
