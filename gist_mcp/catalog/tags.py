"""Tags: Gist multiplexes create, rename, tag and untag onto one `POST /tags`; the input tells them apart.

Every Gist client selects contacts to tag by Gist `id` only, sent as a string (gist-api.md §7.2,
pass 3), so tag_contacts first resolves `email` and `user_id` references to ids, then sends ids in
batches. A reference that matches nobody is reported in `failed`; it no longer sinks its batch.
"""

from __future__ import annotations

from typing import Any

import anyio
from pydantic import BaseModel, Field

from gist_mcp.catalog._listing import Listing, Paged
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import ContactRef, Deleted, Input, Tag, gist_id, unwrap
from gist_mcp.catalog._toolset import Toolset
from gist_mcp.catalog.contacts import CONTACT_NOT_FOUND_HINT, fetch_contact
from gist_mcp.errors import GistError, NotFoundError

BATCH = 50
"""Gist times out above about 50 contacts per tag request (gist-api.md §5)."""
PARALLEL_BATCHES = 4
"""Tag requests in flight at once; the shared rate limiter still decides the pace."""
LOOKUPS_AT_ONCE = 10
"""Email / user_id lookups in flight at once (each is one `GET /contacts?...`, paced by the rate limiter)."""
MAX_CONTACTS = 5000
"""Most contacts one tag_contacts call takes."""
CONFIRM_UNTAG_OVER = 10
"""Untagging more contacts than this in one call asks the user first (when the client can elicit)."""

_TAG_ID = Field(description="The tag's id, as returned by list_tags or create_tag.")


class CreateTagInput(Input):
    name: str = Field(min_length=1, description="Tag name (case-sensitive).")


class UpdateTagInput(Input):
    tag_id: int = _TAG_ID
    name: str = Field(min_length=1, description="New name.")


class TagIdInput(Input):
    tag_id: int = _TAG_ID


class TagTarget(ContactRef):
    """A contact to tag, or with `untag: true` to untag."""

    untag: bool = Field(False, description="True removes the tag from this contact.")


class TagContactsInput(Input):
    tag: str = Field(min_length=1, description="Tag name.")
    contacts: list[TagTarget] = Field(
        min_length=1,
        max_length=MAX_CONTACTS,
        description="Each by exactly one of id, user_id or email; untag true removes the tag. Last mention wins.",
    )


class FailedContact(BaseModel):
    """A contact left out: its reference as given (last mention) and why (not found, or its batch's error)."""

    contact: dict[str, Any]
    error: str


class TagContactsResult(BaseModel):
    """The tag (None when nothing was sent), distinct contacts tagged and untagged, and the contacts left out."""

    tag: Tag | None
    tagged: int
    untagged: int
    failed: list[FailedContact]


TAGS = Listing("tags", Tag)


async def _post_tag(ctx: ToolContext, body: dict[str, Any]) -> Tag:
    response = await ctx.gist.request("POST", "tags", json_body=body)
    return Tag.from_gist(unwrap(response.data, "tag"))


async def create_tag(ctx: ToolContext, args: CreateTagInput) -> Tag:
    return await _post_tag(ctx, {"name": args.name})


async def update_tag(ctx: ToolContext, args: UpdateTagInput) -> Tag:
    return await _post_tag(ctx, {"id": args.tag_id, "name": args.name})


class _Target:
    """One distinct contact of a tag_contacts call: its Gist id, the reference given and tag or untag."""

    def __init__(self, contact_id: int, reference: dict[str, Any], untag: bool) -> None:
        self.id = contact_id
        self.reference = reference
        self.untag = untag

    def item(self) -> dict[str, Any]:
        """The entry of `contacts` in Gist's body: the id as a string, as every Gist client sends it."""
        return {"id": str(self.id), **({"untag": True} if self.untag else {})}


async def _resolve(ctx: ToolContext, targets: list[TagTarget]) -> tuple[dict[int, _Target], list[FailedContact]]:
    """Each reference's Gist id (email and user_id looked up, at most LOOKUPS_AT_ONCE at a time).

    A reference that matches nobody is a failed contact; any other lookup error ends the call
    before anything was tagged. The same contact reached twice keeps its last mention.
    """
    found = {index: target.id for index, target in enumerate(targets) if target.id is not None}
    lookups = {index: target.selector for index, target in enumerate(targets) if target.id is None}
    ids = await _look_up(ctx, lookups)
    found.update((index, contact_id) for index, contact_id in ids.items() if contact_id is not None)
    failed = {
        index: FailedContact(contact=_reference(targets[index]), error=f"no contact with {key} {value!r}")
        for index, (key, value) in lookups.items()
        if ids[index] is None
    }
    distinct: dict[int, _Target] = {}
    for index, target in enumerate(targets):
        if index in found:
            distinct.pop(found[index], None)  # re-insert: the last mention decides, in its place
            distinct[found[index]] = _Target(found[index], _reference(target), target.untag)
    return distinct, [failed[index] for index in sorted(failed)]


async def _look_up(ctx: ToolContext, selectors: dict[int, tuple[str, int | str]]) -> dict[int, int | None]:
    """Each selector's Gist id, or None when Gist knows no such contact; at most LOOKUPS_AT_ONCE at a time.

    Any other failure (Gist down, bad key) is raised once every lookup has ended.
    """
    ids: dict[int, int | None] = {}
    errors: list[GistError] = []
    slots = anyio.Semaphore(LOOKUPS_AT_ONCE)

    async def look_up(index: int, selector: tuple[str, int | str]) -> None:
        async with slots:
            try:
                ids[index] = gist_id((await fetch_contact(ctx, selector))["id"])
            except NotFoundError:
                ids[index] = None
            except GistError as error:
                errors.append(error)

    async with anyio.create_task_group() as group:
        for index, selector in selectors.items():
            group.start_soon(look_up, index, selector)
    if errors:
        raise errors[0]
    return ids


