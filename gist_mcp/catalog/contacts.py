"""Users and leads: Gist's Contacts API, where `type` is `user` (has a user_id) or `lead`.

The user and lead tools are the same five operations for two kinds of contact: each tool is one
plain declaration below, and the behaviour they share is a helper taking the kind (`USER`, `LEAD`).
A tool for one kind never reads back, changes or deletes the other kind: it looks the contact up
first and refuses with a message naming the right tool.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from gist_mcp._json import JSONObject, as_object, objects_in
from gist_mcp.catalog._listing import Listing, Paged
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import (
    Contact,
    ContactRef,
    ContactSummary,
    ContactType,
    CustomProperties,
    Deleted,
    Input,
    LeadRef,
    Timestamp,
    contact_type,
    gist_id,
    unwrap,
)
from gist_mcp.catalog._toolset import Toolset
from gist_mcp.errors import GistUsageError, NotFoundError


class ContactFields(Input):
    """The fields every contact write takes besides email (create_user, create_lead, their updates, import_contacts
    records); email is optional for users and identifies a lead, so each declares it."""

    name: str | None = Field(None, description="Full name.")
    first_name: str | None = Field(None, description="First name.")
    last_name: str | None = Field(None, description="Last name.")
    company_name: str | None = Field(None, description="Company.")
    job_title: str | None = Field(None, description="Job title.")
    phone: str | None = Field(None, description="Phone.")
    last_seen_ip: str | None = Field(None, description="Last IP seen.")
    last_seen_user_agent: str | None = Field(None, description="Browser user agent.")
    unsubscribed_from_emails: bool | None = Field(None, description="Opt out of email campaigns.")
    tags: list[str] | None = Field(None, description="Tag names to add (new ones are created).")
    custom_properties: CustomProperties = None


class UserFields(ContactFields):
    """The fields of a user write: a contact's, plus an optional email and when they signed up."""

    email: str | None = Field(None, description="Email.")
    signed_up_at: Timestamp = Field(None, description="Sign-up time: ISO-8601 or Unix seconds.")


class CreateUserInput(UserFields):
    user_id: str = Field(description="Your own id for this user (unique in the workspace).")


class CreateLeadInput(ContactFields):
    email: str = Field(description="Email address (identifies the lead).")


class UpdateUserInput(UserFields):
    user: ContactRef = Field(description="The user: exactly one of id (Gist's), user_id or email.")
    user_id: str | None = Field(None, description="New user_id.")


class UpdateLeadInput(ContactFields):
    lead: LeadRef = Field(description="The lead: exactly one of id (Gist's) or email (leads have no user_id).")
    email: str | None = Field(None, description="New email.")


class UserRefInput(Input):
    user: ContactRef = Field(description="The user: exactly one of id (Gist's), user_id or email.")


class LeadRefInput(Input):
    lead: LeadRef = Field(description="The lead: exactly one of id (Gist's) or email (leads have no user_id).")


class ListContactsInput(Paged):
    """list_users and list_leads: the same filters (Gist lists both kinds together; we keep one kind)."""

    segment_id: int | None = Field(None, description="Only members of this segment (ids from list_segments).")
    tag_id: int | None = Field(None, description="Only contacts with this tag (ids from list_tags).")
    created_since_days: int | None = Field(None, ge=1, description="Only contacts created in the last N days.")
    order_by: Literal["created_at", "last_seen_at", "signed_up_at", "updated_at"] = Field(
        "created_at", description="Sort field."
    )
    order: Literal["asc", "desc"] = Field("desc", description="Sort direction.")


CONTACT_NOT_FOUND_HINT = "Find the contact with list_users or list_leads, or get_user / get_lead by email."
"""The next step after a 404 for a contact given to a tool of another toolset (tags, conversations)."""


