"""The Streamable HTTP event store in Redis: an SSE stream cut off on one replica resumes on any other.

The SDK's `EventStore` interface (`store_event`, `replay_events_after`), one Redis stream per SSE
stream (`gist-mcp:sse:<stream id>`). An event id is `<stream id>/<Redis entry id>`, so whichever
replica a client's `Last-Event-ID` reaches finds the stream and replays what followed, in order.
Each stream keeps its newest `MAX_EVENTS_PER_STREAM` events for `EVENT_TTL` seconds after its last
event: resumption is for a dropped connection, not an archive. An id that names nothing (expired,
forged, malformed) replays nothing, so the SDK answers as for any unknown id.

Limits of `mcp` 2.3 (checked in its source): with `stateless_http` the session manager builds every
transport with `event_store=None`, and a GET carrying `Last-Event-ID` is checked against the
replica's own sessions first. So today this store serves sessionful deployments, with a resume
routed to the replica that holds the session (session affinity); the events themselves no longer
need that replica, which is what a future SDK with shared sessions will need.
"""

from __future__ import annotations

from typing import cast

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp_types import JSONRPCMessage, jsonrpc_message_adapter
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from gist_mcp.scale.redis_client import connect

KEY_PREFIX = "gist-mcp:sse:"
MAX_EVENTS_PER_STREAM = 1000
"""Events kept per SSE stream (approximately: Redis trims whole nodes); older ones cannot be replayed."""
EVENT_TTL = 3600
"""Seconds a stream's events are kept after its last event."""
MAX_EVENT_ID_LENGTH = 256
"""A longer `Last-Event-ID` is not ours: it is not looked up at all."""
_Entries = list[tuple[bytes, dict[bytes, bytes]]]
_PRIMING = b""
"""The stored form of the SDK's priming event (no message): replayed as nothing."""


class RedisEventStore(EventStore):
    """SSE events in Redis streams, shared by every replica."""

    def __init__(self, url: str, prefix: str = KEY_PREFIX) -> None:
        self._redis: Redis = connect(url)
        self._prefix = prefix

    def __repr__(self) -> str:
        return "RedisEventStore()"

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        """Append one event (None: the priming event) and return its id."""
        key = self._prefix + stream_id
        data = _PRIMING if message is None else jsonrpc_message_adapter.dump_json(message, by_alias=True)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {"m": data}, maxlen=MAX_EVENTS_PER_STREAM, approximate=True)
            pipe.expire(key, EVENT_TTL)
            entry_id, _ = await pipe.execute()
        return f"{stream_id}/{entry_id.decode()}"

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        """Send every event of the stream after `last_event_id`, in order; its stream id, or None if unknown."""
        stream_id, _, entry_id = last_event_id.rpartition("/")
        if not stream_id or not entry_id or len(last_event_id) > MAX_EVENT_ID_LENGTH:
            return None
        key = self._prefix + stream_id
        if not await self._redis.exists(key):
            return None
        try:
            entries = cast(_Entries, await self._redis.xrange(key, min=f"({entry_id}"))
        except ResponseError:  # a malformed entry id is refused by Redis: nothing to replay
            return None
        for entry, fields in entries:
            data = fields.get(b"m", _PRIMING)
            if data != _PRIMING:
                message = jsonrpc_message_adapter.validate_json(data)
                await send_callback(EventMessage(message, f"{stream_id}/{entry.decode()}"))
        return stream_id

    async def aclose(self) -> None:
        """Close the Redis connections."""
        await self._redis.aclose()
