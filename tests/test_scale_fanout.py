"""Webhook arrivals reach waiters and subscribers on every replica at once, through Redis pub/sub."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest
from conftest import CANARY_KEY, call, settings_for
from mcp import Client
from mcp.types import ResourceUpdatedNotification
from starlette.applications import Starlette

from gist_mcp.emulator import GistEmulator
from gist_mcp.scale.fanout import ArrivalFanout
from gist_mcp.scale.postgres import PostgresWebhookStore
from gist_mcp.server import create_server
from gist_mcp.watch import WebhookHub
from gist_mcp.webhooks import WebhookSettings

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.services,
    pytest.mark.filterwarnings(
        r"ignore:resources/(un)?subscribe is removed:mcp.shared.exceptions.MCPDeprecationWarning"
    ),
]
TOKEN = "test-webhook-token-0123456789"
NEVER = 3600.0
"""A poll interval no test waits for: only the fan-out can wake these stores."""


async def test_an_insert_on_one_replica_wakes_a_waiter_on_another_without_polling(
    database_url: str, redis_url: str, key_prefix: str
) -> None:
    channel = key_prefix + "arrivals"
    fanouts = [ArrivalFanout(redis_url, channel) for _ in range(2)]
    seen: list[str] = []
    async with (
        PostgresWebhookStore(database_url, poll_interval=NEVER) as one,
        PostgresWebhookStore(database_url, poll_interval=NEVER) as other,
        anyio.create_task_group() as tasks,
    ):
        one.announce = fanouts[0].publish
        await tasks.start(fanouts[1].listen, other.wake)
        start = await other.latest_seq()

        with anyio.fail_after(10):
            async with anyio.create_task_group() as inner:

                async def wait() -> None:
                    seen.extend(event.payload["id"] for event in await other.wait(after_seq=start, timeout=NEVER))

                inner.start_soon(wait)
                await anyio.wait_all_tasks_blocked()
                await one.add({"id": "arrived", "topic": "contact.created"})

        tasks.cancel_scope.cancel()
    for fanout in fanouts:
        await fanout.aclose()
    assert seen == ["arrived"]


def replica_hub(tmp_path: Path, database_url: str, redis_url: str) -> WebhookHub:
    """One replica's hub: the shared PostgreSQL store, arrivals announced on Redis, polling off."""
    settings = WebhookSettings(token=TOKEN, data_dir=tmp_path, database_url=database_url)
    hub = WebhookHub(settings, redis_url=redis_url)
    assert isinstance(hub.store, PostgresWebhookStore)
    hub.store.poll_interval = NEVER
    return hub


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_subscriber_on_one_replica_is_notified_of_a_webhook_another_replica_received(
    tmp_path: Path, database_url: str, redis_url: str, mode: str
) -> None:
    emulator = GistEmulator(api_keys=(CANARY_KEY,))
    hubs = [replica_hub(tmp_path / str(n), database_url, redis_url) for n in range(2)]
    servers = [
        create_server(settings_for(), transport=httpx.ASGITransport(app=emulator.app), webhooks=hub) for hub in hubs
    ]
    receiving = Starlette(routes=hubs[0].routes())
    notified = anyio.Event()

    async def on_message(message: object) -> None:
        if isinstance(message, ResourceUpdatedNotification) and str(message.params.uri) == "gist://webhook-events":
            notified.set()

    async with (
        Client(servers[0], mode="legacy"),  # replica 0 runs: its receiver takes the delivery
        Client(servers[1], mode=mode, message_handler=on_message) as subscriber,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=receiving), base_url="http://replica-0") as gist,
    ):
        body = json.dumps({"id": "cross-replica", "topic": "contact.created"}).encode()
        with anyio.fail_after(15):
            if mode == "legacy":
                await subscriber.subscribe_resource("gist://webhook-events")
                assert (await gist.post(hubs[0].settings.receiver_path, content=body)).status_code == 200
                await notified.wait()
            else:
                async with subscriber.listen(resource_subscriptions=["gist://webhook-events"]) as stream:
                    assert (await gist.post(hubs[0].settings.receiver_path, content=body)).status_code == 200
                    async for update in stream:
                        assert "gist://webhook-events" in str(update)
                        break
        listed = await call(subscriber, "list_webhook_events", {})
        assert [event["payload"]["id"] for event in listed["webhook_events"]] == ["cross-replica"]
