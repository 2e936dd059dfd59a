"""Subscribe a contact to an email campaign, or take one off it: `POST /campaigns` (gist-api.md §7.4).

Gist names the contact of a campaign subscription by `email` or `user_id` only, so a contact given
by Gist id is looked up first. The answer is `[?]` in the reference (a campaign, a contact, or
nothing): the result reports what was asked and reads whichever of those Gist sends back.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from gist_mcp._json import JSON, as_object
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import Campaign, ContactRef, Input, optional
from gist_mcp.catalog.contacts import email_or_user_id
from gist_mcp.errors import NotFoundError

NOT_FOUND_HINT = "Find the campaign's id with list_campaigns, and check the contact with get_user or get_lead."
"""The next step after a 404 from these tools: either the campaign or the contact is unknown."""

_CAMPAIGN_ID = Field(ge=1, description="The campaign's id, as returned by list_campaigns.")
_CONTACT = Field(description="Who: exactly one of id (Gist's), user_id or email.")


class SubscribeToCampaignInput(Input):
    campaign_id: int = _CAMPAIGN_ID
    contact: ContactRef = _CONTACT
    starting_email_index: int = Field(0, ge=0, description="Campaign email to start at (0 = the first).")
    reactivate_if_removed: bool = Field(
        False, description="Re-add a contact who left this campaign earlier (else it stays out)."
    )


class UnsubscribeFromCampaignInput(Input):
    campaign_id: int = _CAMPAIGN_ID
    contact: ContactRef = _CONTACT


class CampaignSubscription(BaseModel):
    """What a subscribe or unsubscribe call did."""

    campaign_id: int
    subscribed: bool
    """True after subscribe_to_campaign, false after unsubscribe_from_campaign."""
    email: str | None = optional()
    user_id: str | None = optional()
    contact_id: int | None = optional()
    campaign: Campaign | None = optional("The campaign as Gist returned it (subscriber counts), when it did.")


async def _post(ctx: ToolContext, campaign_id: int, contact: ContactRef, extra: dict[str, Any]) -> CampaignSubscription:
    try:
        key, value, contact_id = await email_or_user_id(ctx, contact)
        body = {"id": campaign_id, key: value, **extra}
        response = await ctx.gist.request("POST", "campaigns", json_body=body)
    except NotFoundError as error:
        raise error.with_hint(NOT_FOUND_HINT) from None
    return _result(campaign_id, key, value, contact_id, not extra.get("unsubscribed", False), response.data)


def _result(
    campaign_id: int, key: str, value: str, contact_id: int | None, subscribed: bool, data: JSON
) -> CampaignSubscription:
    """The result, with whatever of a campaign or a contact Gist's answer carries."""
    answer = as_object(data) or {}
    campaign = answer.get("campaign")
    contact = answer.get("contact") or answer.get("subscriber")
    if isinstance(contact, dict) and str(contact.get("id", "")).isdigit():
        contact_id = int(str(contact["id"]))
    return CampaignSubscription(
        campaign_id=campaign_id,
        subscribed=subscribed,
        contact_id=contact_id,
        campaign=Campaign.from_gist(campaign) if isinstance(campaign, dict) else None,
        **{key: value},
    )


async def subscribe_to_campaign(ctx: ToolContext, args: SubscribeToCampaignInput) -> CampaignSubscription:
    extra = {"starting_email_index": args.starting_email_index, "reactivate_if_removed": args.reactivate_if_removed}
    return await _post(ctx, args.campaign_id, args.contact, extra)


async def unsubscribe_from_campaign(ctx: ToolContext, args: UnsubscribeFromCampaignInput) -> CampaignSubscription:
    return await _post(ctx, args.campaign_id, args.contact, {"unsubscribed": True})


SUBSCRIBE_TO_CAMPAIGN = Operation(
    name="subscribe_to_campaign",
    title="Subscribe to campaign",
    toolset="campaigns",
    description="Add a contact to an email campaign, optionally from a later email.",
    gist_call="POST /campaigns (GET /contacts/{id} first for a contact given by id)",
    input=SubscribeToCampaignInput,
    output=CampaignSubscription,
    run=subscribe_to_campaign,
    read_only=False,
    destructive=False,
    idempotent=True,
)

UNSUBSCRIBE_FROM_CAMPAIGN = Operation(
    name="unsubscribe_from_campaign",
    title="Unsubscribe from campaign",
    toolset="campaigns",
    description="Take a contact off an email campaign; it gets no more of its emails.",
    gist_call="POST /campaigns with unsubscribed: true",
    input=UnsubscribeFromCampaignInput,
    output=CampaignSubscription,
    run=unsubscribe_from_campaign,
    read_only=False,
    destructive=False,
    idempotent=True,
)
