"""The emulator's own contract: the Gist API shapes of gist-api.md that clients are tested against."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from conftest import SettableClock

from gist_mcp.emulator import GistEmulator, Payload

pytestmark = pytest.mark.anyio

NOW = 1_797_000_000.0  # 2026-12-13, a little after the demo data
AUTH = {"Authorization": "Bearer sandbox-key"}
MAYA = {"id": 179301, "user_id": "u_1001", "email": "maya.patel@example.com"}  # a demo user
SOFIA = {"id": 179303, "email": "sofia.rossi@example.org"}  # a demo lead
PAYING_CUSTOMERS = 571  # demo segment with 28 members


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def emu(clock: SettableClock) -> GistEmulator:
    return GistEmulator(clock=clock)


@pytest.fixture
async def client(emu: GistEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emu.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gist.test", headers=AUTH) as client:
        yield client


def error_code(response: httpx.Response) -> str:
    """The code of a §4 error envelope (asserting its shape on the way)."""
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert set(errors[0]) == {"code", "message"}
    return errors[0]["code"]


# Authentication and errors


@pytest.mark.parametrize("headers", [{}, {"Authorization": "sandbox-key"}, {"Authorization": "Bearer wrong"}])
async def test_requests_without_a_valid_bearer_key_get_401(client: httpx.AsyncClient, headers: dict[str, str]):
    client.headers.pop("Authorization")
    response = await client.get("/contacts", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "authentication_failed"


async def test_unknown_path_is_404_and_wrong_method_is_405_in_the_error_envelope(client: httpx.AsyncClient):
    missing = await client.get("/users")
    assert (missing.status_code, error_code(missing)) == (404, "not_found")
    wrong = await client.put("/contacts", json={})
    assert (wrong.status_code, error_code(wrong)) == (405, "method_not_allowed")
    assert "POST" in wrong.headers["allow"]


async def test_every_request_is_recorded_with_query_and_json_body(client: httpx.AsyncClient, emu: GistEmulator):
    await client.get("/contacts?tags=VIP&page=2&tags=Trial")
    await client.post("/tags", json={"name": "Fresh"})
    listing, write = emu.requests
    assert (listing.method, listing.path, listing.query) == ("GET", "/contacts", {"tags": "Trial", "page": "2"})
    assert listing.query_items == [("tags", "VIP"), ("page", "2"), ("tags", "Trial")]
    assert write.json == {"name": "Fresh"}
    assert write.headers["authorization"] == "Bearer sandbox-key"
    assert "sandbox-key" not in repr(write)


# Pagination (§3 recommended emulator shape)


async def test_first_page_links_next_and_last_and_keeps_the_callers_parameters(client: httpx.AsyncClient):
    response = await client.get("/contacts?order=asc&per_page=20&tags=Customer")
    body = response.json()
    assert [c["id"] for c in body["contacts"]][:2] == [179301, 179302]
    assert body["pages"] == {
        "next": "http://gist.test/contacts?order=asc&per_page=20&tags=Customer&page=2",
        "last": "http://gist.test/contacts?order=asc&per_page=20&tags=Customer&page=2",
    }


async def test_middle_page_has_all_four_links_and_last_page_no_next(client: httpx.AsyncClient):
    middle = (await client.get("/contacts?page=2&per_page=25")).json()["pages"]
    assert middle == {
        "first": "http://gist.test/contacts?page=1&per_page=25",
        "prev": "http://gist.test/contacts?page=1&per_page=25",
        "next": "http://gist.test/contacts?page=3&per_page=25",
        "last": "http://gist.test/contacts?page=3&per_page=25",
    }
    last = await client.get("/contacts?page=3&per_page=25")
    assert len(last.json()["contacts"]) == 10
    assert set(last.json()["pages"]) == {"first", "prev", "last"}


async def test_single_page_has_empty_pages_and_a_page_past_the_end_is_empty(client: httpx.AsyncClient):
    assert (await client.get("/tags")).json()["pages"] == {}
    past = (await client.get("/tags?page=5")).json()
    assert past["tags"] == []
    assert "next" not in past["pages"]


async def test_per_page_defaults_to_50_and_is_clamped_to_the_maximum(client: httpx.AsyncClient):
    assert len((await client.get("/contacts")).json()["contacts"]) == 50
    clamped = (await client.get("/contacts?per_page=500")).json()
    assert len(clamped["contacts"]) == 60
    assert clamped["pages"] == {}


@pytest.mark.parametrize("query", ["page=0", "per_page=abc", "order=up", "order_by=name"])
async def test_bad_list_parameters_are_400_parameter_invalid(client: httpx.AsyncClient, query: str):
    response = await client.get(f"/contacts?{query}")
    assert (response.status_code, error_code(response)) == (400, "parameter_invalid")


# Contacts


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("tag_id=73", 4),
        ("tags=VIP", 4),
        ("tags=vip", 0),  # tag names are case-sensitive
        (f"segment_id={PAYING_CUSTOMERS}", 28),
        ("email_like=EXAMPLE.ORG", 20),
        ("created_since=30", 12),
    ],
)
async def test_contact_list_filters(client: httpx.AsyncClient, query: str, count: int):
    response = await client.get(f"/contacts?per_page=60&{query}")
    assert len(response.json()["contacts"]) == count


async def test_contacts_list_users_and_leads_together_newest_first(client: httpx.AsyncClient):
    contacts = (await client.get("/contacts?per_page=3")).json()["contacts"]
    assert [c["id"] for c in contacts] == [179360, 179359, 179358]
    assert [c["type"] for c in contacts] == ["lead", "user", "user"]
    by_last_seen = (await client.get("/contacts?order_by=last_seen_at&order=asc&per_page=1")).json()
    assert by_last_seen["contacts"][0]["id"] == MAYA["id"]


async def test_contact_is_found_by_id_email_and_user_id(client: httpx.AsyncClient):
    for url in ("/contacts/179301", "/contacts?email=maya.patel@example.com", "/contacts?user_id=u_1001"):
        response = await client.get(url)
        assert response.status_code == 200
        assert response.json()["contact"]["id"] == MAYA["id"]


@pytest.mark.parametrize("url", ["/contacts/1", "/contacts?email=nobody@example.com", "/contacts?user_id=nope"])
async def test_unknown_contact_is_404_not_found(client: httpx.AsyncClient, url: str):
    response = await client.get(url)
    assert (response.status_code, error_code(response)) == (404, "not_found")


async def test_top_level_name_and_company_fields_are_stored_and_answered(client: httpx.AsyncClient, emu: GistEmulator):
    fields = {"first_name": "Ada", "last_name": "Lovelace", "company_name": "Analytical Ltd", "job_title": "CTO"}
    answer = (await client.post("/contacts", json={"email": "ada@example.com", **fields})).json()["contact"]
    assert {key: answer[key] for key in fields} == fields
    stored = emu.find_contact(email="ada@example.com")
    assert stored is not None
    assert {key: stored[key] for key in fields} == fields
    bad = await client.post("/contacts", json={"email": "ada@example.com", "job_title": 5})
    assert (bad.status_code, error_code(bad)) == (400, "parameter_invalid")


async def test_lists_leave_out_pages_when_switched_off(client: httpx.AsyncClient, emu: GistEmulator):
    emu.pages = False
    for path in ("/contacts", "/tags", "/segments", "/campaigns", "/events"):
        body = (await client.get(path, params={"per_page": 2})).json()
        assert "pages" not in body
        assert len(body[path.strip("/")]) == 2
    emu.pages = True
    assert "next" in (await client.get("/tags", params={"per_page": 2})).json()["pages"]


async def test_contact_serialization_follows_the_gist_quirks(client: httpx.AsyncClient):
    contact = (await client.get("/contacts/179301")).json()["contact"]
    assert contact["unsubscribed_from_emails"] == "false"
    assert (contact["name"], contact["full_name"]) == ("Maya Patel", "Maya Patel")
    assert contact["tags"] == [
        {"id": 71, "name": "Customer"},
        {"id": 74, "name": "Newsletter"},
        {"id": 76, "name": "Beta tester"},
    ]
    assert set(contact["segments"][0]) == {"id", "name", "created_at", "updated_at"}
    assert contact["custom_properties"]["plan"] == "growth"
    lead = (await client.get("/contacts/179303")).json()["contact"]
    assert (lead["type"], lead["user_id"], lead["signed_up_at"]) == ("lead", None, None)


async def test_upsert_creates_a_contact_with_equal_timestamps(client: httpx.AsyncClient, emu: GistEmulator):
    response = await client.post(
        "/contacts",
        json={"email": "new@example.com", "user_id": 501, "phone": 5550100, "signed_up_at": "", "tags": ["VIP", "New"]},
    )
    assert response.status_code == 200
    contact = response.json()["contact"]
    assert contact["id"] == 179361
    assert contact["created_at"] == contact["updated_at"] == int(NOW)
    assert (contact["type"], contact["user_id"], contact["phone"], contact["signed_up_at"]) == (
        "user",
        "501",
        "5550100",
        None,
    )
    assert [t["name"] for t in contact["tags"]] == ["VIP", "New"]
    assert emu.find_contact(email="new@example.com") is emu.contacts[179361]


async def test_upsert_updates_by_user_id_merging_properties_and_adding_tags(
    client: httpx.AsyncClient, clock: SettableClock
):
    clock.now += 60
    body = {"user_id": "u_1001", "custom_properties": {"seats": 9}, "tags": ["Trial"], "unsubscribed_from_emails": True}
    contact = (await client.post("/contacts", json=body)).json()["contact"]
    assert contact["id"] == MAYA["id"]
    assert contact["updated_at"] == int(clock.now) != contact["created_at"]
    assert contact["custom_properties"]["seats"] == 9
    assert contact["custom_properties"]["plan"] == "growth"
    assert [t["name"] for t in contact["tags"]] == ["Customer", "Newsletter", "Beta tester", "Trial"]
    assert contact["unsubscribed_from_emails"] == "true"


async def test_giving_a_lead_a_user_id_turns_it_into_a_user(client: httpx.AsyncClient):
    response = await client.post("/contacts", json={"email": SOFIA["email"], "user_id": "u_9000"})
    contact = response.json()["contact"]
    assert (contact["id"], contact["type"], contact["user_id"]) == (SOFIA["id"], "user", "u_9000")


async def test_upsert_matches_id_first(client: httpx.AsyncClient):
    response = await client.post("/contacts", json={"id": "179303", "email": "sofia@example.net", "type": "lead"})
    assert response.json()["contact"]["email"] == "sofia@example.net"
    unknown = await client.post("/contacts", json={"id": 99, "email": "x@example.com"})
    assert (unknown.status_code, error_code(unknown)) == (404, "not_found")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "No Identifier"}, "missing_parameter"),
        ({"id": MAYA["id"], "name": "Only an id"}, "missing_parameter"),
        ({"email": "x@example.com", "fullname": "Typo"}, "parameter_invalid"),
        ({"email": "x@example.com", "unsubscribed_from_emails": "yes"}, "parameter_invalid"),
        ({"email": "x@example.com", "tags": "VIP"}, "parameter_invalid"),
        ({"email": "x@example.com", "user_id": "u_1", "type": "lead"}, "parameter_invalid"),
        ({"email": MAYA["email"], "user_id": "u_other"}, "parameter_invalid"),
        ({"user_id": "u_1001", "email": SOFIA["email"]}, "parameter_invalid"),
    ],
)
async def test_invalid_contact_writes_are_400(
    client: httpx.AsyncClient, emu: GistEmulator, body: dict[str, Any], code: str
):
    before = len(emu.contacts)
    response = await client.post("/contacts", json=body)
    assert (response.status_code, error_code(response)) == (400, code)
    assert len(emu.contacts) == before


async def test_deleting_a_contact_answers_it_and_removes_it_from_segments(client: httpx.AsyncClient, emu: GistEmulator):
    deleted = await client.delete("/contacts?email=maya.patel@example.com")
    assert deleted.json()["contact"]["id"] == MAYA["id"]
    assert MAYA["id"] not in emu.segments[PAYING_CUSTOMERS]["contact_ids"]
    again = await client.delete("/contacts/179301")
    assert (again.status_code, error_code(again)) == (404, "not_found")
    by_user_id = await client.delete("/contacts?user_id=u_1002")
    assert by_user_id.json()["contact"]["id"] == 179302
    new = (await client.post("/contacts", json={"email": "later@example.com"})).json()["contact"]
    assert new["id"] == 179361  # ids are never reused


# Tags


async def test_tag_create_returns_the_existing_tag_for_a_known_name(client: httpx.AsyncClient):
    assert (await client.post("/tags", json={"name": "VIP"})).json() == {"tag": {"id": 73, "name": "VIP"}}
    assert (await client.post("/tags", json={"name": "vip"})).json()["tag"]["id"] == 79


async def test_tag_rename_by_id(client: httpx.AsyncClient, emu: GistEmulator):
    assert (await client.post("/tags", json={"id": 73, "name": "Key account"})).json()["tag"] == {
        "id": 73,
        "name": "Key account",
    }
    assert emu.tags[73]["name"] == "Key account"
    unknown = await client.post("/tags", json={"id": 9999, "name": "Nope"})
    assert (unknown.status_code, error_code(unknown)) == (404, "not_found")


async def test_tag_and_untag_contacts_by_each_selector(client: httpx.AsyncClient, emu: GistEmulator):
    body = {
        "name": "Upsell",
        "contacts": [{"id": "179301"}, {"email": SOFIA["email"]}, {"user_id": "u_1002"}],
    }
    tag = (await client.post("/tags", json=body)).json()["tag"]
    assert tag == {"id": 79, "name": "Upsell"}
    assert all(79 in emu.contacts[i]["tag_ids"] for i in (179301, 179302, 179303))
    await client.post("/tags", json={"name": "Upsell", "contacts": [{"id": 179301, "untag": True}]})
    assert 79 not in emu.contacts[179301]["tag_ids"]


async def test_tag_id_name_and_contacts_together_tag_on_that_tag_and_name_it(
    client: httpx.AsyncClient, emu: GistEmulator
):
    same = {"id": 73, "name": "VIP", "contacts": [{"id": "179303"}]}
    assert (await client.post("/tags", json=same)).json()["tag"] == {"id": 73, "name": "VIP"}
    assert 73 in emu.contacts[179303]["tag_ids"]
    renamed = {"id": 73, "name": "Key account", "contacts": [{"id": "179303", "untag": True}]}
    assert (await client.post("/tags", json=renamed)).json()["tag"] == {"id": 73, "name": "Key account"}
    assert 73 not in emu.contacts[179303]["tag_ids"]
    unknown = await client.post("/tags", json={"id": 9999, "name": "VIP", "contacts": [{"id": "179303"}]})
    assert (unknown.status_code, error_code(unknown)) == (404, "not_found")


async def test_tagging_with_an_unknown_contact_fails_whole_request(client: httpx.AsyncClient, emu: GistEmulator):
    body = {"name": "Upsell", "contacts": [{"id": 179301}, {"email": "ghost@example.com"}]}
    response = await client.post("/tags", json=body)
    assert (response.status_code, error_code(response)) == (404, "not_found")
    assert "ghost@example.com" in response.json()["errors"][0]["message"]
    assert "Upsell" not in {t["name"] for t in emu.tags.values()}


async def test_more_than_50_contacts_per_tag_request_is_rejected(client: httpx.AsyncClient):
    contacts = [{"id": 179301 + i} for i in range(51)]
    response = await client.post("/tags", json={"name": "Bulk", "contacts": contacts})
    assert (response.status_code, error_code(response)) == (400, "parameter_invalid")
    assert "at most 50" in response.json()["errors"][0]["message"]
    ok = await client.post("/tags", json={"name": "Bulk", "contacts": contacts[:50]})
    assert ok.status_code == 200


async def test_deleting_a_tag_removes_it_from_contacts(client: httpx.AsyncClient, emu: GistEmulator):
    response = await client.delete("/tags/73")
    assert response.json() == {"tag": {"id": 73, "name": "VIP"}}
    assert not any(73 in c["tag_ids"] for c in emu.contacts.values())
    assert (await client.delete("/tags/73")).status_code == 404


# Segments, campaigns, events


async def test_segments_count_only_when_asked_and_counts_live_members(client: httpx.AsyncClient):
    plain = (await client.get(f"/segments/{PAYING_CUSTOMERS}")).json()["segment"]
    assert plain == {"id": 571, "name": "Paying customers", "created_at": 1788220800, "updated_at": 1789948800}
    await client.delete("/contacts/179301")
    counted = (await client.get("/segments?include_count=true")).json()["segments"]
    assert [(s["id"], s["count"]) for s in counted][:1] == [(PAYING_CUSTOMERS, 27)]
    assert (await client.get("/segments/1")).status_code == 404


async def test_campaigns_have_the_airbyte_fields(client: httpx.AsyncClient):
    campaigns = (await client.get("/campaigns")).json()["campaigns"]
    assert [c["name"] for c in campaigns] == ["Onboarding drip", "Trial expiry", "Monthly newsletter", "Win-back"]
    one = (await client.get("/campaigns/3101")).json()["campaign"]
    assert isinstance(one["email_open_rate"], str)
    assert set(one) >= {
        "id",
        "status",
        "href",
        "email_count",
        "active_subscriber_count",
        "unsubscribed_subscriber_count",
    }


async def test_tracking_an_event_rewrites_dots_and_dollars(client: httpx.AsyncClient):
    body = {"event_name": "plan.upgraded$", "user_id": "u_1001", "properties": {"to": "growth"}, "occurred_at": None}
    event = (await client.post("/events", json=body)).json()["event"]
    assert event == {
        "id": 42,
        "name": "plan-upgraded-",
        "contact_id": MAYA["id"],
        "email": MAYA["email"],
        "user_id": "u_1001",
        "properties": {"to": "growth"},
        "occurred_at": int(NOW),
    }
    listed = (await client.get("/events?event_type=all&per_page=1")).json()["events"]
    assert listed == [event]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"event_name": "x"}, 400, "missing_parameter"),
        ({"email": MAYA["email"]}, 400, "missing_parameter"),
        ({"event_name": "x", "id": 9999}, 404, "not_found"),
    ],
)
async def test_event_needs_a_name_and_a_contact_that_exists_or_can_be_created(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, code: str
):
    response = await client.post("/events", json=body)
    assert (response.status_code, error_code(response)) == (status, code)


@pytest.mark.parametrize(
    ("ref", "kind"),
    [({"email": "ghost@example.com"}, "lead"), ({"user_id": "u_new", "email": "new@example.com"}, "user")],
)
async def test_an_event_for_an_unknown_contact_creates_it(
    client: httpx.AsyncClient, emu: GistEmulator, ref: dict[str, str], kind: str
):
    sent: list[Payload] = []

    async def sink(payload: Payload) -> None:
        sent.append(payload)

    emu.webhook_sink = sink
    event = (await client.post("/events", json={"event_name": "signed.up", **ref})).json()["event"]
    created = emu.find_contact(user_id=ref["user_id"]) if kind == "user" else emu.find_contact(email=ref["email"])
    assert created is not None
    assert created["type"] == kind
    assert event["contact_id"] == created["id"]
    assert [payload["topic"] for payload in sent] == ["contact.created", "event.performed"]


async def test_events_filter_by_event_type(client: httpx.AsyncClient):
    events = (await client.get("/events?event_type=upgraded-plan")).json()["events"]
    assert len(events) == 6
    assert events[0]["occurred_at"] >= events[-1]["occurred_at"]


# Rate limit


async def test_every_key_of_the_workspace_shares_one_rate_limit_window(clock: SettableClock):
    emu = GistEmulator(api_keys=("key-a", "key-b"), rate_limit=(3, 10.0), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url="http://gist.test") as client:
        statuses = [
            (await client.get("/tags", headers={"Authorization": f"Bearer {key}"})).status_code
            for key in ("key-a", "key-b", "key-a", "key-b")
        ]
    assert statuses == [200, 200, 200, 429]


async def test_rate_limit_answers_429_with_retry_after_until_a_slot_frees(clock: SettableClock):
    emu = GistEmulator(rate_limit=(2, 10.0), clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app), base_url="http://gist.test", headers=AUTH
    ) as client:
        assert (await client.get("/tags")).status_code == 200
        clock.now += 3.5
        assert (await client.get("/tags")).status_code == 200
        limited = await client.get("/tags")
        assert (limited.status_code, error_code(limited)) == (429, "rate_limit_exceeded")
        assert limited.headers["retry-after"] == "7"
        clock.now += 6.5
        assert (await client.get("/tags")).status_code == 200


# Faults


async def test_status_fault_answers_the_status_once_for_matching_requests(client: httpx.AsyncClient, emu: GistEmulator):
    emu.faults.add("status", status=503, retry_after=2, method="POST", path_prefix="/tags")
    assert (await client.get("/tags")).status_code == 200
    failed = await client.post("/tags", json={"name": "A"})
    assert (failed.status_code, error_code(failed), failed.headers["retry-after"]) == (503, "server_error", "2")
    assert (await client.post("/tags", json={"name": "A"})).status_code == 200
    assert [r.method for r in emu.requests] == ["GET", "POST", "POST"]


async def test_committed_fault_applies_the_write_but_loses_the_answer(client: httpx.AsyncClient, emu: GistEmulator):
    emu.faults.add("status", status=502, commit=True)
    assert (await client.delete("/contacts/179301")).status_code == 502
    assert MAYA["id"] not in emu.contacts
    assert (await client.delete("/contacts/179301")).status_code == 404


async def test_hang_fault_never_answers(client: httpx.AsyncClient, emu: GistEmulator):
    emu.faults.add("hang")
    with anyio.move_on_after(0.2) as scope:
        await client.get("/tags")
    assert scope.cancelled_caught
    assert (await client.get("/tags")).status_code == 200


async def test_reset_fault_raises_the_same_error_as_a_dropped_connection(client: httpx.AsyncClient, emu: GistEmulator):
    emu.faults.add("reset", times=2)
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/contacts", json={"email": "x@example.com"})
    assert len(emu.requests) == 2
    assert emu.find_contact(email="x@example.com") is None


async def test_malformed_and_truncated_faults_answer_200_with_unparseable_json(
    client: httpx.AsyncClient, emu: GistEmulator
):
    emu.faults.add("malformed")
    emu.faults.add("truncated")
    for _ in range(2):
        response = await client.get("/contacts/179301")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        with pytest.raises(json.JSONDecodeError):
            response.json()


async def test_huge_fault_streams_about_20_mb_of_json(client: httpx.AsyncClient, emu: GistEmulator):
    emu.faults.add("huge")
    async with client.stream("GET", "/contacts") as response:
        assert "content-length" not in response.headers
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    assert 19_000_000 < len(body) <= 21_000_000
    assert json.loads(body)["pages"] == {}


def test_faults_reject_inconsistent_rules(emu: GistEmulator):
    with pytest.raises(ValueError, match="status"):
        emu.faults.add("status")
    with pytest.raises(ValueError, match="unknown fault kind"):
        emu.faults.add("explode")  # pyright: ignore[reportArgumentType]


async def test_reset_and_hang_faults_over_a_real_socket(emu: GistEmulator):
    emu.faults.add("reset")
    emu.faults.add("hang")
    async with emu.serve() as base_url, httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=0.3) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/tags")
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/tags")
        assert (await client.get("/tags")).json()["tags"][0] == {"id": 71, "name": "Customer"}


# Webhooks and reset


async def test_webhook_sink_gets_one_payload_per_write(client: httpx.AsyncClient, emu: GistEmulator):
    received: list[Payload] = []

    async def sink(payload: Payload) -> None:
        received.append(payload)

    emu.webhook_sink = sink
    await client.post("/contacts", json={"email": "hook@example.com", "tags": ["VIP"]})
    await client.post("/tags", json={"name": "VIP", "contacts": [{"email": "hook@example.com", "untag": True}]})
    await client.post("/events", json={"event_name": "pinged", "email": "hook@example.com"})
    await client.delete("/contacts?email=hook@example.com")
    topics = [p["topic"] for p in received]
    assert topics == ["contact.created", "contact.tagged", "contact.untagged", "event.performed", "contact.deleted"]
    tagged = received[1]
    assert set(tagged) == {"id", "topic", "created_at", "workspace_id", "contact", "tag"}
    assert (tagged["tag"], tagged["contact"]["email"], tagged["workspace_id"]) == (
        {"id": 73, "name": "VIP"},
        "hook@example.com",
        "sandbox",
    )
    assert received[3]["event"]["name"] == "pinged"
    assert len({p["id"] for p in received}) == 5


async def test_a_failing_webhook_sink_does_not_break_the_answer(
    client: httpx.AsyncClient, emu: GistEmulator, caplog: pytest.LogCaptureFixture
):
    async def sink(payload: Payload) -> None:
        raise RuntimeError("receiver down")

    emu.webhook_sink = sink
    assert (await client.post("/contacts", json={"email": "hook@example.com"})).status_code == 200
    assert "webhook sink failed" in caplog.text


async def test_reset_restores_the_demo_workspace(client: httpx.AsyncClient, emu: GistEmulator):
    await client.post("/contacts", json={"email": "temp@example.com"})
    emu.faults.add("hang", times=None)
    emu.reset()
    assert (len(emu.contacts), len(emu.tags), len(emu.segments), len(emu.campaigns), len(emu.events)) == (
        60,
        8,
        5,
        4,
        41,
    )
    assert emu.requests == []
    assert emu.faults.pending == []
    assert GistEmulator(seed=False).contacts == {}
