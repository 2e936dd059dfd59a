"""The emulated inbox: teams, teammates, conversations and their messages (gist-api.md §6.8 to §6.10, §7.8, §7.9).

Records are plain dicts, so tests can read them directly (``emulator.store.inbox``):

* team: ``id, name, emoji, teammate_ids (list[int]), created_at`` (§6.8).
* teammate: ``id, name, email, avatar, agent_status, last_active_on, away_mode_enabled, team_ids
  (list[int]), has_inbox_seat`` (§6.9).
* conversation: ``id, contact_id, state ("open" | "closed" | "snoozed"), title, custom_properties,
  assignee (None or {"id", "type": "teammate" | "team"}), priority (bool), created_at, updated_at``.
* message: ``id, conversation_id, body, message_type ("initial" | "reply" | "note"), author_type ("contact" |
  "teammate"), author_id, created_at, tag_ids (list[int])``; a conversation's tags are the union of
  its messages' tags (§7.9 tags a conversation *message*).

Rules that are ours where the reference is silent: a conversation or reply by an unknown contact,
teammate or team is a 404; a new conversation starts ``open`` and unassigned; every change moves
``updated_at``; deleting a conversation deletes its messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, get_args

from .errors import not_found

if TYPE_CHECKING:
    from .state import Store

Record = dict[str, Any]

State = Literal["open", "closed", "snoozed"]
STATES: tuple[State, ...] = get_args(State)
AssigneeType = Literal["teammate", "team"]
MessageType = Literal["initial", "reply", "note"]

ID_BASES = {"team": 41, "teammate": 501, "conversation": 9001, "message": 200001}
"""First id of each inbox kind in an empty workspace (our choice; nothing in §6 gives ranges)."""


class Inbox:
    """The inbox tables of one workspace and the rules of the §7.9 writes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.teams: dict[int, Record] = {}
        self.teammates: dict[int, Record] = {}
        self.conversations: dict[int, Record] = {}
        self.messages: dict[int, Record] = {}
        self._issued = {kind: base - 1 for kind, base in ID_BASES.items()}

    def clear(self) -> None:
        """Empty the inbox in place and restart its ids."""
        for table in (self.teams, self.teammates, self.conversations, self.messages):
            table.clear()
        self._issued = {kind: base - 1 for kind, base in ID_BASES.items()}

    def _take_id(self, kind: str) -> int:
        self._issued[kind] += 1
        return self._issued[kind]

    # Lookups (404 ``not_found`` when unknown)

    def conversation(self, conversation_id: int) -> Record:
        """The conversation `conversation_id`."""
        if conversation_id not in self.conversations:
            raise not_found(f"no conversation with id {conversation_id}")
        return self.conversations[conversation_id]

    def teammate(self, teammate_id: int, where: str = "teammate_id") -> Record:
        """The teammate `teammate_id` (`where` names the field in the error)."""
        if teammate_id not in self.teammates:
            raise not_found(f"no teammate with id {teammate_id} ({where})")
        return self.teammates[teammate_id]

    def team(self, team_id: int) -> Record:
        """The team `team_id`."""
        if team_id not in self.teams:
            raise not_found(f"no team with id {team_id}")
        return self.teams[team_id]

    def messages_of(self, conversation: Record) -> list[Record]:
        """The conversation's messages, oldest first (ties by id)."""
        found = [m for m in self.messages.values() if m["conversation_id"] == conversation["id"]]
        return sorted(found, key=lambda m: (m["created_at"], m["id"]))

    def tag_ids_of(self, conversation: Record) -> list[int]:
        """The ids of the tags on any of the conversation's messages, in first-tagged order."""
        seen: dict[int, None] = {}
        for message in self.messages_of(conversation):
            seen.update(dict.fromkeys(message["tag_ids"]))
        return [tag_id for tag_id in seen if tag_id in self.store.tags]

    def list_conversations(self, state: str, order_by: str, descending: bool) -> list[Record]:
        """Conversations in `state` (``all`` for every one), sorted by `order_by` then id."""
        found = [c for c in self.conversations.values() if state == "all" or c["state"] == state]
        return sorted(found, key=lambda c: (c[order_by], c["id"]), reverse=descending)

    # Seed and test set-up

    def add_team(self, name: str, emoji: str, created_at: int) -> Record:
        """Create a team; members join through `add_teammate`."""
        team: Record = {
            "id": self._take_id("team"),
            "name": name,
            "emoji": emoji,
            "teammate_ids": [],
            "created_at": created_at,
        }
        self.teams[team["id"]] = team
        return team

    def add_teammate(self, name: str, email: str, team_ids: Iterable[int] = (), **fields: Any) -> Record:
        """Create a teammate in the given teams; other §6.9 fields default to an online inbox seat."""
        teammate: Record = {
            "id": self._take_id("teammate"),
            "name": name,
            "email": email,
            "avatar": None,
            "agent_status": "online",
            "last_active_on": self.store.now(),
            "away_mode_enabled": False,
            "team_ids": list(team_ids),
            "has_inbox_seat": True,
        }
        teammate.update(fields)
        self.teammates[teammate["id"]] = teammate
        for team_id in teammate["team_ids"]:
            self.teams[team_id]["teammate_ids"].append(teammate["id"])
        return teammate

    # Writes (§7.9)

    def start(
        self, contact: Record, body: str, title: str | None, custom_properties: Record, created_at: int | None = None
    ) -> Record:
        """``POST /conversations``: a new open, unassigned conversation whose first message is `body`."""
        now = self.store.now() if created_at is None else created_at
        conversation: Record = {
            "id": self._take_id("conversation"),
            "contact_id": contact["id"],
            "state": "open",
            "title": title,
            "custom_properties": dict(custom_properties),
            "assignee": None,
            "priority": False,
            "created_at": now,
            "updated_at": now,
        }
        self.conversations[conversation["id"]] = conversation
        self.add_message(conversation, body, "initial", "contact", contact["id"], now)
        return conversation

    def add_message(
        self,
        conversation: Record,
        body: str,
        message_type: MessageType,
        author_type: Literal["contact", "teammate"],
        author_id: int,
        created_at: int | None = None,
    ) -> Record:
        """Append a message to `conversation` and move its ``updated_at``."""
        now = self.store.now() if created_at is None else created_at
        message: Record = {
            "id": self._take_id("message"),
            "conversation_id": conversation["id"],
            "body": body,
            "message_type": message_type,
            "author_type": author_type,
            "author_id": author_id,
            "created_at": now,
            "tag_ids": [],
        }
        self.messages[message["id"]] = message
        conversation["updated_at"] = max(conversation["updated_at"], now)
        return message

    def update(self, conversation: Record, changes: Record) -> None:
        """``PATCH /conversations/{id}``: set ``title``, merge ``custom_properties``, or set ``state``."""
        if "teammate_id" in changes:
            self.teammate(changes["teammate_id"])
        if "title" in changes:
            conversation["title"] = changes["title"]
        conversation["custom_properties"].update(changes.get("custom_properties", {}))
        if "state" in changes:
            conversation["state"] = changes["state"]
        self._touch(conversation)

    def assign(
        self, conversation: Record, teammate_id: int, assignee_id: int | None, assignee_type: AssigneeType
    ) -> None:
        """``PATCH /conversations/{id}/assign``: assign to a teammate or team, or unassign (`assignee_id` None)."""
        self.teammate(teammate_id)
        if assignee_id is None:
            conversation["assignee"] = None
        else:
            target = (
                self.teammate(assignee_id, "assignee_id") if assignee_type == "teammate" else self.team(assignee_id)
            )
            conversation["assignee"] = {"id": target["id"], "type": assignee_type}
        self._touch(conversation)

    def prioritise(self, conversation: Record, teammate_id: int, priority: bool) -> None:
        """``PATCH /conversations/{id}/priority``."""
        self.teammate(teammate_id)
        conversation["priority"] = priority
        self._touch(conversation)

    def message_of(self, conversation: Record, message_id: int) -> Record:
        """Message `message_id` of `conversation`; 404 when it belongs elsewhere or does not exist."""
        message = self.messages.get(message_id)
        if message is None or message["conversation_id"] != conversation["id"]:
            raise not_found(f"no message with id {message_id} in conversation {conversation['id']}")
        return message

    def tag(self, conversation: Record, message_id: int, names: list[str]) -> None:
        """``POST /conversations/{id}/tags``: tag a message (tags created when missing, as for contacts)."""
        message = self.message_of(conversation, message_id)
        for name in names:
            tag = self.store.ensure_tag(name)
            if tag["id"] not in message["tag_ids"]:
                message["tag_ids"].append(tag["id"])
        self._touch(conversation)

    def untag(self, conversation: Record, message_id: int, tag_id: int) -> None:
        """``DELETE /conversations/{id}/tags``: take a tag off a message; 404 for an unknown tag."""
        message = self.message_of(conversation, message_id)
        if tag_id not in self.store.tags:
            raise not_found(f"no tag with id {tag_id}")
        if tag_id in message["tag_ids"]:
            message["tag_ids"].remove(tag_id)
        self._touch(conversation)

    def delete(self, conversation: Record) -> None:
        """``DELETE /conversations/{id}``: the conversation and its messages."""
        del self.conversations[conversation["id"]]
        for message in self.messages_of(conversation):
            del self.messages[message["id"]]

    def counts(self, conversations: Iterable[Record]) -> dict[str, int]:
        """How many of `conversations` are in each state."""
        totals: dict[str, int] = dict.fromkeys(STATES, 0)
        for conversation in conversations:
            totals[conversation["state"]] += 1
        return totals

    def _touch(self, conversation: Record) -> None:
        conversation["updated_at"] = max(conversation["updated_at"], self.store.now())
