"""Protocol details `MCPServer` gets wrong or lacks, in both eras: subscribe, per-session logging,
honest capabilities, cursors.

This is the ONE module that touches SDK internals (`MCPServer._lowlevel_server`, its request
handlers and `get_capabilities`, the per-request session's `_connection`, `MCPServer._subscriptions`
and `_prompt_manager`, the HTTP session manager's `_admit_session` and `_server_instances`), which
is why `pyproject.toml` pins `mcp>=2.3,<2.4`: a minor release may rename any of them, and the
protocol tests will say so. It knows nothing of Gist: it takes any `MCPServer`.

- `resources/subscribe` / `resources/unsubscribe` (2025-11-25 and earlier): registering them makes
  the SDK advertise `resources.subscribe: true`. Subscribed URIs are kept per client connection.
  On 2026-07-28 the SDK's own `subscriptions/listen` stream replaces them; `Subscriptions.notify_updated`
  reaches both.
- `add_middleware` wraps every inbound message (the `--metrics` operation timer).
- `scope_events_to_sessions`: each stateful HTTP session's transport gets its own view of the SSE
  event store, so no resume replays another session's events (`gist_mcp.event_store`);
  `holds_session` says whether this process serves a session (`gist_mcp.scale.resume`).
- MCP logging per session (`SessionLog`): `logging/setLevel` sets the level of the calling client
  connection only (2025-11-25); on 2026-07-28 each request opts in with its `_meta` log level. Records
  of the `gist_mcp` logger emitted while a request runs go to that request's client as
  `notifications/message`, at the client's level. The process's stderr log is never changed.
- Capabilities declare only what is sent: `listChanged` for tools and resources only when the server
  sends it (dynamic toolsets), never for prompts; `prompts` only while a prompt is registered. The SDK
  would declare every `listChanged` on 2026-07-28 and `prompts` always.
- A `cursor` on `tools/list`, `resources/list`, `resources/templates/list` or `prompts/list` is
  rejected with -32602: these lists come in one page, so no cursor was ever handed out. Without a
  prompt, `prompts/list` is -32601 (not served, as the missing capability says); `prompts/get` of an
  unknown name is -32602 (the server's `get_prompt`).
- `elicit`: a form-mode question from inside a tool call on either protocol era, through the SDK's
  resolver machinery (`mcp.server.mcpserver.resolve`, not exported) that its own `Resolve`/`Elicit`
  tool parameters use; `ctx.elicit` fails on 2026-07-28, and catalogue tools have no SDK signatures.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, get_args

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.server import MCPServer
from mcp.server.elicitation import ElicitationResult
from mcp.server.lowlevel import NotificationOptions
from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.server.mcpserver.resolve import build_resolver_plans, resolve_arguments
from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.subscriptions import ResourceUpdated
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    EmptyResult,
    InputRequiredResult,
    LoggingLevel,
    LoggingMessageNotification,
    LoggingMessageNotificationParams,
    PaginatedRequestParams,
    ServerCapabilities,
    SetLevelRequestParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel

from gist_mcp.event_store import SessionEventStore
from gist_mcp.redact import redact

logger = logging.getLogger("gist_mcp")
LOG_LEVEL_META_KEY = "io.modelcontextprotocol/logLevel"
"""The `_meta` key a 2026-07-28 request opts in to log messages with (SEP-2577)."""
DEFAULT_SESSION_LOG_LEVEL: LoggingLevel = "warning"
"""What a 2025-11-25 client that never sent `logging/setLevel` receives: warnings and worse."""
MCP_LEVELS: tuple[LoggingLevel, ...] = get_args(LoggingLevel)
"""The MCP (RFC 5424) levels, least severe first."""
PAGINATED_LISTS = ("tools/list", "resources/list", "resources/templates/list", "prompts/list")
"""List methods served in one page: a cursor on them can only be bogus."""


def is_modern(protocol_version: str | None) -> bool:
    """True for the stateless 2026-07-28 era (no handshake), False for 2025-11-25 and earlier."""
    return protocol_version in MODERN_PROTOCOL_VERSIONS


def mcp_level(levelno: int) -> LoggingLevel:
    """The MCP level of a stdlib logging level number."""
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


class Subscriptions:
    """The resource URIs each handshake-era client connection subscribed to."""

    def __init__(self, server: MCPServer[Any]) -> None:
        self._server = server
        # Keyed by the SDK's per-client Connection: a closed client drops out by itself.
        self._uris: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()

    def subscribe(self, connection: Any, uri: str) -> None:
        """Remember that `connection` wants `notifications/resources/updated` for `uri`."""
        self._uris.setdefault(connection, set()).add(uri)

    def unsubscribe(self, connection: Any, uri: str) -> None:
        """Forget one subscription; unknown ones are ignored (unsubscribe is idempotent)."""
        self._uris.get(connection, set()).discard(uri)

    def subscribed(self) -> set[str]:
        """Every URI some connected client subscribed to."""
        return set[str]().union(*self._uris.values())

    async def notify_updated(self, uri: str) -> None:
        """Tell every subscriber of `uri` it changed: handshake-era clients and 2026-07-28 listen streams."""
        for connection, uris in list(self._uris.items()):
            if uri in uris:
                try:
                    await connection.send_resource_updated(uri)
                except Exception:  # a client that went away must not fail the writer
                    logger.debug("Could not notify a subscriber of %s", uri, exc_info=True)
        await self._server._subscriptions.publish(ResourceUpdated(uri=uri))  # pyright: ignore[reportPrivateUsage]


MAX_PENDING_LOG_MESSAGES = 100
"""Log records queued for one request's client; beyond it records are dropped (stderr still has them)."""