async def fetch_contact(ctx: ToolContext, selector: tuple[str, int | str]) -> JSONObject:
    """GET one contact by id (`/contacts/{id}`), user_id or email (`/contacts?key=`).

    Gist answers a lookup with one `{"contact"}`; should an API answer with a list instead, only an
    item that really has this identifier counts, never simply the first.
    """
    key, value = selector
    if key == "id":
        response = await ctx.gist.request("GET", f"contacts/{int(value)}")
    else:
        response = await ctx.gist.request("GET", "contacts", params={key: value})
    data = as_object(response.data) or {}
    listed = data.get("contacts")
    raw: JSONObject
    if isinstance(listed, list):
        wanted = str(value).lower()
        raw = next((c for c in objects_in(listed) if str(c.get(key, "")).lower() == wanted), None) or {}
    else:
        raw = unwrap(data, "contact")
    if not raw.get("id"):
        raise NotFoundError(404, "GET", "/contacts", f"no contact with {key} {value!r}")
    return raw


async def email_or_user_id(ctx: ToolContext, ref: ContactRef) -> tuple[str, str, int | None]:
    """(key, value, Gist id or None) naming a contact by user_id or email, for Gist calls that take only those.

    A contact given by Gist id is looked up first (its user_id wins over its email).
    """
    key, value = ref.selector
    if key != "id":
        return key, str(value), None
    raw = await fetch_contact(ctx, ref.selector)
    for wanted in ("user_id", "email"):
        if raw.get(wanted) not in (None, ""):
            return wanted, str(raw[wanted]), gist_id(raw["id"])
    raise GistUsageError(f"Contact {value} has neither user_id nor email, which this Gist call needs.")


class _Kind:
    """Names and rules for one kind of contact (user or lead): what the shared helpers below need."""

    def __init__(self, kind: ContactType) -> None:
        self.kind: ContactType = kind
        self.other: ContactType = "lead" if kind == "user" else "user"
        self.plural = f"{kind}s"
        self.identifier = "user_id" if kind == "user" else "email"
        """What Gist needs on every write of this kind besides the id."""
        self.listing = Listing(self.plural, ContactSummary, source="contacts")

    def check(self, raw: dict[str, Any], action: str) -> None:
        """Refuse to act on the other kind of contact, naming the tool that would."""
        if contact_type(raw) != self.kind:
            raise GistUsageError(
                f"Contact {raw.get('id')} is a {self.other}, not a {self.kind}; nothing was changed. "
                f"Use {action}_{self.other} for it."
            )

    async def resolve(self, ctx: ToolContext, ref: ContactRef | LeadRef, action: str) -> dict[str, Any]:
        """The contact `ref` names, refused unless it is of this kind."""
        try:
            raw = await fetch_contact(ctx, ref.selector)
        except NotFoundError as error:
            key = ref.selector[0]
            raise error.with_hint(f"Find the {self.kind} with list_{self.plural}, or check the {key}.") from None
        self.check(raw, action)
        return raw


USER = _Kind("user")
LEAD = _Kind("lead")


async def _upsert(ctx: ToolContext, body: dict[str, Any]) -> dict[str, Any]:
    response = await ctx.gist.request("POST", "contacts", json_body=body)
    return unwrap(response.data, "contact")


async def create_user(ctx: ToolContext, args: CreateUserInput) -> Contact:
    raw = await _upsert(ctx, args.model_dump(exclude_none=True))
    contact = Contact.from_gist(raw)
    contact.already_existed = _existed(raw)
    return contact


async def create_lead(ctx: ToolContext, args: CreateLeadInput) -> Contact:
    # Gist's write is an upsert keyed on email: look first, so a lead tool never edits a user.
    try:
        existing: dict[str, Any] | None = await fetch_contact(ctx, ("email", args.email))
    except NotFoundError:
        existing = None
    if existing is not None:
        LEAD.check(existing, "update")
    contact = Contact.from_gist(await _upsert(ctx, args.model_dump(exclude_none=True)))
    contact.already_existed = existing is not None
    return contact


