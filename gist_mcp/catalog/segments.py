"""Segments (read-only through the API: their rules are edited in Gist's app) and campaigns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gist_mcp.catalog._listing import Listing
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import Campaign, Cursor, Input, Limit, Segment, unwrap

_COUNT = Field(True, description="Include the number of contacts in the segment.")


class GetSegmentInput(Input):
    segment_id: int = Field(description="The segment's id, as returned by list_segments.")
    include_count: bool = _COUNT


class ListSegmentsInput(Input):
    limit: Limit = 50
    cursor: Cursor = None
    include_count: bool = _COUNT


class GetCampaignInput(Input):
    campaign_id: int = Field(description="The campaign's id, as returned by list_campaigns.")


class ListCampaignsInput(Input):
    limit: Limit = 50
    cursor: Cursor = None


SEGMENTS = Listing("segments", Segment)
CAMPAIGNS = Listing("campaigns", Campaign)


async def get_segment(ctx: ToolContext, args: GetSegmentInput) -> Segment:
    params = {"include_count": str(args.include_count).lower()}
    response = await ctx.gist.request("GET", f"segments/{args.segment_id}", params=params)
    return Segment.from_gist(unwrap(response.data, "segment"))


async def list_segments(ctx: ToolContext, args: ListSegmentsInput) -> BaseModel:
    params = {"include_count": str(args.include_count).lower()}
    return await SEGMENTS.fetch(ctx.gist, limit=args.limit, cursor=args.cursor, params=params)


async def get_campaign(ctx: ToolContext, args: GetCampaignInput) -> Campaign:
    response = await ctx.gist.request("GET", f"campaigns/{args.campaign_id}")
    return Campaign.from_gist(unwrap(response.data, "campaign"))


async def list_campaigns(ctx: ToolContext, args: ListCampaignsInput) -> BaseModel:
    return await CAMPAIGNS.fetch(ctx.gist, limit=args.limit, cursor=args.cursor)


SEGMENT_OPERATIONS = (
    Operation(
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
    ),
    Operation(
        name="list_segments",
        title="List segments",
        toolset="segments",
        description="List the workspace's segments with their contact counts.",
        gist_call="GET /segments",
        input=ListSegmentsInput,
        output=SEGMENTS.model,
        run=list_segments,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
)
CAMPAIGN_OPERATIONS = (
    Operation(
        name="get_campaign",
        title="Get campaign",
        toolset="campaigns",
        description="Get one email campaign: status, emails, subscribers, open and click rates.",
        gist_call="GET /campaigns/{id}",
        input=GetCampaignInput,
        output=Campaign,
        run=get_campaign,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
    Operation(
        name="list_campaigns",
        title="List campaigns",
        toolset="campaigns",
        description="List the workspace's email campaigns with their status and figures.",
        gist_call="GET /campaigns",
        input=ListCampaignsInput,
        output=CAMPAIGNS.model,
        run=list_campaigns,
        read_only=True,
        destructive=False,
        idempotent=True,
    ),
)
