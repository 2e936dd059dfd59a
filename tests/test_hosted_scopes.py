"""Scopes: hosted mode asks Gist for what the enabled toolsets need, and a 403 for a missing scope names it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import call, call_error
from hosted_fixtures import hosted, user

from gist_mcp.hosted.scopes import GIST_SCOPES, scope_for, scopes_for

pytestmark = pytest.mark.anyio


def test_scopes_follow_the_toolsets_and_read_only_mode() -> None:
    assert scopes_for({"users", "leads", "tags", "raw"}, read_only=False) == list(GIST_SCOPES)
    assert scopes_for({"users"}, read_only=False) == ["read_contact", "write_contact", "read_bulk_contacts"]
    assert scopes_for({"users", "raw"}, read_only=True) == [s for s in GIST_SCOPES if s.startswith("read_")]
    assert scopes_for({"segments", "campaigns", "forms"}, read_only=False) == []


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "contacts", "read_bulk_contacts"),
        ("GET", "contacts/7", "read_contact"),
        ("POST", "contacts", "write_contact"),
        ("POST", "tags", "write_tags"),
        ("GET", "teammates", "read_teammates"),
        ("GET", "segments", None),
        ("POST", "events", None),
    ],
)
def test_scope_for_a_request(method: str, path: str, scope: str | None) -> None:
    assert scope_for(method, path) == scope


async def test_consent_asks_for_the_enabled_toolsets_scopes(tmp_path: Path) -> None:
    async with hosted(tmp_path, toolsets=frozenset({"users", "teams"}), read_only=True) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            client_id = (await http.post("/register", json={"redirect_uris": ["http://127.0.0.1:1/cb"]})).json()[
                "client_id"
            ]
            pkce = {"code_challenge": "x" * 43, "code_challenge_method": "S256", "response_type": "code"}
            to_gist = await http.get("/authorize", params={**pkce, "client_id": client_id})
        asked = parse_qs(urlsplit(to_gist.headers["location"]).query)["scope"][0]
        assert asked.split(" ") == ["read_contact", "read_bulk_contacts", "read_teams", "read_teammates"]


async def test_a_missing_scope_is_named_in_the_error(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server:
        server.accounts.app_scopes = frozenset(GIST_SCOPES) - {"read_tags"}
        async with user(server) as (client, _):
            await call(client, "list_users", {"limit": 1})
            error = await call_error(client, "list_tags", {})
        assert "403" in error
        assert "`read_tags` scope" in error
        assert "developer hub" in error