async def _update(ctx: ToolContext, kind: _Kind, ref: ContactRef | LeadRef, changes: dict[str, Any]) -> Contact:
    """Send only the changed fields, with the contact's id and the identifier Gist needs on every write."""
    if not changes:
        raise GistUsageError("Give at least one field to change besides the contact reference.")
    raw = await kind.resolve(ctx, ref, "update")
    body = {"id": raw["id"], kind.identifier: raw.get(kind.identifier), **changes}
    if body.get(kind.identifier) in (None, ""):
        body.pop(kind.identifier)
        body.setdefault("email", raw.get("email"))
    return Contact.from_gist(await _upsert(ctx, body))


async def update_user(ctx: ToolContext, args: UpdateUserInput) -> Contact:
    return await _update(ctx, USER, args.user, args.model_dump(exclude_none=True, exclude={"user"}))


async def update_lead(ctx: ToolContext, args: UpdateLeadInput) -> Contact:
    return await _update(ctx, LEAD, args.lead, args.model_dump(exclude_none=True, exclude={"lead"}))


async def get_user(ctx: ToolContext, args: UserRefInput) -> Contact:
    return Contact.from_gist(await USER.resolve(ctx, args.user, "get"))


async def get_lead(ctx: ToolContext, args: LeadRefInput) -> Contact:
    return Contact.from_gist(await LEAD.resolve(ctx, args.lead, "get"))


async def _list(ctx: ToolContext, kind: _Kind, args: ListContactsInput) -> BaseModel:
    params = {
        "order_by": args.order_by,
        "order": args.order,
        "segment_id": args.segment_id,
        "tag_id": args.tag_id,
        "created_since": args.created_since_days,
    }
    return await kind.listing.fetch(
        ctx.gist,
        args,
        params=params,
        keep=lambda raw: contact_type(raw) == kind.kind,
        narrow=f"narrow with segment_id, tag_id or created_since_days; get_{kind.kind} gives one contact in full",
    )


async def list_users(ctx: ToolContext, args: ListContactsInput) -> BaseModel:
    return await _list(ctx, USER, args)


async def list_leads(ctx: ToolContext, args: ListContactsInput) -> BaseModel:
    return await _list(ctx, LEAD, args)


async def _delete(ctx: ToolContext, kind: _Kind, ref: ContactRef | LeadRef) -> Deleted:
    raw = await kind.resolve(ctx, ref, "delete")
    await ctx.gist.request("DELETE", f"contacts/{int(raw['id'])}")
    return Deleted(id=int(raw["id"]), type=kind.kind)


async def delete_user(ctx: ToolContext, args: UserRefInput) -> Deleted:
    return await _delete(ctx, USER, args.user)


async def delete_lead(ctx: ToolContext, args: LeadRefInput) -> Deleted:
    return await _delete(ctx, LEAD, args.lead)


