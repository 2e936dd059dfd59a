"""Protocol features `MCPServer` lacks on the handshake era: subscribe, setLevel, listChanged.

This is the ONE module that touches SDK internals (`MCPServer._lowlevel_server`, the per-request
session's `_connection`, and `MCPServer._subscriptions`), which is why `pyproject.toml` pins
`mcp>=2.3,<2.4`: a minor release may rename any of them, and the protocol tests will say so.
It knows nothing of Gist: it takes any `MCPServer`.

- `resources/subscribe` / `resources/unsubscribe` (2025-11-25 and earlier): registering them makes
  the SDK advertise `resources.subscribe: true`. Subscribed URIs are kept per client connection.
  On 2026-07-28 the SDK's own `subscriptions/listen` stream replaces them; `Subscriptions.notify_updated`
  reaches both.
- `add_middleware` wraps every inbound message (the `--metrics` operation timer).
- `logging/setLevel` sets the level of the `gist_mcp` logger (logs go to stderr, never to the client).
- `listChanged` for tools and resources on the handshake era, only when the server really sends it
  (dynamic toolsets): the SDK has no public knob for it (see shared notes, "Subscriptions and list_changed").
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from mcp.server import MCPServer
from mcp.server.lowlevel import NotificationOptions
from mcp.server.models import InitializationOptions
from mcp.server.subscriptions import ResourceUpdated
from mcp.types import (
    EmptyResult,
    SetLevelRequestParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)

logger = logging.getLogger("gist_mcp")
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL,
    "emergency": logging.CRITICAL,
}


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
        return set().union(*self._uris.values())

    async def notify_updated(self, uri: str) -> None:
        """Tell every subscriber of `uri` it changed: handshake-era clients and 2026-07-28 listen streams."""
        for connection, uris in list(self._uris.items()):
            if uri in uris:
                try:
                    await connection.send_resource_updated(uri)
                except Exception:  # a client that went away must not fail the writer
                    logger.debug("Could not notify a subscriber of %s", uri, exc_info=True)
        await self._server._subscriptions.publish(ResourceUpdated(uri=uri))  # pyright: ignore[reportPrivateUsage]


def install(server: MCPServer[Any], *, list_changed: bool = False) -> Subscriptions:
    """Add subscribe/unsubscribe and logging/setLevel to `server` (and `listChanged` when it sends it)."""
    subscriptions = Subscriptions(server)
    lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]

    async def on_subscribe(ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        subscriptions.subscribe(ctx.session._connection, str(params.uri))
        return EmptyResult()

    async def on_unsubscribe(ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        subscriptions.unsubscribe(ctx.session._connection, str(params.uri))
        return EmptyResult()

    async def on_set_level(ctx: Any, params: SetLevelRequestParams) -> EmptyResult:
        logger.setLevel(_LEVELS.get(params.level, logging.INFO))
        return EmptyResult()

    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, on_subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, on_unsubscribe)
    lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, on_set_level)
    if list_changed:
        plain = lowlevel.create_initialization_options
        changes = NotificationOptions(tools_changed=True, resources_changed=True)

        def with_list_changed(
            notification_options: NotificationOptions | None = None,
            experimental_capabilities: dict[str, dict[str, Any]] | None = None,
            extensions: dict[str, dict[str, Any]] | None = None,
        ) -> InitializationOptions:
            return plain(notification_options or changes, experimental_capabilities, extensions)

        lowlevel.create_initialization_options = with_list_changed
    return subscriptions


def add_middleware(server: MCPServer[Any], middleware: Any) -> None:
    """Run `middleware` (`(ctx, call_next) -> result`, the SDK's ServerMiddleware) around every inbound
    message, after the SDK's own OpenTelemetry span middleware."""
    server._lowlevel_server.middleware.append(middleware)  # pyright: ignore[reportPrivateUsage]


async def notify_lists_changed(session: Any) -> None:
    """Tell the calling handshake-era client that the tool and resource lists changed."""
    await session.send_tool_list_changed()
    await session.send_resource_list_changed()
