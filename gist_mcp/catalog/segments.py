"""Segments (read-only through the API: their rules are edited in Gist's app) and campaigns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gist_mcp.catalog._listing import Listing, Paged
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import Campaign, Input, Segment, unwrap
from gist_mcp.catalog._toolset import IdSource, Resource, Toolset, via
from gist_mcp.catalog.campaign_subscriptions import SUBSCRIBE_TO_CAMPAIGN, UNSUBSCRIBE_FROM_CAMPAIGN

_COUNT = Field(True, description="Include the number of contacts in the segment.")


class GetSegmentInput(Input):
    segment_id: int = Field(description="The segment's id, as returned by list_segments.")
    include_count: bool = _COUNT


class ListSegmentsInput(Paged):
    include_count: bool = _COUNT


class GetCampaignInput(Input):
    campaign_id: int = Field(description="The campaign's id, as returned by list_campaigns.")


SEGMENTS = Listing("segments", Segment)
CAMPAIGNS = Listing("campaigns", Campaign)


async def get_segment(ctx: ToolContext, args: GetSegmentInput) -> Segment:
    params = {"include_count": str(args.include_count).lower()}
    response = await ctx.gist.request("GET", f"segments/{args.segment_id}", params=params)
    return Segment.from_gist(unwrap(response.data, "segment"))


async def list_segments(ctx: ToolContext, args: ListSegmentsInput) -> BaseModel:
    params = {"include_count": str(args.include_count).lower()}
    return await SEGMENTS.fetch(ctx.gist, args, params=params)


async def get_campaign(ctx: ToolContext, args: GetCampaignInput) -> Campaign:
    response = await ctx.gist.request("GET", f"campaigns/{args.campaign_id}")
    return Campaign.from_gist(unwrap(response.data, "campaign"))


async def list_campaigns(ctx: ToolContext, args: Paged) -> BaseModel:
    return await CAMPAIGNS.fetch(ctx.gist, args)


GET_SEGMENT = Operation(
    name="get_segment",
    title="Get segment",
    toolset="segments",
    description=("Get one segment and its contact count (members: list_users/list_leads with segment_id)."),
    gist_call="GET /segments/{id}",
    input=GetSegmentInput,
    output=Segment,
    run=get_segment,
    read_only=True,
    destructive=False,
    idempotent=True,
)
LIST_SEGMENTS = Operation(
    name="list_segments",
    title="List segments",
    toolset="segments",
    description=SEGMENTS.model.describe("List the workspace's segments."),
    gist_call="GET /segments",
    input=ListSegmentsInput,
    output=SEGMENTS.model,
    run=list_segments,
    read_only=True,
    destructive=False,
    idempotent=True,
)
GET_CAMPAIGN = Operation(
    name="get_campaign",
    title="Get campaign",
    toolset="campaigns",
    description='Get one email campaign: status, emails, subscribers, open and click rates (as "61.4%").',
    gist_call="GET /campaigns/{id}",
    input=GetCampaignInput,
    output=Campaign,
    run=get_campaign,
    read_only=True,
    destructive=False,
    idempotent=True,
)
LIST_CAMPAIGNS = Operation(
    name="list_campaigns",
    title="List campaigns",
    toolset="campaigns",
    description=CAMPAIGNS.model.describe("List the workspace's email campaigns."),
    gist_call="GET /campaigns",
    input=Paged,
    output=CAMPAIGNS.model,
    run=list_campaigns,
    read_only=True,
    destructive=False,
    idempotent=True,
)

SEGMENTS_TOOLSET = Toolset(
    name="segments",
    description="Segments and their contact counts (read-only: their rules are edited in Gist).",
    not_found_hint="Find the segment's id with list_segments.",
    operations=(GET_SEGMENT, LIST_SEGMENTS),
    resources=(
        Resource(
            uri="gist://segments",
            name="segments",
            title="All segments",
            description="Every segment of the workspace with its contact count.",
            read=via(LIST_SEGMENTS, limit=1000, include_count=True),
        ),
        Resource(
            uri="gist://segments/{segment_id}",
            name="segment",
            title="Segment",
            description="One segment with its contact count.",
            read=via(GET_SEGMENT, include_count=True),
            ids=IdSource(operation=LIST_SEGMENTS, plural="segments", arguments={"include_count": False}),
        ),
    ),
)
CAMPAIGNS_TOOLSET = Toolset(
    name="campaigns",
    description="Email campaigns with their status and figures; subscribe contacts to them or unsubscribe them.",
    not_found_hint="Find the campaign's id with list_campaigns.",
    operations=(GET_CAMPAIGN, LIST_CAMPAIGNS, SUBSCRIBE_TO_CAMPAIGN, UNSUBSCRIBE_FROM_CAMPAIGN),
    resources=(
        Resource(
            uri="gist://campaigns",
            name="campaigns",
            title="All campaigns",
            description="Every email campaign of the workspace.",
            read=via(LIST_CAMPAIGNS, limit=1000),
        ),
        Resource(
            uri="gist://campaigns/{campaign_id}",
            name="campaign",
            title="Campaign",
            description="One email campaign with its figures.",
            read=via(GET_CAMPAIGN),
            ids=IdSource(operation=LIST_CAMPAIGNS, plural="campaigns"),
        ),
    ),
)
