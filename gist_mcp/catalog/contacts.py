"""Users and leads: Gist's Contacts API, where `type` is `user` (has a user_id) or `lead`.

The user and lead tools are the same five operations for two kinds of contact, so both sets come
from one factory. A tool for one kind never reads back, changes or deletes the other kind: it
looks the contact up first and refuses with a message naming the right tool.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

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
    unwrap,
)
from gist_mcp.catalog._toolset import Toolset
from gist_mcp.errors import GistUsageError, NotFoundError

_FIELDS: dict[str, Any] = {
    "email": (str | None, Field(None, description="Email.")),
    "name": (str | None, Field(None, description="Full name.")),
    "first_name": (str | None, Field(None, description="First name.")),
    "last_name": (str | None, Field(None, description="Last name.")),
    "company_name": (str | None, Field(None, description="Company.")),
    "job_title": (str | None, Field(None, description="Job title.")),
    "phone": (str | None, Field(None, description="Phone.")),
    "last_seen_ip": (str | None, Field(None, description="Last IP seen.")),
    "last_seen_user_agent": (str | None, Field(None, description="Browser user agent.")),
    "unsubscribed_from_emails": (bool | None, Field(None, description="Opt out of email campaigns.")),
    "tags": (list[str] | None, Field(None, description="Tag names to add (new ones are created).")),
    "custom_properties": (CustomProperties, None),
}
_USER_FIELDS: dict[str, Any] = {
    "signed_up_at": (Timestamp, Field(None, description="Sign-up time: ISO-8601 or Unix seconds.")),
}
_USER_ID = (str, Field(description="Your own id for this user (unique in the workspace)."))
CONTACT_NOT_FOUND_HINT = "Find the contact with list_users or list_leads, or get_user / get_lead by email."
"""The next step after a 404 for a contact given to a tool of another toolset (tags, conversations)."""
CONTACT_FIELDS: dict[str, Any] = {**_FIELDS, **_USER_FIELDS}
"""Every optional field create_user/create_lead take besides user_id: what an import_contacts record may carry."""
_LIST_FIELDS: dict[str, Any] = {
    "segment_id": (int | None, Field(None, description="Only members of this segment (ids from list_segments).")),
    "tag_id": (int | None, Field(None, description="Only contacts with this tag (ids from list_tags).")),
    "created_since_days": (int | None, Field(None, ge=1, description="Only contacts created in the last N days.")),
    "order_by": (
        Literal["created_at", "last_seen_at", "signed_up_at", "updated_at"],
        Field("created_at", description="Sort field."),
    ),
    "order": (Literal["asc", "desc"], Field("desc", description="Sort direction.")),
}


async def fetch_contact(ctx: ToolContext, selector: tuple[str, int | str]) -> dict[str, Any]:
    """GET one contact by id (`/contacts/{id}`), user_id or email (`/contacts?key=`).

    Gist answers a lookup with one `{"contact"}`; should an API answer with a list instead, only an
    item that really has this identifier counts, never simply the first.
    """
    key, value = selector
    if key == "id":
        response = await ctx.gist.request("GET", f"contacts/{int(value)}")
    else:
        response = await ctx.gist.request("GET", "contacts", params={key: value})
    data = response.data if isinstance(response.data, dict) else {}
    listed = data.get("contacts")
    if isinstance(listed, list):
        wanted = str(value).lower()
        raw = next((c for c in listed if isinstance(c, dict) and str(c.get(key, "")).lower() == wanted), {})
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
            return wanted, str(raw[wanted]), int(raw["id"])
    raise GistUsageError(f"Contact {value} has neither user_id nor email, which this Gist call needs.")


class _Kind:
    """Names and rules for one kind of contact (user or lead)."""

    def __init__(self, kind: ContactType) -> None:
        self.kind: ContactType = kind
        self.other: ContactType = "lead" if kind == "user" else "user"
        self.plural = f"{kind}s"
        self.toolset = self.plural

    def check(self, raw: dict[str, Any], action: str) -> None:
        """Refuse to act on the other kind of contact, naming the tool that would."""
        if contact_type(raw) != self.kind:
            raise GistUsageError(
                f"Contact {raw.get('id')} is a {self.other}, not a {self.kind}; nothing was changed. "
                f"Use {action}_{self.other} for it."
            )

    async def resolve(self, ctx: ToolContext, ref: ContactRef | LeadRef, action: str) -> dict[str, Any]:
        try:
            raw = await fetch_contact(ctx, ref.selector)
        except NotFoundError as error:
            key = ref.selector[0]
            raise error.with_hint(f"Find the {self.kind} with list_{self.plural}, or check the {key}.") from None
        self.check(raw, action)
        return raw


def _operations(kind: ContactType) -> tuple[Operation, ...]:
    k = _Kind(kind)
    Ref = ContactRef if kind == "user" else LeadRef
    ref_text = (
        "The user: exactly one of id (Gist's), user_id or email."
        if kind == "user"
        else "The lead: exactly one of id (Gist's) or email (leads have no user_id)."
    )
    ref_field: dict[str, Any] = {kind: (Ref, Field(description=ref_text))}
    extra = _USER_FIELDS if kind == "user" else {}
    if kind == "user":
        create_fields: dict[str, Any] = {"user_id": _USER_ID, **_FIELDS, **extra}
    else:
        create_fields = {**_FIELDS, "email": (str, Field(description="Email address (identifies the lead)."))}
    name = kind.title()
    CreateInput: type[Input] = create_model(f"Create{name}Input", __base__=Input, **create_fields)
    UpdateInput: type[Input] = create_model(
        f"Update{name}Input",
        __base__=Input,
        **ref_field,
        **({"user_id": (str | None, Field(None, description="New user_id."))} if kind == "user" else {}),  # type: ignore[arg-type]
        **_FIELDS,
        **extra,
    )
    RefInput: type[Input] = create_model(f"{name}RefInput", __base__=Input, **ref_field)
    ListInput: type[Paged] = create_model(f"List{name}sInput", __base__=Paged, **_LIST_FIELDS)
    listing = Listing(k.plural, ContactSummary, source="contacts")

    async def create(ctx: ToolContext, args: BaseModel) -> Contact:
        body = args.model_dump(exclude_none=True)
        existing: dict[str, Any] | None = None
        if kind == "lead":
            # Gist's write is an upsert keyed on email: look first, so a lead tool never edits a user.
            try:
                existing = await fetch_contact(ctx, ("email", body["email"]))
            except NotFoundError:
                existing = None
            if existing is not None:
                k.check(existing, "update")
        response = await ctx.gist.request("POST", "contacts", json_body=body)
        contact = Contact.from_gist(unwrap(response.data, "contact"))
        if existing is not None:
            contact.already_existed = True
        elif kind == "lead":
            contact.already_existed = False
        else:
            contact.already_existed = _existed(unwrap(response.data, "contact"))
        return contact

    async def update(ctx: ToolContext, args: BaseModel) -> Contact:
        changes = args.model_dump(exclude_none=True, exclude={kind})
        if not changes:
            raise GistUsageError("Give at least one field to change besides the contact reference.")
        raw = await k.resolve(ctx, getattr(args, kind), "update")
        # Gist matches id first; it still wants an email or user_id on every write.
        identifier = "user_id" if kind == "user" else "email"
        body = {"id": raw["id"], identifier: raw.get(identifier), **changes}
        if body.get(identifier) in (None, ""):
            body.pop(identifier)
            body.setdefault("email", raw.get("email"))
        response = await ctx.gist.request("POST", "contacts", json_body=body)
        return Contact.from_gist(unwrap(response.data, "contact"))

    async def get(ctx: ToolContext, args: BaseModel) -> Contact:
        return Contact.from_gist(await k.resolve(ctx, getattr(args, kind), "get"))

    async def delete(ctx: ToolContext, args: BaseModel) -> Deleted:
        raw = await k.resolve(ctx, getattr(args, kind), "delete")
        await ctx.gist.request("DELETE", f"contacts/{int(raw['id'])}")
        return Deleted(id=int(raw["id"]), type=kind)

    async def list_(ctx: ToolContext, args: Paged) -> BaseModel:
        a = args.model_dump()
        params = {
            "order_by": a["order_by"],
            "order": a["order"],
            "segment_id": a["segment_id"],
            "tag_id": a["tag_id"],
            "created_since": a["created_since_days"],
        }
        return await listing.fetch(
            ctx.gist,
            args,
            params=params,
            keep=lambda raw: contact_type(raw) == kind,
            narrow=f"narrow with segment_id, tag_id or created_since_days; get_{kind} gives one contact in full",
        )

    identify = "user_id" if kind == "user" else "email"
    return (
        Operation(
            name=f"create_{kind}",
            title=f"Create {kind}",
            toolset=k.toolset,
            description=(
                f"Create a {kind} (a contact {'with' if kind == 'user' else 'without'} a user_id), or update "
                f"the one with this {identify}: Gist upserts, `already_existed` says which."
                + (" A lead with this email becomes this user." if kind == "user" else "")
            ),
            gist_call="POST /contacts",
            input=CreateInput,
            output=Contact,
            run=create,
            read_only=False,
            destructive=False,
            idempotent=True,
        ),
        Operation(
            name=f"update_{kind}",
            title=f"Update {kind}",
            toolset=k.toolset,
            description=(
                f"Change fields of an existing {kind}; others stay as they are. `tags` adds tags "
                f"(remove with tag_contacts). Refuses a {k.other}."
            ),
            gist_call="GET /contacts/{id} or ?" + identify + "=, then POST /contacts",
            input=UpdateInput,
            output=Contact,
            run=update,
            read_only=False,
            destructive=False,
            idempotent=True,
        ),
        Operation(
            name=f"get_{kind}",
            title=f"Get {kind}",
            toolset=k.toolset,
            description=(f"Get one {kind} in full (properties, tags, segments)."),
            gist_call="GET /contacts/{id}, GET /contacts?" + ("user_id= or ?email=" if kind == "user" else "email="),
            input=RefInput,
            output=Contact,
            run=get,
            read_only=True,
            destructive=False,
            idempotent=True,
        ),
        Operation(
            name=f"list_{k.plural}",
            title=f"List {k.plural}",
            toolset=k.toolset,
            description=listing.model.describe(
                f"List {k.plural}, newest first by default; get_{kind} gives one in full."
            ),
            gist_call=f"GET /contacts ({k.plural} kept client-side)",
            input=ListInput,
            output=listing.model,
            run=list_,
            read_only=True,
            destructive=False,
            idempotent=True,
        ),
        Operation(
            name=f"delete_{kind}",
            title=f"Delete {kind}",
            toolset=k.toolset,
            description=f"Permanently delete a {kind} and its data from Gist. Cannot be undone.",
            gist_call="GET /contacts/{id} or ?" + identify + "=, then DELETE /contacts/{id}",
            input=RefInput,
            output=Deleted,
            run=delete,
            read_only=False,
            destructive=True,
            idempotent=True,
            confirm=lambda args: (
                f"Permanently delete the {kind} with {_named(getattr(args, kind))} and all its "
                "data from Gist? This cannot be undone."
            ),
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
    operations=_operations("user"),
)
LEADS = Toolset(
    name="leads",
    description="Leads (contacts known by email only): create, update, find, list and delete.",
    not_found_hint="Find the lead with list_leads, or get_lead by email.",
    operations=_operations("lead"),
)
