"""A hosted-mode server in the sandbox on a real socket, and MCP clients that log in to it with the SDK's
own client OAuth (`OAuthClientProvider`), following the sandbox's redirects like a browser would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import httpx2
from cryptography.fernet import Fernet
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from gist_mcp._serve import listen, serve_asgi
from gist_mcp.catalog import TOOLSET_NAMES
from gist_mcp.cli import SANDBOX_URL
from gist_mcp.emulator.accounts import EmulatedAccounts
from gist_mcp.hosted.app import SandboxGist, hosted_server
from gist_mcp.hosted.config import HostedSettings
from gist_mcp.hosted.store import SQLiteHostedStore
from gist_mcp.hosted.webhooks import WorkspaceWebhooks
from gist_mcp.http_app import build_http_app
from gist_mcp.settings import Settings
from gist_mcp.webhooks import WebhookSettings

SECRET_KEY = Fernet.generate_key().decode()
REDIRECT_URI = "http://127.0.0.1:1/callback"
"""The MCP client's redirect URI; nothing listens there: the test's 'browser' stops when sent to it."""
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass
class Hosted:
    """A running hosted server: its URL, the emulated Gist accounts and the token store."""

    url: str
    accounts: EmulatedAccounts
    store: SQLiteHostedStore
    webhooks: WorkspaceWebhooks
    responses: list[str] = field(default_factory=list)
    """Every HTTP body the test's clients received (checked for leaked Gist tokens)."""

    def gist_tokens(self) -> list[str]:
        return list(self.accounts.logins)


@asynccontextmanager
async def hosted(data_dir: Path, database_url: str | None = None, **changes: Any) -> AsyncIterator[Hosted]:
    """Serve `--sandbox --transport http --auth gist-oauth` on a loopback port for the block; webhook
    events in PostgreSQL with `database_url`."""
    sock = listen("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sandbox = SandboxGist()
    env = {"GIST_MCP_SECRET_KEY": SECRET_KEY}
    settings_ = sandbox.settings(HostedSettings.from_env(env, sandbox=True, bound_url=base), SANDBOX_URL)
    store = SQLiteHostedStore(data_dir / "hosted.sqlite3")
    settings = Settings(base_url=SANDBOX_URL, sandbox=True, toolsets=frozenset(TOOLSET_NAMES)).replace(**changes)
    webhook_settings = WebhookSettings(token="unused-in-hosted-mode", data_dir=data_dir, database_url=database_url)
    webhooks = WorkspaceWebhooks(settings_, webhook_settings)
    server = hosted_server(settings, settings_, store, transport=sandbox.transport, webhooks=webhooks)
    sandbox.install(server, webhooks)
    app = build_http_app(server, host="127.0.0.1", auth_token=None)
    try:
        async with serve_asgi(app, sock=sock, lifespan="on") as url:
            yield Hosted(url, sandbox.accounts, store, webhooks)
    finally:
        await store.close()


class MemoryTokens:
    """The client's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Browser:
    """Follows the login's redirects (MCP server -> emulated Gist -> callback) until sent to the client."""

    def __init__(self, responses: list[str]) -> None:
        self.responses = responses
        self.result: AuthorizationCodeResult | None = None

    async def open(self, url: str) -> None:
        async with httpx.AsyncClient() as browser:
            while not url.startswith(REDIRECT_URI):
                response = await browser.get(url)
                self.responses.append(response.text + str(response.headers))
                assert response.status_code == 302, response.text
                url = urljoin(url, response.headers["location"])
        query = parse_qs(urlsplit(url).query)
        assert "code" in query, url
        self.result = AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])

    async def code(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


def oauth(url: str, responses: list[str]) -> tuple[OAuthClientProvider, MemoryTokens]:
    """The SDK's client OAuth for one user of the server at `url`, logging in through the sandbox."""
    storage = MemoryTokens()
    browser = Browser(responses)
    provider = OAuthClientProvider(
        server_url=f"{url}/mcp",
        client_metadata=OAuthClientMetadata(
            redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
            client_name="gist-mcp tests",
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=browser.open,
        callback_handler=browser.code,
    )
    return provider, storage


def user(hosted: Hosted) -> AbstractAsyncContextManager[tuple[Client, MemoryTokens]]:
    """One user's MCP client, logged in (on its first request) to a fresh sandbox workspace."""
    return user_at(hosted.url, hosted.responses)


@asynccontextmanager
async def user_at(url: str, responses: list[str]) -> AsyncIterator[tuple[Client, MemoryTokens]]:
    """One user's MCP client of the hosted server at `url`; what the login's pages answered goes to `responses`."""
    provider, storage = oauth(url, responses)
    async with (
        httpx2.AsyncClient(auth=provider) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), cache=None) as client,
    ):
        yield client, storage
