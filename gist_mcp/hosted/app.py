"""Hosted mode wired together: a `GistServer` whose HTTP app is an OAuth authorization server for MCP
clients, and whose every request uses the caller's own Gist login.

`hosted_server` builds it for real Gist; `sandbox_settings` and `SandboxGist` make the same flow run on
one machine, with `emulator.accounts` playing Gist (its consent page is served by the MCP server at
SANDBOX_AUTHORIZE_PATH, since the emulator itself is only reachable in process).

With the webhooks toolset on, each workspace gets its own receiver URL and store (`hosted.webhooks`).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import httpx
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from starlette.applications import Starlette

from gist_mcp.catalog import TOOLSET_NAMES
from gist_mcp.emulator import GistEmulator
from gist_mcp.emulator.accounts import EmulatedAccounts
from gist_mcp.hosted.clients import WorkspaceClients
from gist_mcp.hosted.config import CALLBACK_PATH, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, HostedSettings
from gist_mcp.hosted.gist_oauth import GistOAuth
from gist_mcp.hosted.provider import MCP_SCOPE, GistOAuthProvider
from gist_mcp.hosted.scopes import scopes_for
from gist_mcp.hosted.store import HostedStore
from gist_mcp.hosted.webhooks import WorkspaceWebhooks
from gist_mcp.server import GistServer
from gist_mcp.settings import Settings
from gist_mcp.webhooks.config import RECEIVER_PATH

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
SANDBOX_AUTHORIZE_PATH = "/sandbox/gist/oauth/authorize"
"""In the sandbox, the emulated Gist consent page, served by the MCP server itself."""


def hosted_server(
    settings: Settings,
    hosted: HostedSettings,
    store: HostedStore,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    webhooks: WorkspaceWebhooks | None = None,
) -> GistServer:
    """The hosted-mode server; serve it with `http_app.build_http_app` (no GIST_MCP_AUTH_TOKEN)."""
    resource = hosted.public_url + MCP_PATH
    clients = WorkspaceClients(settings, transport=transport, webhooks=webhooks)
    toolsets = TOOLSET_NAMES if settings.dynamic_toolsets else settings.toolsets
    provider = GistOAuthProvider(
        hosted,
        store,
        GistOAuth(hosted, settings.base_url, transport=transport),
        clients,
        gist_scopes=scopes_for(toolsets, read_only=settings.read_only),
        resource=resource,
    )
    auth = AuthSettings.model_validate(
        {  # strings, so the issuer keeps its exact form (no trailing slash added): RFC 8414 compares it exactly
            "issuer_url": hosted.public_url,
            "resource_server_url": resource,
            "client_registration_options": ClientRegistrationOptions(
                enabled=True, valid_scopes=[MCP_SCOPE], default_scopes=[MCP_SCOPE]
            ),
            "revocation_options": RevocationOptions(enabled=True),
            "required_scopes": [MCP_SCOPE],
            "validate_token_resource": True,
        }
    )
    server = GistServer(settings, clients=clients, auth=auth, auth_server_provider=provider)
    server.custom_route(CALLBACK_PATH, methods=["GET"])(provider.callback)
    if webhooks is not None:
        for route in webhooks.routes():
            server.custom_route(route.path, methods=["POST"])(route.endpoint)
    return server


class SandboxGist:
    """The emulated Gist of `--sandbox --auth gist-oauth`: its accounts, and the transport to reach them."""

    def __init__(self) -> None:
        self.accounts = EmulatedAccounts(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
        self.transport = httpx.ASGITransport(app=self.accounts.app)

    def settings(self, hosted: HostedSettings, api_base_url: str) -> HostedSettings:
        """`hosted` pointed at the emulator: consent on this server, the token exchange in process."""
        return dataclasses.replace(
            hosted,
            authorize_url=hosted.public_url + SANDBOX_AUTHORIZE_PATH,
            token_url=api_base_url + "/oauth/token",
        )

    def install(self, server: GistServer, webhooks: WorkspaceWebhooks | None = None) -> None:
        """Serve the emulated consent page on the MCP server; send each workspace's webhooks to its receiver."""
        server.custom_route(SANDBOX_AUTHORIZE_PATH, methods=["GET"])(self.accounts.authorize)
        if webhooks is None:
            return
        receiver = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=Starlette(routes=webhooks.routes())), base_url="http://sandbox.receiver"
        )

        def wire(workspace_id: str, workspace: GistEmulator) -> None:
            path = RECEIVER_PATH.format(token=webhooks.token(workspace_id))

            async def deliver(payload: dict[str, Any]) -> None:
                response = await receiver.post(path, json=payload)
                if response.status_code >= 300:
                    logger.warning("Sandbox webhook not stored: receiver answered %s", response.status_code)

            workspace.webhook_sink = deliver

        self.accounts.on_login = wire
