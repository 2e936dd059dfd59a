"""SSE resumability for the stateful Streamable HTTP server: event stores scoped to one session each.

The SDK gives every SSE event it writes an id from the store, starts each POST stream with a
priming event (an id and empty data) and, given a `retry` interval, tells clients how soon to
reconnect. A client whose stream broke reconnects with `GET /mcp` and `Last-Event-ID`, and the
store replays the events of that stream it missed (SEP-1699).

The SDK names a stream by its JSON-RPC request id (every client counts from 0) or `_GET_stream`, and
hands one store to every session. Keyed by stream alone, session B resuming its request 1 would be
replayed session A's request 1: another client's tool results. So a `SessionEventStore` is never used
as it is: each session's transport gets `for_session(<its session id>)` (wired in `gist_mcp._sdk`),
a view that keys events by session AND stream and whose event ids start with the session id
(`<session id>/...`). A `Last-Event-ID` naming another session replays nothing: the session id is a
uuid4 only its client holds, so knowing one's own event ids gives nothing of another session's.
Used unscoped (an SDK upgrade that bypasses the hook), the store refuses loudly instead of mixing.

`MemoryEventStore` keeps events in this process (the oldest are dropped beyond MAX_STORED_EVENTS);
`gist_mcp.scale.events.RedisEventStore` is a `SharedEventStore`: every replica reads the same events,
so a stream cut on one replica resumes on any other (`gist_mcp.scale.resume`).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections import OrderedDict

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp.types import JSONRPCMessage

MAX_STORED_EVENTS = 10_000
"""Events kept in memory for replay across all sessions and streams; the oldest are forgotten first."""
RETRY_MILLISECONDS = 1_000
"""The SSE `retry` field: how long a client waits before reconnecting a broken stream."""
MAX_EVENT_ID_LENGTH = 256
"""A longer `Last-Event-ID` is not one of ours: it is not looked up at all."""
SEPARATOR = "/"
"""Between the session id and the rest of an event id (session ids are hex: they never contain it)."""


def session_of(event_id: EventId) -> str:
    """The session an event id names (its part before the first SEPARATOR; "" for none)."""
    session, separator, _ = event_id.partition(SEPARATOR)
    return session if separator else ""


class UnscopedEventStoreError(RuntimeError):
    """A `SessionEventStore` was used without a session: the `_sdk` hook that scopes it is missing."""


class SessionEventStore(EventStore, ABC):
    """Events kept per (session, stream); only its `for_session` views serve the SDK's `EventStore` calls."""

    def for_session(self, session_id: str) -> EventStore:
        """The view of this store that one session's transport stores to and replays from."""
        return SessionEvents(self, session_id)

    @abstractmethod
    async def store_session_event(
        self, session_id: str, stream_id: StreamId, message: JSONRPCMessage | None
    ) -> EventId:
        """Keep `message` (None: a priming event) for the session's stream; its new id (`<session id>/...`)."""

    @abstractmethod
    async def replay_session_events(
        self, session_id: str, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        """Send the session's events after `last_event_id` (which names this session) of its stream, in
        order; the stream's id, or None when the id names nothing stored."""

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        raise UnscopedEventStoreError("events must be stored through for_session(): see gist_mcp._sdk")

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        raise UnscopedEventStoreError("events must be replayed through for_session(): see gist_mcp._sdk")


class SharedEventStore(SessionEventStore):
    """A store every replica reads: a stream can be followed live while another replica writes it."""

    @abstractmethod
    async def follow(self, session_id: str, after: EventId, wait: float) -> tuple[EventId, list[EventMessage]]:
        """The session's events of `after`'s stream stored after it, waiting up to `wait` seconds for the
        first; returns the id to follow from next (`after` itself when nothing arrived) and the messages."""


class SessionEvents(EventStore):
    """One session's view of a `SessionEventStore`: what the SDK's transport of that session is given."""

    def __init__(self, store: SessionEventStore, session_id: str) -> None:
        self.store = store
        self.session_id = session_id

    def __repr__(self) -> str:  # the session id is the client's credential to its session: never shown
        return f"SessionEvents({self.store!r})"

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        """Keep `message` for this session's stream `stream_id`."""
        return await self.store.store_session_event(self.session_id, stream_id, message)

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        """Replay this session's events after `last_event_id`; None for an id of another session or none."""
        if len(last_event_id) > MAX_EVENT_ID_LENGTH or session_of(last_event_id) != self.session_id:
            return None
        return await self.store.replay_session_events(self.session_id, last_event_id, send_callback)


class MemoryEventStore(SessionEventStore):
    """Events by id in arrival order, each tagged with its session and stream; bounded by `max_events`."""

    def __init__(self, max_events: int = MAX_STORED_EVENTS) -> None:
        self._max_events = max_events
        self._events: OrderedDict[EventId, tuple[str, StreamId, JSONRPCMessage | None]] = OrderedDict()
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return "MemoryEventStore()"

    async def store_session_event(
        self, session_id: str, stream_id: StreamId, message: JSONRPCMessage | None
    ) -> EventId:
        event_id = f"{session_id}{SEPARATOR}{next(self._ids)}"
        self._events[event_id] = (session_id, stream_id, message)
        while len(self._events) > self._max_events:
            self._events.popitem(last=False)
        return event_id

    async def replay_session_events(
        self, session_id: str, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        found = self._events.get(last_event_id)
        if found is None or found[0] != session_id:
            return None
        stream_id = found[1]
        after = False
        for event_id, (session, stream, message) in list(self._events.items()):
            if after and session == session_id and stream == stream_id and message is not None:
                await send_callback(EventMessage(message, event_id))
            after = after or event_id == last_event_id
        return stream_id
