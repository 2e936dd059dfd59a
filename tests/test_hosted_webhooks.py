"""Watch Events in hosted mode: one signed receiver URL and one store per workspace; a user lists and
waits only for their own workspace's events."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import call
from hosted_fixtures import SECRET_KEY, hosted, user

from gist_mcp.cli import main
from gist_mcp.hosted.config import HostedSettings
from gist_mcp.hosted.webhooks import WEBHOOK_DIR, WorkspaceWebhooks
from gist_mcp.webhooks import WebhookSettings

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def events_url(request: pytest.FixtureRequest) -> str | None:
    """Where hosted mode keeps webhook events: a SQLite file per workspace, or PostgreSQL (a fresh schema)."""
    return None if request.param == "sqlite" else request.getfixturevalue("database_url")


async def test_webhook_events_are_not_shared_between_workspaces(tmp_path: Path, events_url: str | None) -> None:
    async with hosted(tmp_path, events_url) as server, user(server) as (alice, _), user(server) as (bob, _):
        await call(alice, "create_user", {"user_id": "alice-2", "email": "alice-hook@example.com"})
        alice_events = await call(alice, "list_webhook_events", {})
        assert alice_events["webhook_events"]
        assert "alice-hook@example.com" in str(alice_events)
        assert (await call(bob, "list_webhook_events", {}))["webhook_events"] == []
        waited = await call(bob, "wait_for_webhook_event", {"timeout_seconds": 0.2})
        assert waited == {"webhook_events": [], "timed_out": True}
    assert (tmp_path / WEBHOOK_DIR).exists() == (events_url is None)


async def test_each_workspace_has_its_own_signed_receiver_url(tmp_path: Path) -> None:
    async with hosted(tmp_path) as server, httpx.AsyncClient() as http:
        one, two = server.webhooks.url("1001"), server.webhooks.url("1002")
        assert one != two
        assert one.startswith(f"{server.url}/webhooks/gist/")
        token = one.rsplit("/", 1)[1]
        assert server.webhooks.workspace_of(token) == "1001"
        named, _, mac = token.rpartition(".")
        forged = f"{two.rsplit('/', 1)[1].rpartition('.')[0]}.{mac}"  # workspace 1002 with 1001's signature
        assert server.webhooks.workspace_of(forged) is None
        for bad in (forged, "short", named, "%%%."):
            answer = await http.post(f"{server.url}/webhooks/gist/{bad}", json={"topic": "contact.created"})
            assert answer.status_code == 404
        stored = await http.post(one, json={"topic": "contact.created", "contact": {"id": 1}})
        assert stored.status_code == 200
        store = server.webhooks.opened("1001")
        assert store is not None
        assert (await store.list()).events[0].topic == "contact.created"
        assert server.webhooks.opened("1002") is None


def test_the_admin_prints_a_workspaces_url(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env = {
        "GIST_MCP_AUTH": "gist-oauth",
        "GIST_MCP_PUBLIC_URL": "https://mcp.example.com",
        "GIST_OAUTH_CLIENT_ID": "id",
        "GIST_OAUTH_CLIENT_SECRET": "secret",
        "GIST_MCP_SECRET_KEY": SECRET_KEY,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["webhook-url", "--workspace", "1001"]) == 0
    printed = capsys.readouterr().out.strip()
    hosted_settings = HostedSettings.from_env(env)
    assert printed == WorkspaceWebhooks(hosted_settings, WebhookSettings(token="x" * 16, data_dir=Path())).url("1001")
    assert main(["webhook-url"]) == 2
    assert "--workspace" in capsys.readouterr().err
