"""Times given to tools (`occurred_at`, `signed_up_at`, `since`): 1970 to 9999, finite, or a clear error."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from conftest import call, call_error
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

from gist_mcp.catalog._shapes import MAX_UNIX_SECONDS
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer

pytestmark = pytest.mark.anyio
OUT_OF_RANGE = [99999999999999, "99999999999999", "1e400", "Infinity", "NaN", -1, "0001-01-01T00:00:00Z", 1e300]
NON_FINITE = [math.inf, -math.inf, math.nan]
"""What a JSON-RPC `1e400` (or `Infinity`) parses to on the server; an MCP client would send them as null."""


async def test_out_of_range_times_name_the_argument(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    user = {"email": "someone@example.com", "user_id": "u-1"}
    async with Client(make_server(), cache=None) as client:
        for value in OUT_OF_RANGE:
            text = await call_error(
                client, "track_event", {"event_name": "x", "contact": {"id": 1}, "occurred_at": value}
            )
            assert text.startswith("Invalid arguments for track_event: occurred_at: "), (value, text)
            text = await call_error(client, "create_user", {**user, "signed_up_at": value})
            assert text.startswith("Invalid arguments for create_user: signed_up_at: "), (value, text)
    assert emulator.requests == []


async def test_non_finite_times_name_the_argument(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    server = make_server()
    for value in NON_FINITE:
        with pytest.raises(ToolError) as refused:
            await server.call_tool("track_event", {"event_name": "x", "contact": {"id": 1}, "occurred_at": value})
        assert str(refused.value).startswith("Invalid arguments for track_event: occurred_at: must be a time")
    assert emulator.requests == []


async def test_times_in_range_are_sent_as_unix_seconds(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    user_id = next(c["id"] for c in emulator.contacts.values() if c.get("type") == "user")
    async with Client(make_server(), cache=None) as client:
        for value, seconds in [
            ("2026-11-27T09:30:00Z", 1795771800),
            (0, 0),
            (1795685400.9, 1795685400),
            (str(MAX_UNIX_SECONDS), MAX_UNIX_SECONDS),
        ]:
            await call(client, "track_event", {"event_name": "x", "contact": {"id": user_id}, "occurred_at": value})
            assert emulator.requests[-1].json["occurred_at"] == seconds
