"""The client tolerates every shape gist-api.md marks as uncertain, against a stand-in Gist that
answers in those other shapes (the emulator only speaks the recommended one)."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import call, call_error, settings_for
from mcp import Client

from gist_mcp.server import create_server

pytestmark = pytest.mark.anyio

ADA = {"id": 7, "type": "user", "email": "ada@example.com", "user_id": "42", "name": "Ada",
       "unsubscribed_from_emails": True, "created_at": "2026-11-01T10:00:00Z", "tags": ["VIP"]}  # fmt: skip
BOB = {"id": 8, "email": "bob@example.com", "user_id": None, "full_name": "Bob", "unsubscribed_from_emails": "false"}


def other_shapes(request: httpx.Request) -> httpx.Response:
    """Plausible variants: lookups answered with lists, no `type`, ISO times, bool flags, counters, empty DELETE."""
    query = dict(request.url.params)
    if request.method == "DELETE":
        return httpx.Response(204)
    if request.url.path == "/contacts" and "email" in query:
        return httpx.Response(200, json={"contacts": [BOB, ADA]})
    if request.url.path == "/contacts":
        pages = {"page": 1, "per_page": 50, "total_pages": 1, "total_count": 2}
        return httpx.Response(200, json={"contacts": [ADA, BOB], "pages": pages})
    if request.url.path == "/tags":
        return httpx.Response(200, json={"tags": [{"id": 1, "name": "VIP"}]})
    return httpx.Response(404, json={"code": "not_found", "message": "flat error body"})


async def test_uncertain_shapes_are_read_without_inventing_anything() -> None:
    server = create_server(settings_for(), transport=httpx.MockTransport(other_shapes))
    async with Client(server) as client:
        ada = await call(client, "get_user", {"user": {"email": "ada@example.com"}})
        assert ada["id"] == 7
        assert ada["unsubscribed_from_emails"] is True
        assert ada["created_at"] == "2026-11-01T10:00:00Z"
        assert ada["tags"] == ["VIP"]
        leads = await call(client, "list_leads", {})
        assert [(lead["id"], lead["name"]) for lead in leads["leads"]] == [(8, "Bob")]
        assert leads["has_more"] is False
        assert (await call(client, "list_tags", {}))["tags"] == [{"id": 1, "name": "VIP"}]
        assert (await call(client, "delete_user", {"user": {"email": "ada@example.com"}}))["deleted"] is True
        missing = await client.call_tool("get_segment", {"segment_id": 3})
        assert missing.is_error
        assert "flat error body" in json.dumps([c.model_dump() for c in missing.content])


async def test_an_id_that_is_no_number_is_a_short_error_not_a_crash() -> None:
    """`gist_id` refuses an object id (strict typing made the reader say so): the model gets the short
    internal-error text, never a traceback or a made-up id."""

    def object_ids(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"contact": {**ADA, "id": {"value": 7}}})

    server = create_server(settings_for(), transport=httpx.MockTransport(object_ids))
    async with Client(server) as client:
        text = await call_error(client, "get_user", {"user": {"id": 7}})
    assert text.startswith("Internal error in gist-mcp while running get_user.")
