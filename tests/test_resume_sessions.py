"""No SSE stream is shared between sessions: a resume replays only its own session's events.

Every client counts its JSON-RPC ids from 0 and the SDK names a stream by its request id, so two
sessions each calling a tool as request 2 write to streams of the same name. Over real HTTP (one
`gist-mcp --transport http` process, with the in-memory store and with the Redis store): session A
and session B both call a tool as request 2 (B's waits on the slow emulator); B's stream is cut after
its priming event, A's call is answered at once, and B resumes with `Last-Event-ID`: it must get its
own answer, not A's (stored after B's priming event, on a stream of the same name).
A resume with A's event id on B's session gets nothing at all.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from conftest import CANARY_KEY
from processes import http_server
from test_resumability import read_events
from test_transports import COMMAND, server_env

from gist_mcp.emulator import GistEmulator

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
VERSION = "2025-11-25"
LATENCY = 1.0
"""Seconds the emulator holds each Gist request: both calls are in flight while B's stream is cut."""
HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": VERSION}
CALL_ID = 2
"""The request id both sessions use for their tool call (every client counts from the same place)."""
ALICE_TOOL = "no_such_tool"
"""Alice's call: answered at once (an unknown tool), so her answer is stored while Bob's call still waits."""


def rpc(method: str, params: dict[str, Any], request_id: int | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    return message if request_id is None else message | {"id": request_id}


INITIALIZE = rpc(
    "initialize",
    {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    request_id=1,
)


async def open_session(http: httpx.AsyncClient, url: str) -> dict[str, str]:
    """Initialize a session; the headers its later requests carry."""
    started = await http.post(url, json=INITIALIZE, headers=HEADERS)
    session = {**HEADERS, "Mcp-Session-Id": started.headers["mcp-session-id"]}
    await http.post(url, json=rpc("notifications/initialized", {}), headers=session)
    return session


async def start_call(http: httpx.AsyncClient, url: str, session: dict[str, str], tool: str) -> str:
    """POST a `tool` call as request CALL_ID, cut its stream after the priming event; that event's id."""
    call = rpc("tools/call", {"name": tool, "arguments": {}}, request_id=CALL_ID)
    async with http.stream("POST", url, json=call, headers=session) as cut:
        (priming,) = await read_events(cut, until=1)
    return priming["id"]


async def answer_on_resume(http: httpx.AsyncClient, url: str, session: dict[str, str], last_id: str) -> dict[str, Any]:
    """Resume with `last_id`: the first JSON-RPC response it replays or streams."""
    async with http.stream("GET", url, headers={**session, "Last-Event-ID": last_id}) as resumed:
        assert resumed.status_code == 200
        async for line in resumed.aiter_lines():
            if line.startswith("data:") and line.removeprefix("data:").strip():
                message = json.loads(line.removeprefix("data:"))
                if "result" in message or "error" in message:
                    return message
    raise AssertionError("the resumed stream ended without an answer")


async def events_on_resume(http: httpx.AsyncClient, url: str, session: dict[str, str], last_id: str) -> list[str]:
    """Every `data:` line a resume with `last_id` sends before its stream ends (or the server refuses)."""
    lines: list[str] = []
    async with http.stream("GET", url, headers={**session, "Last-Event-ID": last_id}) as resumed:
        if resumed.status_code != 200:
            return lines
        async for line in resumed.aiter_lines():
            if line.startswith("data:") and line.removeprefix("data:").strip():
                lines.append(line)
    return lines


@pytest.fixture(params=["memory", "redis"])
async def mcp_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    env_extra = {}
    if request.param == "redis":
        env_extra["GIST_MCP_REDIS_URL"] = request.getfixturevalue("redis_url")
    async with (
        GistEmulator(api_keys=(CANARY_KEY,), latency=LATENCY).serve() as gist_url,
        http_server([*COMMAND, "--transport", "http"], server_env(gist_url) | env_extra) as server,
    ):
        yield f"{server.url}/mcp"


async def test_a_resume_replays_its_own_sessions_answer_and_none_of_another_sessions(mcp_url: str) -> None:
    with anyio.fail_after(30):
        async with httpx.AsyncClient(timeout=20) as http:
            alice, bob = await open_session(http, mcp_url), await open_session(http, mcp_url)
            bob_priming = await start_call(http, mcp_url, bob, "list_tags")
            # Alice's call (same request id, a tool that does not exist) is answered at once, while Bob's waits.
            call = rpc("tools/call", {"name": ALICE_TOOL, "arguments": {}}, request_id=CALL_ID)
            async with http.stream("POST", mcp_url, json=call, headers=alice) as stream:
                alice_priming, alice_answer = await read_events(stream, until=2)
            assert ALICE_TOOL in alice_answer["data"]
            answer = await answer_on_resume(http, mcp_url, bob, bob_priming)
            assert ALICE_TOOL not in json.dumps(answer), "Bob was replayed Alice's answer"
            assert answer["id"] == CALL_ID
            assert "tags" in answer["result"]["structuredContent"]
            # Alice's own event id on Bob's session: nothing of Alice's stream (Alice's answer is stored by now).
            assert await events_on_resume(http, mcp_url, bob, alice_priming["id"]) == []
            assert await answer_on_resume(http, mcp_url, alice, alice_priming["id"]) == json.loads(alice_answer["data"])
