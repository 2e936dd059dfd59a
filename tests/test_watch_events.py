"""Watch Events through MCP: webhook tools and resources, arrival notifications in both eras, the
sandbox's own deliveries, and the receiver beside /mcp (HTTP) or on --webhook-port (stdio)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from conftest import CANARY_KEY, MODES, call, call_error, settings_for, strict_json
from mcp import Client, StdioServerParameters
from mcp.client.session import MessageHandlerFnT
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ResourceUpdatedNotification, TextResourceContents
from processes import free_port, http_server
from starlette.applications import Starlette

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer, create_server
from gist_mcp.watch import WebhookHub, deliver_in_process
from gist_mcp.webhooks import MAX_EVENT_BYTES, MAX_LISTING_BYTES, SqliteWebhookStore, WebhookSettings, event_id

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings(
        r"ignore:resources/(un)?subscribe is removed:mcp.shared.exceptions.MCPDeprecationWarning"
    ),
]
TOKEN = "test-webhook-token-0123456789"


@pytest.fixture
def hub(tmp_path: Path) -> WebhookHub:
    return WebhookHub(WebhookSettings(token=TOKEN, data_dir=tmp_path / "data"))


@pytest.fixture
def server(emulator: GistEmulator, hub: WebhookHub) -> GistServer:
    return create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=hub)


async def read_text(client: Client, uri: str) -> str:
    """The text of a resource that has one text content."""
    contents = (await client.read_resource(uri)).contents
    assert len(contents) == 1
    assert isinstance(contents[0], TextResourceContents)
    return contents[0].text


async def post(hub: WebhookHub, payload: dict[str, Any] | bytes) -> httpx.Response:
    """Deliver one webhook (a payload, or a raw body) through the receiver app, as Gist would."""
    app = Starlette(routes=hub.routes())
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receiver") as http:
        return await http.post(hub.settings.receiver_path, content=body)


def announcing_events_to(updated: anyio.Event) -> MessageHandlerFnT:
    """A client message handler that sets `updated` when gist://webhook-events is announced as updated."""

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification) and str(message.params.uri) == "gist://webhook-events":
            updated.set()

    return on_message


HOSTILE_BODIES = [  # raw bodies as an attacker (or a broken sender) posts them
    rb'{"id": "\ud800", "topic": "contact.tagged", "name": "lone \udfff surrogate"}',
    rb'{"\udbff": ["\ud83d\ude00", "\ud83d"], "n": 1.7e308, "i": 123456789012345678901234567890}',
]
CLEANED = [
    {"id": "\ufffd", "topic": "contact.tagged", "name": "lone \ufffd surrogate"},
    {"\ufffd": ["\U0001f600", "\ufffd"], "n": 1.7e308, "i": 123456789012345678901234567890},
]


@pytest.mark.parametrize("mode", MODES)
async def test_hostile_bodies_are_stored_cleaned_and_every_answer_stays_valid_json(
    server: GistServer, hub: WebhookHub, mode: str
) -> None:
    async with Client(server, mode=mode, cache=None) as client:
        waiting = await call(client, "list_webhook_events", {})  # nothing yet
        responses = [await post(hub, body) for body in HOSTILE_BODIES]
        refused = [await post(hub, body) for body in (b'{"n": 1e400}', b'{"n": -Infinity}', b'{"a":' * 255)]

        assert [response.status_code for response in responses] == [200, 200]
        assert [response.status_code for response in refused] == [400, 400, 400]
        ids = [event_id(payload) for payload in CLEANED]
        assert [response.json()["id"] for response in responses] == ids
        listed = await call(client, "list_webhook_events", {})
        assert [e["payload"] for e in listed["webhook_events"]] == CLEANED[::-1]
        assert waiting["count"] == 0
        waited = await call(client, "wait_for_webhook_event", {"after_id": ids[0], "timeout_seconds": 1})
        assert [e["payload"] for e in waited["webhook_events"]] == CLEANED[1:]
        latest = strict_json(await read_text(client, "gist://webhook-events"))
        assert [e["payload"] for e in latest["webhook_events"]] == CLEANED[::-1]
        for event_id_, payload in zip(ids, CLEANED, strict=True):
            one = strict_json(await read_text(client, f"gist://webhook-events/{event_id_}"))
            assert one["payload"] == payload


