"""The inbox: list, read, start, reply to, update, tag, delete and count conversations (gist-api.md §7.9).

Gist's SDK splits a conversation update over several endpoints (`PATCH /conversations/{id}` for
title/properties, again for the state, `…/assign`, `…/priority`); `update_conversation` sends one
request per kind of change and says which were applied, also when a later one fails. Message order
in Gist's answer is not documented: `get_conversation` reads the last pages of an oldest-first
listing, or the first pages of a newest-first one, and always returns messages oldest first.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, Field, model_validator

from gist_mcp._http import GistClient
from gist_mcp._json import JSON, JSONObject, as_array, as_object, objects_in
from gist_mcp.catalog import teams
from gist_mcp.catalog._listing import Listing, Paged, fetch_page
from gist_mcp.catalog._operation import Operation, ToolContext
from gist_mcp.catalog._shapes import (
    ContactRef,
    CustomProperties,
    Deleted,
    Input,
    as_int,
    as_text,
    iso,
    optional,
    tag_names,
    unwrap,
)
from gist_mcp.catalog._toolset import IdSource, Resource, Toolset, via
from gist_mcp.catalog.contacts import CONTACT_NOT_FOUND_HINT
from gist_mcp.errors import GistError, GistUsageError, NotFoundError

NOT_FOUND_HINT = "Find conversation ids with list_conversations."
"""The next step after a 404 from this toolset, where the failing step knows no better one."""
ACTOR_HINT = f"{NOT_FOUND_HINT} {teams.NOT_FOUND_HINT}"
"""After a 404 on a call that also names a teammate or team: either id may be the unknown one."""
MAX_MESSAGES = 100
"""Most messages get_conversation returns (the latest ones)."""
DEFAULT_MESSAGES = 20

State = Literal["open", "closed", "snoozed"]
_PRIORITY_TRUE = frozenset({"priority", "prioritized", "high", "true", "1", "yes"})
_PRIORITY_FALSE = frozenset({"not_priority", "not_prioritized", "unprioritized", "normal", "none", "false", "0", "no"})
_CONVERSATION_ID = Field(description="The conversation's id, from list_conversations.")
_TEAMMATE_ID = Field(description="The teammate who acts, from list_teammates.")


def _priority(raw: JSONObject) -> bool | None:
    """Gist's priority flag (field name and value shape are [?]): a boolean or one of the likely strings."""
    for key in ("priority", "is_priority", "prioritized"):
        value = raw.get(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _PRIORITY_TRUE | _PRIORITY_FALSE:
            return value.strip().lower() in _PRIORITY_TRUE
    return None


class Assignee(BaseModel):
    """Who a conversation is assigned to."""

    type: str = Field(description="teammate or team.")
    id: int

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self | None:
        value = raw.get("assignee")
        if isinstance(value, dict):
            assignee_id, kind = as_int(value.get("id")), value.get("type")
        else:
            assignee_id, kind = as_int(value if value is not None else raw.get("assignee_id")), raw.get("assignee_type")
        return None if assignee_id is None else cls(type=str(kind or "teammate"), id=assignee_id)


class Conversation(BaseModel):
    """A conversation with a contact (§6.10)."""

    id: int
    state: str | None
    title: str | None
    contact_id: int | None
    assignee: Assignee | None = Field(description="null when unassigned.")
    tags: list[str]
    custom_properties: dict[str, Any]
    contact_email: str | None = optional()
    contact_name: str | None = optional()
    priority: bool | None = optional()
    created_at: str | None = optional()
    updated_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        return cls(**_conversation_fields(raw))


def _conversation_fields(raw: JSONObject) -> dict[str, Any]:
    contacts = raw.get("contacts")
    contact = raw.get("contact")
    if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict):
        contact = contacts[0]
    person = as_object(contact) or {}
    props = raw.get("custom_properties")
    return {
        "id": as_int(raw.get("id")) or 0,
        "state": as_text(raw.get("state")),
        "title": as_text(raw.get("title")),
        "contact_id": as_int(person.get("id", raw.get("contact_id"))),
        "contact_email": as_text(person.get("email")),
        "contact_name": as_text(person.get("name") or person.get("full_name")),
        "assignee": Assignee.from_gist(raw),
        "priority": _priority(raw),
        "tags": tag_names(raw.get("tags")),
        "custom_properties": props if isinstance(props, dict) else {},
        "created_at": iso(raw.get("created_at")),
        "updated_at": iso(raw.get("updated_at")),
    }


