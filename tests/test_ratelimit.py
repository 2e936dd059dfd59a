"""The shared rate limiter counts a request from when it ended, and holds its slot while in flight."""

from __future__ import annotations

import anyio
import pytest
from conftest import SettableClock

from gist_mcp._ratelimit import RateLimiter

pytestmark = [pytest.mark.anyio, pytest.mark.virtual_time]


async def test_slots_are_held_in_flight_and_free_a_window_after_the_answer() -> None:
    clock = SettableClock(100.0)
    limiter = RateLimiter(2, 10.0, clock=clock)
    assert await limiter.acquire()
    assert await limiter.acquire()
    assert limiter.delay() is None, "both slots in flight: nothing frees until one ends"
    clock.now += 3.0  # the first request was slow: it ends (and reached Gist) at t+3
    await limiter.release()
    assert limiter.delay() == 10.0, "counted from the answer, not from the send"
    clock.now += 9.9
    assert limiter.delay() == pytest.approx(0.1)
    clock.now += 0.1
    assert limiter.delay() == 0.0


async def test_acquire_gives_up_when_no_slot_frees_before_the_deadline() -> None:
    clock = SettableClock(100.0)
    limiter = RateLimiter(1, 10.0, clock=clock)
    assert await limiter.acquire()
    await limiter.release()
    assert not await limiter.acquire(deadline=clock.now + 5.0)
    with anyio.fail_after(5):
        assert not await limiter.acquire(deadline=clock.now)


async def test_a_waiting_caller_proceeds_once_a_slot_frees() -> None:
    limiter = RateLimiter(1, 0.05)
    assert await limiter.acquire()
    order: list[str] = []

    async def second() -> None:
        assert await limiter.acquire()
        order.append("second acquired")
        await limiter.release()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(second)
            await anyio.sleep(0.1)
            order.append("first released")
            await limiter.release()
    assert order == ["first released", "second acquired"]
