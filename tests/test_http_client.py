"""GistClient's retry rules, waits, deadline and host pinning, driven against the emulator in memory.

`sleep` is injected so that backoff and Retry-After waits are recorded instead of slept.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from conftest import BASE_URL, CANARY_KEY, call, settings_for
from mcp import Client

from gist_mcp._http import GistClient, deadline_scope
from gist_mcp.emulator import GistEmulator
from gist_mcp.errors import GistConnectionError, RateLimitError, ServerError
from gist_mcp.server import create_server

pytestmark = [pytest.mark.anyio, pytest.mark.virtual_time]


class Waits:
    """A `sleep` that records what it was asked to wait, and returns at once."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def gist_client(emulator: GistEmulator, waits: Waits, **changes: Any) -> GistClient:
    return GistClient(settings_for(**changes), transport=httpx.ASGITransport(app=emulator.app), sleep=waits)


def a_user_id(emulator: GistEmulator) -> int:
    return next(c["id"] for c in emulator.contacts.values() if c.get("type") == "user")


async def test_get_is_retried_on_503_with_backoff(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("status", status=503, times=2, method="GET")
    client = gist_client(emulator, waits)
    response = await client.request("GET", f"contacts/{a_user_id(emulator)}")
    assert response.status == 200
    assert len(emulator.requests) == 3
    assert len(waits.seconds) == 2
    assert all(0 < wait <= 8 for wait in waits.seconds)


async def test_get_gives_up_after_max_retries_naming_the_status(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("status", status=503, times=None, method="GET")
    client = gist_client(emulator, waits)
    with pytest.raises(ServerError) as raised:
        await client.request("GET", "contacts")
    assert "503" in str(raised.value)
    assert len(emulator.requests) == 3  # first attempt + max_retries (2)


async def test_retry_after_is_honoured(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("status", status=503, retry_after=7, method="GET")
    client = gist_client(emulator, waits)
    response = await client.request("GET", "contacts")
    assert response.status == 200
    assert waits.seconds == [7.0]


async def test_post_is_not_retried_on_500(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("status", status=500, method="POST", commit=True)
    client = gist_client(emulator, waits)
    before = len(emulator.contacts)
    with pytest.raises(ServerError):
        await client.request("POST", "contacts", json_body={"email": "once@example.com"})
    assert [r.method for r in emulator.requests] == ["POST"]
    assert len(emulator.contacts) == before + 1  # the write happened once, never twice
    assert waits.seconds == []


async def test_post_is_not_retried_after_a_reset_once_sent(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("reset", method="POST", commit=True)
    client = gist_client(emulator, waits)
    with pytest.raises(GistConnectionError) as raised:
        await client.request("POST", "contacts", json_body={"email": "reset@example.com"})
    assert "connection" in str(raised.value)
    assert [r.method for r in emulator.requests] == ["POST"]
    assert emulator.find_contact(email="reset@example.com") is not None


async def test_get_is_retried_after_a_reset(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("reset", method="GET")
    client = gist_client(emulator, waits)
    response = await client.request("GET", "contacts")
    assert response.status == 200
    assert len(emulator.requests) == 2


async def test_post_is_retried_on_429(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("status", status=429, retry_after=2, method="POST")
    client = gist_client(emulator, waits)
    response = await client.request("POST", "contacts", json_body={"email": "limited@example.com"})
    assert response.status < 300
    assert [r.method for r in emulator.requests] == ["POST", "POST"]
    assert waits.seconds == [2.0]
    # Gist refused the first one: only the second was carried out.
    assert sum(1 for c in emulator.contacts.values() if c.get("email") == "limited@example.com") == 1


async def test_delete_retried_then_404_counts_as_deleted(emulator: GistEmulator) -> None:
    waits = Waits()
    contact_id = a_user_id(emulator)
    emulator.faults.add("status", status=503, method="DELETE", commit=True)
    client = gist_client(emulator, waits)
    response = await client.request("DELETE", f"contacts/{contact_id}")
    assert (response.status, response.data) == (404, None)
    assert contact_id not in emulator.contacts
    assert [r.method for r in emulator.requests] == ["DELETE", "DELETE"]


async def test_first_delete_404_is_not_found(emulator: GistEmulator) -> None:
    client = gist_client(emulator, Waits())
    with pytest.raises(Exception, match="404"):
        await client.request("DELETE", "contacts/999999999")


async def test_deadline_stops_a_long_retry_after_wait(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("status", status=429, retry_after=20, method="GET")
    client = gist_client(emulator, waits)
    with deadline_scope(2.0), pytest.raises(RateLimitError) as raised:
        await client.request("GET", "contacts")
    assert "429" in str(raised.value)
    assert waits.seconds == []  # it did not wait past the deadline
    assert len(emulator.requests) == 1


async def test_deadline_stops_backoff_on_5xx(emulator: GistEmulator) -> None:
    waits = Waits()
    emulator.faults.add("status", status=502, retry_after=5, times=None, method="GET")
    client = gist_client(emulator, waits)
    with deadline_scope(1.0), pytest.raises(ServerError):
        await client.request("GET", "contacts")
    assert waits.seconds == []


class ForeignLinks(httpx.AsyncBaseTransport):
    """Passes requests to the emulator, logs their URLs, and rewrites `pages` links to another host."""

    def __init__(self, emulator: GistEmulator) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.urls: list[httpx.URL] = []
        self.authorizations: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        self.authorizations.append(request.headers.get("authorization", ""))
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        data = json.loads(body) if body else None
        if isinstance(data, dict) and isinstance(data.get("pages"), dict):
            data["pages"] = {
                name: str(httpx.URL(link).copy_with(scheme="https", host="evil.example", port=None))
                for name, link in data["pages"].items()
            }
            body = json.dumps(data).encode()
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=headers, content=body)


async def test_page_links_to_another_host_are_used_for_the_page_number_only(emulator: GistEmulator) -> None:
    for n in range(130):
        emulator.add_contact(user_id=f"bulk_{n}", email=f"bulk{n}@example.com")
    transport = ForeignLinks(emulator)
    server = create_server(settings_for(), transport=transport)
    async with Client(server, cache=None) as client:
        result = await call(client, "list_users", {"limit": 120})
    assert result["count"] == 120
    assert len(transport.urls) >= 3
    assert {url.host for url in transport.urls} == {httpx.URL(BASE_URL).host}
    assert {r.query.get("page") for r in emulator.requests} >= {"1", "2", "3"}
    assert set(transport.authorizations) == {f"Bearer {CANARY_KEY}"}