class Message(BaseModel):
    """One message of a conversation."""

    id: int
    body: str | None
    author_type: str | None = Field(description="contact (user/lead) or teammate.")
    author_id: int | None
    author_name: str | None = optional()
    message_type: str | None = optional()
    created_at: str | None = optional()

    @classmethod
    def from_gist(cls, raw: JSONObject) -> Self:
        author = raw.get("author")
        who = as_object(author) or {}
        return cls(
            id=as_int(raw.get("id")) or 0,
            body=as_text(raw.get("body")),
            author_type=as_text(who.get("type") or raw.get("author_type")),
            author_id=as_int(who.get("id", raw.get("author_id"))),
            author_name=as_text(who.get("name")),
            message_type=as_text(raw.get("message_type")),
            created_at=iso(raw.get("created_at")),
        )


class ConversationThread(Conversation):
    """A conversation with its latest messages."""

    messages: list[Message] = Field(description="The latest messages, oldest first.")
    older_messages: bool = Field(description="True when earlier messages exist.")


class UpdatedConversation(Conversation):
    """The conversation after update_conversation, and which changes were applied."""

    applied: list[str] = Field(description="Changes applied, in order: details, state, assignee, priority.")


# Inputs


class ListConversationsInput(Paged):
    state: Literal["open", "closed", "snoozed", "all"] = Field("all", description="Only conversations in this state.")
    order: Literal["asc", "desc"] = Field("desc", description="By last update: desc (newest first) or asc.")


class GetConversationInput(Input):
    conversation_id: int = _CONVERSATION_ID
    messages: int = Field(
        DEFAULT_MESSAGES,
        ge=0,
        le=MAX_MESSAGES,
        description="How many of the latest messages to include.",
    )


class CreateConversationInput(Input):
    contact: ContactRef = Field(description="Who writes in: exactly one of id (Gist's), user_id or email.")
    body: str = Field(min_length=1, description="The contact's first message.")
    title: str | None = Field(None, description="Subject.")
    custom_properties: CustomProperties = None


class ReplyInput(Input):
    conversation_id: int = _CONVERSATION_ID
    body: str = Field(min_length=1, description="The reply the contact receives.")
    teammate_id: int = Field(description="The teammate who replies, from list_teammates.")


class AssigneeRef(Input):
    """A teammate or a team (at most one of the two keys non-null); neither unassigns."""

    teammate_id: int | None = Field(None, description="Assign to this teammate (list_teammates).")
    team_id: int | None = Field(None, description="Assign to this team (list_teams).")

    @model_validator(mode="after")
    def _at_most_one(self) -> Self:
        if self.teammate_id is not None and self.team_id is not None:
            raise ValueError("give one of teammate_id or team_id, not both (both null unassigns)")
        return self


class UpdateConversationInput(Input):
    null_means: ClassVar[frozenset[str]] = frozenset({"assignee"})
    conversation_id: int = _CONVERSATION_ID
    title: str | None = Field(None, description="New subject.")
    custom_properties: CustomProperties = None
    state: State | None = Field(None, description="open, closed or snoozed.")
    priority: bool | None = Field(None, description="Mark (true) or unmark (false) as priority.")
    assignee: AssigneeRef | None = Field(
        None,
        description=(
            '{"teammate_id": N} or {"team_id": N}; both keys null unassigns (so does null, in a call that omits '
            "some argument)."
        ),
    )
    teammate_id: int | None = Field(None, description="The teammate who acts; required with state, priority, assignee.")

    @model_validator(mode="after")
    def _check(self) -> Self:
        acts = [name for name in ("state", "priority", "assignee") if name in self.model_fields_set]
        acts = [name for name in acts if name == "assignee" or getattr(self, name) is not None]
        if acts and self.teammate_id is None:
            raise ValueError(f"teammate_id is required with {', '.join(acts)} (find ids with list_teammates)")
        if not acts and self.title is None and self.custom_properties is None:
            raise ValueError("nothing to change: give title, custom_properties, state, priority or assignee")
        return self


