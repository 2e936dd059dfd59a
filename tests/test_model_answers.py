"""Errors and results a model can act on: argument errors in the model's terms, 404s that point at the
right thing once, list items as their tools describe them, rates with their unit, and `fields` selection."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from conftest import call, call_error, settings_for
from mcp import Client
from test_watch_events import TOKEN, post

from gist_mcp.catalog import CATALOG, Operation
from gist_mcp.catalog._listing import ListResult
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import create_server
from gist_mcp.watch import WebhookHub
from gist_mcp.webhooks import WebhookSettings

pytestmark = pytest.mark.anyio

LIST_TOOLS = [op for op in CATALOG if issubclass(op.output, ListResult) and op.toolset != "webhooks"]
"""Every list tool that reads Gist (list_webhook_events reads this server's store; same `ListResult`)."""
REQUIRED: dict[str, dict[str, Any]] = {"list_form_submissions": {"form_id": 801}}


def item_fields_named(op: Operation) -> list[str]:
    """The item fields a list tool's description names ("Items: a, b, c.")."""
    found = re.search(r"Items: ([a-z_, ]+)\.$", op.description)
    assert found, op.description
    return found.group(1).split(", ")


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("get_user", {"user": "maya"}, "user: expected an object with the keys id, user_id, email"),
        (
            "tag_contacts",
            {"tag": "x", "contacts": [7]},
            "contacts.0: expected an object with the keys id, user_id, email, untag",
        ),
        ("get_lead", {"lead": {"user_id": "u_1"}}, "lead.user_id: unknown key (allowed: id, email)"),
        ("get_user", {"user": {}}, "user: give exactly one of id, user_id, email non-null (got 0: none)"),
    ],
)
async def test_argument_errors_name_the_argument_and_its_keys_never_a_python_class(
    client: Client, emulator: GistEmulator, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    text = await call_error(client, tool, arguments)
    assert text == f"Invalid arguments for {tool}: {expected}"
    assert not re.search(r"ContactRef|LeadRef|TagTarget|instance of|Input\b", text)
    assert emulator.requests == []


async def test_a_tag_contacts_404_points_at_the_contacts_not_at_list_tags(
    client: Client, emulator: GistEmulator
) -> None:
    emulator.faults.add("status", status=404, method="POST", path_prefix="/tags", times=2)
    text = await call_error(client, "tag_contacts", {"tag": "VIP", "contacts": [{"id": 179301}]})
    assert text.startswith("Gist API 404 on POST /tags")
    assert "list_users or list_leads" in text
    assert "list_tags" not in text


@pytest.mark.parametrize(
    ("tool", "arguments", "subject"),
    [
        ("get_user", {"user": {"email": "nobody@example.com"}}, "nobody@example.com"),
        ("delete_lead", {"lead": {"id": 5}}, "id 5"),
        ("create_conversation", {"contact": {"id": 5}, "body": "Hi"}, "id 5"),
    ],
)
async def test_a_404_says_what_was_missing_once_and_then_the_next_step(
    client: Client, tool: str, arguments: dict[str, Any], subject: str
) -> None:
    text = await call_error(client, tool, arguments)
    assert text.count(subject) == 1, text
    assert text.lower().count("no contact") == 1, text
    assert re.search(r"— Find the (user|lead|contact) with list_", text), text


@pytest.mark.parametrize("op", LIST_TOOLS, ids=lambda op: op.name)
async def test_list_items_hold_exactly_the_fields_the_description_names_and_fields_picks_some(
    client: Client, emulator: GistEmulator, op: Operation
) -> None:
    named = item_fields_named(op)
    plural = cast(type[ListResult], op.output).plural
    full = await call(client, op.name, {**REQUIRED.get(op.name, {}), "limit": 5})
    assert full[plural], f"{op.name}: the demo workspace lists nothing"
    assert all(set(item) <= set(named) for item in full[plural])
    assert set().union(*full[plural]) - set(named) == set()

    picked = await call(client, op.name, {**REQUIRED.get(op.name, {}), "limit": 5, "fields": ["id", named[-1]]})
    assert picked[plural] == [{k: v for k, v in item.items() if k in ("id", named[-1])} for item in full[plural]]
    assert (picked["count"], picked["has_more"]) == (full["count"], full["has_more"])

    before = len(emulator.requests)
    text = await call_error(client, op.name, {**REQUIRED.get(op.name, {}), "fields": ["id", "nope"]})
    assert text == f"fields: unknown item field(s) nope (allowed: {', '.join(named)})"
    assert await call_error(client, op.name, {**REQUIRED.get(op.name, {}), "fields": []}) == (
        f"fields: name at least one item field, or omit it (allowed: {', '.join(named)})"
    )
    assert len(emulator.requests) == before, "a bad fields argument sends nothing to Gist"


async def test_campaign_rates_carry_their_unit(client: Client, emulator: GistEmulator) -> None:
    one = await call(client, "get_campaign", {"campaign_id": 3101})
    assert (one["email_open_rate"], one["email_click_rate"]) == ("61.4%", "22.8%")
    emulator.campaigns[3102].update(email_open_rate=54, email_click_rate="n/a")
    listed = await call(client, "list_campaigns", {"fields": ["id", "email_open_rate", "email_click_rate"]})
    assert {"id": 3102, "email_open_rate": "54%", "email_click_rate": "n/a"} in listed["campaigns"]


async def test_list_users_by_default_stays_compact(client: Client) -> None:
    users = (await call(client, "list_users", {"limit": 3}))["users"]
    assert {"custom_properties", "segments", "phone"}.isdisjoint(set().union(*users))
    assert {"id", "type", "email", "user_id", "name", "tags"} <= set(users[0])


async def test_webhook_events_take_fields_too(emulator: GistEmulator, tmp_path: Path) -> None:
    hub = WebhookHub(WebhookSettings(token=TOKEN, data_dir=tmp_path / "data"))
    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=hub)
    op = next(op for op in CATALOG if op.name == "list_webhook_events")
    async with Client(server) as client:
        assert (await post(hub, {"topic": "contact.tagged", "id": "e1"})).status_code == 200
        listed = await call(client, "list_webhook_events", {"fields": ["topic"]})
        assert listed["webhook_events"] == [{"topic": "contact.tagged"}]
        text = await call_error(client, "list_webhook_events", {"fields": ["nope"]})
    assert text == f"fields: unknown item field(s) nope (allowed: {', '.join(item_fields_named(op))})"
