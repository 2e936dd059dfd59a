"""Per-login Gist clients in hosted mode: chosen by the caller's token, one rate limiter per workspace,
closed when idle, and 401/403 errors that speak of the login rather than of GIST_API_KEY."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import SecretStr

from gist_mcp.cli import SANDBOX_URL
from gist_mcp.emulator.accounts import EmulatedAccounts
from gist_mcp.errors import AuthenticationError
from gist_mcp.hosted.clients import CLIENT_IDLE_SECONDS, WorkspaceClients
from gist_mcp.hosted.gist_oauth import Workspace
from gist_mcp.hosted.provider import Grant
from gist_mcp.settings import Settings

pytestmark = pytest.mark.anyio


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def caller(subject: str) -> Iterator[None]:
    """Act as the request of `subject` (what the SDK's auth middleware sets for a verified token)."""
    token = AccessToken(token="t", client_id="c", scopes=["gist"], subject=subject)
    reset = auth_context_var.set(AuthenticatedUser(token))
    try:
        yield
    finally:
        auth_context_var.reset(reset)


def grant(workspace: str, token: str) -> Grant:
    return Grant(Workspace(workspace), SecretStr(token))


async def test_each_caller_gets_their_own_client_and_a_workspace_shares_one_limiter() -> None:
    clients = WorkspaceClients(Settings(base_url=SANDBOX_URL))
    await clients.remember("alice", grant("1", "token-a"))
    await clients.remember("carol", grant("1", "token-c"))
    await clients.remember("bob", grant("2", "token-b"))
    with caller("alice"):
        alice = clients.current()
    with caller("carol"):
        carol = clients.current()
    with caller("bob"):
        bob = clients.current()
    assert len({id(alice), id(carol), id(bob)}) == 3
    assert alice.limiter is carol.limiter
    assert alice.limiter is not bob.limiter
    with caller("mallory"), pytest.raises(ToolError, match="log in again"):
        clients.current()
    await clients.aclose()


async def test_idle_clients_are_closed_and_forgotten() -> None:
    clock = Clock()
    clients = WorkspaceClients(Settings(base_url=SANDBOX_URL), clock=clock)
    await clients.remember("alice", grant("1", "token-a"))
    clock.now += CLIENT_IDLE_SECONDS + 1
    await clients.remember("bob", grant("2", "token-b"))
    with caller("alice"), pytest.raises(ToolError):
        clients.current()
    with caller("bob"):
        assert clients.current() is not None
    clients.forget("bob")
    with caller("bob"), pytest.raises(ToolError):
        clients.current()
    await clients.aclose()


async def test_401_says_log_in_again_and_403_names_the_scope() -> None:
    accounts = EmulatedAccounts("id", "secret", app_scopes={"read_contact", "read_bulk_contacts"})
    token = accounts.login()
    clients = WorkspaceClients(Settings(base_url=SANDBOX_URL), transport=httpx.ASGITransport(app=accounts.app))
    await clients.remember("alice", grant("1", token))
    await clients.remember("eve", grant("1", "revoked-token"))
    with caller("alice"):
        assert (await clients.current().request("GET", "contacts")).status == 200
        with pytest.raises(AuthenticationError, match="`read_teammates` scope") as forbidden:
            await clients.current().request("GET", "teammates")
    assert forbidden.value.status == 403
    assert "GIST_API_KEY" not in str(forbidden.value)
    with caller("eve"), pytest.raises(AuthenticationError, match="log in again") as unauthorized:
        await clients.current().request("GET", "contacts")
    assert unauthorized.value.status == 401
    await clients.aclose()
