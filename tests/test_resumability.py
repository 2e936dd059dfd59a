"""SSE resumability of the stateful Streamable HTTP server (gist_mcp/event_store.py), over real HTTP.

A POST stream starts with a priming event (an id, empty data, a `retry` field); a client that loses
the stream before the answer reconnects with `GET /mcp` and `Last-Event-ID` and gets the answer it
missed. The emulator's latency keeps the tool call running while the stream is cut.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import httpx
import pytest
from conftest import CANARY_KEY
from mcp.server.streamable_http import EventMessage
from mcp_types import JSONRPCRequest
from processes import http_server
from test_transports import COMMAND, server_env

from gist_mcp._sdk import scope_events_to_sessions
from gist_mcp.emulator import GistEmulator
from gist_mcp.event_store import RETRY_MILLISECONDS, MemoryEventStore, SessionEvents, UnscopedEventStoreError
from gist_mcp.http_app import build_http_app
from gist_mcp.server import GistServer

pytestmark = pytest.mark.anyio
VERSION = "2025-11-25"
LATENCY = 1.0
"""Seconds the emulator holds each Gist request: the stream is cut while the call waits on it."""


@pytest.fixture
async def mcp_url() -> AsyncIterator[str]:
    async with (
        GistEmulator(api_keys=(CANARY_KEY,), latency=LATENCY).serve() as gist_url,
        http_server([*COMMAND, "--transport", "http"], server_env(gist_url)) as server,
    ):
        yield f"{server.url}/mcp"


def parse_events(lines: list[str]) -> list[dict[str, str]]:
    """SSE lines into events (dicts of field -> value), one per blank-line-terminated block."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in lines:
        if not line:
            if current:
                events.append(current)
            current = {}
            continue
        field, _, value = line.partition(":")
        current[field] = value.removeprefix(" ")
    return events


async def read_events(response: httpx.Response, until: int) -> list[dict[str, str]]:
    """Read SSE events from `response` until `until` of them have arrived."""
    lines: list[str] = []
    async for line in response.aiter_lines():
        lines.append(line)
        if len(parse_events(lines)) >= until:
            break
    return parse_events(lines)


@pytest.mark.slow
async def test_a_stream_cut_mid_call_is_resumed_with_last_event_id(mcp_url: str) -> None:
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": VERSION}
    initialize: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_segments", "arguments": {}}}
    with anyio.fail_after(30):
        async with httpx.AsyncClient(timeout=20) as http:
            started = await http.post(mcp_url, json=initialize, headers=headers)
            session = {**headers, "Mcp-Session-Id": started.headers["mcp-session-id"]}
            await http.post(mcp_url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
            async with http.stream("POST", mcp_url, json=call, headers=session) as cut:
                (priming,) = await read_events(cut, until=1)
            # The stream is closed here, while the call still waits on the slow Gist.
            assert priming["id"]
            assert priming.get("data", "") == ""
            assert priming["retry"] == str(RETRY_MILLISECONDS)
            resume = {**session, "Last-Event-ID": priming["id"]}
            async with http.stream("GET", mcp_url, headers=resume) as resumed:
                assert resumed.status_code == 200
                # The resumed stream is primed too, then replays the answer the cut stream missed.
                reprimed, answer = await read_events(resumed, until=2)
    assert reprimed.get("data", "") == ""
    message = json.loads(answer["data"])
    assert message["id"] == 2
    assert message["result"]["structuredContent"]["count"] > 0


async def test_the_store_replays_only_the_stream_after_the_id_and_stays_bounded() -> None:
    store = MemoryEventStore(max_events=3)
    view = store.for_session("s1")
    first = await view.store_event("a", None)
    await view.store_event("b", None)
    await view.store_event("a", None)
    replayed: list[object] = []

    async def collect(event: object) -> None:
        replayed.append(event)

    assert await view.replay_events_after(first, collect) == "a"
    assert replayed == [], "priming events (no message) are never replayed"
    await view.store_event("a", None)
    assert await view.replay_events_after(first, collect) is None, "the oldest event was dropped"


def ping(n: int) -> JSONRPCRequest:
    return JSONRPCRequest(jsonrpc="2.0", id=n, method="ping")


async def test_a_session_view_replays_its_own_events_only() -> None:
    store = MemoryEventStore()
    mine, theirs = store.for_session("mine"), store.for_session("theirs")
    my_priming = await mine.store_event("1", None)
    their_priming = await theirs.store_event("1", None)
    await theirs.store_event("1", ping(99))
    await mine.store_event("1", ping(1))
    replayed: list[EventMessage] = []

    async def collect(event: EventMessage) -> None:
        replayed.append(event)

    assert my_priming.startswith("mine/")
    assert their_priming.startswith("theirs/")
    assert await mine.replay_events_after(my_priming, collect) == "1"
    assert [event.message for event in replayed] == [ping(1)]
    replayed.clear()
    for foreign in (their_priming, "mine/" + their_priming.partition("/")[2], "mine/404", "x" * 300, ""):
        assert await mine.replay_events_after(foreign, collect) is None
    assert replayed == []
    assert "mine" not in repr(mine), "a session id is a credential: never in a repr"


async def test_the_shared_store_refuses_to_be_used_without_a_session() -> None:
    async def collect(event: EventMessage) -> None:
        raise AssertionError("nothing may be replayed")

    store = MemoryEventStore()
    with pytest.raises(UnscopedEventStoreError):
        await store.store_event("1", ping(1))
    with pytest.raises(UnscopedEventStoreError):
        await store.replay_events_after("s/1", collect)


async def test_each_session_transport_gets_its_own_view_of_the_store(make_server: Callable[..., GistServer]) -> None:
    """The hook in `_sdk.scope_events_to_sessions` on the SDK's `_admit_session`: an SDK that moves it fails here."""
    store = MemoryEventStore()
    server = make_server()
    build_http_app(server, host="127.0.0.1", auth_token=None, event_store=store)
    manager = server.session_manager
    one, two = manager._admit_session(None), manager._admit_session(None)  # pyright: ignore[reportPrivateUsage]
    assert one is not None
    assert two is not None
    views = [one._event_store, two._event_store]  # pyright: ignore[reportPrivateUsage]
    assert all(isinstance(view, SessionEvents) and view.store is store for view in views)
    assert [view.session_id for view in views if isinstance(view, SessionEvents)] == [
        one.mcp_session_id,
        two.mcp_session_id,
    ]


def test_scoping_fails_loudly_on_an_sdk_without_the_hook(make_server: Callable[..., GistServer]) -> None:
    server = make_server()
    build_http_app(server, host="127.0.0.1", auth_token=None)
    manager = server.session_manager
    manager._admit_session = None  # pyright: ignore[reportPrivateUsage, reportAttributeAccessIssue]  # as if renamed
    with pytest.raises(RuntimeError, match="_admit_session"):
        scope_events_to_sessions(manager, MemoryEventStore())