async def test_a_listing_over_its_byte_budget_returns_fewer_events_with_a_hint_and_bounded_memory(
    server: GistServer, hub: WebhookHub
) -> None:
    per_page = MAX_LISTING_BYTES // MAX_EVENT_BYTES
    async with Client(server, cache=None) as client:
        for number in range(100):
            pad = "x" * (MAX_EVENT_BYTES - 100)
            assert (await post(hub, {"id": f"big_{number}", "pad": pad})).is_success
        await call(client, "list_webhook_events", {"limit": 1})  # warm up: first-call allocations are not listing's
        tracemalloc.start()
        try:
            first = await call(client, "list_webhook_events", {"limit": 100})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert first["count"] == per_page
        assert first["has_more"] is True
        assert "at most 256 KiB of payloads" in first["hint"]
        # The whole MCP round trip (result model, text and structured copies, the client's side) stays within a
        # small multiple of the budget (measured: about 3x); without the budget it held several copies of 6.4 MiB.
        assert peak < 6 * MAX_LISTING_BYTES
        second = await call(client, "list_webhook_events", {"limit": 100, "cursor": first["next_cursor"]})
        names = [e["payload"]["id"] for e in first["webhook_events"] + second["webhook_events"]]
        assert names == [f"big_{n}" for n in range(99, 99 - 2 * per_page, -1)]
        latest = strict_json(await read_text(client, "gist://webhook-events"))
        assert latest["count"] == per_page


@pytest.mark.parametrize("mode", MODES)
async def test_received_events_are_listed_newest_first_and_readable_as_resources(
    server: GistServer, hub: WebhookHub, mode: str
) -> None:
    async with Client(server, mode=mode, cache=None) as client:
        empty = await call(client, "list_webhook_events", {})
        assert empty["webhook_events"] == []
        assert "Watch Events" in empty["hint"]
        for n in range(3):
            assert (await post(hub, {"id": f"evt_{n}", "topic": "contact.tagged", "contact": {"id": n}})).is_success
        assert (await post(hub, {"event": "contact.created", "contact": {"id": 9}})).is_success
        listed = await call(client, "list_webhook_events", {"limit": 2})
        assert [e["topic"] for e in listed["webhook_events"]] == ["contact.created", "contact.tagged"]
        assert listed["has_more"] is True
        rest = await call(client, "list_webhook_events", {"limit": 5, "cursor": listed["next_cursor"]})
        assert [e["payload"]["id"] for e in rest["webhook_events"]] == ["evt_1", "evt_0"]
        tagged = await call(client, "list_webhook_events", {"topic": "contact.tagged"})
        assert tagged["count"] == 3
        assert (await call(client, "list_webhook_events", {"since": "2099-01-01T00:00:00Z"}))["count"] == 0
        latest = json.loads(await read_text(client, "gist://webhook-events"))
        assert latest["count"] == 4
        evt_1 = {"id": "evt_1", "topic": "contact.tagged", "contact": {"id": 1}}
        assert rest["webhook_events"][0]["id"] == event_id(evt_1)
        one = json.loads(await read_text(client, f"gist://webhook-events/{event_id(evt_1)}"))
        assert one["payload"] == evt_1


