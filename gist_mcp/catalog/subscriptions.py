"""Subscription types: the email topics a contact can opt in to or out of (gist-api.md §6.7, §7.7).

Gist's SDK changes a contact's subscription with `POST /subscription_types/{id}`; the body is `[?]`.
We send the contact as `email` or `user_id` (looked up when given by id) and `unsubscribed: true|false`,
the convention Gist's own `POST /campaigns` uses for the same choice [I], and read any answer.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, Field

from gist_mcp._json import JSONObject, as_object
from gist_mcp.catalog._listing import Listing, Paged
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import ContactRef, Input, as_text, gist_id, optional, unwrap
from gist_mcp.catalog._toolset import Toolset
from gist_mcp.catalog.contacts import email_or_user_id
from gist_mcp.errors import NotFoundError

NOT_FOUND_HINT = (
    "Find the subscription type's id with list_subscription_types, and the contact with get_user or get_lead."
)
"""The next step after a 404 from a subscriptions tool (the type or the contact is unknown)."""


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class SubscriptionType(BaseModel):
    """An email subscription type (§6.7): what contacts opt in to or out of."""

    id: int
    name: str
    description: str | None = optional()
    status: str | None = optional()
    display_order: int | None = optional()
    contact_count: int | None = optional("Contacts subscribed.")

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        return cls(
            id=gist_id(raw.get("id")),
            name=str(raw.get("name") or ""),
            description=as_text(raw.get("description")),
            status=as_text(raw.get("status")),
            display_order=_number(raw.get("display_order")),
            contact_count=_number(raw.get("contact_count")),
        )


class SetSubscriptionInput(Input):
    subscription_type_id: int = Field(ge=1, description="The type's id, as returned by list_subscription_types.")
    contact: ContactRef = Field(description="Who: exactly one of id (Gist's), user_id or email.")
    subscribed: bool = Field(description="true: opt in; false: opt out.")


class SubscriptionChange(BaseModel):
    """What set_subscription asked Gist to do, and the type as Gist returned it."""

    subscription_type_id: int
    subscribed: bool
    email: str | None = optional()
    user_id: str | None = optional()
    contact_id: int | None = optional()
    subscription_type: SubscriptionType | None = optional("The type as Gist returned it, when it did.")


SUBSCRIPTION_TYPES = Listing("subscription_types", SubscriptionType)


async def list_subscription_types(ctx: ToolContext, args: Paged) -> BaseModel:
    return await SUBSCRIPTION_TYPES.fetch(ctx.gist, args)


async def set_subscription(ctx: ToolContext, args: SetSubscriptionInput) -> SubscriptionChange:
    try:
        key, value, contact_id = await email_or_user_id(ctx, args.contact)
        body = {key: value, "unsubscribed": not args.subscribed}
        response = await ctx.gist.request("POST", f"subscription_types/{args.subscription_type_id}", json_body=body)
    except NotFoundError as error:
        raise error.with_hint(NOT_FOUND_HINT) from None
    data = as_object(response.data) or {}
    raw = unwrap(data, "subscription_type") if isinstance(data.get("subscription_type"), dict) else None
    return SubscriptionChange(
        subscription_type_id=args.subscription_type_id,
        subscribed=args.subscribed,
        contact_id=contact_id,
        subscription_type=SubscriptionType.from_gist(raw) if raw else None,
        **{key: value},
    )


LIST_SUBSCRIPTION_TYPES = Operation(
    name="list_subscription_types",
    title="List subscription types",
    toolset="subscriptions",
    description=SUBSCRIPTION_TYPES.model.describe(
        "List the email subscription types (topics contacts opt in to or out of)."
    ),
    gist_call="GET /subscription_types",
    input=Paged,
    output=SUBSCRIPTION_TYPES.model,
    run=list_subscription_types,
    read_only=True,
    destructive=False,
    idempotent=True,
)

SET_SUBSCRIPTION = Operation(
    name="set_subscription",
    title="Set subscription",
    toolset="subscriptions",
    description=(
        "Opt a contact in to (subscribed: true) or out of (false) one subscription type "
        "(ids from list_subscription_types)."
    ),
    gist_call="POST /subscription_types/{id} (GET /contacts/{id} first for a contact given by id)",
    input=SetSubscriptionInput,
    output=SubscriptionChange,
    run=set_subscription,
    read_only=False,
    destructive=False,
    idempotent=True,
)


TOOLSET = Toolset(
    name="subscriptions",
    description="Email subscription types: list them, and opt a contact in to or out of one.",
    not_found_hint=NOT_FOUND_HINT,
    operations=(LIST_SUBSCRIPTION_TYPES, SET_SUBSCRIPTION),
    default=False,
)
