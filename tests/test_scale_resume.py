"""A stream cut on one replica resumes on another (`gist_mcp.scale.resume`), over real processes and Redis.

Two stateful replicas (`gist-mcp --transport http`, no `--stateless`) share real Redis; the emulator's
latency keeps a tool call in flight. A client opens a session and starts the call on replica A, its
stream is cut after the priming event, and it resumes with `GET` + `Last-Event-ID` + its
`Mcp-Session-Id` on replica B, which does not hold the session: B follows the stream A keeps storing
and the answer arrives. A resume on B with another session's id, a forged id or another session's
event id gets nothing of the stream. With the holder SIGKILLed mid-call, the resume on B replays what
was stored and then ends at its idle limit.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any
from uuid import uuid4

import anyio
import httpx
import pytest
from conftest import CANARY_KEY
from mcp_types import JSONRPCNotification, JSONRPCResponse
from processes import free_port
from replica_set import Deployment, deployment
from test_resumability import read_events
from test_resume_sessions import CALL_ID, answer_on_resume, events_on_resume, open_session, rpc, start_call

from gist_mcp._serve import serve_asgi
from gist_mcp.http_app import build_http_app
from gist_mcp.scale.events import RedisEventStore
from gist_mcp.scale.resume import RESUME_IDLE_SECONDS
from gist_mcp.server import GistServer

pytestmark = [pytest.mark.anyio, pytest.mark.services]
LATENCY = 1.0
"""Seconds the emulator holds each Gist request: the call is still running when the client resumes."""
RATE_LIMIT = (1000, 10.0)
README = Path(__file__).resolve().parents[1] / "README.md"
IDLE = 0.5
"""The idle limit of the replica that resumes a stream whose holder died (the default is a minute)."""


def stateful_replicas(
    count: int, redis_url: str, tmp_path: Path, toolsets: str = "default,webhooks"
) -> AbstractAsyncContextManager[Deployment]:
    """`count` stateful replicas sharing Redis, in front of one slow emulator (a call is still running)."""
    return deployment(
        count,
        api_key=CANARY_KEY,
        rate_limit=RATE_LIMIT,
        data_dir=tmp_path,
        database_url=None,
        redis_url=redis_url,
        latency=LATENCY,
        stateless=False,
        toolsets=toolsets,
    )


@pytest.fixture
async def stateful(redis_url: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    async with stateful_replicas(2, redis_url, tmp_path) as replicas:
        yield replicas


async def status_of_resume(http: httpx.AsyncClient, url: str, session: dict[str, str], last_id: str) -> int:
    async with http.stream("GET", url, headers={**session, "Last-Event-ID": last_id}) as resumed:
        return resumed.status_code


@pytest.mark.slow
async def test_a_stream_cut_on_one_replica_is_resumed_on_another(stateful: Deployment) -> None:
    a_url, b_url = (f"{url}/mcp" for url in stateful.replica_urls)
    with anyio.fail_after(30):
        async with httpx.AsyncClient(timeout=20) as http:
            mine, other = await open_session(http, a_url), await open_session(http, a_url)
            other_priming = await start_call(http, a_url, other, "list_tags")
            priming = await start_call(http, a_url, mine, "list_segments")
            assert priming.startswith(mine["Mcp-Session-Id"])
            # Refused while the call runs: the SDK's own 404 for a session B does not hold stands.
            stranger = {**mine, "Mcp-Session-Id": uuid4().hex}
            assert await status_of_resume(http, b_url, stranger, priming) == 404, "another session's id"
            assert await status_of_resume(http, b_url, other, priming) == 404, "my event id on another session"
            assert await status_of_resume(http, b_url, mine, other_priming) == 404, "another session's event id"
            forged = f"{mine['Mcp-Session-Id']}/{CALL_ID + 1}/0-0"
            assert await status_of_resume(http, b_url, mine, forged) == 404, "a stream the session never had"
            assert await status_of_resume(http, b_url, mine, "x" * 300) == 404
            # The real resume on B: the answer A stores arrives, and then the response ends by itself.
            lines = await events_on_resume(http, b_url, mine, priming)
            answers = [json.loads(line.removeprefix("data:")) for line in lines]
            assert [answer["id"] for answer in answers] == [CALL_ID]
            assert answers[0]["result"]["structuredContent"]["count"] > 0
            # The other session's answer, resumed on B too, is its own.
            theirs = await answer_on_resume(http, b_url, other, other_priming)
            assert "tags" in theirs["result"]["structuredContent"]


@pytest.fixture
async def holder(redis_url: str, tmp_path: Path) -> AsyncIterator[Deployment]:
    async with stateful_replicas(1, redis_url, tmp_path, toolsets="default,bulk") as replicas:
        yield replicas


@pytest.fixture
async def quick_to_give_up(redis_url: str, make_server: Callable[..., GistServer]) -> AsyncIterator[str]:
    """Replica B in this process (so its idle limit can be IDLE), on the same Redis, over real HTTP."""
    store = RedisEventStore(redis_url)
    app = build_http_app(make_server(), host="127.0.0.1", auth_token=None, event_store=store, resume_idle=IDLE)
    try:
        async with serve_asgi(app, lifespan="on") as url:
            yield f"{url}/mcp"
    finally:
        await store.aclose()


@pytest.mark.slow
async def test_a_resume_after_the_holder_died_replays_what_was_stored_then_ends(
    holder: Deployment, quick_to_give_up: str
) -> None:
    a_url = f"{holder.replica_urls[0]}/mcp"
    records = [{"email": f"resume-{n}@example.com"} for n in range(101)]  # two chunks: progress after the first
    params: dict[str, Any] = {"name": "import_contacts", "arguments": {"contacts": records, "wait": False}}
    call = rpc("tools/call", params | {"_meta": {"progressToken": "import"}}, request_id=CALL_ID)
    with anyio.fail_after(30):
        async with httpx.AsyncClient(timeout=20) as http:
            session = await open_session(http, a_url)
            async with http.stream("POST", a_url, json=call, headers=session) as cut:
                priming, progress = await read_events(cut, until=2)
            holder.kill(0)  # mid-call: the second chunk is still on its way to Gist
            lines = await events_on_resume(http, quick_to_give_up, session, priming["id"])
    assert [json.loads(line.removeprefix("data:")) for line in lines] == [json.loads(progress["data"])]
    assert json.loads(progress["data"])["params"]["message"] == "chunk 1/2 sent"


def test_the_readme_states_the_idle_limit() -> None:
    assert f"after {RESUME_IDLE_SECONDS:g} s without an event" in README.read_text()


async def test_a_resume_while_redis_is_unreachable_is_a_clear_503(make_server: Callable[..., GistServer]) -> None:
    store = RedisEventStore(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    app = build_http_app(make_server(), host="127.0.0.1", auth_token=None, event_store=store)
    session_id = uuid4().hex
    headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": f"{session_id}/1/0-0"}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1") as http:
            answer = await http.get("/mcp", headers=headers)
    finally:
        await store.aclose()
    assert answer.status_code == 503
    assert answer.json() == {"error": "unavailable", "message": "The event store cannot be read: resume again later."}


@pytest.fixture
async def store(redis_url: str, key_prefix: str) -> AsyncIterator[RedisEventStore]:
    events = RedisEventStore(redis_url, prefix=key_prefix)
    yield events
    await events.aclose()


@pytest.fixture
async def replica_b(store: RedisEventStore, make_server: Callable[..., GistServer]) -> AsyncIterator[str]:
    """A replica holding no session, in this process, over real HTTP: the events come from `store` directly."""
    app = build_http_app(make_server(), host="127.0.0.1", auth_token=None, event_store=store, resume_idle=IDLE)
    async with serve_asgi(app, lifespan="on") as url:
        yield f"{url}/mcp"


def note(n: int) -> JSONRPCNotification:
    return JSONRPCNotification(jsonrpc="2.0", method="notifications/progress", params={"progress": n})


async def test_a_resume_replays_then_follows_live_until_the_answer(store: RedisEventStore, replica_b: str) -> None:
    session_id = uuid4().hex
    events = store.for_session(session_id)
    priming = await events.store_event("7", None)
    await events.store_event("7", note(1))
    session = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id}
    with anyio.fail_after(20):
        async with (
            httpx.AsyncClient(timeout=10) as http,
            http.stream("GET", replica_b, headers={**session, "Last-Event-ID": priming}) as resumed,
        ):
            assert resumed.status_code == 200
            assert resumed.headers["mcp-session-id"] == session_id
            received: list[dict[str, Any]] = []
            async for line in resumed.aiter_lines():
                if line.startswith("data:"):
                    received.append(json.loads(line.removeprefix("data:")))
                    if len(received) == 1:  # replayed; what follows is stored while the layer follows
                        await events.store_event("7", None)  # another replica's priming: skipped
                        await events.store_event("7", note(2))
                        await events.store_event("6", JSONRPCResponse(jsonrpc="2.0", id=6, result={}))  # not ours
                        await events.store_event("7", JSONRPCResponse(jsonrpc="2.0", id=7, result={"done": True}))
    assert [message.get("params", message.get("result")) for message in received] == [
        {"progress": 1},
        {"progress": 2},
        {"done": True},
    ]


async def test_a_resume_with_no_new_event_ends_at_the_idle_limit(store: RedisEventStore, replica_b: str) -> None:
    session_id = uuid4().hex
    priming = await store.for_session(session_id).store_event("_GET_stream", None)
    headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": priming}
    with anyio.fail_after(20):
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.get(replica_b, headers=headers)
    assert answer.status_code == 200
    assert "data:" not in answer.text


async def test_a_foreign_host_an_unknown_stream_or_no_resume_at_all_is_refused(
    store: RedisEventStore, replica_b: str
) -> None:
    session_id = uuid4().hex
    priming = await store.for_session(session_id).store_event("7", None)
    headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": priming}
    async with httpx.AsyncClient(timeout=10) as http:
        foreign = await http.get(replica_b, headers={**headers, "Host": "evil.example"})
        unknown = await http.get(replica_b, headers={**headers, "Last-Event-ID": f"{session_id}/8/0-0"})
        plain = await http.get(replica_b, headers={"Accept": "text/event-stream", "Mcp-Session-Id": session_id})
    assert foreign.status_code == 421, "the DNS-rebinding check applies to cross-replica resumes too"
    assert unknown.status_code == 404
    assert plain.status_code == 404, "a GET that is no resume is the SDK's: a session B does not hold"