@pytest.mark.parametrize("mode", MODES)
async def test_wait_returns_on_arrival_and_times_out_when_nothing_comes(
    server: GistServer, hub: WebhookHub, mode: str
) -> None:
    async with Client(server, mode=mode, cache=None) as client:
        quiet = await call(client, "wait_for_webhook_event", {"timeout_seconds": 0.3})
        assert quiet == {"webhook_events": [], "timed_out": True}
        results: list[dict[str, Any]] = []

        async def wait() -> None:
            results.append(await call(client, "wait_for_webhook_event", {"topic": "contact.deleted"}))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(wait)
                await anyio.sleep(0.3)
                await post(hub, {"id": "other", "topic": "contact.tagged"})
                await post(hub, {"id": "gone", "topic": "contact.deleted"})
        assert [e["payload"]["id"] for e in results[0]["webhook_events"]] == ["gone"]
        assert results[0]["timed_out"] is False
        other = event_id({"id": "other", "topic": "contact.tagged"})
        after = await call(client, "wait_for_webhook_event", {"after_id": other, "timeout_seconds": 1})
        assert [e["payload"]["id"] for e in after["webhook_events"]] == ["gone"]
        text = await call_error(client, "wait_for_webhook_event", {"after_id": "nope"})
        assert "after_id" in text
        text = await call_error(client, "wait_for_webhook_event", {"timeout_seconds": 120})
        assert "timeout_seconds" in text


async def test_handshake_subscriber_is_notified_of_events_another_process_stored(
    server: GistServer, hub: WebhookHub
) -> None:
    updated = anyio.Event()
    async with Client(server, mode="legacy", message_handler=announcing_events_to(updated)) as client:
        await client.subscribe_resource("gist://webhook-events")
        async with SqliteWebhookStore(hub.settings.db_path) as other_process:
            await other_process.add({"id": "from-elsewhere", "topic": "contact.created"})
        with anyio.fail_after(10):
            await updated.wait()
        listed = await call(client, "list_webhook_events", {})
        assert listed["webhook_events"][0]["payload"]["id"] == "from-elsewhere"


async def test_a_server_nobody_asks_about_webhooks_never_opens_the_store(server: GistServer, hub: WebhookHub) -> None:
    """Starting, listing and calling other tools leave the SQLite file alone (and nothing polls it); the first
    webhook tool opens it."""
    async with Client(server, mode="legacy") as client:
        await client.list_tools()
        await call(client, "list_segments", {})
        assert not hub.settings.db_path.exists()
        assert (await call(client, "list_webhook_events", {}))["webhook_events"] == []
        assert hub.settings.db_path.exists()
    async with Client(server, mode="legacy") as client:  # the last session out closed it: the next reopens it
        await post(hub, {"id": "later", "topic": "contact.created"})
        listed = await call(client, "list_webhook_events", {})
        assert listed["webhook_events"][0]["payload"]["id"] == "later"


async def test_subscribers_keep_hearing_when_the_session_whose_task_ran_the_watcher_ends(
    server: GistServer, hub: WebhookHub
) -> None:
    updated = anyio.Event()
    async with Client(server, mode="legacy", message_handler=announcing_events_to(updated)) as listener:
        async with Client(server, mode="legacy") as other:
            await listener.subscribe_resource("gist://webhook-events")  # the watcher runs in the newest session's
            await other.list_tools()  # task group: the other client's, which now ends
        await post(hub, {"id": "after-handover", "topic": "contact.created"})
        with anyio.fail_after(10):
            await updated.wait()


async def test_listening_client_is_notified_on_the_2026_era(server: GistServer, hub: WebhookHub) -> None:
    async with (
        Client(server, mode="auto") as client,
        client.listen(resource_subscriptions=["gist://webhook-events"]) as subscription,
    ):
        await post(hub, {"id": "new-one", "topic": "contact.created"})
        with anyio.fail_after(10):
            async for event in subscription:
                assert "gist://webhook-events" in str(event)
                break


async def test_sandbox_writes_arrive_as_webhook_events(tmp_path: Path) -> None:
    hub = WebhookHub(WebhookSettings(token=TOKEN, data_dir=tmp_path / "sandbox"))
    emulator = GistEmulator(api_keys=(CANARY_KEY,))
    emulator.webhook_sink = deliver_in_process(hub)
    server = create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=hub)
    async with Client(server) as client:
        lead = await call(client, "create_lead", {"email": "watch@example.org"})
        await call(client, "tag_contacts", {"tag": "Watched", "contacts": [{"id": lead["id"]}]})
        await call(client, "delete_lead", {"lead": {"id": lead["id"]}})
        topics = [e["topic"] for e in (await call(client, "list_webhook_events", {}))["webhook_events"]]
    assert topics[:3] == ["contact.deleted", "contact.tagged", "contact.created"]


