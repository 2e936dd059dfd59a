"""Watch Events in hosted mode: one receiver URL and one event store per Gist workspace.

A workspace's receiver URL is `<public URL>/webhooks/gist/<token>` with a token that names the
workspace and is signed with a key derived from GIST_MCP_SECRET_KEY (`HostedSettings.signing_keys`;
the first key signs, every key is accepted, so rotating keys keeps old URLs working while the old key
is listed). So nothing has to be stored to recognise a URL, the admin can print it for any workspace
(`gist-mcp webhook-url --workspace ID`), and a guessed or altered token is a 404 before any store opens.

Each workspace's events go to a `WebhookStore` of its own, chosen by `store_from_settings` like the
single-user server's (the same retention and byte limits), so one user's `list_webhook_events` and
`wait_for_webhook_event` can only ever see their own workspace's events:

- with GIST_MCP_DATABASE_URL, PostgreSQL, scoped to the workspace id: a delivery received by any
  replica is seen by the workspace's users on every replica (within the store's poll interval). All
  the workspaces' stores of a process share one connection pool (`scale.pool.shared_pool`);
- else a SQLite file per workspace, `GIST_MCP_DATA_DIR/hosted-webhooks/<digest of the workspace id>/`,
  on this machine only.

Stores open when a user of the workspace makes a request or Gist posts to its URL, and stay open until
the server stops. The `gist://webhook-events` resources and their notifications are not offered in
hosted mode (notifications would go to every session, whatever its workspace).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac

import anyio
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gist_mcp.hosted.config import HostedSettings
from gist_mcp.webhooks import WebhookSettings, WebhookStore, receiver_routes, store_from_settings
from gist_mcp.webhooks.config import RECEIVER_PATH

WEBHOOK_DIR = "hosted-webhooks"
"""Folder of `GIST_MCP_DATA_DIR` holding one webhook store per workspace (without GIST_MCP_DATABASE_URL)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _mac(key: bytes, workspace_id: str) -> str:
    return _b64(hmac.new(key, workspace_id.encode(), hashlib.sha256).digest())


def workspace_token(hosted: HostedSettings, workspace_id: str) -> str:
    """The workspace id, and its signature with the first signing key."""
    return f"{_b64(workspace_id.encode())}.{_mac(hosted.signing_keys[0], workspace_id)}"


def workspace_url(hosted: HostedSettings, workspace_id: str) -> str:
    """The receiver URL of a workspace."""
    return hosted.public_url + RECEIVER_PATH.format(token=workspace_token(hosted, workspace_id))


class WorkspaceWebhooks:
    """Per-workspace receiver URLs and stores; also the ASGI endpoint of RECEIVER_PATH in hosted mode."""

    def __init__(self, hosted: HostedSettings, base: WebhookSettings) -> None:
        self.hosted = hosted
        self.base = base
        """Secret, retention, data folder and database URL shared by every workspace (its token is not used)."""
        self._stores: dict[str, tuple[WebhookStore, WebhookSettings]] = {}
        self._lock = anyio.Lock()

    def token(self, workspace_id: str) -> str:
        """The secret part of the workspace's receiver URL."""
        return workspace_token(self.hosted, workspace_id)

    def url(self, workspace_id: str) -> str:
        """The URL to paste into the workspace's Gist webhook settings (treat it like a password)."""
        return workspace_url(self.hosted, workspace_id)

    def workspace_of(self, token: str) -> str | None:
        """The workspace a receiver token was signed for, or None for a forged or altered one."""
        named, _, mac = token.rpartition(".")
        try:
            workspace_id = base64.urlsafe_b64decode(named + "=" * (-len(named) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        valid = any(hmac.compare_digest(mac, _mac(key, workspace_id)) for key in self.hosted.signing_keys)
        return workspace_id if valid and workspace_id else None

    async def open(self, workspace_id: str) -> tuple[WebhookStore, WebhookSettings]:
        """The workspace's store (opened on first use) and its receiver settings."""
        async with self._lock:
            if workspace_id not in self._stores:
                folder = hashlib.sha256(workspace_id.encode()).hexdigest()[:32]
                settings = dataclasses.replace(
                    self.base,
                    token=self.token(workspace_id),
                    data_dir=self.base.data_dir / WEBHOOK_DIR / folder,
                )
                store = store_from_settings(settings, workspace=workspace_id)
                await store.open()
                self._stores[workspace_id] = (store, settings)
            return self._stores[workspace_id]

    def opened(self, workspace_id: str) -> WebhookStore | None:
        """The workspace's store if it is open (it is, for a user whose request is being served)."""
        found = self._stores.get(workspace_id)
        return None if found is None else found[0]

    def routes(self) -> list[Route]:
        """The receiver route, to serve beside `/mcp`."""
        return [Route(RECEIVER_PATH, self)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand a delivery to its workspace's receiver; an unknown token is a 404 whatever the method."""
        workspace_id = self.workspace_of(str(scope.get("path_params", {}).get("token", "")))
        if workspace_id is None:
            response = JSONResponse({"error": "unknown webhook token"}, status_code=404)
            await response(scope, receive, send)
            return
        store, settings = await self.open(workspace_id)
        (route,) = receiver_routes(store, settings)
        await route.app(scope, receive, send)

    async def aclose(self) -> None:
        """Close every workspace's store (the server is stopping)."""
        async with self._lock:
            for store, _ in self._stores.values():
                await store.close()
            self._stores.clear()