_Queued = tuple[LoggingLevel, logging.LogRecord]
Forward = Callable[[MemoryObjectReceiveStream[_Queued], anyio.Event], Coroutine[Any, Any, None]]


class _RequestLog:
    """Where one request's log records go: only the levels its client wants. The queue and the task
    forwarding it start with the first such record (most calls log nothing their client wants, and pay
    for neither); the task runs in the session's task group (`SessionLog.forwarding`)."""

    def __init__(self, wanted: frozenset[LoggingLevel], group: TaskGroup, forward: Forward) -> None:
        self.wanted = wanted
        self.thread = threading.get_ident()
        """The event loop's thread: a record logged from a worker thread is left to stderr."""
        self._group = group
        self._forward = forward
        self._send: MemoryObjectSendStream[_Queued] | None = None
        self._forwarded: anyio.Event | None = None

    def put(self, record: logging.LogRecord) -> None:
        level = mcp_level(record.levelno)
        if level not in self.wanted or threading.get_ident() != self.thread:
            return
        if self._send is None:
            self._send, receive = anyio.create_memory_object_stream[_Queued](MAX_PENDING_LOG_MESSAGES)
            self._forwarded = anyio.Event()
            self._group.start_soon(self._forward, receive, self._forwarded)
        # A flood or a finished request drops the record: the stderr log still has it.
        with contextlib.suppress(anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._send.send_nowait((level, record))

    async def finish(self) -> None:
        """The request is over: take no more records, and return once those queued have gone to the client
        (so they reach it before the request's answer)."""
        if self._send is not None and self._forwarded is not None:
            self._send.close()
            await self._forwarded.wait()


_request_log: contextvars.ContextVar[_RequestLog | None] = contextvars.ContextVar("gist_mcp_request_log", default=None)


class SessionLog(logging.Handler):
    """MCP logging per client: `gist_mcp` records emitted while a request runs go to that request's client.

    A 2025-11-25 client picks its level with `logging/setLevel` (kept per connection, so one client
    never changes what another receives); a 2026-07-28 request opts in with the `_meta` log level.
    The handler sits on the `gist_mcp` logger beside the process's own stderr handler, which keeps its
    configured level: a client asking for `debug` never makes stderr verbose.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self._levels: weakref.WeakKeyDictionary[Any, LoggingLevel] = weakref.WeakKeyDictionary()

    def set_level(self, connection: Any, level: LoggingLevel) -> None:
        """Remember the level one handshake-era client connection asked for."""
        self._levels[connection] = level

    def threshold(self, ctx: Any) -> LoggingLevel | None:
        """The least severe level the request's client receives, or None when it receives none."""
        if is_modern(ctx.session.protocol_version):
            requested = ctx.meta.get(LOG_LEVEL_META_KEY) if ctx.meta else None
            return requested if requested in MCP_LEVELS else None
        return self._levels.get(ctx.session._connection, DEFAULT_SESSION_LOG_LEVEL)

    def emit(self, record: logging.LogRecord) -> None:
        request_log = _request_log.get()
        if request_log is not None:
            request_log.put(record)

    @asynccontextmanager
    async def forwarding(
        self, context: Any | None, group: TaskGroup | None, secret: str | None = None
    ) -> AsyncGenerator[None, None]:
        """While the block runs, send its `gist_mcp` log records to the client of `context` (an
        `MCPServer` Context; none outside a request) at that client's level.

        The forwarding task runs in `group`, a task group of the session's lifespan (starting a task group
        per request would cost every call ~7 us); without one, records stay on stderr. `secret` (the API
        key) is redacted from every message, as the stderr handlers do.
        """
        request = None if context is None else context._request_context
        threshold = None if request is None else self.threshold(request)
        if request is None or threshold is None or group is None:
            yield
            return

        async def forward(receive: MemoryObjectReceiveStream[_Queued], forwarded: anyio.Event) -> None:
            try:
                async with receive:
                    async for level, record in receive:
                        data = redact(record.getMessage(), secret)
                        params = LoggingMessageNotificationParams(level=level, logger=record.name, data=data)
                        await request.session.send_notification(
                            LoggingMessageNotification(params=params), related_request_id=request.request_id
                        )
            except Exception:  # a client that went away must not fail the call
                logger.debug("Could not send a log message to the client", exc_info=True)
            finally:
                forwarded.set()

        request_log = _RequestLog(frozenset(MCP_LEVELS[MCP_LEVELS.index(threshold) :]), group, forward)
        token = _request_log.set(request_log)
        try:
            yield
        finally:
            _request_log.reset(token)
            await request_log.finish()


SESSION_LOG = SessionLog()
"""The one handler on the `gist_mcp` logger that feeds clients (one per process: records must not double)."""


def _honest_capabilities(server: MCPServer[Any], list_changed: bool, has_prompts: Callable[[], bool]) -> None:
    """Declare `listChanged` only when it is sent, and `prompts` only while a prompt is registered."""
    lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]
    derived = lowlevel.get_capabilities

    def get_capabilities(
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
        *,
        protocol_version: str | None = None,
    ) -> ServerCapabilities:
        caps = derived(notification_options, experimental_capabilities, extensions, protocol_version=protocol_version)
        changes: dict[str, Any] = {}
        if caps.tools is not None:
            changes["tools"] = caps.tools.model_copy(update={"list_changed": list_changed})
        if caps.resources is not None:
            changes["resources"] = caps.resources.model_copy(update={"list_changed": list_changed})
        if caps.prompts is not None:
            changes["prompts"] = caps.prompts.model_copy(update={"list_changed": False}) if has_prompts() else None
        return caps.model_copy(update=changes)

    lowlevel.get_capabilities = get_capabilities  # pyright: ignore[reportAttributeAccessIssue]


