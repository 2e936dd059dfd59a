"""list_subscription_types / set_subscription through MCP, and the emulator's accepted spellings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import call, call_error
from mcp import Client

from gist_mcp.emulator import GistEmulator

pytestmark = pytest.mark.anyio


async def test_list_subscription_types_returns_the_demo_types(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "list_subscription_types", {})
    assert [t["name"] for t in result["subscription_types"]] == ["Product updates", "Newsletter", "Webinars"]
    assert result["subscription_types"][0]["contact_count"] == len(
        emulator.extras.subscription_types[61]["contact_ids"]
    )
    assert result["has_more"] is False


async def test_set_subscription_opts_in_and_out(client: Client, emulator: GistEmulator) -> None:
    contact = emulator.find_contact(user_id="u_1001")
    assert contact is not None
    members = emulator.extras.subscription_types[62]["contact_ids"]
    arguments = {"subscription_type_id": 62, "contact": {"email": contact["email"]}}
    result = await call(client, "set_subscription", {**arguments, "subscribed": True})
    assert contact["id"] in members
    assert result["subscription_type"]["contact_count"] == len(members)
    await call(client, "set_subscription", {**arguments, "subscribed": False})
    assert contact["id"] not in members
    bodies = [r.json for r in emulator.requests if r.method == "POST"]
    assert bodies == [
        {"email": contact["email"], "unsubscribed": False},
        {"email": contact["email"], "unsubscribed": True},
    ]
    assert {r.path for r in emulator.requests} == {"/subscription_types/62"}


async def test_a_contact_given_by_id_is_looked_up_first(client: Client, emulator: GistEmulator) -> None:
    lead = next(c for c in emulator.contacts.values() if c["type"] == "lead")
    result = await call(
        client, "set_subscription", {"subscription_type_id": 63, "contact": {"id": lead["id"]}, "subscribed": True}
    )
    assert (result["email"], result["contact_id"]) == (lead["email"], lead["id"])
    assert lead["id"] in emulator.extras.subscription_types[63]["contact_ids"]


async def test_an_unknown_type_names_list_subscription_types(client: Client) -> None:
    arguments = {"subscription_type_id": 999, "contact": {"user_id": "u_1001"}, "subscribed": True}
    text = await call_error(client, "set_subscription", arguments)
    assert "404" in text
    assert "list_subscription_types" in text


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"subscription_type_id": 61, "contact": {"user_id": "u_1001"}}, "subscribed"),
        ({"subscription_type_id": -1, "contact": {"user_id": "u_1001"}, "subscribed": True}, "subscription_type_id"),
        ({"subscription_type_id": 61, "contact": {}, "subscribed": True}, "contact"),
        ({"subscription_type_id": 61, "contact": {"user_id": "u_1001"}, "subscribed": "maybe"}, "subscribed"),
    ],
)
async def test_bad_arguments_name_the_argument_and_reach_no_gist(
    client: Client, emulator: GistEmulator, arguments: dict[str, Any], named: str
) -> None:
    text = await call_error(client, "set_subscription", arguments)
    assert "Invalid arguments for set_subscription" in text
    assert named in text
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("path", "body", "member"),
    [
        ("/subscription_types/61/attach", {"email": "maya.patel@example.com"}, True),
        ("/subscription_types/61/detach", {"user_id": "u_1001"}, False),
        ("/subscription_types/61", {"contact_id": 179301, "action": "subscribe"}, True),
        ("/subscription_types/61", {"id": 179301, "subscribed": False}, False),
    ],
)
async def test_the_emulator_accepts_the_other_spellings_of_the_reference(
    emulator: GistEmulator, gist: httpx.AsyncClient, path: str, body: dict[str, Any], member: bool
) -> None:
    response = await gist.post(path, json=body)
    assert response.status_code == 200
    assert (179301 in emulator.extras.subscription_types[61]["contact_ids"]) is member