class TagConversationInput(Input):
    conversation_id: int = _CONVERSATION_ID
    tag: str = Field(min_length=1, description="Tag name.")
    untag: bool = Field(False, description="True removes the tag instead.")
    message_id: int | None = Field(None, description="The message (default: the latest).")


class ConversationIdInput(Input):
    conversation_id: int = _CONVERSATION_ID


class CountInput(Input):
    by: Literal["total", "team", "teammate"] = Field("total", description="Totals, or per team, or per teammate.")


class TagConversationResult(BaseModel):
    conversation_id: int
    message_id: int
    tag: str
    untagged: bool = Field(description="True when the tag was removed, false when added.")


class CountGroup(BaseModel):
    """Conversations assigned to one team or teammate."""

    id: int | None
    name: str | None
    conversations: int | None
    by_state: dict[str, int] | None = optional()


class ConversationCounts(BaseModel):
    by: str
    conversations: int | None = optional("Total (by=total).")
    by_state: dict[str, int] | None = optional("Per state, when Gist gives it (by=total).")
    groups: list[CountGroup] | None = optional("Per team or teammate (by=team / by=teammate).")


CONVERSATIONS = Listing("conversations", Conversation)


# Runs


def _path(conversation_id: int, tail: str = "") -> str:
    return f"conversations/{conversation_id}{tail}"


async def list_conversations(ctx: ToolContext, args: ListConversationsInput) -> BaseModel:
    params = {"state": args.state, "order": args.order, "order_by": "updated_at"}
    return await CONVERSATIONS.fetch(ctx.gist, args, params=params, narrow="narrow with state")


async def latest_messages(gist: GistClient, conversation_id: int, count: int) -> tuple[list[dict[str, Any]], bool]:
    """The latest `count` messages, oldest first, and whether older ones exist; reads only the pages needed.

    Gist pages messages like every list; whether page 1 holds the oldest or the newest messages is
    undocumented, so the order of page 1 decides which end to read from.
    """
    path, key = _path(conversation_id, "/messages"), "messages"
    first, next_page, last_page = await fetch_page(gist, path, key, 1)
    pages = {1: first}
    if next_page is not None and _newest_first(first):
        number: int | None = next_page
        while number is not None and sum(map(len, pages.values())) < count:
            pages[number], number, _ = await fetch_page(gist, path, key, number)
        ordered = [m for n in sorted(pages, reverse=True) for m in reversed(pages[n])]
        return ordered[-count:] if count else [], len(ordered) > count or number is not None
    if next_page is not None and last_page is not None:
        number = last_page
        while number > 1 and sum(len(pages[n]) for n in pages if n > 1) < count:
            pages[number] = (await fetch_page(gist, path, key, number))[0]
            number -= 1
        unread = any(n not in pages for n in range(2, last_page))
    else:  # no last page named: walk forward to the end
        number = next_page
        while number is not None:
            pages[number], number, _ = await fetch_page(gist, path, key, number)
        unread = False
    ordered = [m for n in sorted(pages) for m in pages[n]]
    return ordered[-count:] if count else [], len(ordered) > count or unread


def _newest_first(items: list[dict[str, Any]]) -> bool:
    """Whether a page lists its messages newest first (by their times; undecidable counts as oldest first)."""
    times = [iso(item.get("created_at")) for item in (items[0], items[-1])] if items else []
    return len(times) == 2 and None not in times and str(times[0]) > str(times[1])