@pytest.fixture
async def gist_url() -> AsyncIterator[str]:
    async with GistEmulator(api_keys=(CANARY_KEY,)).serve() as url:
        yield url


def env_for(gist_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    return base | {
        "GIST_API_KEY": CANARY_KEY,
        "GIST_API_BASE_URL": gist_url,
        "GIST_MCP_DATA_DIR": str(data_dir),
        "GIST_WEBHOOK_TOKEN": TOKEN,
        **extra,
    }


async def wait_until_up(url: str) -> None:
    async with httpx.AsyncClient() as http:
        while True:
            try:
                await http.get(url)
                return
            except httpx.TransportError:
                await anyio.sleep(0.1)


@pytest.mark.slow
async def test_http_receiver_sits_beside_mcp_outside_its_bearer_guard(gist_url: str, tmp_path: Path) -> None:
    env = env_for(gist_url, tmp_path / "data", GIST_MCP_AUTH_TOKEN="mcp-secret-token")
    command = [sys.executable, "-m", "gist_mcp", "--transport", "http"]
    with anyio.fail_after(30):
        async with http_server(command, env, log_level="DEBUG") as server:
            async with httpx.AsyncClient(base_url=server.url) as http:
                assert (
                    await http.post(f"/webhooks/gist/{TOKEN}", json={"id": "h1", "topic": "contact.created"})
                ).status_code == 200
                assert (await http.post("/webhooks/gist/wrong-token-0123456789", json={"id": "x"})).status_code == 404
                assert (await http.post("/mcp", json={})).status_code == 401
            async with (
                httpx2.AsyncClient(headers={"Authorization": "Bearer mcp-secret-token"}) as authed,
                Client(streamable_http_client(f"{server.url}/mcp", http_client=authed), cache=None) as client,
            ):
                listed = await call(client, "list_webhook_events", {})
                assert [e["payload"]["id"] for e in listed["webhook_events"]] == ["h1"]
    assert TOKEN not in server.text()


@pytest.mark.slow
async def test_stdio_webhook_port_receives_and_a_second_process_shares_the_store(gist_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = env_for(gist_url, tmp_path / "data")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]

    def params(log: Path) -> StdioServerParameters:
        command = " ".join(shlex.quote(p) for p in [sys.executable, "-m", "gist_mcp", "--webhook-port", str(port)])
        return StdioServerParameters(command="bash", args=["-c", f"exec {command} 2>{shlex.quote(str(log))}"], env=env)

    with anyio.fail_after(60):
        async with Client(params(logs[0])) as first:
            await call(first, "list_webhook_events", {})
            await wait_until_up(f"http://127.0.0.1:{port}/")
            async with httpx.AsyncClient() as http:
                url = f"http://127.0.0.1:{port}/webhooks/gist/{TOKEN}"
                assert (await http.post(url, content=HOSTILE_BODIES[0])).status_code == 200
                assert (await http.post(url, json={"id": "s1", "topic": "contact.tagged"})).status_code == 200
            listed = (await call(first, "list_webhook_events", {}))["webhook_events"]
            assert [e["payload"] for e in listed] == [{"id": "s1", "topic": "contact.tagged"}, CLEANED[0]]
            assert strict_json(await read_text(first, f"gist://webhook-events/{listed[1]['id']}")) == listed[1]
            async with Client(params(logs[1])) as second:
                assert (await call(second, "list_webhook_events", {}))["webhook_events"][0]["payload"]["id"] == "s1"
    assert "Webhook receiver not started" in logs[1].read_text()
    assert all(TOKEN not in log.read_text() for log in logs)


@pytest.mark.slow
def test_webhook_url_prints_the_receiver_url(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")} | {"GIST_MCP_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "gist_mcp", "webhook-url", "--public-url", "https://hooks.example.com/"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0
    token = (tmp_path / "webhook-token").read_text().strip()
    assert done.stdout.strip() == f"https://hooks.example.com/webhooks/gist/{token}"
