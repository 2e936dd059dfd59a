"""One `GistClient` per Gist login, one rate limiter per workspace, chosen per request by the caller.

The token verifier (`provider.load_access_token`) calls `remember` for every authenticated HTTP
request, with the subject's decrypted Gist grant; `current` then answers, inside that request's tool
call, resource read or completion, the client for the caller's own login (the SDK puts the verified
token in a context variable, `get_access_token()`). Gist counts its rate limit per workspace, so every
client of one workspace shares one `RateLimiter`. A client nobody used for `idle_seconds` is closed
(it reopens by itself if used again); that is at least twice a tool call's deadline, so a call still
running is never cut off.

In hosted mode a 401 or 403 from Gist means something about the login, not about GIST_API_KEY: the
error names the scope the Gist app must be granted, or says to log in again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ToolError

from gist_mcp._http import GistClient, GistResponse
from gist_mcp._ratelimit import RateLimiter
from gist_mcp.errors import AuthenticationError
from gist_mcp.hosted.scopes import scope_for

if TYPE_CHECKING:
    from gist_mcp.hosted.provider import Grant
    from gist_mcp.hosted.webhooks import WorkspaceWebhooks
    from gist_mcp.settings import Settings
    from gist_mcp.webhooks import WebhookStore

CLIENT_IDLE_SECONDS = 300.0
"""A login's Gist client unused this long (or twice the tool deadline, if longer) is closed."""


class HostedGistClient(GistClient):
    """A `GistClient` for one hosted login: its 401/403 errors speak of the login and of scopes."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> GistResponse:
        try:
            return await super().request(method, path, params=params, json_body=json_body, headers=headers)
        except AuthenticationError as error:
            raise AuthenticationError(
                error.status, error.method, error.path, error.gist_message, login_hint(error.status, method, path)
            ) from None


def login_hint(status: int, method: str, path: str) -> str:
    """What to do about a 401/403 in hosted mode."""
    if status == 401:
        return "Gist no longer accepts this login (the app may have been uninstalled): reconnect to log in again."
    scope = scope_for(method, path)
    if scope is None:
        return "The Gist app lacks access to this (a scope, or the workspace's plan): ask the server's admin."
    return (
        f"The Gist app behind this server needs the `{scope}` scope: ask its admin to tick it in Gist's "
        "developer hub, then log in again."
    )


@dataclass
class _Entry:
    client: HostedGistClient
    workspace_id: str
    used: float


class WorkspaceClients:
    """The Gist clients of every logged-in user, by login, with one rate limiter per workspace."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        webhooks: WorkspaceWebhooks | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.webhooks = webhooks
        """Each workspace's webhook store (when the webhooks toolset is on), opened as its users arrive."""
        self.idle_seconds = max(CLIENT_IDLE_SECONDS, 2 * settings.deadline)
        self._transport = transport
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        """By digest of the Gist token."""
        self._subjects: dict[str, str] = {}
        """MCP subject -> digest of its Gist token."""
        self._limiters: dict[str, RateLimiter] = {}

    async def remember(self, subject: str, grant: Grant) -> None:
        """Make `subject`'s client ready for this request (creating it if needed); close idle ones."""
        now = self._clock()
        key = hashlib.sha256(grant.token.get_secret_value().encode()).hexdigest()
        entry = self._entries.get(key)
        if entry is None:
            client = HostedGistClient(self.settings.replace(api_key=grant.token), transport=self._transport)
            client.limiter = self._limiters.setdefault(grant.workspace.id, RateLimiter(*self.settings.rate_limit))
            entry = self._entries[key] = _Entry(client, grant.workspace.id, now)
        entry.used = now
        self._subjects[subject] = key
        if self.webhooks is not None:
            await self.webhooks.open(grant.workspace.id)
        await self._close_idle(now)

    def forget(self, subject: str) -> None:
        """The subject logged out (its client closes when idle, or stays for another login to the same token)."""
        self._subjects.pop(subject, None)

    def _caller(self) -> _Entry:
        token = get_access_token()
        key = self._subjects.get(token.subject or "") if token is not None else None
        entry = self._entries.get(key) if key is not None else None
        if entry is None:
            raise ToolError("This request carries no Gist login: reconnect to log in again.")
        return entry

    def current(self) -> GistClient:
        """The client of the login that made the current request."""
        entry = self._caller()
        entry.used = self._clock()
        return entry.client

    def webhook_store(self) -> WebhookStore | None:
        """The webhook store of the caller's workspace (None when webhooks are off)."""
        return None if self.webhooks is None else self.webhooks.opened(self._caller().workspace_id)

    async def _close_idle(self, now: float) -> None:
        for key, entry in list(self._entries.items()):
            if now - entry.used > self.idle_seconds:
                del self._entries[key]
                await entry.client.aclose()
        live = {entry.workspace_id for entry in self._entries.values()}
        self._subjects = {subject: key for subject, key in self._subjects.items() if key in self._entries}
        self._limiters = {ws: limiter for ws, limiter in self._limiters.items() if ws in live}

    async def aclose(self) -> None:
        """Close every client (the server is stopping)."""
        for entry in self._entries.values():
            await entry.client.aclose()
        self._entries.clear()
        self._subjects.clear()
        if self.webhooks is not None:
            await self.webhooks.aclose()