async def get_conversation(ctx: ToolContext, args: GetConversationInput) -> ConversationThread:
    response = await ctx.gist.request("GET", _path(args.conversation_id))
    conversation = _conversation_fields(unwrap(response.data, "conversation"))
    raws, older = await latest_messages(ctx.gist, args.conversation_id, args.messages)
    if args.messages == 0:
        older = bool(raws) or older
    messages = [Message.from_gist(raw) for raw in raws]
    return ConversationThread(**conversation, messages=messages, older_messages=older)


async def create_conversation(ctx: ToolContext, args: CreateConversationInput) -> Conversation:
    key, value = args.contact.selector
    body: dict[str, Any] = {"from": {key: value}, "body": args.body}
    if args.title is not None:
        body["title"] = args.title
    if args.custom_properties is not None:
        body["custom_properties"] = args.custom_properties
    try:
        response = await ctx.gist.request("POST", "conversations", json_body=body)
    except NotFoundError as error:
        raise error.with_hint(CONTACT_NOT_FOUND_HINT) from None
    return Conversation.from_gist(unwrap(response.data, "conversation"))


async def reply_to_conversation(ctx: ToolContext, args: ReplyInput) -> Message:
    body = {"message_type": "reply", "from": {"type": "teammate", "teammate_id": args.teammate_id}, "body": args.body}
    try:
        response = await ctx.gist.request("POST", _path(args.conversation_id, "/messages"), json_body=body)
    except NotFoundError as error:
        raise error.with_hint(ACTOR_HINT) from None
    return Message.from_gist(unwrap(response.data, "message"))


def _update_steps(args: UpdateConversationInput) -> list[tuple[str, str, dict[str, Any]]]:
    """(change, path tail, body) of each request update_conversation sends, in order."""
    steps: list[tuple[str, str, dict[str, Any]]] = []
    details = {key: getattr(args, key) for key in ("title", "custom_properties") if getattr(args, key) is not None}
    if details:
        steps.append(("details", "", details))
    actor = {"teammate_id": args.teammate_id}
    if args.state is not None:
        steps.append(("state", "", {"state": args.state, **actor}))
    if "assignee" in args.model_fields_set:
        target = args.assignee
        if target is None or (target.teammate_id is None and target.team_id is None):
            steps.append(("assignee", "/assign", {**actor, "assignee_id": None}))
        elif target.teammate_id is not None:
            steps.append(
                ("assignee", "/assign", {**actor, "assignee_id": target.teammate_id, "assignee_type": "teammate"})
            )
        else:
            steps.append(("assignee", "/assign", {**actor, "assignee_id": target.team_id, "assignee_type": "team"}))
    if args.priority is not None:
        steps.append(("priority", "/priority", {**actor, "priority": "priority" if args.priority else "not_priority"}))
    return steps


class PartialUpdateError(GistError):
    """update_conversation failed after some of its changes were applied."""


async def update_conversation(ctx: ToolContext, args: UpdateConversationInput) -> UpdatedConversation:
    applied: list[str] = []
    latest: dict[str, Any] = {}
    steps = _update_steps(args)
    for change, tail, body in steps:
        try:
            response = await ctx.gist.request("PATCH", _path(args.conversation_id, tail), json_body=body)
        except GistError as failure:
            error = (
                failure.with_hint(ACTOR_HINT) if isinstance(failure, NotFoundError) and change != "details" else failure
            )
            if not applied:
                raise error from None
            remaining = [name for name, _, _ in steps[len(applied) :]]
            raise PartialUpdateError(
                f"{error} | update_conversation stopped: already applied {', '.join(applied)}; "
                f"not applied {', '.join(remaining)}. Check with get_conversation, then repeat only what is missing."
            ) from None
        applied.append(change)
        latest = unwrap(response.data, "conversation")
    if as_int(latest.get("id")) is None:  # an answer without the conversation: read it back
        latest = unwrap((await ctx.gist.request("GET", _path(args.conversation_id))).data, "conversation")
    return UpdatedConversation(**_conversation_fields(latest), applied=applied)