def _check_lists(server: MCPServer[Any], has_prompts: Callable[[], bool]) -> None:
    """Answer -32602 to a cursor on the one-page list methods instead of silently returning page one,
    and -32601 to `prompts/list` while no prompt is registered: the methods served match the declared
    capabilities (SEP-2575 checks it; the conformance baseline lists the two checks that assume prompts)."""
    lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]
    for method in PAGINATED_LISTS:
        entry = lowlevel.get_request_handler(method)
        if entry is None:
            continue
        lowlevel.add_request_handler(method, entry.params_type, _checked_list(method, entry.handler, has_prompts))


def _checked_list(method: str, handler: Callable[..., Any], has_prompts: Callable[[], bool]) -> Callable[..., Any]:
    async def checked(ctx: Any, params: PaginatedRequestParams | None) -> Any:
        if method == "prompts/list" and not has_prompts():
            raise MCPError(code=METHOD_NOT_FOUND, message="Method not found: prompts/list (this server has no prompts)")
        if params is not None and params.cursor is not None:
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"Invalid cursor for {method}: this list comes in one page, so no cursor applies.",
            )
        return await handler(ctx, params)

    return checked


def install(
    server: MCPServer[Any], *, unregistered_prompts: Callable[[], bool], list_changed: bool = False
) -> Subscriptions:
    """Fix `server`'s protocol surface (see the module docstring); returns its subscriptions.

    `unregistered_prompts` says whether the server offers prompts it registers only on the first
    `prompts/list`: the `prompts` capability and `prompts/list` follow them as well as registered ones.
    """
    manager = server._prompt_manager  # pyright: ignore[reportPrivateUsage]

    def has_prompts() -> bool:
        return unregistered_prompts() or bool(manager.list_prompts())

    subscriptions = Subscriptions(server)
    if SESSION_LOG not in logger.handlers:
        logger.addHandler(SESSION_LOG)
    lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]

    async def on_subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        subscriptions.subscribe(ctx.session._connection, str(params.uri))
        return EmptyResult()

    async def on_unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        subscriptions.unsubscribe(ctx.session._connection, str(params.uri))
        return EmptyResult()

    async def on_set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
        SESSION_LOG.set_level(ctx.session._connection, params.level)
        return EmptyResult()

    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, on_subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, on_unsubscribe)
    lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, on_set_level)
    _honest_capabilities(server, list_changed, has_prompts)
    _check_lists(server, has_prompts)
    return subscriptions


