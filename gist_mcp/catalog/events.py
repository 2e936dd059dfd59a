"""Tracked events: record what a contact did, and list what was recorded."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from gist_mcp.catalog._listing import Listing, Paged
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import ContactRef, Event, Input, Timestamp, unwrap
from gist_mcp.catalog._toolset import Toolset


class TrackEventInput(Input):
    event_name: str = Field(min_length=1, description="What happened, e.g. upgraded_plan (Gist turns . and $ into -).")
    contact: ContactRef = Field(description="Who did it: exactly one of id (Gist's), user_id or email.")
    properties: dict[str, Any] | None = Field(None, description='Details of the event, e.g. {"plan": "pro"}.')
    occurred_at: Timestamp = Field(None, description="When: ISO-8601 or Unix seconds (default now).")


EVENTS = Listing("events", Event)


async def track_event(ctx: ToolContext, args: TrackEventInput) -> Event:
    key, value = args.contact.selector
    body: dict[str, Any] = {"event_name": args.event_name, key: value}
    if args.properties is not None:
        body["properties"] = args.properties
    if args.occurred_at is not None:
        body["occurred_at"] = args.occurred_at
    response = await ctx.gist.request("POST", "events", json_body=body)
    return Event.from_gist(unwrap(response.data, "event"))


async def list_events(ctx: ToolContext, args: Paged) -> BaseModel:
    return await EVENTS.fetch(ctx.gist, args)


TOOLSET = Toolset(
    name="events",
    description="Tracked events: record what a contact did, and list what was recorded.",
    not_found_hint="Check the contact with get_user or get_lead (by id, user_id or email).",
    operations=(
        Operation(
            name="track_event",
            title="Track event",
            toolset="events",
            description=(
                "Record that a contact did something (an event with properties), for segments and campaign triggers."
            ),
            gist_call="POST /events",
            input=TrackEventInput,
            output=Event,
            run=track_event,
            read_only=False,
            destructive=False,
            idempotent=False,
        ),
        Operation(
            name="list_events",
            title="List events",
            toolset="events",
            description=EVENTS.model.describe("List tracked events, newest first."),
            gist_call="GET /events",
            input=Paged,
            output=EVENTS.model,
            run=list_events,
            read_only=True,
            destructive=False,
            idempotent=True,
        ),
    ),
)
