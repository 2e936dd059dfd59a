"""The webhook tools and resource answer clearly when there is no event store or the id is unknown.

A server whose data folder could not be prepared runs without a store (watch.hub_from_env logs why):
every webhook tool then says so, and the event resource is not offered, instead of failing obscurely.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from conftest import MODES, call_error, settings_for
from mcp import Client, MCPError

from gist_mcp.catalog.webhooks import EVENTS_URI, NO_STORE
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import create_server
from gist_mcp.watch import WebhookHub
from gist_mcp.webhooks import WebhookSettings

pytestmark = pytest.mark.anyio


@pytest.fixture(params=MODES)
async def storeless(request: pytest.FixtureRequest, emulator: GistEmulator) -> AsyncIterator[Client]:
    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=None)
    async with Client(server, mode=request.param, cache=None) as connected:
        yield connected


@pytest.fixture(params=MODES)
async def with_store(request: pytest.FixtureRequest, emulator: GistEmulator, tmp_path: Path) -> AsyncIterator[Client]:
    hub = WebhookHub(WebhookSettings(token="test-webhook-token-0123456789", data_dir=tmp_path / "data"))
    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=hub)
    async with Client(server, mode=request.param, cache=None) as connected:
        yield connected


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("list_webhook_events", {}), ("wait_for_webhook_event", {"timeout_seconds": 0})],
)
async def test_webhook_tools_without_a_store_say_why(
    storeless: Client, tool: str, arguments: dict[str, object]
) -> None:
    assert NO_STORE in await call_error(storeless, tool, arguments)


async def test_the_event_resource_is_not_served_without_a_store(storeless: Client) -> None:
    with pytest.raises(MCPError) as error:
        await storeless.read_resource(f"{EVENTS_URI}/evt_1")
    assert error.value.error.message == f"Resource not found: {EVENTS_URI}/evt_1"


async def test_an_unknown_event_id_is_not_found_with_a_hint(with_store: Client) -> None:
    with pytest.raises(MCPError) as error:
        await with_store.read_resource(f"{EVENTS_URI}/evt_missing")
    message = error.value.error.message
    assert "no stored webhook event has this id" in message
    assert "list_webhook_events" in message


async def test_a_cursor_that_is_not_a_next_cursor_is_refused_naming_it(with_store: Client) -> None:
    text = await call_error(with_store, "list_webhook_events", {"cursor": "abc"})
    assert "cursor: not a next_cursor from list_webhook_events" in text
