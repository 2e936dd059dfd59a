"""The HTTP routes of Gist's inbox: conversations, messages, teams and teammates (gist-api.md §7.8, §7.9).

Paths and bodies are the official SDK's [D]; every body is checked strictly (400 on an unknown key,
a missing required field or a wrong type, in the §4 envelope) and unknown ids are 404 ``not_found``.
Where the reference is unsure the emulator accepts every plausible alternative it lists:

* ``PATCH …/priority`` ``priority`` value [?]: `PRIORITY_VALUES` (booleans and the likely strings).
* ``POST …/tags`` ``tags``: one name (the SDK) or a list of names.
* ``POST …/messages`` ``message_type``: ``reply`` (the SDK) or ``note`` (the SDK's "reply/note").
* ``GET /conversations`` ``order_by``: ``updated_at`` (the SDK) or ``created_at``.

Shapes that are OURS because nothing shows them: a conversation's ``contacts`` entries (compact
contacts), ``assignee`` ``{"id", "type"}``, ``priority`` as the strings ``"priority"`` /
``"not_priority"`` (the SDK's request values), a message's ``author`` object, and the count
answers (``{"conversation_count": {<state>: n}}``; per team / teammate a list of objects each with
``conversation_count``). Messages are listed oldest first. Writes report conversation webhooks
(see `webhooks`): started, teammate replied, opened, closed and assigned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import serialize
from .errors import invalid, missing
from .inbox_state import STATES, AssigneeType, Inbox, MessageType, Record
from .inputs import REF_FIELDS, RefField, checked_keys, first_ref, gist_id, json_dict, json_object, query_choice, text
from .pagination import Paging, paginate
from .routes import route
from .state import Store
from .webhooks import Notify, Topic

PRIORITY_VALUES: dict[Any, bool] = {
    True: True,
    False: False,
    "priority": True,
    "not_priority": False,
    "prioritized": True,
    "not_prioritized": False,
    "high": True,
    "normal": False,
}
"""Accepted ``priority`` values of ``PATCH …/priority`` (the value shape is [?] in §7.9)."""

STATE_TOPICS: dict[str, Topic] = {"open": "conversation.opened", "closed": "conversation.closed"}
"""Webhooks for a state change (Gist's topic list has "Conversation opened/closed", no snooze topic)."""
ASSIGNEE_TYPES: dict[str, AssigneeType] = {"teammate": "teammate", "team": "team"}
MESSAGE_TYPES: dict[str, MessageType] = {"reply": "reply", "note": "note"}

START_FIELDS = ("from", "body", "title", "custom_properties")
UPDATE_FIELDS = ("title", "custom_properties", "state", "teammate_id")
REPLY_FIELDS = ("message_type", "from", "body")
ASSIGN_FIELDS = ("teammate_id", "assignee_id", "assignee_type")
PRIORITY_FIELDS = ("teammate_id", "priority")
TAG_FIELDS = ("message_id", "tags")
UNTAG_FIELDS = ("message_id", "tag_id")


class InboxApi:
    """Route handlers for the inbox, bound to one store, webhook notifier and the emulator's paging."""

    def __init__(self, store: Store, notify: Notify, paging: Paging) -> None:
        self.store = store
        self.inbox: Inbox = store.inbox
        self.notify = notify
        self.paging = paging

    def routes(self) -> list[Route]:
        """The inbox routes (``count`` paths before ``{id}``: an int converter never matches them anyway)."""
        c = "/conversations/{conversation_id:int}"
        return [
            route("/conversations", GET=self.list_conversations, POST=self.start_conversation),
            route("/conversations/count", GET=self.count_total),
            route("/conversations/count/teams", GET=self.count_teams),
            route("/conversations/count/teammates", GET=self.count_teammates),
            route(c, GET=self.get_conversation, PATCH=self.update_conversation, DELETE=self.delete_conversation),
            route(f"{c}/messages", GET=self.list_messages, POST=self.reply),
            route(f"{c}/assign", PATCH=self.assign),
            route(f"{c}/priority", PATCH=self.prioritise),
            route(f"{c}/tags", POST=self.tag, DELETE=self.untag),
            route("/teams", GET=self.list_teams),
            route("/teams/{team_id:int}", GET=self.get_team),
            route("/teammates", GET=self.list_teammates),
            route("/teammates/{teammate_id:int}", GET=self.get_teammate),
        ]

    # Rendering

    def _page(self, request: Request, items: list[Record], plural: str, render: Callable[[Record], Any]) -> Response:
        return JSONResponse(paginate(request, items, plural, render, self.paging))

    def _contact_of(self, conversation: Record) -> Record:
        """The conversation's contact as the API serializes it, or just its id once the contact is deleted."""
        contact = self.store.contacts.get(conversation["contact_id"])
        return {"id": conversation["contact_id"]} if contact is None else serialize.contact(self.store, contact)

    def conversation_json(self, conversation: Record) -> Record:
        """A conversation (§6.10; see the module docstring for the fields that are ours)."""
        contact = self._contact_of(conversation)
        return {
            "id": conversation["id"],
            "created_at": conversation["created_at"],
            "updated_at": conversation["updated_at"],
            "state": conversation["state"],
            "title": conversation["title"],
            "custom_properties": dict(conversation["custom_properties"]),
            "contacts": [{key: contact.get(key) for key in ("id", "type", "name", "email", "user_id")}],
            "assignee": None if conversation["assignee"] is None else dict(conversation["assignee"]),
            "priority": "priority" if conversation["priority"] else "not_priority",
            "tags": [serialize.tag(self.store.tags[t]) for t in self.inbox.tag_ids_of(conversation)],
        }

    def message_json(self, message: Record) -> Record:
        """A message (§6.10 [C weak]): its author as ``{"id", "type", "name", "email"}``."""
        if message["author_type"] == "teammate":
            author = self.inbox.teammates.get(message["author_id"], {})
        else:
            author = self.store.contacts.get(message["author_id"], {})
        return {
            "id": message["id"],
            "conversation_id": message["conversation_id"],
            "message_type": message["message_type"],
            "body": message["body"],
            "created_at": message["created_at"],
            "author": {
                "id": message["author_id"],
                "type": message["author_type"],
                "name": author.get("name"),
                "email": author.get("email"),
            },
            "tags": [serialize.tag(self.store.tags[t]) for t in message["tag_ids"] if t in self.store.tags],
        }

    def _answer(self, conversation: Record) -> Response:
        return JSONResponse({"conversation": self.conversation_json(conversation)})

    def _conversation(self, request: Request) -> Record:
        return self.inbox.conversation(request.path_params["conversation_id"])

    # Conversations

    async def list_conversations(self, request: Request) -> Response:
        """``GET /conversations?state=&order=&order_by=`` (§7.9; ``state`` default ``all``)."""
        state = query_choice(request, "state", ("all", *STATES), "all")
        order_by = query_choice(request, "order_by", ("updated_at", "created_at"), "updated_at")
        descending = query_choice(request, "order", ("asc", "desc"), "desc") == "desc"
        found = self.inbox.list_conversations(state, order_by, descending)
        return self._page(request, found, "conversations", self.conversation_json)

    async def get_conversation(self, request: Request) -> Response:
        """``GET /conversations/{id}``."""
        return self._answer(self._conversation(request))

    async def start_conversation(self, request: Request) -> Response:
        """``POST /conversations``: ``from`` names the contact by exactly one of id, user_id or email."""
        body = await json_object(request, START_FIELDS)
        sender = checked_keys(json_dict(body.get("from"), "from"), REF_FIELDS, "from")
        given: list[RefField] = [key for key in REF_FIELDS if sender.get(key) not in (None, "")]
        if len(given) != 1:
            raise invalid("from must have exactly one of id, user_id or email")
        contact = self.store.get(first_ref(sender, "from"), " (from)")
        conversation = self.inbox.start(
            contact,
            _message_body(body),
            _optional_text(body, "title"),
            json_dict(body.get("custom_properties", {}), "custom_properties"),
        )
        await self._notify("conversation.started", conversation)
        return self._answer(conversation)

    async def update_conversation(self, request: Request) -> Response:
        """``PATCH /conversations/{id}``: ``{title, custom_properties}`` or ``{state, teammate_id}``, not both."""
        conversation = self._conversation(request)
        body = await json_object(request, UPDATE_FIELDS)
        changes: Record = {}
        if "state" in body:
            if body["state"] in (None, ""):
                raise missing("state must not be empty")
            changes["state"] = _choice(body["state"], "state", STATES)
            if "teammate_id" not in body:
                raise missing("teammate_id is required with state (the teammate who changes it)")
            changes["teammate_id"] = gist_id(body["teammate_id"], "teammate_id")
            if "title" in body or "custom_properties" in body:
                raise invalid("send title/custom_properties or state with teammate_id, in separate requests")
        elif "teammate_id" in body:
            raise invalid("teammate_id goes with state only")
        if "title" in body:
            changes["title"] = _optional_text(body, "title")
        if "custom_properties" in body:
            changes["custom_properties"] = json_dict(body["custom_properties"], "custom_properties")
        if not changes:
            raise missing("nothing to update: send title, custom_properties, or state with teammate_id")
        previous = conversation["state"]
        self.inbox.update(conversation, changes)
        topic = STATE_TOPICS.get(conversation["state"])
        if conversation["state"] != previous and topic is not None:
            await self._notify(topic, conversation)
        return self._answer(conversation)

    async def delete_conversation(self, request: Request) -> Response:
        """``DELETE /conversations/{id}``: answers the deleted conversation (§7.9)."""
        conversation = self._conversation(request)
        answer = self.conversation_json(conversation)
        self.inbox.delete(conversation)
        return JSONResponse({"conversation": answer})

    async def assign(self, request: Request) -> Response:
        """``PATCH …/assign``: ``teammate_id`` acts; ``assignee_id`` (null unassigns) of ``assignee_type``."""
        conversation = self._conversation(request)
        body = await json_object(request, ASSIGN_FIELDS)
        teammate_id = _required_id(body, "teammate_id")
        if "assignee_id" not in body:
            raise missing("assignee_id is required (null unassigns)")
        assignee_id = None if body["assignee_id"] is None else gist_id(body["assignee_id"], "assignee_id")
        assignee_type: AssigneeType = "teammate"
        if assignee_id is not None:
            if "assignee_type" not in body:
                raise missing("assignee_type (teammate or team) is required with assignee_id")
            assignee_type = ASSIGNEE_TYPES[_choice(body["assignee_type"], "assignee_type", tuple(ASSIGNEE_TYPES))]
        self.inbox.assign(conversation, teammate_id, assignee_id, assignee_type)
        if assignee_id is not None:
            await self._notify("conversation.assigned", conversation)
        return self._answer(conversation)

    async def prioritise(self, request: Request) -> Response:
        """``PATCH …/priority``: ``teammate_id`` and ``priority`` (any of `PRIORITY_VALUES`)."""
        conversation = self._conversation(request)
        body = await json_object(request, PRIORITY_FIELDS)
        teammate_id = _required_id(body, "teammate_id")
        if "priority" not in body:
            raise missing("priority is required")
        value = body["priority"]
        if not isinstance(value, bool | str) or value not in PRIORITY_VALUES:
            raise invalid(f"priority must be one of {', '.join(map(str, PRIORITY_VALUES))}, got {value!r}")
        self.inbox.prioritise(conversation, teammate_id, PRIORITY_VALUES[value])
        return self._answer(conversation)

    async def tag(self, request: Request) -> Response:
        """``POST …/tags``: tag message ``message_id`` with ``tags`` (a name, or a list of names)."""
        conversation = self._conversation(request)
        body = await json_object(request, TAG_FIELDS)
        message_id = _required_id(body, "message_id")
        given = body.get("tags")
        names = [given] if isinstance(given, str) else given
        tags = [n for n in names if isinstance(n, str) and n] if isinstance(names, list) else []
        if not tags or not isinstance(names, list) or len(tags) != len(names):
            raise invalid(f"tags must be a tag name or a list of tag names, got {names!r}")
        self.inbox.tag(conversation, message_id, tags)
        return self._answer(conversation)

    async def untag(self, request: Request) -> Response:
        """``DELETE …/tags``: take tag ``tag_id`` off message ``message_id``."""
        conversation = self._conversation(request)
        body = await json_object(request, UNTAG_FIELDS)
        self.inbox.untag(conversation, _required_id(body, "message_id"), _required_id(body, "tag_id"))
        return self._answer(conversation)

    # Messages

    async def list_messages(self, request: Request) -> Response:
        """``GET …/messages``: oldest first, paged like every list."""
        messages = self.inbox.messages_of(self._conversation(request))
        return self._page(request, messages, "messages", self.message_json)

    async def reply(self, request: Request) -> Response:
        """``POST …/messages``: ``{"message_type": "reply", "from": {"type": "teammate", "teammate_id"}, "body"}``."""
        conversation = self._conversation(request)
        body = await json_object(request, REPLY_FIELDS)
        message_type = _choice(body.get("message_type"), "message_type", tuple(MESSAGE_TYPES))
        sender = checked_keys(json_dict(body.get("from"), "from"), ("type", "teammate_id"), "from")
        if sender.get("type") != "teammate":
            raise invalid(f"from.type must be 'teammate', got {sender.get('type')!r}")
        teammate_id = _required_id(sender, "teammate_id", "from.teammate_id")
        teammate = self.inbox.teammate(teammate_id, "from.teammate_id")
        message = self.inbox.add_message(
            conversation, _message_body(body), MESSAGE_TYPES[message_type], "teammate", teammate["id"]
        )
        answer = self.message_json(message)
        if message_type == "reply":
            await self._notify("conversation.teammate_replied", conversation, message=answer)
        return JSONResponse({"message": answer})

    # Counts

    async def count_total(self, request: Request) -> Response:
        """``GET /conversations/count``: ``{"conversation_count": {<state>: n}}``."""
        return JSONResponse({"conversation_count": self.inbox.counts(self.inbox.conversations.values())})

    async def count_teams(self, request: Request) -> Response:
        """``GET /conversations/count/teams``: per team, the conversations assigned to it."""
        return JSONResponse({"teams": self._counts("team", self.inbox.teams)})

    async def count_teammates(self, request: Request) -> Response:
        """``GET /conversations/count/teammates``: per teammate, the conversations assigned to them."""
        return JSONResponse({"teammates": self._counts("teammate", self.inbox.teammates)})

    def _counts(self, kind: AssigneeType, table: dict[int, Record]) -> list[Record]:
        conversations = list(self.inbox.conversations.values())
        return [
            {
                "id": owner_id,
                "name": table[owner_id]["name"],
                "conversation_count": self.inbox.counts(
                    c for c in conversations if c["assignee"] == {"id": owner_id, "type": kind}
                ),
            }
            for owner_id in sorted(table)
        ]

    # Teams and teammates (§7.8, read-only)

    async def list_teams(self, request: Request) -> Response:
        """``GET /teams``, by id."""
        return self._page(request, [self.inbox.teams[i] for i in sorted(self.inbox.teams)], "teams", _copy)

    async def get_team(self, request: Request) -> Response:
        """``GET /teams/{id}``."""
        return JSONResponse({"team": _copy(self.inbox.team(request.path_params["team_id"]))})

    async def list_teammates(self, request: Request) -> Response:
        """``GET /teammates``, by id."""
        teammates = [self.inbox.teammates[i] for i in sorted(self.inbox.teammates)]
        return self._page(request, teammates, "teammates", _copy)

    async def get_teammate(self, request: Request) -> Response:
        """``GET /teammates/{id}``."""
        return JSONResponse({"teammate": _copy(self.inbox.teammate(request.path_params["teammate_id"], "path"))})

    async def _notify(self, topic: Topic, conversation: Record, message: Record | None = None) -> None:
        await self.notify(
            topic, self._contact_of(conversation), conversation=self.conversation_json(conversation), message=message
        )


def _copy(record: Record) -> Record:
    """A team or teammate: its record as is (§6.8, §6.9 fields), lists copied."""
    return {key: value[:] if isinstance(value, list) else value for key, value in record.items()}


def _message_body(body: Record) -> str:
    """The required, non-empty ``body`` of a conversation or reply."""
    if body.get("body") in (None, ""):
        raise missing("body is required and must not be empty")
    return text(body["body"], "body")


def _optional_text(body: Record, name: str) -> str | None:
    value = body.get(name)
    return None if value is None else text(value, name)


def _required_id(body: Record, name: str, where: str | None = None) -> int:
    if body.get(name) is None:
        raise missing(f"{where or name} is required")
    return gist_id(body[name], where or name)


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise invalid(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value