def _reference(target: TagTarget) -> dict[str, Any]:
    return target.model_dump(exclude_none=True, exclude_defaults=True)


def _confirm_untag(args: TagContactsInput) -> str | None:
    """The confirmation question when a call untags more than CONFIRM_UNTAG_OVER contacts (last mention wins)."""
    last = {target.selector: target.untag for target in args.contacts}
    untagged = sum(last.values())
    if untagged <= CONFIRM_UNTAG_OVER:
        return None
    return f"Remove the tag {args.tag!r} from {untagged:,} contacts?"


async def tag_contacts(ctx: ToolContext, args: TagContactsInput) -> TagContactsResult:
    distinct, failed = await _resolve(ctx, args.contacts)
    targets = list(distinct.values())
    total = len(targets) + len(failed)
    batches = [targets[i : i + BATCH] for i in range(0, len(targets), BATCH)]
    applied: list[_Target] = []
    tags: list[Tag] = []
    errors: list[GistError] = []
    slots = anyio.Semaphore(PARALLEL_BATCHES)

    async def send(batch: list[_Target]) -> None:
        tags.append(await _post_tag(ctx, {"name": args.tag, "contacts": [target.item() for target in batch]}))
        applied.extend(batch)

    async def run(batch: list[_Target]) -> None:
        async with slots:
            try:
                try:
                    await send(batch)
                except NotFoundError:
                    # Gist refused the batch for a contact it does not know: drop those, send the rest once.
                    ids = await _look_up(ctx, {target.id: ("id", target.id) for target in batch})
                    failed.extend(
                        FailedContact(contact=target.reference, error=f"no contact with id {target.id}")
                        for target in batch
                        if ids[target.id] is None
                    )
                    batch = [target for target in batch if ids[target.id] is not None]
                    if batch:
                        await send(batch)
            except GistError as error:
                if isinstance(error, NotFoundError):
                    # The tag is created on demand, so a 404 here is about the contacts, not the tag.
                    error = error.with_hint(CONTACT_NOT_FOUND_HINT)
                errors.append(error)
                failed.extend(FailedContact(contact=target.reference, error=str(error)) for target in batch)
            await ctx.progress(len(applied) + len(failed), total, f"{len(applied)}/{total} contacts applied")

    async with anyio.create_task_group() as group:
        for batch in batches:
            group.start_soon(run, batch)
    if errors and not applied:
        raise errors[0]
    untagged = sum(1 for target in applied if target.untag)
    return TagContactsResult(
        tag=tags[0] if tags else None, tagged=len(applied) - untagged, untagged=untagged, failed=failed
    )


async def list_tags(ctx: ToolContext, args: Paged) -> BaseModel:
    return await TAGS.fetch(ctx.gist, args)


async def delete_tag(ctx: ToolContext, args: TagIdInput) -> Deleted:
    await ctx.gist.request("DELETE", f"tags/{args.tag_id}")
    return Deleted(id=args.tag_id, type="tag")


TOOLSET = Toolset(
    name="tags",
    description="Tags: create, rename and delete them, and tag or untag contacts in bulk.",
    not_found_hint="Find the tag's id with list_tags.",
    operations=(
        Operation(
            name="create_tag",
            title="Create tag",
            toolset="tags",
            description="Create a tag (an existing name returns that tag); tag_contacts applies it.",
            gist_call='POST /tags {"name"}',
            input=CreateTagInput,
            output=Tag,
            run=create_tag,
            read_only=False,
            destructive=False,
            idempotent=True,
        ),
        Operation(
            name="update_tag",
            title="Rename tag",
            toolset="tags",
            description="Rename a tag; contacts keep it under the new name.",
            gist_call='POST /tags {"id", "name"}',
            input=UpdateTagInput,
            output=Tag,
            run=update_tag,
            read_only=False,
            destructive=False,
            idempotent=True,
        ),
        Operation(
            name="tag_contacts",
            title="Tag or untag contacts",
            toolset="tags",
            description=(
                "Tag contacts (users or leads), or untag those marked untag; a missing tag is created. Each "
                "contact counts once; those not found or refused are in `failed`, the rest applied."
            ),
            gist_call=f'GET /contacts?email= or ?user_id= each, then POST /tags {{"name", "contacts": [{{"id"}}]}} '
            f"per {BATCH} contacts",
            input=TagContactsInput,
            output=TagContactsResult,
            run=tag_contacts,
            read_only=False,
            destructive=False,
            idempotent=True,
            confirm=_confirm_untag,
        ),
        Operation(
            name="list_tags",
            title="List tags",
            toolset="tags",
            description=TAGS.model.describe("List the workspace's tags."),
            gist_call="GET /tags",
            input=Paged,
            output=TAGS.model,
            run=list_tags,
            read_only=True,
            destructive=False,
            idempotent=True,
        ),
        Operation(
            name="delete_tag",
            title="Delete tag",
            toolset="tags",
            description="Delete a tag and remove it from every contact. Cannot be undone.",
            gist_call="DELETE /tags/{id}",
            input=TagIdInput,
            output=Deleted,
            run=delete_tag,
            read_only=False,
            destructive=True,
            idempotent=True,
            confirm=lambda args: (
                f"Delete tag {args.tag_id} and remove it from every contact that has it? This cannot be undone."
            ),
        ),
    ),
)
