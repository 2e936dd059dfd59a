"""The authorization server's own limits, with a clock the test moves."""

from __future__ import annotations

from pathlib import Path

import pytest
from hosted_fixtures import SECRET_KEY
from mcp.shared.auth import OAuthClientInformationFull

from gist_mcp.cli import SANDBOX_URL
from gist_mcp.hosted.clients import WorkspaceClients
from gist_mcp.hosted.config import HostedSettings
from gist_mcp.hosted.gist_oauth import GistOAuth
from gist_mcp.hosted.provider import REFRESH_TOKEN_SECONDS, GistOAuthProvider
from gist_mcp.hosted.store import SQLiteHostedStore
from gist_mcp.settings import Settings

pytestmark = pytest.mark.anyio


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_an_unused_client_registration_is_forgotten(tmp_path: Path) -> None:
    clock = Clock()
    store = SQLiteHostedStore(tmp_path / "hosted.sqlite3", clock=clock)
    hosted = HostedSettings.from_env({"GIST_MCP_SECRET_KEY": SECRET_KEY}, sandbox=True, bound_url="http://127.0.0.1:1")
    provider = GistOAuthProvider(
        hosted,
        store,
        GistOAuth(hosted, SANDBOX_URL),
        WorkspaceClients(Settings(base_url=SANDBOX_URL)),
        gist_scopes=[],
        resource="http://127.0.0.1:1/mcp",
        clock=clock,
    )
    client = OAuthClientInformationFull(client_id="c1", redirect_uris=["http://127.0.0.1:2/cb"])  # type: ignore[list-item]
    await provider.register_client(client)
    clock.now += REFRESH_TOKEN_SECONDS - 1
    assert await provider.get_client("c1") == client
    clock.now += 2
    assert await provider.get_client("c1") is None
    await store.close()
