"""Every tool of CONTRACT.md through the MCP protocol (both eras), checked on the emulator's state."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import CANARY_KEY, FOREIGN_CURSOR, call, call_error, settings_for
from mcp import Client

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import create_server

pytestmark = pytest.mark.anyio


def a_user(emulator: GistEmulator) -> dict:
    return next(c for c in emulator.contacts.values() if c.get("type") == "user")


def tag_names_of(emulator: GistEmulator, contact_id: int) -> set[str]:
    return {emulator.tags[i]["name"] for i in emulator.contacts[contact_id]["tag_ids"]}


def a_lead(emulator: GistEmulator) -> dict:
    return next(c for c in emulator.contacts.values() if c.get("type") == "lead")


async def test_create_user_creates_a_user_with_every_field(client: Client, emulator: GistEmulator) -> None:
    result = await call(
        client,
        "create_user",
        {
            "user_id": "u_9001",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "phone": "+44 20 7946 0000",
            "tags": ["VIP", "Brand new tag"],
            "custom_properties": {"plan": "pro", "seats": 12, "beta": True},
            "signed_up_at": "2026-11-01T10:00:00Z",
            "unsubscribed_from_emails": False,
        },
    )
    assert result["type"] == "user"
    assert result["user_id"] == "u_9001"
    assert result["already_existed"] is False
    assert set(result["tags"]) == {"VIP", "Brand new tag"}
    stored = emulator.contacts[result["id"]]
    assert stored["email"] == "ada@example.com"
    assert stored["custom_properties"]["seats"] == 12
    assert stored["signed_up_at"] == 1793527200  # 2026-11-01T10:00:00Z
    assert "Brand new tag" in {t["name"] for t in emulator.tags.values()}


NAME_AND_COMPANY = {"first_name": "Grace", "last_name": "Hopper", "company_name": "Navy", "job_title": "Admiral"}


@pytest.mark.parametrize("kind", ["user", "lead"])
async def test_contact_tools_write_and_read_name_and_company_fields(
    client: Client, emulator: GistEmulator, kind: str
) -> None:
    identity = (
        {"user_id": "u_grace", "email": "grace@example.com"} if kind == "user" else {"email": "grace@example.com"}
    )
    created = await call(client, f"create_{kind}", {**identity, **NAME_AND_COMPANY})
    assert {key: created[key] for key in NAME_AND_COMPANY} == NAME_AND_COMPANY
    post = [r for r in emulator.requests if r.method == "POST" and r.path == "/contacts"][-1]
    assert {key: post.json[key] for key in NAME_AND_COMPANY} == NAME_AND_COMPANY, "sent top-level"
    updated = await call(client, f"update_{kind}", {kind: {"id": created["id"]}, "job_title": "Rear Admiral"})
    assert updated["job_title"] == "Rear Admiral"
    assert updated["company_name"] == "Navy"
    fetched = await call(client, f"get_{kind}", {kind: {"email": "grace@example.com"}})
    assert fetched["job_title"] == emulator.contacts[created["id"]]["job_title"] == "Rear Admiral"


async def test_create_user_again_updates_and_says_it_existed(client: Client, emulator: GistEmulator) -> None:
    user = a_user(emulator)
    result = await call(client, "create_user", {"user_id": user["user_id"], "name": "Renamed"})
    assert result["id"] == user["id"]
    assert emulator.contacts[user["id"]]["name"] == "Renamed"


async def test_create_lead_creates_a_lead_without_user_id(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "create_lead", {"email": "new.lead@example.org", "name": "New Lead"})
    assert result["type"] == "lead"
    assert result["user_id"] is None
    assert result["already_existed"] is False
    assert emulator.contacts[result["id"]]["type"] == "lead"


async def test_create_lead_refuses_to_touch_an_existing_user(client: Client, emulator: GistEmulator) -> None:
    user = a_user(emulator)
    text = await call_error(client, "create_lead", {"email": user["email"], "name": "Hijack"})
    assert "update_user" in text
    assert emulator.contacts[user["id"]]["name"] != "Hijack"


async def test_update_user_changes_only_the_given_fields(client: Client, emulator: GistEmulator) -> None:
    user = a_user(emulator)
    before = dict(emulator.contacts[user["id"]])
    result = await call(client, "update_user", {"user": {"email": user["email"]}, "name": "New Name", "tags": ["VIP"]})
    after = emulator.contacts[user["id"]]
    assert result["name"] == "New Name"
    assert after["phone"] == before["phone"]
    assert after["custom_properties"] == before["custom_properties"]
    post = [r for r in emulator.requests if r.method == "POST" and r.path == "/contacts"][-1]
    assert post.json == {"id": user["id"], "user_id": user["user_id"], "name": "New Name", "tags": ["VIP"]}


async def test_update_lead_by_id(client: Client, emulator: GistEmulator) -> None:
    lead = a_lead(emulator)
    result = await call(client, "update_lead", {"lead": {"id": lead["id"]}, "custom_properties": {"source": "fair"}})
    assert result["custom_properties"]["source"] == "fair"
    assert emulator.contacts[lead["id"]]["type"] == "lead"


@pytest.mark.parametrize("key", ["id", "user_id", "email"])
async def test_get_user_by_each_identifier(client: Client, emulator: GistEmulator, key: str) -> None:
    user = a_user(emulator)
    result = await call(client, "get_user", {"user": {key: user[key]}})
    assert result["id"] == user["id"]
    assert result["email"] == user["email"]
    assert isinstance(result["unsubscribed_from_emails"], bool)


async def test_user_tools_refuse_a_lead_and_name_the_lead_tool(client: Client, emulator: GistEmulator) -> None:
    lead = a_lead(emulator)
    for tool in ("get_user", "update_user", "delete_user"):
        arguments = {"user": {"id": lead["id"]}} | ({"name": "x"} if tool == "update_user" else {})
        text = await call_error(client, tool, arguments)
        assert tool.replace("user", "lead") in text
    assert lead["id"] in emulator.contacts
    assert emulator.contacts[lead["id"]]["name"] != "x"


async def test_lead_tools_refuse_a_user(client: Client, emulator: GistEmulator) -> None:
    user = a_user(emulator)
    text = await call_error(client, "delete_lead", {"lead": {"email": user["email"]}})
    assert "delete_user" in text
    assert user["id"] in emulator.contacts


async def test_lead_ref_rejects_user_id(client: Client) -> None:
    text = await call_error(client, "get_lead", {"lead": {"user_id": "u_1"}})
    assert "lead.user_id" in text


async def test_delete_user_by_email_looks_up_the_id(client: Client, emulator: GistEmulator) -> None:
    user = a_user(emulator)
    result = await call(client, "delete_user", {"user": {"email": user["email"]}})
    assert result == {"deleted": True, "id": user["id"], "type": "user"}
    assert user["id"] not in emulator.contacts


async def test_delete_lead(client: Client, emulator: GistEmulator) -> None:
    lead = a_lead(emulator)
    assert (await call(client, "delete_lead", {"lead": {"id": lead["id"]}}))["deleted"] is True
    assert lead["id"] not in emulator.contacts


async def test_list_users_pages_through_120_users_and_keeps_only_users(client: Client, emulator: GistEmulator) -> None:
    for n in range(120):
        emulator.add_contact(user_id=f"bulk_{n}", email=f"bulk{n}@example.com", name=f"Bulk {n}")
    users = {c["id"] for c in emulator.contacts.values() if c["type"] == "user"}
    result = await call(client, "list_users", {"limit": 1000})
    assert {u["id"] for u in result["users"]} == users
    assert result["count"] == len(users)
    assert result["has_more"] is False
    assert result["next_cursor"] is None
    assert all(u["type"] == "user" for u in result["users"])


async def test_list_users_cursor_continues_without_gaps(client: Client, emulator: GistEmulator) -> None:
    for n in range(120):
        emulator.add_contact(user_id=f"bulk_{n}", email=f"bulk{n}@example.com")
    seen: list[int] = []
    cursor = None
    while True:
        result = await call(client, "list_users", {"limit": 45} | ({"cursor": cursor} if cursor else {}))
        seen += [u["id"] for u in result["users"]]
        if not result["has_more"]:
            break
        assert "next_cursor" in result["hint"]
        cursor = result["next_cursor"]
    users = [c["id"] for c in emulator.contacts.values() if c["type"] == "user"]
    assert sorted(seen) == sorted(users)
    assert len(seen) == len(set(seen))


async def test_list_leads_filters_by_segment_and_order(client: Client, emulator: GistEmulator) -> None:
    segment = next(iter(emulator.segments.values()))
    result = await call(client, "list_leads", {"segment_id": segment["id"], "order": "asc", "order_by": "updated_at"})
    request = [r for r in emulator.requests if r.path == "/contacts"][-1]
    assert request.query["segment_id"] == str(segment["id"])
    assert request.query["order"] == "asc"
    assert request.query["order_by"] == "updated_at"
    assert all(lead["type"] == "lead" for lead in result["leads"])


async def test_a_cursor_from_another_listing_is_refused(client: Client) -> None:
    first = await call(client, "list_users", {"limit": 1})
    text = await call_error(client, "list_leads", {"limit": 1, "cursor": first["next_cursor"]})
    assert text == FOREIGN_CURSOR


async def test_tags_create_rename_list_delete(client: Client, emulator: GistEmulator) -> None:
    tag = await call(client, "create_tag", {"name": "Webinar 2026"})
    renamed = await call(client, "update_tag", {"tag_id": tag["id"], "name": "Webinar Dec 2026"})
    assert renamed == {"id": tag["id"], "name": "Webinar Dec 2026"}
    listed = await call(client, "list_tags", {})
    assert {"id": tag["id"], "name": "Webinar Dec 2026"} in listed["tags"]
    assert (await call(client, "delete_tag", {"tag_id": tag["id"]}))["deleted"] is True
    assert tag["id"] not in emulator.tags


def tag_posts(emulator: GistEmulator) -> list[list[dict]]:
    return [r.json["contacts"] for r in emulator.requests if r.method == "POST" and r.path == "/tags"]


@pytest.fixture
def unlimited() -> GistEmulator:
    """An emulator without a rate limit, for tests that look up more contacts than 100 a window."""
    return GistEmulator(api_keys=(CANARY_KEY,), rate_limit=None)


@pytest.fixture
async def unlimited_client(unlimited: GistEmulator) -> AsyncIterator[Client]:
    transport = httpx.ASGITransport(app=unlimited.app)
    server = create_server(settings_for(rate_limit=(10_000, 10.0)), transport=transport)
    async with Client(server, cache=None) as connected:
        yield connected


async def test_tag_contacts_tags_and_untags_in_batches_of_50_by_id_only(
    unlimited_client: Client, unlimited: GistEmulator
) -> None:
    client, emulator = unlimited_client, unlimited
    made = [emulator.add_contact(email=f"batch{n}@example.com") for n in range(120)]
    untag_me = emulator.add_contact(email="untag@example.com", tags=["Batch"])
    contacts = [{"email": c["email"]} for c in made] + [{"id": untag_me["id"], "untag": True}]
    result = await call(client, "tag_contacts", {"tag": "Batch", "contacts": contacts})
    assert (result["tagged"], result["untagged"], result["failed"]) == (120, 1, [])
    posts = tag_posts(emulator)
    assert sorted(len(batch) for batch in posts) == [21, 50, 50]
    sent = [item for batch in posts for item in batch]
    assert all(set(item) <= {"id", "untag"} and isinstance(item["id"], str) for item in sent), "ids only, as strings"
    assert {"id": str(untag_me["id"]), "untag": True} in sent
    for contact in made:
        assert "Batch" in tag_names_of(emulator, contact["id"])
    assert "Batch" not in tag_names_of(emulator, untag_me["id"])


async def test_tag_contacts_counts_each_contact_once_and_its_last_mention_wins(
    client: Client, emulator: GistEmulator
) -> None:
    user = a_user(emulator)
    lead = a_lead(emulator)
    contacts = [
        {"id": user["id"]},
        {"email": user["email"]},
        {"user_id": user["user_id"]},
        {"email": lead["email"]},
        {"id": lead["id"], "untag": True},
        {"id": lead["id"]},
    ]
    result = await call(client, "tag_contacts", {"tag": "Once", "contacts": contacts})
    assert (result["tagged"], result["untagged"], result["failed"]) == (2, 0, [])
    assert tag_posts(emulator) == [[{"id": str(user["id"])}, {"id": str(lead["id"])}]]
    again = await call(
        client, "tag_contacts", {"tag": "Once", "contacts": [*contacts, {"id": user["id"], "untag": True}]}
    )
    assert (again["tagged"], again["untagged"]) == (1, 1)
    assert "Once" not in tag_names_of(emulator, user["id"])


async def test_one_unknown_contact_fails_alone_and_the_others_are_tagged(
    unlimited_client: Client, unlimited: GistEmulator
) -> None:
    client, emulator = unlimited_client, unlimited
    made = [emulator.add_contact(email=f"part{n}@example.com") for n in range(119)]
    contacts = [{"email": c["email"]} for c in made[:60]] + [{"email": "nobody@nowhere.invalid"}]
    contacts += [{"email": c["email"]} for c in made[60:]]
    result = await call(client, "tag_contacts", {"tag": "Partial", "contacts": contacts})
    assert result["tagged"] == 119
    assert result["failed"] == [
        {"contact": {"email": "nobody@nowhere.invalid"}, "error": "no contact with email 'nobody@nowhere.invalid'"}
    ]
    assert all("Partial" in tag_names_of(emulator, c["id"]) for c in made)
    assert [len(batch) for batch in tag_posts(emulator)] == [50, 50, 19], "no batch was refused"


async def test_an_unknown_id_is_dropped_from_its_refused_batch_and_the_rest_resent(
    client: Client, emulator: GistEmulator
) -> None:
    made = [emulator.add_contact(email=f"ids{n}@example.com") for n in range(10)]
    contacts = [{"id": c["id"]} for c in made] + [{"id": 999_999}]
    result = await call(client, "tag_contacts", {"tag": "ById", "contacts": contacts})
    assert result["tagged"] == 10
    assert result["failed"] == [{"contact": {"id": 999_999}, "error": "no contact with id 999999"}]
    assert [len(batch) for batch in tag_posts(emulator)] == [11, 10]
    assert all("ById" in tag_names_of(emulator, c["id"]) for c in made)


async def test_tag_contacts_with_nobody_found_tags_nothing(client: Client, emulator: GistEmulator) -> None:
    result = await call(client, "tag_contacts", {"tag": "Ghosts", "contacts": [{"user_id": "no-such-user"}]})
    assert (result["tag"], result["tagged"], result["untagged"]) == (None, 0, 0)
    assert result["failed"][0]["contact"] == {"user_id": "no-such-user"}
    assert tag_posts(emulator) == []


async def test_segments_and_campaigns(client: Client, emulator: GistEmulator) -> None:
    segments = await call(client, "list_segments", {})
    assert len(segments["segments"]) == len(emulator.segments)
    first = segments["segments"][0]
    one = await call(client, "get_segment", {"segment_id": first["id"]})
    assert one["count"] == first["count"]
    assert isinstance(one["count"], int)
    campaigns = await call(client, "list_campaigns", {})
    assert len(campaigns["campaigns"]) == len(emulator.campaigns)
    campaign = await call(client, "get_campaign", {"campaign_id": campaigns["campaigns"][0]["id"]})
    assert campaign["name"] == campaigns["campaigns"][0]["name"]


async def test_track_event_records_properties_and_time(client: Client, emulator: GistEmulator) -> None:
    user = a_user(emulator)
    result = await call(
        client,
        "track_event",
        {
            "event_name": "exported.report$csv",
            "contact": {"user_id": user["user_id"]},
            "properties": {"plan": "pro", "seats": 5},
            "occurred_at": 1764000000,
        },
    )
    assert result["name"] == "exported-report-csv"
    stored = [e for e in emulator.events if e["name"] == "exported-report-csv"]
    assert [e["properties"] for e in stored] == [{"plan": "pro", "seats": 5}]
    listed = await call(client, "list_events", {"limit": 1000})
    mine = [e for e in listed["events"] if e["name"] == "exported-report-csv"]
    assert mine[0]["occurred_at"] == "2025-11-24T16:00:00Z"
    assert mine[0]["properties"] == {"plan": "pro", "seats": 5}


async def test_track_event_for_an_unknown_contact_succeeds_and_gist_creates_it(
    client: Client, emulator: GistEmulator
) -> None:
    result = await call(client, "track_event", {"event_name": "visited", "contact": {"email": "new@example.com"}})
    created = emulator.find_contact(email="new@example.com")
    assert created is not None
    assert created["type"] == "lead"
    assert result["name"] == "visited"
    assert result["contact_id"] == created["id"]


async def test_api_request_reaches_any_endpoint(client: Client, emulator: GistEmulator) -> None:
    user = a_user(emulator)
    result = await call(client, "api_request", {"method": "GET", "path": "contacts", "query": {"email": user["email"]}})
    assert result["status"] == 200
    assert result["data"]["contact"]["id"] == user["id"]
