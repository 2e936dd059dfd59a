"""The emulator refuses malformed contact, tag and event requests with the exact 400 Gist would give.

The emulator is the tests' stand-in for Gist, so its strictness is what makes a mistyped client field
fail a test: each row is a whole expectation (method, path, body or query, status, code, message).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import refusal

from gist_mcp.emulator.inputs import MAX_TAG_CONTACTS

pytestmark = pytest.mark.anyio

INVALID, MISSING = "parameter_invalid", "missing_parameter"
NOT_AN_OBJECT = (400, INVALID, "the request body must be a JSON object")

BODY_REFUSALS: list[tuple[str, Any, tuple[int, str, str]]] = [
    (
        "/contacts",
        {"email": "a@b.c", "nickname": "x"},
        (
            400,
            INVALID,
            "unknown field 'nickname' in the request body; allowed: id, email, user_id, type, name, full_name, "
            "first_name, last_name, company_name, job_title, phone, signed_up_at, last_seen_ip, "
            "last_seen_user_agent, unsubscribed_from_emails, custom_properties, tags, location_data",
        ),
    ),
    ("/contacts", {"id": 0}, (400, INVALID, "id must be a positive integer id, got 0")),
    ("/contacts", {"id": True}, (400, INVALID, "id must be a positive integer id, got True")),
    ("/contacts", {"email": "nobody"}, (400, INVALID, "email must be an email address, got 'nobody'")),
    ("/contacts", {"email": 5}, (400, INVALID, "email must be a string, got 5")),
    ("/contacts", {"user_id": [1]}, (400, INVALID, "user_id must be a string, got [1]")),
    ("/contacts", {"email": "a@b.c", "type": "admin"}, (400, INVALID, "type must be 'user' or 'lead', got 'admin'")),
    ("/contacts", {"email": "a@b.c", "name": 7}, (400, INVALID, "name must be a string, got 7")),
    ("/contacts", {"email": "a@b.c", "phone": 1.5}, (400, INVALID, "phone must be a string, got 1.5")),
    (
        "/contacts",
        {"email": "a@b.c", "signed_up_at": -1},
        (400, INVALID, "signed_up_at must be a Unix timestamp in seconds, got -1"),
    ),
    (
        "/contacts",
        {"email": "a@b.c", "signed_up_at": "2024-01-01"},
        (400, INVALID, "signed_up_at must be a Unix timestamp in seconds, got '2024-01-01'"),
    ),
    (
        "/contacts",
        {"email": "a@b.c", "unsubscribed_from_emails": "yes"},
        (400, INVALID, "unsubscribed_from_emails must be true or false, got 'yes'"),
    ),
    (
        "/contacts",
        {"email": "a@b.c", "custom_properties": []},
        (400, INVALID, "custom_properties must be an object, got []"),
    ),
    ("/contacts", {"email": "a@b.c", "tags": "vip"}, (400, INVALID, "tags must be a list of tag names, got 'vip'")),
    (
        "/contacts",
        {"email": "a@b.c", "tags": ["vip", ""]},
        (400, INVALID, "tags must be a list of tag names, got ['vip', '']"),
    ),
    ("/contacts", [1, 2], NOT_AN_OBJECT),
    ("/tags", {"id": 1}, (400, MISSING, "name is required")),
    ("/tags", {"name": 3}, (400, INVALID, "name must be a string, got 3")),
    ("/tags", {"name": "vip", "id": "abc"}, (400, INVALID, "id must be a positive integer id, got 'abc'")),
    ("/tags", {"name": "vip", "contacts": {"id": 1}}, (400, INVALID, "contacts must be a list, got {'id': 1}")),
    (
        "/tags",
        {"name": "vip", "contacts": [{"id": 1}] * (MAX_TAG_CONTACTS + 1)},
        (400, INVALID, f"at most {MAX_TAG_CONTACTS} contacts per request, got {MAX_TAG_CONTACTS + 1}"),
    ),
    ("/tags", {"name": "vip", "contacts": ["a@b.c"]}, (400, INVALID, "contacts[0] must be an object, got 'a@b.c'")),
    (
        "/tags",
        {"name": "vip", "contacts": [{"id": 1, "phone": "1"}]},
        (400, INVALID, "unknown field 'phone' in contacts[0]; allowed: id, user_id, email, untag"),
    ),
    (
        "/tags",
        {"name": "vip", "contacts": [{"id": 1, "email": "a@b.c"}]},
        (400, INVALID, "contacts[0] must have exactly one of id, user_id or email"),
    ),
    (
        "/tags",
        {"name": "vip", "contacts": [{"untag": True}]},
        (400, INVALID, "contacts[0] must have exactly one of id, user_id or email"),
    ),
    (
        "/tags",
        {"name": "vip", "contacts": [{"email": "a@b.c", "untag": 1}]},
        (400, INVALID, "contacts[0].untag must be true or false, got 1"),
    ),
    (
        "/tags",
        {"name": "vip", "contacts": [{"email": "nope"}]},
        (400, INVALID, "contacts[0].email must be an email address, got 'nope'"),
    ),
    ("/events", {"email": "a@b.c"}, (400, MISSING, "event_name is required")),
    ("/events", {"event_name": "", "email": "a@b.c"}, (400, MISSING, "event_name is required")),
    ("/events", {"event_name": ["x"], "email": "a@b.c"}, (400, INVALID, "event_name must be a string, got ['x']")),
    ("/events", {"event_name": "signup"}, (400, MISSING, "an event needs one of id, user_id or email")),
    ("/events", {"event_name": "signup", "email": ""}, (400, MISSING, "an event needs one of id, user_id or email")),
    ("/events", {"event_name": "signup", "id": -4}, (400, INVALID, "id must be a positive integer id, got -4")),
    (
        "/events",
        {"event_name": "signup", "email": "a@b.c", "properties": "big"},
        (400, INVALID, "properties must be an object, got 'big'"),
    ),
    (
        "/events",
        {"event_name": "signup", "email": "a@b.c", "occurred_at": 1.5},
        (400, INVALID, "occurred_at must be a Unix timestamp in seconds, got 1.5"),
    ),
]

QUERY_REFUSALS: list[tuple[str, tuple[int, str, str]]] = [
    ("/contacts?page=two", (400, INVALID, "page must be an integer, got 'two'")),
    ("/contacts?page=0", (400, INVALID, "page must be at least 1, got 0")),
    ("/contacts?tag_id=-1", (400, INVALID, "tag_id must be at least 1, got -1")),
    ("/contacts?order=sideways", (400, INVALID, "order must be one of asc, desc, got 'sideways'")),
    ("/segments?include_count=yes", (400, INVALID, "include_count must be true or false, got 'yes'")),
]


@pytest.mark.parametrize(("path", "body", "expected"), BODY_REFUSALS)
async def test_a_malformed_body_is_refused_naming_the_field(
    gist: httpx.AsyncClient, path: str, body: Any, expected: tuple[int, str, str]
) -> None:
    assert refusal(await gist.post(path, json=body)) == expected


@pytest.mark.parametrize("path", ["/contacts", "/tags", "/events"])
async def test_a_body_that_is_not_json_is_refused(gist: httpx.AsyncClient, path: str) -> None:
    response = await gist.post(path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert refusal(response) == NOT_AN_OBJECT


@pytest.mark.parametrize(("path", "expected"), QUERY_REFUSALS)
async def test_a_malformed_query_parameter_is_refused_naming_it(
    gist: httpx.AsyncClient, path: str, expected: tuple[int, str, str]
) -> None:
    assert refusal(await gist.get(path)) == expected


async def test_a_contact_write_normalises_what_clients_send(gist: httpx.AsyncClient) -> None:
    """Numeric user_id and phone become strings, full_name is the name, signed_up_at "" unsets it."""
    body = {
        "email": "ada@example.com",
        "user_id": 42,
        "full_name": "Ada Lovelace",
        "phone": 5551234,
        "signed_up_at": "",
        "type": "user",
        "unsubscribed_from_emails": False,
        "custom_properties": {"plan": "pro"},
        "tags": ["vip"],
    }
    response = await gist.post("/contacts", json=body)
    assert response.status_code == 200
    contact = response.json()["contact"]
    assert (contact["user_id"], contact["name"], contact["phone"]) == ("42", "Ada Lovelace", "5551234")
    assert contact["custom_properties"]["plan"] == "pro"
    assert [tag["name"] for tag in contact["tags"]] == ["vip"]


async def test_an_event_takes_name_for_event_name_and_a_numeric_id_string(gist: httpx.AsyncClient) -> None:
    created = (await gist.post("/contacts", json={"email": "ev@example.com"})).json()["contact"]
    response = await gist.post(
        "/events", json={"name": "upgraded", "id": str(created["id"]), "properties": {"plan": "pro"}, "occurred_at": 5}
    )
    assert response.status_code == 200
    event = response.json()["event"]
    assert (event["name"], event["contact_id"], event["properties"], event["occurred_at"]) == (
        "upgraded",
        created["id"],
        {"plan": "pro"},
        5,
    )
