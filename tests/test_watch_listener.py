"""The webhook hub in process: its own receiver listener (stdio mode's --webhook-port) stores what Gist
posts to it, and the sandbox's in-process delivery logs a payload the receiver refuses instead of failing."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from conftest import CANARY_KEY, call, settings_for
from mcp import Client
from processes import free_port

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import create_server
from gist_mcp.watch import WebhookHub, deliver_in_process
from gist_mcp.webhooks import MAX_EVENT_BYTES, WebhookSettings

pytestmark = pytest.mark.anyio

TOKEN = "test-webhook-token-0123456789"


async def test_the_hub_listener_stores_what_is_posted_to_it(tmp_path: Path) -> None:
    port = free_port()
    hub = WebhookHub(WebhookSettings(token=TOKEN, data_dir=tmp_path / "data"), listen=("127.0.0.1", port))
    emulator = GistEmulator(api_keys=(CANARY_KEY,))
    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=hub)
    async with Client(server) as client:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.post(
                hub.settings.receiver_path, json={"id": "evt-listened", "topic": "contact.created"}
            )
        assert response.status_code < 300
        events = (await call(client, "list_webhook_events", {}))["webhook_events"]
    assert [event["topic"] for event in events] == ["contact.created"]


async def test_a_sandbox_delivery_the_receiver_refuses_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hub = WebhookHub(WebhookSettings(token=TOKEN, data_dir=tmp_path / "data"))
    deliver = deliver_in_process(hub)
    async with hub.running(notify=_ignore):
        with caplog.at_level(logging.WARNING, logger="gist_mcp.watch"):
            await deliver({"id": "too-big", "topic": "contact.created", "blob": "x" * MAX_EVENT_BYTES})
        assert (await hub.store.list(topic=None, since=None, limit=10, before_seq=None)).events == []
    assert "Sandbox webhook not stored: receiver answered 413" in caplog.text


async def _ignore(uri: str) -> None:
    """No subscriber to tell about arrivals."""
