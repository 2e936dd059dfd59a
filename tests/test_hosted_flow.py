"""Hosted mode end to end over real HTTP: the SDK's client OAuth logs two users in through the sandbox
(emulated Gist consent), and each sees only their own workspace."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import call, call_error
from tests.hosted_fixtures import INIT, MCP_HEADERS, hosted, user

pytestmark = pytest.mark.anyio


async def test_two_users_each_see_only_their_own_workspace(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server:
        async with user(server) as (alice, _), user(server) as (bob, _):
            created = await call(alice, "create_user", {"user_id": "alice-1", "email": "only-alice@example.com"})
            found = await call(alice, "get_user", {"user": {"email": "only-alice@example.com"}})
            assert found["id"] == created["id"]
            missing = await call_error(bob, "get_user", {"user": {"email": "only-alice@example.com"}})
            assert "404" in missing or "not found" in missing.lower()
        assert len(server.accounts.workspaces) == 2
        alice_ws, bob_ws = server.accounts.workspaces.values()
        assert alice_ws.find_contact(email="only-alice@example.com") is not None
        assert bob_ws.find_contact(email="only-alice@example.com") is None


async def test_mcp_without_a_valid_token_is_401_pointing_at_the_metadata(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as http:
        missing = await http.post("/mcp", json=INIT, headers=MCP_HEADERS)
        assert missing.status_code == 401
        challenge = missing.headers["www-authenticate"]
        assert f'resource_metadata="{server.url}/.well-known/oauth-protected-resource/mcp"' in challenge
        metadata = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
        assert metadata["authorization_servers"] == [server.url]
        auth_server = (await http.get("/.well-known/oauth-authorization-server")).json()
        assert auth_server["code_challenge_methods_supported"] == ["S256"]
        assert auth_server["registration_endpoint"] == f"{server.url}/register"
        assert auth_server["revocation_endpoint"] == f"{server.url}/revoke"
        forged = await http.post("/mcp", json=INIT, headers={**MCP_HEADERS, "Authorization": "Bearer forged"})
        assert forged.status_code == 401
