"""The forms toolset through MCP, checked on the emulator's forms and submissions."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FOREIGN_CURSOR, call, call_error
from mcp import Client

from gist_mcp.emulator import GistEmulator

pytestmark = pytest.mark.anyio


async def test_list_forms_returns_every_form_with_its_fields(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "list_forms", {})
    assert [f["id"] for f in result["forms"]] == sorted(emulator.extras.forms)
    demo = next(f for f in result["forms"] if f["id"] == 802)
    assert [f["name"] for f in demo["fields"]] == ["email", "name", "company", "team_size"]
    assert demo["fields"][1] == {"name": "name", "label": "Full name", "type": "text", "required": True}


async def test_get_form_asks_by_query_parameter(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "get_form", {"form_id": 803})
    assert result["title"] == "Webinar registration"
    assert [(r.path, r.query) for r in emulator.requests] == [("/forms", {"form_id": "803"})]


async def test_list_form_submissions_pages_newest_first(client: Client, emulator: GistEmulator) -> None:
    first = await call(client, "list_form_submissions", {"form_id": 802, "limit": 2})
    rest = await call(client, "list_form_submissions", {"form_id": 802, "limit": 2, "cursor": first["next_cursor"]})
    stored = emulator.extras.submissions_of(802)
    assert [s["id"] for s in first["submissions"] + rest["submissions"]] == [s["id"] for s in stored]
    assert first["has_more"] is True
    assert rest["has_more"] is False
    assert first["submissions"][0]["fields"] == stored[0]["fields"]
    assert first["submissions"][0]["email"] == stored[0]["email"]


async def test_a_cursor_of_one_form_is_refused_for_another(client: Client) -> None:
    first = await call(client, "list_form_submissions", {"form_id": 802, "limit": 1})
    text = await call_error(client, "list_form_submissions", {"form_id": 803, "cursor": first["next_cursor"]})
    assert text == FOREIGN_CURSOR


async def test_submit_form_stores_the_submission_and_makes_a_lead(client: Client, emulator: GistEmulator) -> None:
    arguments = {"form_id": 802, "email": "new.person@example.net", "fields": {"name": "New Person", "team_size": 12}}
    result = await call(client, "submit_form", arguments)
    sent = [r for r in emulator.requests if r.method == "POST"]
    assert [(r.path, r.json) for r in sent] == [
        ("/forms/802/subscribe", {"email": "new.person@example.net", "fields": {"name": "New Person", "team_size": 12}})
    ]
    stored = emulator.extras.submissions[-1]
    assert stored["fields"] == {"name": "New Person", "team_size": 12, "email": "new.person@example.net"}
    assert result["submission"]["id"] == stored["id"]
    lead = emulator.find_contact(email="new.person@example.net")
    assert lead is not None
    assert (lead["type"], lead["name"]) == ("lead", "New Person")


async def test_a_missing_required_field_is_gists_400_naming_it(client: Client, emulator: GistEmulator) -> None:
    text = await call_error(client, "submit_form", {"form_id": 802, "email": "x@example.net"})
    assert "400" in text
    assert "'name'" in text
    assert all(s["email"] != "x@example.net" for s in emulator.extras.submissions)


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_form", {"form_id": 999}),
        ("list_form_submissions", {"form_id": 999}),
        ("submit_form", {"form_id": 999, "email": "x@example.net"}),
    ],
)
async def test_an_unknown_form_names_list_forms(client: Client, tool: str, arguments: dict[str, Any]) -> None:
    text = await call_error(client, tool, arguments)
    assert "404" in text
    assert "list_forms" in text


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("submit_form", {"form_id": 801, "email": "not-an-email"}, "email"),
        ("submit_form", {"form_id": 801, "email": "a@example.net", "fields": {"nested": {"x": 1}}}, "fields.nested"),
        ("get_form", {"form_id": "eight"}, "form_id"),
        ("list_forms", {"limit": 0}, "limit"),
        ("list_form_submissions", {"form_id": 801, "page": 2}, "page"),
    ],
)
async def test_bad_arguments_name_the_argument_and_reach_no_gist(
    client: Client, emulator: GistEmulator, tool: str, arguments: dict[str, Any], named: str
) -> None:
    text = await call_error(client, tool, arguments)
    assert f"Invalid arguments for {tool}" in text
    assert named in text
    assert emulator.requests == []
