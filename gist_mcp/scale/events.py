"""The Streamable HTTP event store in Redis: an SSE stream cut off on one replica resumes on any other.

The SDK's `EventStore` interface, scoped per session (`gist_mcp.event_store.SessionEventStore`): one
Redis stream per session and SSE stream (`gist-mcp:sse:<session id>/<stream id>`). An event id is
`<session id>/<stream id>/<Redis entry id>`, so whichever replica a client's `Last-Event-ID` reaches
finds the stream and replays what followed, in order, and a session's view refuses ids of another.
Each stream keeps its newest `MAX_EVENTS_PER_STREAM` events for `EVENT_TTL` seconds after its last
event: resumption is for a dropped connection, not an archive. An id that names nothing (expired,
forged, malformed, another session's) replays nothing, so the SDK answers as for any unknown id.

On the replica that holds the session the SDK replays from this store itself. `mcp` 2.3 answers 404
to a GET for a session it does not hold, so on any other replica `gist_mcp.scale.resume` answers the
resume: it replays, then follows the stream live (`follow`: XREAD BLOCK) while the holder keeps
storing its events. With `--stateless` there are no streams: answers are plain JSON, nothing to resume.
"""

from __future__ import annotations

from typing import cast

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, StreamId
from mcp_types import JSONRPCMessage, jsonrpc_message_adapter
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from gist_mcp.event_store import SEPARATOR, SharedEventStore
from gist_mcp.scale.redis_client import connect

KEY_PREFIX = "gist-mcp:sse:"
MAX_EVENTS_PER_STREAM = 1000
"""Events kept per SSE stream (approximately: Redis trims whole nodes); older ones cannot be replayed."""
EVENT_TTL = 3600
"""Seconds a stream's events are kept after its last event."""
_Entries = list[tuple[bytes, dict[bytes, bytes]]]
_PRIMING = b""
"""The stored form of the SDK's priming event (no message): replayed as nothing."""


class RedisEventStore(SharedEventStore):
    """SSE events in Redis streams, one per (session, SSE stream), shared by every replica."""

    def __init__(self, url: str, prefix: str = KEY_PREFIX) -> None:
        self._redis: Redis = connect(url)
        self._prefix = prefix

    def __repr__(self) -> str:
        return "RedisEventStore()"

    def _key(self, session_id: str, stream_id: StreamId) -> str:
        return f"{self._prefix}{session_id}{SEPARATOR}{stream_id}"

    async def store_session_event(
        self, session_id: str, stream_id: StreamId, message: JSONRPCMessage | None
    ) -> EventId:
        """Append one event (None: the priming event) and return its id."""
        key = self._key(session_id, stream_id)
        data = _PRIMING if message is None else jsonrpc_message_adapter.dump_json(message, by_alias=True)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {"m": data}, maxlen=MAX_EVENTS_PER_STREAM, approximate=True)
            pipe.expire(key, EVENT_TTL)
            entry_id, _ = await pipe.execute()
        return _event_id(session_id, stream_id, entry_id)

    async def replay_session_events(
        self, session_id: str, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        """Send every event of the stream after `last_event_id`, in order; its stream id, or None if unknown."""
        parsed = _parse(session_id, last_event_id)
        if parsed is None:
            return None
        stream_id, entry_id = parsed
        key = self._key(session_id, stream_id)
        if not await self._redis.exists(key):
            return None
        try:
            entries = cast(_Entries, await self._redis.xrange(key, min=f"({entry_id}"))
        except ResponseError:  # a malformed entry id is refused by Redis: nothing to replay
            return None
        for event in _messages(session_id, stream_id, entries):
            await send_callback(event)
        return stream_id

    async def follow(self, session_id: str, after: EventId, wait: float) -> tuple[EventId, list[EventMessage]]:
        """Block (XREAD BLOCK) up to `wait` seconds for events of `after`'s stream stored after it."""
        parsed = _parse(session_id, after)
        if parsed is None:
            return after, []
        stream_id, entry_id = parsed
        key = self._key(session_id, stream_id)
        block = max(1, round(wait * 1000))  # milliseconds; 0 would mean forever
        try:
            found = cast(list[tuple[bytes, _Entries]], await self._redis.xread({key: entry_id}, block=block))
        except ResponseError:
            return after, []
        entries = [entry for _, stream_entries in found for entry in stream_entries]
        if not entries:
            return after, []
        return _event_id(session_id, stream_id, entries[-1][0]), _messages(session_id, stream_id, entries)

    async def aclose(self) -> None:
        """Close the Redis connections."""
        await self._redis.aclose()


def _event_id(session_id: str, stream_id: StreamId, entry_id: bytes) -> EventId:
    """`<session id>/<stream id>/<Redis entry id>`: the session first, so a view can check it is its own."""
    return f"{session_id}{SEPARATOR}{stream_id}{SEPARATOR}{entry_id.decode()}"


def _parse(session_id: str, event_id: EventId) -> tuple[StreamId, str] | None:
    """(stream id, Redis entry id) of one of `session_id`'s event ids; None for anything else."""
    prefix = session_id + SEPARATOR
    stream_id, separator, entry_id = event_id.removeprefix(prefix).rpartition(SEPARATOR)
    if not event_id.startswith(prefix) or not separator or not stream_id or not entry_id:
        return None
    return stream_id, entry_id


def _messages(session_id: str, stream_id: StreamId, entries: _Entries) -> list[EventMessage]:
    """The stored messages of `entries` with their event ids; priming events carry none and are left out."""
    events: list[EventMessage] = []
    for entry, fields in entries:
        data = fields.get(b"m", _PRIMING)
        if data != _PRIMING:
            message = jsonrpc_message_adapter.validate_json(data)
            events.append(EventMessage(message, _event_id(session_id, stream_id, entry)))
    return events
