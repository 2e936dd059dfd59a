"""Segments, campaigns and webhook events as MCP resources, read through the same operations as the tools.

`resources/list` names the concrete URI of every segment and campaign (a host's resource picker
can only offer URIs it was given); if Gist cannot be reached then, the list still has the
collection URIs and the failure is logged, so a picker never breaks on a Gist outage.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.types import Resource

from gist_mcp._tools import compact_json, execute
from gist_mcp.catalog import segments, webhooks
from gist_mcp.catalog._operation import Operation
from gist_mcp.errors import GistError, NotFoundError

if TYPE_CHECKING:
    from gist_mcp.server import GistServer

logger = logging.getLogger("gist_mcp.resources")
JSON = "application/json"
EVENTS_URI = "gist://webhook-events"
LATEST_EVENTS = 50
LISTED_PER_KIND = 200
"""Concrete URIs offered per kind in resources/list; the collection resources hold all."""


async def _read(server: GistServer, op: Operation, arguments: dict[str, Any], uri: str) -> str:
    try:
        result = await execute(op, server.tool_context(), arguments)
    except NotFoundError as error:
        raise ResourceNotFoundError(f"{uri}: {error}") from None
    except GistError as error:
        raise ResourceError(f"{uri}: {error}") from None
    return compact_json(result.model_dump(mode="json"))


def register(server: GistServer) -> None:
    """Add the segment and campaign resources of the toolsets the server has on."""
    get_segment, list_segments = segments.SEGMENT_OPERATIONS
    get_campaign, list_campaigns = segments.CAMPAIGN_OPERATIONS
    if "segments" in server.gist_settings.toolsets:

        @server.resource("gist://segments", name="segments", title="All segments", mime_type=JSON)
        async def all_segments() -> str:
            """Every segment of the workspace with its contact count."""
            args = {"limit": 1000, "include_count": True}
            return await _read(server, list_segments, args, "gist://segments")

        @server.resource("gist://segments/{segment_id}", name="segment", title="Segment", mime_type=JSON)
        async def one_segment(segment_id: int) -> str:
            """One segment with its contact count."""
            args = {"segment_id": segment_id, "include_count": True}
            return await _read(server, get_segment, args, f"gist://segments/{segment_id}")

    if "campaigns" in server.gist_settings.toolsets:

        @server.resource("gist://campaigns", name="campaigns", title="All campaigns", mime_type=JSON)
        async def all_campaigns() -> str:
            """Every email campaign of the workspace."""
            return await _read(server, list_campaigns, {"limit": 1000}, "gist://campaigns")

        @server.resource("gist://campaigns/{campaign_id}", name="campaign", title="Campaign", mime_type=JSON)
        async def one_campaign(campaign_id: int) -> str:
            """One email campaign with its figures."""
            return await _read(server, get_campaign, {"campaign_id": campaign_id}, f"gist://campaigns/{campaign_id}")

    if server.webhooks is not None:
        list_events = webhooks.OPERATIONS[0]
        store = server.webhooks.store

        @server.resource(EVENTS_URI, name="webhook-events", title="Latest webhook events", mime_type=JSON)
        async def latest_events() -> str:
            """The latest webhook events Gist sent, newest first; subscribe to hear of new ones."""
            return await _read(server, list_events, {"limit": LATEST_EVENTS}, EVENTS_URI)

        @server.resource(f"{EVENTS_URI}/{{event_id}}", name="webhook-event", title="Webhook event", mime_type=JSON)
        async def one_event(event_id: str) -> str:
            """One stored webhook event with its payload."""
            event = await store.get(event_id)
            if event is None:
                raise ResourceNotFoundError(f"{EVENTS_URI}/{event_id}: no stored webhook event has this id")
            return compact_json(event.to_json())


async def concrete_resources(server: GistServer) -> list[Resource]:
    """One resource per segment and campaign, for hosts' resource pickers."""
    found: list[Resource] = []
    kinds = [
        ("segments", segments.SEGMENT_OPERATIONS[1], "segment", {"include_count": False}),
        ("campaigns", segments.CAMPAIGN_OPERATIONS[1], "campaign", {}),
    ]
    for plural, op, singular, extra in kinds:
        if plural not in server.gist_settings.toolsets:
            continue
        try:
            result = await execute(op, server.tool_context(), {"limit": LISTED_PER_KIND, **extra})
        except GistError as error:
            logger.warning("resources/list: could not list %s from Gist: %s", plural, error)
            continue
        for item in getattr(result, plural):
            found.append(
                Resource(
                    uri=f"gist://{plural}/{item.id}",
                    name=f"{singular}-{item.id}",
                    title=item.name,
                    mime_type=JSON,
                )
            )
    return found
