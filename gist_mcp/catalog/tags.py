"""Tags: Gist multiplexes create, rename, tag and untag onto one `POST /tags`; the input tells them apart."""

from __future__ import annotations

from typing import Any, ClassVar

import anyio
from pydantic import BaseModel, ConfigDict, Field

from gist_mcp.catalog._listing import Listing
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import ContactRef, Cursor, Deleted, Input, Limit, Tag, unwrap
from gist_mcp.catalog._toolset import Toolset
from gist_mcp.errors import GistError

BATCH = 50
"""Gist times out above about 50 contacts per tag request (gist-api.md §5)."""
PARALLEL_BATCHES = 4

_TAG_ID = Field(description="The tag's id, as returned by list_tags or create_tag.")


class CreateTagInput(Input):
    name: str = Field(min_length=1, description="Tag name (case-sensitive).")


class UpdateTagInput(Input):
    tag_id: int = _TAG_ID
    name: str = Field(min_length=1, description="New name.")


class TagIdInput(Input):
    tag_id: int = _TAG_ID


class ListTagsInput(Input):
    limit: Limit = 50
    cursor: Cursor = None


class TagTarget(ContactRef):
    """A contact to tag, or with `untag: true` to untag."""

    identifier_keys: ClassVar[tuple[str, ...]] = ("id", "user_id", "email")
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1, "maxProperties": 2})
    untag: bool = Field(False, description="True removes the tag from this contact.")


class TagContactsInput(Input):
    tag: str = Field(min_length=1, description="Tag name; created if it does not exist.")
    contacts: list[TagTarget] = Field(
        min_length=1,
        max_length=5000,
        description="Contacts by one of id, user_id or email; `untag: true` removes the tag.",
    )


class FailedBatch(BaseModel):
    contacts: list[dict[str, Any]]
    error: str


class TagContactsResult(BaseModel):
    tag: Tag | None
    tagged: int
    untagged: int
    failed: list[FailedBatch] = Field(description="Batches Gist refused (the others applied).")


TAGS = Listing("tags", Tag)


async def _post_tag(ctx: ToolContext, body: dict[str, Any]) -> Tag:
    response = await ctx.gist.request("POST", "tags", json_body=body)
    return Tag.from_gist(unwrap(response.data, "tag"))


async def create_tag(ctx: ToolContext, args: CreateTagInput) -> Tag:
    return await _post_tag(ctx, {"name": args.name})


async def update_tag(ctx: ToolContext, args: UpdateTagInput) -> Tag:
    return await _post_tag(ctx, {"id": args.tag_id, "name": args.name})


async def tag_contacts(ctx: ToolContext, args: TagContactsInput) -> TagContactsResult:
    targets = [target.model_dump(exclude_none=True, exclude_defaults=True) for target in args.contacts]
    batches = [targets[i : i + BATCH] for i in range(0, len(targets), BATCH)]
    done: list[tuple[Tag, list[dict[str, Any]]]] = []
    failed: list[tuple[list[dict[str, Any]], GistError]] = []
    limiter = anyio.Semaphore(PARALLEL_BATCHES)

    async def run(batch: list[dict[str, Any]]) -> None:
        async with limiter:
            try:
                done.append((await _post_tag(ctx, {"name": args.tag, "contacts": batch}), batch))
            except GistError as error:
                failed.append((batch, error))
            await ctx.progress(
                len(done) + len(failed), len(batches), f"{len(done) + len(failed)}/{len(batches)} batches"
            )

    async with anyio.create_task_group() as group:
        for batch in batches:
            group.start_soon(run, batch)
    if not done:
        raise failed[0][1]
    applied = [item for _, batch in done for item in batch]
    untagged = sum(1 for item in applied if item.get("untag"))
    return TagContactsResult(
        tag=done[0][0],
        tagged=len(applied) - untagged,
        untagged=untagged,
        failed=[FailedBatch(contacts=batch, error=str(error)) for batch, error in failed],
    )


async def list_tags(ctx: ToolContext, args: ListTagsInput) -> BaseModel:
    return await TAGS.fetch(ctx.gist, limit=args.limit, cursor=args.cursor)


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
                "Add a tag to contacts (users or leads), or remove it from those marked `untag: true`; "
                f"the tag is created if missing. Sent in batches of {BATCH}: refused ones are listed in `failed`."
            ),
            gist_call=f'POST /tags {{"name", "contacts": [...]}} per {BATCH} contacts',
            input=TagContactsInput,
            output=TagContactsResult,
            run=tag_contacts,
            read_only=False,
            destructive=False,
            idempotent=True,
        ),
        Operation(
            name="list_tags",
            title="List tags",
            toolset="tags",
            description="List the workspace's tags (id and name).",
            gist_call="GET /tags",
            input=ListTagsInput,
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
        ),
    ),
)