async def tag_conversation(ctx: ToolContext, args: TagConversationInput) -> TagConversationResult:
    message_id = args.message_id
    if message_id is None:
        latest, _ = await latest_messages(ctx.gist, args.conversation_id, 1)
        message_id = as_int(latest[-1].get("id")) if latest else None
        if message_id is None:
            raise GistUsageError(f"Conversation {args.conversation_id} has no messages to tag; nothing was changed.")
    path = _path(args.conversation_id, "/tags")
    if not args.untag:
        await ctx.gist.request("POST", path, json_body={"message_id": message_id, "tags": args.tag})
    else:
        response = await ctx.gist.request("GET", _path(args.conversation_id))
        found = unwrap(response.data, "conversation").get("tags")
        tags = [t for t in found if isinstance(t, dict)] if isinstance(found, list) else []
        tag_id = next((as_int(t.get("id")) for t in tags if t.get("name") == args.tag), None)
        if tag_id is None:
            names = ", ".join(str(t.get("name")) for t in tags) or "none"
            raise GistUsageError(
                f"Conversation {args.conversation_id} has no tag {args.tag!r} (its tags: {names}); nothing was changed."
            )
        await ctx.gist.request("DELETE", path, json_body={"message_id": message_id, "tag_id": tag_id})
    return TagConversationResult(
        conversation_id=args.conversation_id, message_id=message_id, tag=args.tag, untagged=args.untag
    )


async def delete_conversation(ctx: ToolContext, args: ConversationIdInput) -> Deleted:
    await ctx.gist.request("DELETE", _path(args.conversation_id))
    return Deleted(id=args.conversation_id, type="conversation")


def _state_counts(value: JSON) -> tuple[int | None, dict[str, int] | None]:
    """A `conversation_count`: a number, or an object of counts per state (with or without a total)."""
    if isinstance(value, dict):
        counts = {str(k): n for k, v in value.items() if (n := as_int(v)) is not None}
        total = counts.pop("total", None)
        total = counts.pop("all", total)
        return (sum(counts.values()) if total is None else total), counts
    return as_int(value), None


COUNT_PATHS = {
    "total": "conversations/count",
    "team": "conversations/count/teams",
    "teammate": "conversations/count/teammates",
}


async def count_conversations(ctx: ToolContext, args: CountInput) -> ConversationCounts:
    response = await ctx.gist.request("GET", COUNT_PATHS[args.by])
    data = as_object(response.data) or {}
    if args.by == "total":
        total, by_state = _state_counts(data.get("conversation_count", data.get("count")))
        return ConversationCounts(by=args.by, conversations=total, by_state=by_state)
    arrays = (as_array(data.get(k)) for k in (f"{args.by}s", "conversation_count", "counts"))
    listed = next((found for found in arrays if found is not None), None) or []
    groups: list[CountGroup] = []
    for item in objects_in(listed):
        total, by_state = _state_counts(item.get("conversation_count", item.get("count")))
        group_id = as_int(item.get("id", item.get(f"{args.by}_id")))
        groups.append(CountGroup(id=group_id, name=as_text(item.get("name")), conversations=total, by_state=by_state))
    return ConversationCounts(by=args.by, groups=groups)


LIST_CONVERSATIONS = Operation(
    name="list_conversations",
    title="List conversations",
    toolset="conversations",
    description=CONVERSATIONS.model.describe("List inbox conversations, most recently updated first."),
    gist_call="GET /conversations (order_by updated_at)",
    input=ListConversationsInput,
    output=CONVERSATIONS.model,
    run=list_conversations,
    read_only=True,
    destructive=False,
    idempotent=True,
)

