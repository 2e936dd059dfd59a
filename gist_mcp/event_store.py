"""SSE resumability for the stateful Streamable HTTP server: an in-memory, bounded event store.

The SDK gives every SSE event it writes an id from the store, starts each POST stream with a
priming event (an id and empty data) and, given a `retry` interval, tells clients how soon to
reconnect. A client whose stream broke reconnects with `GET /mcp` and `Last-Event-ID`, and the
store replays the events of that stream it missed (SEP-1699). Events live in this process only
and the oldest are dropped beyond MAX_STORED_EVENTS; a store shared by several replicas is the
"beyond one machine" issue's job (it implements the same SDK `EventStore` interface).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp.types import JSONRPCMessage

MAX_STORED_EVENTS = 10_000
"""Events kept for replay across all streams; the oldest are forgotten first."""
RETRY_MILLISECONDS = 1_000
"""The SSE `retry` field: how long a client waits before reconnecting a broken stream."""


class MemoryEventStore(EventStore):
    """Events by id in arrival order, each tagged with its stream; bounded by `max_events`."""

    def __init__(self, max_events: int = MAX_STORED_EVENTS) -> None:
        self._max_events = max_events
        self._events: OrderedDict[EventId, tuple[StreamId, JSONRPCMessage | None]] = OrderedDict()
        self._ids = itertools.count(1)

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        """Keep `message` (None for a priming event) and return its new id."""
        event_id = str(next(self._ids))
        self._events[event_id] = (stream_id, message)
        while len(self._events) > self._max_events:
            self._events.popitem(last=False)
        return event_id

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        """Send the events of `last_event_id`'s stream that came after it; None when that id is unknown."""
        found = self._events.get(last_event_id)
        if found is None:
            return None
        stream_id = found[0]
        after = False
        for event_id, (stream, message) in list(self._events.items()):
            if after and stream == stream_id and message is not None:
                await send_callback(EventMessage(message, event_id))
            after = after or event_id == last_event_id
        return stream_id