def add_middleware(server: MCPServer[Any], middleware: Any) -> None:
    """Run `middleware` (`(ctx, call_next) -> result`, the SDK's ServerMiddleware) around every inbound
    message, after the SDK's own OpenTelemetry span middleware."""
    server._lowlevel_server.middleware.append(middleware)  # pyright: ignore[reportPrivateUsage]


async def notify_lists_changed(session: Any) -> None:
    """Tell the calling handshake-era client that the tool and resource lists changed."""
    await session.send_tool_list_changed()
    await session.send_resource_list_changed()


def scope_events_to_sessions(manager: StreamableHTTPSessionManager, store: SessionEventStore) -> None:
    """Give each new session's transport its own view of `store` (`store.for_session(<session id>)`).

    The session manager hands its one event store to every transport, and stream ids repeat across
    sessions (they are request ids): unscoped, a resume could replay another session's events. The
    only place a transport and its session id meet is `_admit_session`; wrapped here, it swaps the
    shared store for the session's view. If an SDK upgrade renames it, this raises at start-up (and
    an unscoped `SessionEventStore` refuses every call) rather than mixing sessions silently.
    """
    admit = getattr(manager, "_admit_session", None)
    if admit is None:
        raise RuntimeError("mcp's StreamableHTTPSessionManager has no _admit_session: update gist_mcp._sdk")

    def admit_scoped(requestor: Any) -> StreamableHTTPServerTransport | None:
        transport = admit(requestor)
        if transport is not None and transport.mcp_session_id is not None:
            transport._event_store = store.for_session(transport.mcp_session_id)  # pyright: ignore[reportPrivateUsage]
        return transport

    manager._admit_session = admit_scoped  # pyright: ignore[reportPrivateUsage]


def holds_session(manager: StreamableHTTPSessionManager, session_id: str) -> bool:
    """True when this process serves session `session_id` (the manager's own table of sessions)."""
    return session_id in manager._server_instances  # pyright: ignore[reportPrivateUsage]


def _ask(message: str, schema: type[BaseModel]) -> Elicit[BaseModel]:
    """The resolver behind `elicit`: one question, keyed by this function (stable across replicas)."""
    return Elicit(message, schema)


_ANSWER = {"answer": (Resolve(_ask), True)}
_PLANS = build_resolver_plans(_ANSWER, {"message", "schema"})


async def elicit(
    context: Context[Any, Any], message: str, schema: type[BaseModel]
) -> ElicitationResult[Any] | InputRequiredResult:
    """Ask the user `message` with a `schema` form during a tool call.

    On the handshake era the answer comes back at once (a server-to-client request). On 2026-07-28 the
    first call returns an InputRequiredResult for the tool to return; the client retries the call with
    the answer, and this returns it (the question must be the same: answers are matched by its digest).
    """
    resolved = await resolve_arguments(_ANSWER, _PLANS, {"message": message, "schema": schema}, context)
    return resolved if isinstance(resolved, InputRequiredResult) else resolved["answer"]
