"""An asyncio event loop on virtual time: whenever every task is waiting on a timer, the clock jumps to it.

Tests marked `@pytest.mark.virtual_time` run on it (see conftest's `anyio_backend`). gist-mcp reads time
only through the event loop (`anyio.current_time`, `sleep`, `fail_after`, `move_on_after`), so retries,
Retry-After waits, call deadlines, rate-limit waits and the emulator's hang fault all take no real time,
and always happen in the same order: the run is deterministic.

The loop never jumps while a socket or the loop's wake-up pipe has something to read, and waits for
real when no timer is pending. It must not be used by tests whose progress depends on another thread or
process that the loop cannot see (a real server, a `to_thread` worker): time would jump past them.
"""

from __future__ import annotations

import asyncio
import selectors

START = 1_000.0
"""Where the virtual clock starts (any value: only differences matter)."""
UNIX_START = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the Unix time `unix_time` reads at `START`."""


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that, instead of sleeping until the next timer, moves the virtual clock to it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = START

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer pending: only I/O can wake the loop
            return super().select(None)
        self.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A `SelectorEventLoop` whose `time()` is virtual and advances only when the loop would otherwise sleep."""

    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(selector=self._jumping)

    def time(self) -> float:
        return self._jumping.now


def unix_time() -> float:
    """Unix seconds that move with the running loop's clock (the emulator's clock on virtual time).

    Before the loop runs (the emulator seeds its data in a synchronous fixture) it reads the start.
    """
    try:
        now = asyncio.get_running_loop().time()
    except RuntimeError:
        now = START
    return UNIX_START + now - START
