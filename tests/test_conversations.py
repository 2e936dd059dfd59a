"""The conversations toolset through MCP (both eras), checked against the emulator's inbox and request log."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import call, call_error
from mcp import Client

from gist_mcp.catalog.conversations import _state_counts
from gist_mcp.emulator import GistEmulator, Payload
from gist_mcp.emulator.inbox_seed import LONG_THREAD_MESSAGES

pytestmark = pytest.mark.anyio

LONG = 9001
"""The seeded conversation with LONG_THREAD_MESSAGES messages (three pages of 50)."""
SHORT = 9002


def inbox(emulator: GistEmulator) -> Any:
    return emulator.store.inbox


async def assert_refused(client: Client, emulator: GistEmulator, tool: str, args: dict[str, Any], *names: str) -> None:
    """Bad input: a validation error naming each of `names`, and no request reached the emulator."""
    before = len(emulator.requests)
    text = await call_error(client, tool, args)
    assert f"Invalid arguments for {tool}" in text
    for name in names:
        assert name in text
    assert len(emulator.requests) == before


async def test_list_conversations_filters_by_state_newest_first(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "list_conversations", {"state": "open"})
    stored = [c for c in inbox(emulator).conversations.values() if c["state"] == "open"]
    assert result["count"] == len(stored) > 0
    assert {c["state"] for c in result["conversations"]} == {"open"}
    updated = [c["updated_at"] for c in result["conversations"]]
    assert updated == sorted(updated, reverse=True)
    assert emulator.requests[-1].query | {"page": "1"} == {
        "state": "open",
        "order": "desc",
        "order_by": "updated_at",
        "page": "1",
        "per_page": "50",
    }


async def test_list_conversations_pages_with_a_cursor(client: Client, emulator: GistEmulator) -> None:
    first = await call(client, "list_conversations", {"limit": 20, "order": "asc"})
    rest = await call(client, "list_conversations", {"limit": 20, "order": "asc", "cursor": first["next_cursor"]})
    assert first["has_more"]
    assert not rest["has_more"]
    ids = [c["id"] for c in first["conversations"] + rest["conversations"]]
    assert sorted(ids) == sorted(inbox(emulator).conversations)


async def test_list_conversations_errors(client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=404, path_prefix="/conversations")
    text = await call_error(client, "list_conversations", {})
    assert "404" in text
    assert "list_conversations" in text
    await assert_refused(client, emulator, "list_conversations", {"state": "pending"}, "state")


async def test_get_conversation_reads_only_the_last_message_pages(client: Client, emulator: GistEmulator) -> None:
    before = len(emulator.requests)
    result = await call(client, "get_conversation", {"conversation_id": LONG})
    messages = inbox(emulator).messages_of(inbox(emulator).conversations[LONG])
    assert len(messages) == LONG_THREAD_MESSAGES
    assert [m["id"] for m in result["messages"]] == [m["id"] for m in messages[-20:]]
    assert result["older_messages"] is True
    assert result["title"] == inbox(emulator).conversations[LONG]["title"]
    pages = [r.query.get("page") for r in emulator.requests[before:] if r.path.endswith("/messages")]
    assert pages == ["1", "3"]  # page 2 holds none of the latest 20


async def test_get_conversation_can_return_a_hundred_messages_across_pages(
    client: Client, emulator: GistEmulator
) -> None:
    result = await call(client, "get_conversation", {"conversation_id": LONG, "messages": 100})
    messages = inbox(emulator).messages_of(inbox(emulator).conversations[LONG])
    assert [m["id"] for m in result["messages"]] == [m["id"] for m in messages[-100:]]
    times = [m["created_at"] for m in result["messages"]]
    assert times == sorted(times)


async def test_get_conversation_short_thread_and_no_messages(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "get_conversation", {"conversation_id": SHORT})
    stored = inbox(emulator).messages_of(inbox(emulator).conversations[SHORT])
    assert [m["body"] for m in result["messages"]] == [m["body"] for m in stored]
    assert result["older_messages"] is False
    assert result["messages"][0]["author_type"] == "contact"
    bare = await call(client, "get_conversation", {"conversation_id": SHORT, "messages": 0})
    assert bare["messages"] == []
    assert bare["older_messages"] is True


async def test_get_conversation_errors(client: Client, emulator: GistEmulator) -> None:
    text = await call_error(client, "get_conversation", {"conversation_id": 1})
    assert "404" in text
    assert "list_conversations" in text
    await assert_refused(client, emulator, "get_conversation", {"conversation_id": LONG, "messages": 101}, "messages")


async def test_create_conversation_starts_an_open_thread(client: Client, emulator: GistEmulator) -> None:
    contact = emulator.contacts[179302]
    result = await call(
        client,
        "create_conversation",
        {"contact": {"email": contact["email"]}, "body": "Hello there", "title": "Hi", "custom_properties": {"a": 1}},
    )
    stored = inbox(emulator).conversations[result["id"]]
    assert stored["contact_id"] == contact["id"] == result["contact_id"]
    assert (stored["state"], stored["title"], stored["custom_properties"]) == ("open", "Hi", {"a": 1})
    assert [m["body"] for m in inbox(emulator).messages_of(stored)] == ["Hello there"]
    assert emulator.requests[-1].json["from"] == {"email": contact["email"]}


async def test_create_conversation_errors(client: Client, emulator: GistEmulator) -> None:
    text = await call_error(client, "create_conversation", {"contact": {"email": "nobody@example.com"}, "body": "x"})
    assert "404" in text
    assert "list_users" in text
    await assert_refused(client, emulator, "create_conversation", {"contact": {"id": 179301}, "body": ""}, "body")
    await assert_refused(
        client, emulator, "create_conversation", {"contact": {"id": 179301, "email": "a@b.c"}, "body": "x"}, "contact"
    )


async def test_reply_to_conversation_sends_the_sdk_body(client: Client, emulator: GistEmulator) -> None:
    result = await call(
        client, "reply_to_conversation", {"conversation_id": SHORT, "body": "On it!", "teammate_id": 502}
    )
    stored = inbox(emulator).messages[result["id"]]
    assert (stored["body"], stored["author_type"], stored["author_id"]) == ("On it!", "teammate", 502)
    assert emulator.requests[-1].json == {
        "message_type": "reply",
        "from": {"type": "teammate", "teammate_id": 502},
        "body": "On it!",
    }


async def test_reply_to_conversation_errors(client: Client, emulator: GistEmulator) -> None:
    text = await call_error(client, "reply_to_conversation", {"conversation_id": SHORT, "body": "x", "teammate_id": 9})
    assert "404" in text
    assert "list_teammates" in text
    await assert_refused(
        client, emulator, "reply_to_conversation", {"conversation_id": SHORT, "body": "x"}, "teammate_id"
    )


async def test_update_conversation_applies_each_kind_of_change(client: Client, emulator: GistEmulator) -> None:
    before = len(emulator.requests)
    result = await call(
        client,
        "update_conversation",
        {
            "conversation_id": SHORT,
            "title": "Renamed",
            "state": "closed",
            "priority": True,
            "assignee": {"team_id": 43, "teammate_id": None},
            "teammate_id": 501,
        },
    )
    assert result["applied"] == ["details", "state", "assignee", "priority"]
    stored = inbox(emulator).conversations[SHORT]
    assert (stored["title"], stored["state"], stored["priority"]) == ("Renamed", "closed", True)
    assert stored["assignee"] == {"id": 43, "type": "team"}
    assert result["assignee"] == {"type": "team", "id": 43}
    sent = [(r.method, r.path) for r in emulator.requests[before:]]
    assert sent == [
        ("PATCH", f"/conversations/{SHORT}"),
        ("PATCH", f"/conversations/{SHORT}"),
        ("PATCH", f"/conversations/{SHORT}/assign"),
        ("PATCH", f"/conversations/{SHORT}/priority"),
    ]


async def test_update_conversation_null_unassigns_and_omitted_leaves_it(client: Client, emulator: GistEmulator) -> None:
    stored = inbox(emulator).conversations[LONG]
    assert stored["assignee"] is not None
    result = await call(client, "update_conversation", {"conversation_id": LONG, "priority": False, "teammate_id": 501})
    assert result["applied"] == ["priority"]
    assert stored["assignee"] is not None
    result = await call(client, "update_conversation", {"conversation_id": LONG, "assignee": None, "teammate_id": 501})
    assert result["applied"] == ["assignee"]
    assert stored["assignee"] is None
    assert result["assignee"] is None
    assert emulator.requests[-1].json == {"teammate_id": 501, "assignee_id": None}


async def test_update_conversation_reports_what_was_applied_before_a_failure(
    client: Client, emulator: GistEmulator
) -> None:
    stored = inbox(emulator).conversations[SHORT]
    assignee = dict(stored["assignee"] or {}) or None
    emulator.faults.add("status", status=500, method="PATCH", path_prefix=f"/conversations/{SHORT}/assign")
    text = await call_error(
        client,
        "update_conversation",
        {
            "conversation_id": SHORT,
            "state": "snoozed",
            "assignee": {"teammate_id": 503},
            "priority": True,
            "teammate_id": 501,
        },
    )
    assert "500" in text
    assert "already applied state; not applied assignee, priority" in text
    assert stored["state"] == "snoozed"
    assert stored["assignee"] == assignee
    assert not emulator.faults.pending


async def test_update_conversation_errors(client: Client, emulator: GistEmulator) -> None:
    text = await call_error(client, "update_conversation", {"conversation_id": 1, "title": "x"})
    assert "404" in text
    assert "list_conversations" in text
    text = await call_error(
        client, "update_conversation", {"conversation_id": SHORT, "state": "open", "teammate_id": 7}
    )
    assert "list_teammates" in text
    tool = "update_conversation"
    await assert_refused(client, emulator, tool, {"conversation_id": SHORT, "state": "closed"}, "teammate_id")
    await assert_refused(client, emulator, tool, {"conversation_id": SHORT, "assignee": None}, "teammate_id")
    both = {"conversation_id": SHORT, "assignee": {"teammate_id": 501, "team_id": 41}, "teammate_id": 501}
    await assert_refused(client, emulator, tool, both, "assignee")
    await assert_refused(client, emulator, tool, {"conversation_id": SHORT}, "nothing to change")


async def test_tag_conversation_tags_the_latest_message_and_untags(client: Client, emulator: GistEmulator) -> None:
    latest = inbox(emulator).messages_of(inbox(emulator).conversations[SHORT])[-1]
    result = await call(client, "tag_conversation", {"conversation_id": SHORT, "tag": "Billing"})
    assert result == {"conversation_id": SHORT, "message_id": latest["id"], "tag": "Billing", "untagged": False}
    tag = emulator.store.tag_named("Billing")
    assert tag is not None
    assert latest["tag_ids"] == [tag["id"]]
    result = await call(client, "tag_conversation", {"conversation_id": SHORT, "tag": "Billing", "untag": True})
    assert result["untagged"] is True
    assert latest["tag_ids"] == []
    assert emulator.requests[-1].json == {"message_id": latest["id"], "tag_id": tag["id"]}


async def test_tag_conversation_errors(client: Client, emulator: GistEmulator) -> None:
    text = await call_error(client, "tag_conversation", {"conversation_id": 1, "tag": "x"})
    assert "404" in text
    assert "list_conversations" in text
    text = await call_error(client, "tag_conversation", {"conversation_id": SHORT, "tag": "VIP", "untag": True})
    assert "has no tag 'VIP'" in text
    await assert_refused(client, emulator, "tag_conversation", {"conversation_id": SHORT, "tag": ""}, "tag")


async def test_delete_conversation(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "delete_conversation", {"conversation_id": SHORT})
    assert result == {"deleted": True, "id": SHORT, "type": "conversation"}
    assert SHORT not in inbox(emulator).conversations
    assert not [m for m in inbox(emulator).messages.values() if m["conversation_id"] == SHORT]
    text = await call_error(client, "delete_conversation", {"conversation_id": 1})
    assert "404" in text
    assert "list_conversations" in text
    await assert_refused(client, emulator, "delete_conversation", {"conversation_id": "abc"}, "conversation_id")


async def test_count_conversations(client: Client, emulator: GistEmulator) -> None:
    conversations = list(inbox(emulator).conversations.values())
    total = await call(client, "count_conversations", {})
    assert total["conversations"] == len(conversations)
    assert total["by_state"] == inbox(emulator).counts(conversations)
    per_teammate = await call(client, "count_conversations", {"by": "teammate"})
    assert [g["id"] for g in per_teammate["groups"]] == sorted(inbox(emulator).teammates)
    assigned = sum(1 for c in conversations if (c["assignee"] or {}).get("type") == "teammate")
    assert sum(g["conversations"] for g in per_teammate["groups"]) == assigned
    assert emulator.requests[-1].path == "/conversations/count/teammates"
    emulator.faults.add("status", status=404, path_prefix="/conversations/count")
    text = await call_error(client, "count_conversations", {"by": "team"})
    assert "404" in text
    await assert_refused(client, emulator, "count_conversations", {"by": "week"}, "by")


def test_counts_are_read_as_a_number_or_per_state() -> None:
    assert _state_counts(7) == (7, None)
    assert _state_counts("7") == (7, None)
    assert _state_counts({"open": 2, "closed": 3}) == (5, {"open": 2, "closed": 3})
    assert _state_counts({"total": 9, "open": 2}) == (9, {"open": 2})


async def test_conversation_writes_fire_sandbox_webhooks(client: Client, emulator: GistEmulator) -> None:
    received: list[Payload] = []

    async def sink(payload: Payload) -> None:
        received.append(payload)

    emulator.webhook_sink = sink
    started = await call(client, "create_conversation", {"contact": {"id": 179301}, "body": "Help"})
    cid = started["id"]
    await call(client, "reply_to_conversation", {"conversation_id": cid, "body": "Sure", "teammate_id": 501})
    changes = {"state": "closed", "assignee": {"teammate_id": 502}, "teammate_id": 501}
    await call(client, "update_conversation", {"conversation_id": cid, **changes})
    topics = [p["topic"] for p in received]
    assert topics == [
        "conversation.started",
        "conversation.teammate_replied",
        "conversation.closed",
        "conversation.assigned",
    ]
    assert all(p["conversation"]["id"] == cid and p["contact"]["id"] == 179301 for p in received)
    assert received[1]["message"]["body"] == "Sure"
