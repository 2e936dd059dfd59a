"""subscribe_to_campaign / unsubscribe_from_campaign through MCP, checked on the emulator's subscriptions."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import call, call_error
from mcp import Client

from gist_mcp.emulator import GistEmulator

pytestmark = pytest.mark.anyio

CAMPAIGN = 3101


def posts(emulator: GistEmulator) -> list[Any]:
    return [r.json for r in emulator.requests if r.method == "POST" and r.path == "/campaigns"]


async def test_subscribe_by_email_adds_an_active_subscriber(client: Client, emulator: GistEmulator) -> None:
    contact = emulator.find_contact(user_id="u_1001")
    assert contact is not None
    before = emulator.campaigns[CAMPAIGN]["active_subscriber_count"]
    arguments = {"campaign_id": CAMPAIGN, "contact": {"email": contact["email"]}, "starting_email_index": 2}
    result = await call(client, "subscribe_to_campaign", arguments)
    assert posts(emulator) == [
        {"id": CAMPAIGN, "email": contact["email"], "starting_email_index": 2, "reactivate_if_removed": False}
    ]
    subscription = emulator.extras.campaign_subscriptions[(CAMPAIGN, contact["id"])]
    assert (subscription["status"], subscription["starting_email_index"]) == ("active", 2)
    assert result["subscribed"] is True
    assert result["campaign"]["active_subscriber_count"] == before + 1


async def test_a_contact_given_by_id_is_sent_by_its_user_id(client: Client, emulator: GistEmulator) -> None:
    contact = emulator.find_contact(user_id="u_1002")
    assert contact is not None
    result = await call(client, "subscribe_to_campaign", {"campaign_id": CAMPAIGN, "contact": {"id": contact["id"]}})
    assert [(r.method, r.path) for r in emulator.requests] == [
        ("GET", f"/contacts/{contact['id']}"),
        ("POST", "/campaigns"),
    ]
    assert posts(emulator)[0]["user_id"] == "u_1002"
    assert (result["contact_id"], result["user_id"]) == (contact["id"], "u_1002")


async def test_unsubscribe_then_resubscribe_needs_reactivate(client: Client, emulator: GistEmulator) -> None:
    contact = {"user_id": "u_1003"}
    target = {"campaign_id": CAMPAIGN, "contact": contact}
    await call(client, "subscribe_to_campaign", target)
    result = await call(client, "unsubscribe_from_campaign", target)
    assert posts(emulator)[-1] == {"id": CAMPAIGN, "user_id": "u_1003", "unsubscribed": True}
    assert result["subscribed"] is False
    stored = emulator.find_contact(user_id="u_1003")
    assert stored is not None
    key = (CAMPAIGN, stored["id"])
    assert emulator.extras.campaign_subscriptions[key]["status"] == "unsubscribed"
    await call(client, "subscribe_to_campaign", target)
    assert emulator.extras.campaign_subscriptions[key]["status"] == "unsubscribed"
    await call(client, "subscribe_to_campaign", {**target, "reactivate_if_removed": True})
    assert emulator.extras.campaign_subscriptions[key]["status"] == "active"


@pytest.mark.parametrize("tool", ["subscribe_to_campaign", "unsubscribe_from_campaign"])
async def test_an_unknown_campaign_or_contact_names_the_tools_that_find_them(client: Client, tool: str) -> None:
    text = await call_error(client, tool, {"campaign_id": 999, "contact": {"user_id": "u_1001"}})
    assert "404" in text
    assert "list_campaigns" in text
    text = await call_error(client, tool, {"campaign_id": CAMPAIGN, "contact": {"id": 1}})
    assert "get_user" in text


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"campaign_id": 0, "contact": {"email": "a@example.com"}}, "campaign_id"),
        ({"campaign_id": CAMPAIGN, "contact": {"email": "a@example.com", "id": 5}}, "contact"),
        ({"campaign_id": CAMPAIGN, "contact": {"email": "a@example.com"}, "starting_email_index": -1}, "starting_"),
        ({"campaign_id": CAMPAIGN}, "contact"),
    ],
)
async def test_bad_arguments_name_the_argument_and_reach_no_gist(
    client: Client, emulator: GistEmulator, arguments: dict[str, Any], named: str
) -> None:
    text = await call_error(client, "subscribe_to_campaign", arguments)
    assert "Invalid arguments for subscribe_to_campaign" in text
    assert named in text
    assert emulator.requests == []
