"""Hosted mode end to end over real HTTP: the SDK's client OAuth logs two users in through the sandbox
(emulated Gist consent), and each sees only their own workspace."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from conftest import call, call_error, text_of
from cryptography.fernet import Fernet, InvalidToken
from hosted_fixtures import INIT, MCP_HEADERS, SECRET_KEY, Hosted, MemoryTokens, hosted, user
from mcp import MCPError
from mcp.types import ResourceTemplateReference

from gist_mcp.hosted.provider import digest
from gist_mcp.hosted.store import Kind

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


async def logged_in(server: Hosted) -> MemoryTokens:
    """Log one user in (their MCP client connects and lists tools); return their stored tokens."""
    async with user(server) as (client, storage):
        await client.list_tools()
    assert storage.tokens is not None
    return storage


def bearer(token: str) -> dict[str, str]:
    return {**MCP_HEADERS, "Authorization": f"Bearer {token}"}


async def test_refresh_rotates_both_tokens_and_the_old_refresh_token_stops_working(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as http:
        storage = await logged_in(server)
        assert storage.tokens is not None
        assert storage.client_info is not None
        form = {
            "grant_type": "refresh_token",
            "refresh_token": storage.tokens.refresh_token,
            "client_id": storage.client_info.client_id,
            "client_secret": storage.client_info.client_secret,
        }
        refreshed = await http.post("/token", data=form)
        assert refreshed.status_code == 200, refreshed.text
        fresh = refreshed.json()
        assert fresh["refresh_token"] != storage.tokens.refresh_token
        assert fresh["access_token"] != storage.tokens.access_token
        assert (await http.post("/mcp", json=INIT, headers=bearer(fresh["access_token"]))).status_code == 200
        reused = await http.post("/token", data=form)
        assert reused.status_code == 400
        assert reused.json()["error"] == "invalid_grant"


async def test_expired_and_tampered_tokens_get_401(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as http:
        storage = await logged_in(server)
        assert storage.tokens is not None
        token = storage.tokens.access_token
        assert (await http.post("/mcp", json=INIT, headers=bearer(token))).status_code == 200
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert (await http.post("/mcp", json=INIT, headers=bearer(tampered))).status_code == 401
        record = await server.store.get(Kind.ACCESS, digest(token))
        assert record is not None
        await server.store.put(Kind.ACCESS, digest(token), record, expires_at=time.time() - 1)
        expired = await http.post("/mcp", json=INIT, headers=bearer(token))
        assert expired.status_code == 401
        assert "resource_metadata=" in expired.headers["www-authenticate"]


async def test_a_stolen_session_id_with_another_users_token_is_refused(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as http:
        alice, bob = await logged_in(server), await logged_in(server)
        assert alice.tokens is not None
        assert bob.tokens is not None
        opened = await http.post("/mcp", json=INIT, headers=bearer(alice.tokens.access_token))
        session = opened.headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        stolen = await http.post(
            "/mcp", json=listing, headers={**bearer(bob.tokens.access_token), "mcp-session-id": session}
        )
        assert stolen.status_code in (403, 404)
        assert "create_user" not in stolen.text


async def test_revocation_ends_the_login(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as http:
        storage = await logged_in(server)
        assert storage.tokens is not None
        assert storage.client_info is not None
        revoked = await http.post(
            "/revoke",
            data={
                "token": storage.tokens.access_token,
                "client_id": storage.client_info.client_id,
                "client_secret": storage.client_info.client_secret,
            },
        )
        assert revoked.status_code == 200
        assert (await http.post("/mcp", json=INIT, headers=bearer(storage.tokens.access_token))).status_code == 401
        again = {
            "grant_type": "refresh_token",
            "refresh_token": storage.tokens.refresh_token,
            "client_id": storage.client_info.client_id,
            "client_secret": storage.client_info.client_secret,
        }
        assert (await http.post("/token", data=again)).status_code == 400


async def test_gist_tokens_never_reach_the_client_or_the_logs_and_are_stored_encrypted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with hosted(tmp_path) as server:
        seen: list[str] = []
        async with user(server) as (alice, storage):
            for tool, arguments in [("list_users", {"limit": 2}), ("get_user", {"user": {"id": 999999}})]:
                result = await alice.call_tool(tool, arguments)
                seen.append(text_of(result))
            seen.append(str(await alice.list_resources()))
        (gist_token,) = server.gist_tokens()
        assert storage.tokens is not None
        assert gist_token not in storage.tokens.model_dump_json()
        assert not [text for text in [*seen, *server.responses, caplog.text] if gist_token in text]
        assert gist_token.encode() not in (tmp_path / "hosted.sqlite3").read_bytes()
        with sqlite3.connect(tmp_path / "hosted.sqlite3") as db:
            (value,) = db.execute("SELECT value FROM hosted_records WHERE kind = 'grant'").fetchone()
        sealed = json.loads(value)["token"].encode()
        with pytest.raises(InvalidToken):
            Fernet(Fernet.generate_key()).decrypt(sealed)
        assert Fernet(SECRET_KEY).decrypt(sealed).decode() == gist_token
        # and the MCP token never went to Gist
        sent = [r.headers.get("authorization", "") for ws in server.accounts.workspaces.values() for r in ws.requests]
        assert sent
        assert all(header == f"Bearer {gist_token}" for header in sent)


async def test_a_login_state_is_single_use_and_unknown_states_are_refused(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server, httpx.AsyncClient(base_url=server.url) as http:
        for query in ("", "?state=never-issued&code=x", "?state=" + "s" * 5000):
            answer = await http.get("/oauth/gist/callback" + query)
            assert answer.status_code == 400
            assert "location" not in answer.headers
        register = await http.post(
            "/register",
            json={"redirect_uris": ["http://127.0.0.1:1/cb"], "grant_types": ["authorization_code", "refresh_token"]},
        )
        client_id = register.json()["client_id"]
        pkce = {"code_challenge": "x" * 43, "code_challenge_method": "S256", "response_type": "code"}
        wrong = await http.get(
            "/authorize", params={**pkce, "client_id": client_id, "redirect_uri": "http://127.0.0.1:1/cb/other"}
        )
        assert wrong.status_code == 400
        to_gist = await http.get(
            "/authorize",
            params={**pkce, "client_id": client_id, "redirect_uri": "http://127.0.0.1:1/cb", "state": "s1"},
        )
        assert to_gist.status_code == 302
        consent = await http.get(to_gist.headers["location"])
        callback = consent.headers["location"]
        first = await http.get(callback)
        assert first.status_code == 302
        assert first.headers["location"].startswith("http://127.0.0.1:1/cb?code=")
        assert "state=s1" in first.headers["location"]
        assert (await http.get(callback)).status_code == 400  # replayed


@pytest.mark.parametrize(
    ("form_exchange", "introspection"),
    [(False, ("/token", "/token/info")), (True, ("/token/info",)), (True, ())],
)
async def test_login_copes_with_json_only_exchange_and_either_introspection_path(
    tmp_path: Path, form_exchange: bool, introspection: tuple[str, ...]
) -> None:
    async with hosted(tmp_path) as server:
        server.accounts.form_exchange = form_exchange
        server.accounts.introspection = frozenset(introspection)
        async with user(server) as (client, _):
            listed = await call(client, "list_users", {"limit": 1})
        assert listed["users"]
        assert server.accounts.exchanges == (["form"] if form_exchange else ["form", "json"])


async def test_resources_and_completions_use_the_callers_own_workspace(tmp_path: Path) -> None:
    ref = ResourceTemplateReference(type="ref/resource", uri="gist://conversations/{conversation_id}")
    async with hosted(tmp_path) as server, user(server) as (alice, _), user(server) as (bob, _):
        await call(alice, "create_lead", {"email": "alice-only@example.com"})
        opened = await call(
            alice, "create_conversation", {"contact": {"email": "alice-only@example.com"}, "body": "Hello from Alice"}
        )
        new_id = str(opened["id"])
        alice_ids = (await alice.complete(ref, {"name": "conversation_id", "value": ""})).completion.values
        bob_ids = (await bob.complete(ref, {"name": "conversation_id", "value": ""})).completion.values
        assert new_id in alice_ids
        assert new_id not in bob_ids
        read = await alice.read_resource(f"gist://conversations/{new_id}")
        assert "Hello from Alice" in str(read.contents[0])
        with pytest.raises(MCPError):
            await bob.read_resource(f"gist://conversations/{new_id}")
