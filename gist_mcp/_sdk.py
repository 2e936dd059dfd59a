"""Protocol features `MCPServer` lacks on the handshake era: subscribe, setLevel; plus id completions.

This is the ONE module that touches SDK internals (`MCPServer._lowlevel_server`, the per-request
session's `_connection`, and `MCPServer._subscriptions`), which is why `pyproject.toml` pins
`mcp>=2.3,<2.4`: a minor release may rename any of them, and the protocol tests will say so.

- `resources/subscribe` / `resources/unsubscribe` (2025-11-25 and earlier): registering them makes
  the SDK advertise `resources.subscribe: true`. Subscribed URIs are kept per client connection.
  On 2026-07-28 the SDK's own `subscriptions/listen` stream replaces them; `Subscriptions.notify_updated`
  reaches both.
- `logging/setLevel` sets the level of the `gist_mcp` logger (logs go to stderr, never to the client).
- Completions for `gist://segments/{segment_id}` and `gist://campaigns/{campaign_id}` through the
  public `completion()` decorator: ids from list_segments / list_campaigns, filtered by prefix.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any

from mcp.server.subscriptions import ResourceUpdated
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    EmptyResult,
    PromptReference,
    ResourceTemplateReference,
    SetLevelRequestParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)

from gist_mcp._tools import execute
from gist_mcp.catalog import segments
from gist_mcp.errors import GistError

if TYPE_CHECKING:
    from gist_mcp.server import GistServer

logger = logging.getLogger("gist_mcp")
MAX_COMPLETIONS = 100
"""The protocol's cap on values per completion."""
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
_TEMPLATES = {
    "gist://segments/{segment_id}": ("segment_id", segments.SEGMENT_OPERATIONS[1], "segments"),
    "gist://campaigns/{campaign_id}": ("campaign_id", segments.CAMPAIGN_OPERATIONS[1], "campaigns"),
}


class Subscriptions:
    """The resource URIs each handshake-era client connection subscribed to."""

    def __init__(self, server: GistServer) -> None:
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


def install(server: GistServer) -> Subscriptions:
    """Add subscribe/unsubscribe, logging/setLevel and id completions to `server`; returns its subscriptions."""
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

    @server.completion()
    async def complete(  # pyright: ignore[reportUnusedFunction]
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if not isinstance(ref, ResourceTemplateReference) or ref.uri not in _TEMPLATES:
            return None
        name, op, toolset = _TEMPLATES[ref.uri]
        if argument.name != name or toolset not in server.gist_settings.toolsets:
            return None
        return await complete_ids(server, op, toolset, argument.value)

    return subscriptions


async def complete_ids(server: GistServer, op: Any, plural: str, prefix: str) -> Completion:
    """Ids from `op` (a list operation) starting with `prefix`; a Gist failure gives no values."""
    try:
        result = await execute(op, server.tool_context(), {"limit": 1000})
    except GistError as error:
        logger.warning("completion: could not list %s from Gist: %s", plural, error)
        return Completion(values=[])
    ids = [str(item.id) for item in getattr(result, plural)]
    matches = [value for value in ids if value.startswith(prefix)]
    return Completion(values=matches[:MAX_COMPLETIONS], total=len(matches), has_more=len(matches) > MAX_COMPLETIONS)
