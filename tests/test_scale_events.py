"""The Redis event store: a stream's events stored by one replica are replayed by another."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp.server.streamable_http import EventMessage
from mcp_types import JSONRPCNotification, JSONRPCRequest

from gist_mcp.scale.events import RedisEventStore

pytestmark = [pytest.mark.anyio, pytest.mark.services]


@pytest.fixture
async def replicas(redis_url: str, key_prefix: str) -> AsyncIterator[tuple[RedisEventStore, RedisEventStore]]:
    one, other = RedisEventStore(redis_url, prefix=key_prefix), RedisEventStore(redis_url, prefix=key_prefix)
    yield one, other
    await one.aclose()
    await other.aclose()


def progress(n: int) -> JSONRPCNotification:
    return JSONRPCNotification(jsonrpc="2.0", method="notifications/progress", params={"progress": n})


async def test_events_stored_on_one_replica_are_replayed_in_order_on_another(
    replicas: tuple[RedisEventStore, RedisEventStore],
) -> None:
    one, other = replicas
    priming = await one.store_event("stream-a", None)
    first = await one.store_event("stream-a", progress(1))
    await one.store_event("stream-b", progress(99))  # another stream's events stay out
    await one.store_event("stream-a", progress(2))
    await one.store_event("stream-a", JSONRPCRequest(jsonrpc="2.0", id=7, method="ping"))
    replayed: list[EventMessage] = []

    async def send(event: EventMessage) -> None:
        replayed.append(event)

    assert await other.replay_events_after(priming, send) == "stream-a"
    assert [event.message for event in replayed] == [
        progress(1),
        progress(2),
        JSONRPCRequest(jsonrpc="2.0", id=7, method="ping"),
    ]
    replayed.clear()
    assert await other.replay_events_after(first, send) == "stream-a"
    assert len(replayed) == 2
    assert replayed[0].event_id is not None
    assert replayed[0].event_id.startswith("stream-a/")


@pytest.mark.parametrize("event_id", ["unknown/1-0", "no-separator", "stream-a/not-an-id", "/1-0", "x" * 300])
async def test_an_unknown_or_malformed_last_event_id_replays_nothing(
    replicas: tuple[RedisEventStore, RedisEventStore], event_id: str
) -> None:
    one, other = replicas
    await one.store_event("stream-a", progress(1))
    replayed: list[EventMessage] = []

    async def send(event: EventMessage) -> None:
        replayed.append(event)

    assert await other.replay_events_after(event_id, send) is None
    assert replayed == []
