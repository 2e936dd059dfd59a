"""Failures reach the model as isError results that name the status, Gist's message and a next step."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import MODES, call, call_error
from mcp import Client

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer

pytestmark = [pytest.mark.anyio, pytest.mark.virtual_time]


async def test_unknown_contact_is_404_with_a_next_step(client: Client) -> None:
    text = await call_error(client, "get_user", {"user": {"email": "nobody@example.com"}})
    assert "404" in text
    assert "list_users" in text


@pytest.mark.parametrize(
    ("tool", "arguments", "finder"),
    [
        ("get_segment", {"segment_id": 9}, "list_segments"),
        ("get_campaign", {"campaign_id": 9}, "list_campaigns"),
        ("update_tag", {"tag_id": 9, "name": "x"}, "list_tags"),
        ("track_event", {"event_name": "x", "contact": {"id": 999_999}}, "get_user"),  # unknown emails are created
    ],
)
async def test_each_404_names_the_tool_that_finds_a_valid_id(
    client: Client, tool: str, arguments: dict[str, object], finder: str
) -> None:
    text = await call_error(client, tool, arguments)
    assert "404" in text
    assert finder in text


async def test_wrong_key_is_401_naming_the_setting(
    emulator: GistEmulator, make_server: Callable[..., GistServer]
) -> None:
    from pydantic import SecretStr

    server = make_server(api_key=SecretStr("sk_wrong"))
    async with Client(server) as client:
        text = await call_error(client, "list_tags", {})
    assert "401" in text
    assert "GIST_API_KEY" in text


async def test_validation_errors_name_the_argument_and_send_nothing(client: Client, emulator: GistEmulator) -> None:
    before = len(emulator.requests)
    text = await call_error(client, "create_user", {"email": "a@b.c", "limit": 3})
    assert "user_id: required" in text
    assert "limit: unknown argument" in text
    text = await call_error(client, "list_users", {"limit": 5000})
    assert "limit:" in text
    text = await call_error(client, "get_user", {"user": {}})
    assert "user: give exactly one of id, user_id, email" in text
    text = await call_error(client, "track_event", {"event_name": "x", "contact": {"id": 1}, "occurred_at": "soon"})
    assert "occurred_at" in text
    assert "errors.pydantic.dev" not in text
    assert len(emulator.requests) == before


async def test_gist_400_is_reported_with_gists_message(client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=400, path_prefix="/tags", method="POST")
    text = await call_error(client, "create_tag", {"name": "x"})
    assert "Gist API 400 on POST /tags" in text


@pytest.mark.parametrize("mode", MODES)
async def test_429_with_retry_after_is_retried_then_succeeds(
    mode: str, emulator: GistEmulator, make_server: Callable[..., GistServer]
) -> None:
    emulator.faults.add("status", status=429, retry_after=1, path_prefix="/tags", method="POST")
    async with Client(make_server(), mode=mode) as client:
        tag = await call(client, "create_tag", {"name": "after-429"})
    assert tag["name"] == "after-429"
    assert len([r for r in emulator.requests if r.method == "POST" and r.path == "/tags"]) == 2


async def test_persistent_5xx_on_a_read_gives_up_after_bounded_retries(client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=503, times=None, path_prefix="/segments")
    text = await call_error(client, "list_segments", {})
    assert "503" in text
    assert len([r for r in emulator.requests if r.path == "/segments"]) == 3


async def test_5xx_on_a_post_is_not_repeated(client: Client, emulator: GistEmulator) -> None:
    emulator.faults.add("status", status=500, path_prefix="/events", method="POST")
    user = next(c for c in emulator.contacts.values() if c["type"] == "user")
    text = await call_error(client, "track_event", {"event_name": "x", "contact": {"id": user["id"]}})
    assert "500" in text
    assert len([r for r in emulator.requests if r.method == "POST" and r.path == "/events"]) == 1


async def test_a_hung_gist_ends_at_the_deadline(emulator: GistEmulator, make_server: Callable[..., GistServer]) -> None:
    emulator.faults.add("hang", path_prefix="/campaigns")
    async with Client(make_server(deadline=1.0)) as client:
        text = await call_error(client, "list_campaigns", {})
        assert "deadline" in text
        assert (await call(client, "list_tags", {}))["count"] > 0


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example.com/contacts",
        "//evil.example.com/contacts",
        "contacts/../../admin",
        "contacts/%2e%2e/x",
        "javascript:alert(1)",
        "user@evil.example.com/x",
        "contacts\\x",
        "contacts\r\nX-Injected: 1",
        "contacts?email=a",
    ],
)
async def test_api_request_refuses_paths_that_could_leave_the_host(
    client: Client, emulator: GistEmulator, path: str
) -> None:
    before = len(emulator.requests)
    text = await call_error(client, "api_request", {"method": "GET", "path": path})
    assert "path" in text
    assert len(emulator.requests) == before


@pytest.mark.parametrize("header", ["Authorization", "authorization", "Host", "Content-Length"])
async def test_api_request_refuses_protected_headers(client: Client, emulator: GistEmulator, header: str) -> None:
    before = len(emulator.requests)
    text = await call_error(client, "api_request", {"method": "GET", "path": "tags", "headers": {header: "x"}})
    assert header in text
    assert len(emulator.requests) == before


async def test_api_request_maps_gist_failures_to_errors(client: Client) -> None:
    text = await call_error(client, "api_request", {"method": "GET", "path": "contacts/424242"})
    assert "404" in text
