"""Every emulator fault kind, through the MCP client: each call ends within its deadline, with a clear
error naming the problem or a success after a bounded retry; the server keeps serving; writes are
never sent twice unless Gist refused them with a 429.

Each call is bounded with `anyio.fail_after` (no wall-clock asserts): a call that outlives its
deadline fails the test by raising TimeoutError.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from conftest import call, call_error, settings_for
from mcp import Client

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer, create_server

pytestmark = [pytest.mark.anyio, pytest.mark.virtual_time]

DEADLINE = 2.0
BOUND = DEADLINE + 3.0
"""Slack over the deadline for the MCP round trip; a call that needs more has hung."""


def a_user(emulator: GistEmulator) -> dict[str, Any]:
    return next(c for c in emulator.contacts.values() if c.get("type") == "user")


def posts(emulator: GistEmulator) -> int:
    return sum(1 for r in emulator.requests if r.method == "POST")


@pytest.fixture
async def fault_client(make_server: Callable[..., GistServer]) -> AsyncIterator[Client]:
    async with Client(make_server(deadline=DEADLINE), cache=None) as connected:
        yield connected


async def get_user(client: Client, emulator: GistEmulator) -> dict[str, Any]:
    with anyio.fail_after(BOUND):
        return await call(client, "get_user", {"user": {"id": a_user(emulator)["id"]}})


async def get_user_error(client: Client, emulator: GistEmulator) -> str:
    with anyio.fail_after(BOUND):
        return await call_error(client, "get_user", {"user": {"id": a_user(emulator)["id"]}})


async def still_serving(client: Client, emulator: GistEmulator) -> None:
    emulator.faults.clear()
    result = await get_user(client, emulator)
    assert result["id"] == a_user(emulator)["id"]


# --- 429 storms ----------------------------------------------------------------------------------


async def test_short_429_with_retry_after_succeeds_after_waiting(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=429, retry_after=1, method="GET")
    await get_user(fault_client, emulator)
    assert len(emulator.requests) == 2


async def test_429_storm_with_retry_after_ends_in_a_429_error(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=429, retry_after=1, times=None)
    text = await get_user_error(fault_client, emulator)
    assert "429" in text
    assert "rate" in text.lower()
    assert len(emulator.requests) <= 3
    await still_serving(fault_client, emulator)


async def test_429_storm_with_long_retry_after_fails_fast(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=429, retry_after=60, times=None)
    text = await get_user_error(fault_client, emulator)
    assert "429" in text
    assert "60" in text  # tells the caller how long Gist wants it to wait
    assert len(emulator.requests) == 1
    await still_serving(fault_client, emulator)


async def test_429_storm_without_retry_after_ends_in_a_429_error(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=429, times=None)
    text = await get_user_error(fault_client, emulator)
    assert "429" in text
    assert len(emulator.requests) == 3
    await still_serving(fault_client, emulator)


async def test_post_refused_with_429_is_sent_again(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=429, method="POST")
    with anyio.fail_after(BOUND):
        result = await call(fault_client, "create_lead", {"email": "after429@example.com"})
    assert result["email"] == "after429@example.com"
    assert posts(emulator) == 2


# --- 5xx bursts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_short_5xx_burst_on_a_read_is_retried(fault_client: Client, emulator: GistEmulator, status: int) -> None:
    emulator.faults.add("status", status=status, times=2, method="GET")
    await get_user(fault_client, emulator)
    assert len(emulator.requests) == 3


async def test_long_5xx_burst_ends_in_an_error_naming_the_status(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=503, times=None)
    text = await get_user_error(fault_client, emulator)
    assert "503" in text
    assert "GET /contacts/" in text
    assert len(emulator.requests) == 3
    await still_serving(fault_client, emulator)


async def test_write_meeting_a_500_is_not_sent_twice(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=500, method="POST", commit=True)
    with anyio.fail_after(BOUND):
        text = await call_error(fault_client, "create_lead", {"email": "once500@example.com"})
    assert "500" in text
    assert posts(emulator) == 1
    assert emulator.find_contact(email="once500@example.com") is not None
    await still_serving(fault_client, emulator)


# --- hang past the deadline ----------------------------------------------------------------------


async def test_hang_in_memory_ends_at_the_deadline(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("hang", times=None)
    text = await get_user_error(fault_client, emulator)
    assert "deadline" in text
    await still_serving(fault_client, emulator)


async def test_hang_on_a_socket_ends_at_the_deadline(emulator: GistEmulator) -> None:
    emulator.faults.add("hang", times=None)
    async with emulator.serve() as base_url:
        server = create_server(settings_for(base_url=base_url, deadline=DEADLINE))
        async with Client(server, cache=None) as client:
            text = await get_user_error(client, emulator)
            assert "deadline" in text or "timed out" in text
            await still_serving(client, emulator)


async def test_hang_on_a_write_is_not_sent_twice(emulator: GistEmulator) -> None:
    emulator.faults.add("hang", method="POST")
    async with emulator.serve() as base_url:
        server = create_server(settings_for(base_url=base_url, deadline=DEADLINE))
        async with Client(server, cache=None) as client:
            with anyio.fail_after(BOUND):
                text = await call_error(client, "create_lead", {"email": "hang@example.com"})
            assert "deadline" in text or "timed out" in text
            assert posts(emulator) == 1
            await still_serving(client, emulator)


# --- connection reset ----------------------------------------------------------------------------


async def test_reset_on_a_read_is_retried(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("reset", method="GET")
    await get_user(fault_client, emulator)
    assert len(emulator.requests) == 2


async def test_reset_storm_ends_in_a_connection_error(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("reset", times=None)
    text = await get_user_error(fault_client, emulator)
    assert "Could not reach Gist" in text
    assert "connection" in text
    await still_serving(fault_client, emulator)


async def test_reset_on_a_socket_after_a_write_is_not_resent(emulator: GistEmulator) -> None:
    emulator.faults.add("reset", method="POST", commit=True)
    async with emulator.serve() as base_url:
        server = create_server(settings_for(base_url=base_url, deadline=DEADLINE))
        async with Client(server, cache=None) as client:
            with anyio.fail_after(BOUND):
                text = await call_error(client, "create_lead", {"email": "reset@example.com"})
            assert "connection" in text
            assert posts(emulator) == 1
            assert emulator.find_contact(email="reset@example.com") is not None
            await still_serving(client, emulator)


# --- bad bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
async def test_bad_json_ends_in_an_error_saying_so(fault_client: Client, emulator: GistEmulator, kind: str) -> None:
    emulator.faults.add(kind, times=None)  # type: ignore[arg-type]
    text = await get_user_error(fault_client, emulator)
    assert "not valid JSON" in text
    await still_serving(fault_client, emulator)


async def test_bad_json_on_a_write_is_not_resent(fault_client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("truncated", method="POST", commit=True)
    with anyio.fail_after(BOUND):
        text = await call_error(fault_client, "create_lead", {"email": "truncated@example.com"})
    assert "not valid JSON" in text
    assert posts(emulator) == 1


async def test_huge_body_is_cut_without_loading_it(emulator: GistEmulator) -> None:
    emulator.faults.add("huge", method="GET", path_prefix="/contacts")
    async with emulator.serve() as base_url:
        server = create_server(settings_for(base_url=base_url, deadline=10.0))
        async with Client(server, cache=None) as client:
            tracemalloc.start()
            try:
                with anyio.fail_after(15):
                    text = await call_error(client, "list_users", {"limit": 5})
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert "larger than 8 MiB" in text
            assert "cut off" in text
            # The body is ~20 MiB; streaming with an 8 MiB cap must keep far less than that in memory.
            assert peak < 14 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
            await still_serving(client, emulator)