CREATE_USER = Operation(
    name="create_user",
    title="Create user",
    toolset="users",
    description=(
        "Create a user (a contact with a user_id), or update the one with this user_id: Gist upserts, "
        "`already_existed` says which. A lead with this email becomes this user."
    ),
    gist_call="POST /contacts",
    input=CreateUserInput,
    output=Contact,
    run=create_user,
    read_only=False,
    destructive=False,
    idempotent=True,
)
UPDATE_USER = Operation(
    name="update_user",
    title="Update user",
    toolset="users",
    description=(
        "Change fields of an existing user; others stay as they are. `tags` adds tags "
        "(remove with tag_contacts). Refuses a lead."
    ),
    gist_call="GET /contacts/{id} or ?user_id=, then POST /contacts",
    input=UpdateUserInput,
    output=Contact,
    run=update_user,
    read_only=False,
    destructive=False,
    idempotent=True,
)
GET_USER = Operation(
    name="get_user",
    title="Get user",
    toolset="users",
    description="Get one user in full (properties, tags, segments).",
    gist_call="GET /contacts/{id}, GET /contacts?user_id= or ?email=",
    input=UserRefInput,
    output=Contact,
    run=get_user,
    read_only=True,
    destructive=False,
    idempotent=True,
)
LIST_USERS = Operation(
    name="list_users",
    title="List users",
    toolset="users",
    description=USER.listing.model.describe("List users, newest first by default; get_user gives one in full."),
    gist_call="GET /contacts (users kept client-side)",
    input=ListContactsInput,
    output=USER.listing.model,
    run=list_users,
    read_only=True,
    destructive=False,
    idempotent=True,
)
DELETE_USER = Operation(
    name="delete_user",
    title="Delete user",
    toolset="users",
    description="Permanently delete a user and its data from Gist. Cannot be undone.",
    gist_call="GET /contacts/{id} or ?user_id=, then DELETE /contacts/{id}",
    input=UserRefInput,
    output=Deleted,
    run=delete_user,
    read_only=False,
    destructive=True,
    idempotent=True,
    confirm=lambda args: (
        f"Permanently delete the user with {_named(args.user)} and all its data from Gist? This cannot be undone."
    ),
)
CREATE_LEAD = Operation(
    name="create_lead",
    title="Create lead",
    toolset="leads",
    description=(
        "Create a lead (a contact without a user_id), or update the one with this email: Gist upserts, "
        "`already_existed` says which."
    ),
    gist_call="POST /contacts",
    input=CreateLeadInput,
    output=Contact,
    run=create_lead,
    read_only=False,
    destructive=False,
    idempotent=True,
)
UPDATE_LEAD = Operation(
    name="update_lead",
    title="Update lead",
    toolset="leads",
    description=(
        "Change fields of an existing lead; others stay as they are. `tags` adds tags "
        "(remove with tag_contacts). Refuses a user."
    ),
    gist_call="GET /contacts/{id} or ?email=, then POST /contacts",
    input=UpdateLeadInput,
    output=Contact,
    run=update_lead,
    read_only=False,
    destructive=False,
    idempotent=True,
)
GET_LEAD = Operation(
    name="get_lead",
    title="Get lead",
    toolset="leads",
    description="Get one lead in full (properties, tags, segments).",
    gist_call="GET /contacts/{id}, GET /contacts?email=",
    input=LeadRefInput,
    output=Contact,
    run=get_lead,
    read_only=True,
    destructive=False,
    idempotent=True,
)
LIST_LEADS = Operation(
    name="list_leads",
    title="List leads",
    toolset="leads",
    description=LEAD.listing.model.describe("List leads, newest first by default; get_lead gives one in full."),
    gist_call="GET /contacts (leads kept client-side)",
    input=ListContactsInput,
    output=LEAD.listing.model,
    run=list_leads,
    read_only=True,
    destructive=False,
    idempotent=True,
)
DELETE_LEAD = Operation(
    name="delete_lead",
    title="Delete lead",
    toolset="leads",
    description="Permanently delete a lead and its data from Gist. Cannot be undone.",
    gist_call="GET /contacts/{id} or ?email=, then DELETE /contacts/{id}",
    input=LeadRefInput,
    output=Deleted,
    run=delete_lead,
    read_only=False,
    destructive=True,
    idempotent=True,
    confirm=lambda args: (
        f"Permanently delete the lead with {_named(args.lead)} and all its data from Gist? This cannot be undone."
    ),
)


def _named(ref: Any) -> str:
    """How a confirmation names a contact reference: `email a@b.c`, `id 42`."""
    key, value = ref.selector
    return f"{key.replace('_', ' ')} {value}"


def _existed(raw: dict[str, Any]) -> bool | None:
    """Gist's answer shows a fresh contact by `created_at == updated_at`; unknown when either is missing."""
    created, updated = raw.get("created_at"), raw.get("updated_at")
    if created in (None, "") or updated in (None, ""):
        return None
    return created != updated


USERS = Toolset(
    name="users",
    description="Users (contacts with a user_id): create, update, find, list and delete.",
    not_found_hint="Find the user with list_users, or get_user by email or user_id.",
    operations=(CREATE_USER, UPDATE_USER, GET_USER, LIST_USERS, DELETE_USER),
)
LEADS = Toolset(
    name="leads",
    description="Leads (contacts known by email only): create, update, find, list and delete.",
    not_found_hint="Find the lead with list_leads, or get_lead by email.",
    operations=(CREATE_LEAD, UPDATE_LEAD, GET_LEAD, LIST_LEADS, DELETE_LEAD),
)
