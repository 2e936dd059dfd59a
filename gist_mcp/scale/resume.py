"""Resume an SSE stream on a replica that does not hold its session (with the shared Redis event store).

A stateful session lives in the one replica that opened it; its events are stored in Redis by that
replica (`gist_mcp.scale.events`). `mcp` 2.3 answers a `GET /mcp` for a session it does not hold with
404 before it looks at `Last-Event-ID`, so a client whose stream broke could only resume where the
session lives. `CrossReplicaResume` sits in front of the SDK's app and takes exactly that request:
`GET /mcp` with `Last-Event-ID` and an `Mcp-Session-Id` this replica does not hold, whose event id
belongs to that session (its view of the store finds it; otherwise the SDK's own answer stands). It
replays the stored events after that id as SSE (the SDK's wire form: `event: message`, `data:` and
`id:`), then follows the stream in Redis while the holding replica keeps storing its events. The
response ends when the answer (result or error) to the stream's request has been sent, when the
client goes away, or after RESUME_IDLE_SECONDS without an event (a holder that died stores nothing
more; the client may resume again from the last id it got, or retry its call).

Every other request passes through untouched, and so does a resume on the replica that holds the
session (the SDK replays from the same store). The Host/Origin check (`TransportSecuritySettings`)
applies here as in the SDK, and the bearer guard sits in front of this layer.

Hosted mode (`--auth gist-oauth`) does not use this layer: its sessions belong to an OAuth user, which
the SDK checks on the holding replica only, so hosted resumes go to the replica that holds the session.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from mcp.server.streamable_http import (
    LAST_EVENT_ID_HEADER,
    MCP_SESSION_ID_HEADER,
    EventMessage,
    StreamId,
    check_accept_headers,
)
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp.types import JSONRPCError, JSONRPCResponse
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gist_mcp.event_store import SharedEventStore

logger = logging.getLogger("gist_mcp")
RESUME_IDLE_SECONDS = 60.0
"""A resumed stream of a session held elsewhere ends after this long without a new event of its stream."""
SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "Connection": "keep-alive"}


class CrossReplicaResume:
    """ASGI layer: serve `Last-Event-ID` resumes of sessions held by other replicas from the shared store."""

    def __init__(
        self,
        app: ASGIApp,
        store: SharedEventStore,
        *,
        holds: Callable[[str], bool],
        security: TransportSecuritySettings,
        path: str,
        idle: float = RESUME_IDLE_SECONDS,
    ) -> None:
        self.app = app
        self._store = store
        self._holds = holds
        self._security = TransportSecurityMiddleware(security)
        self._path = path
        self._idle = idle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].rstrip("/") != self._path:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        session_id = request.headers.get(MCP_SESSION_ID_HEADER)
        last_event_id = request.headers.get(LAST_EVENT_ID_HEADER)
        version = request.headers.get(MCP_PROTOCOL_VERSION_HEADER)
        if (
            not session_id
            or not last_event_id
            or (version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS)
            or not check_accept_headers(request)[1]
            or self._holds(session_id)
        ):
            await self.app(scope, receive, send)
            return
        refused = await self._security.validate_request(request)
        if refused is not None:
            await refused(scope, receive, send)
            return
        replayed: list[EventMessage] = []

        async def keep(event: EventMessage) -> None:
            replayed.append(event)

        try:
            stream_id = await self._store.for_session(session_id).replay_events_after(last_event_id, keep)
        except Exception:  # the store is unreachable: say so, never a traceback
            logger.warning("Could not read the shared event store to resume a stream", exc_info=True)
            unavailable = {"error": "unavailable", "message": "The event store cannot be read: resume again later."}
            await JSONResponse(unavailable, status_code=503)(scope, receive, send)
            return
        if stream_id is None:  # not an event of this session: the SDK answers as for any unknown session
            await self.app(scope, receive, send)
            return
        logger.info("Resuming a stream of a session held by another replica")
        events = self._events(session_id, stream_id, last_event_id, replayed)
        await EventSourceResponse(events, headers={**SSE_HEADERS, MCP_SESSION_ID_HEADER: session_id})(
            scope, receive, send
        )

    async def _events(
        self, session_id: str, stream_id: StreamId, last_event_id: str, replayed: list[EventMessage]
    ) -> AsyncIterator[dict[str, str]]:
        """The replayed events, then the stream's new ones, until its answer is sent or it stays idle."""
        cursor, pending = last_event_id, replayed
        while True:
            for event in pending:
                data = event.message.model_dump_json(by_alias=True, exclude_unset=True)
                yield {"event": "message", "data": data, "id": event.event_id or ""}
                message = event.message
                if isinstance(message, JSONRPCResponse | JSONRPCError) and str(message.id) == stream_id:
                    return
                cursor = event.event_id or cursor
            try:
                following, pending = await self._store.follow(session_id, cursor, self._idle)
            except Exception:  # the store went away mid-stream: end the stream, the client may resume again
                logger.warning("Lost the shared event store while following a resumed stream", exc_info=True)
                return
            if following == cursor:
                return  # nothing new within the idle limit: the holder is done or gone
            cursor = following
