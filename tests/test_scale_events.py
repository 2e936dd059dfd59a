"""The Redis event store: a stream's events stored by one replica are replayed by another."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp.server.streamable_http import EventMessage
from mcp_types import JSONRPCNotification, JSONRPCRequest

from gist_mcp.scale.events import RedisEventStore

pytestmark = [pytest.mark.anyio, pytest.mark.services]


SESSION = "0123456789abcdef0123456789abcdef"
"""A session id as the SDK makes them (uuid4 hex)."""


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
    one, other = (replica.for_session(SESSION) for replica in replicas)
    priming = await one.store_event("stream-a", None)
    first = await one.store_event("stream-a", progress(1))
    await one.store_event("stream-b", progress(99))  # another stream's events stay out
    await replicas[0].for_session("another-session").store_event("stream-a", progress(98))  # and another session's
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
    assert replayed[0].event_id.startswith(f"{SESSION}/stream-a/")


async def test_a_stream_id_with_the_separator_in_it_round_trips(
    replicas: tuple[RedisEventStore, RedisEventStore],
) -> None:
    """Stream ids are the client's request ids: any string, slashes included."""
    one, other = (replica.for_session(SESSION) for replica in replicas)
    priming = await one.store_event("a/b/c", None)
    await one.store_event("a/b/c", progress(1))
    replayed: list[EventMessage] = []

    async def send(event: EventMessage) -> None:
        replayed.append(event)

    assert await other.replay_events_after(priming, send) == "a/b/c"
    assert [event.message for event in replayed] == [progress(1)]


@pytest.mark.parametrize(
    "event_id",
    [
        f"{SESSION}/unknown/1-0",
        f"{SESSION}/no-separator",
        f"{SESSION}/stream-a/not-an-id",
        f"{SESSION}//1-0",
        f"{SESSION}/stream-a/",
        "another-session/stream-a/0-0",
        "stream-a/0-0",
        "no-separator",
        "x" * 300,
    ],
)
async def test_an_unknown_malformed_or_foreign_last_event_id_replays_nothing(
    replicas: tuple[RedisEventStore, RedisEventStore], event_id: str
) -> None:
    one, other = (replica.for_session(SESSION) for replica in replicas)
    await one.store_event("stream-a", progress(1))
    await replicas[0].for_session("another-session").store_event("stream-a", progress(2))
    replayed: list[EventMessage] = []

    async def send(event: EventMessage) -> None:
        replayed.append(event)

    assert await other.replay_events_after(event_id, send) is None
    assert replayed == []


async def test_follow_waits_for_the_next_events_and_returns_empty_when_none_come(
    replicas: tuple[RedisEventStore, RedisEventStore],
) -> None:
    one, other = replicas
    priming = await one.for_session(SESSION).store_event("s", None)
    assert await other.follow(SESSION, priming, wait=0.05) == (priming, [])
    second_priming = await one.for_session(SESSION).store_event("s", None)
    stored = await one.for_session(SESSION).store_event("s", progress(3))
    cursor, events = await other.follow(SESSION, priming, wait=0.05)
    assert cursor == stored
    assert [(event.message, event.event_id) for event in events] == [(progress(3), stored)]
    assert second_priming != stored
    assert await other.follow("another-session", priming, wait=0.05) == (priming, []), "not that session's id"
    malformed = f"{SESSION}/s/not-an-entry-id"
    assert await other.follow(SESSION, malformed, wait=0.05) == (malformed, []), "Redis refuses it: nothing follows"
    assert repr(other) == "RedisEventStore()"