GET_CONVERSATION = Operation(
    name="get_conversation",
    title="Get conversation",
    toolset="conversations",
    description="Get one conversation with its latest messages (oldest first), to read a thread in one call.",
    gist_call="GET /conversations/{id}, GET /conversations/{id}/messages",
    input=GetConversationInput,
    output=ConversationThread,
    run=get_conversation,
    read_only=True,
    destructive=False,
    idempotent=True,
)

CREATE_CONVERSATION = Operation(
    name="create_conversation",
    title="Create conversation",
    toolset="conversations",
    description="Start a conversation as a contact (the contact's first message); it opens unassigned.",
    gist_call="POST /conversations",
    input=CreateConversationInput,
    output=Conversation,
    run=create_conversation,
    read_only=False,
    destructive=False,
    idempotent=False,
)

REPLY_TO_CONVERSATION = Operation(
    name="reply_to_conversation",
    title="Reply to conversation",
    toolset="conversations",
    description="Reply to a conversation as a teammate; the contact receives it.",
    gist_call="POST /conversations/{id}/messages (message_type reply)",
    input=ReplyInput,
    output=Message,
    run=reply_to_conversation,
    read_only=False,
    destructive=False,
    idempotent=False,
)

UPDATE_CONVERSATION = Operation(
    name="update_conversation",
    title="Update conversation",
    toolset="conversations",
    description=(
        "Change a conversation. One Gist request per kind of change; `applied` lists those done, and an "
        "error says which were applied before it."
    ),
    gist_call="PATCH /conversations/{id}, PATCH …/assign, PATCH …/priority",
    input=UpdateConversationInput,
    output=UpdatedConversation,
    run=update_conversation,
    read_only=False,
    destructive=False,
    idempotent=True,
)

TAG_CONVERSATION = Operation(
    name="tag_conversation",
    title="Tag conversation",
    toolset="conversations",
    description=("Tag a conversation's message, or untag it; tagging creates a missing tag."),
    gist_call="POST / DELETE /conversations/{id}/tags",
    input=TagConversationInput,
    output=TagConversationResult,
    run=tag_conversation,
    read_only=False,
    destructive=False,
    idempotent=True,
)

DELETE_CONVERSATION = Operation(
    name="delete_conversation",
    title="Delete conversation",
    toolset="conversations",
    description="Delete a conversation and its messages. Cannot be undone.",
    gist_call="DELETE /conversations/{id}",
    input=ConversationIdInput,
    confirm=lambda args: (
        f"Permanently delete conversation {args.conversation_id} and all its messages? This cannot be undone."
    ),
    output=Deleted,
    run=delete_conversation,
    read_only=False,
    destructive=True,
    idempotent=True,
)

COUNT_CONVERSATIONS = Operation(
    name="count_conversations",
    title="Count conversations",
    toolset="conversations",
    description="Count conversations in total and per state, or per team or teammate they are assigned to.",
    gist_call="GET /conversations/count[/teams|/teammates]",
    input=CountInput,
    output=ConversationCounts,
    run=count_conversations,
    read_only=True,
    destructive=False,
    idempotent=True,
)


TOOLSET = Toolset(
    name="conversations",
    description="The inbox: list, read, start, reply to, update, tag, count and delete conversations.",
    not_found_hint=NOT_FOUND_HINT,
    operations=(
        LIST_CONVERSATIONS,
        GET_CONVERSATION,
        CREATE_CONVERSATION,
        REPLY_TO_CONVERSATION,
        UPDATE_CONVERSATION,
        TAG_CONVERSATION,
        DELETE_CONVERSATION,
        COUNT_CONVERSATIONS,
    ),
    resources=(
        Resource(
            uri="gist://conversations/{conversation_id}",
            name="conversation",
            title="Conversation",
            description=f"One conversation with its latest {DEFAULT_MESSAGES} messages, oldest first.",
            read=via(GET_CONVERSATION),
            # Completions offer the most recently updated conversations; a workspace has thousands.
            ids=IdSource(operation=LIST_CONVERSATIONS, plural="conversations", limit=100, listed=False),
        ),
    ),
)
