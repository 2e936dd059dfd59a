"""Proof of "beyond one machine": three real replicas on shared PostgreSQL and Redis behind a proxy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import psycopg
import pytest
from conftest import call
from mcp import Client
from replica_set import WEBHOOK_TOKEN, Deployment, deployment

pytestmark = [pytest.mark.anyio, pytest.mark.services, pytest.mark.slow]

API_KEY = "sk_replicas_canary_51c0"
BUDGET = (30, 2.0)
"""Small enough that 300 calls must queue across replicas; the emulator enforces the same figure."""
SESSIONS = 10
CALLS_PER_SESSION = 30
DELIVERIES = 1000
SENDERS = 20
"""Concurrent webhook senders (Gist retries a delivery until it gets a 2xx, as these do)."""


@pytest.fixture
async def replicas(tmp_path: Path, database_url: str, redis_url: str) -> Any:
    async with deployment(
        3,
        api_key=API_KEY,
        rate_limit=BUDGET,
        data_dir=tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        log=tmp_path / "replicas.log",
    ) as running:
        yield running, database_url


async def test_three_replicas_share_the_budget_store_each_delivery_once_and_notify_across(
    replicas: tuple[Deployment, str],
) -> None:
    running, database_url = replicas
    results: list[int] = []

    async def session(n: int) -> None:
        async with Client(f"{running.proxy_url}/mcp", mode="legacy" if n % 2 else "auto") as client:
            for _ in range(CALLS_PER_SESSION):
                answer = await call(client, "list_tags", {})
                results.append(len(answer["tags"]))

    with anyio.fail_after(240):
        async with anyio.create_task_group() as tasks:
            for n in range(SESSIONS):
                tasks.start_soon(session, n)

    assert len(results) == SESSIONS * CALLS_PER_SESSION
    assert len(set(results)) == 1
    assert results[0] > 0
    assert [status for _, status in running.watch.seen if status == 429] == []
    assert running.watch.most_in_any_window(BUDGET[1]) <= BUDGET[0]

    # 1,000 deliveries through the proxy; replica 0 is SIGKILLed a third of the way in. A subscriber on
    # replica 2 (never killed) follows them with wait_for_webhook_event.
    acknowledged: set[str] = set()
    followed: list[str] = []
    path = f"/webhooks/gist/{WEBHOOK_TOKEN}"
    queue = list(range(DELIVERIES))

    async def sender(http: httpx.AsyncClient) -> None:
        while queue:
            number = queue.pop()
            body = json.dumps({"id": f"d{number}", "topic": "contact.created", "n": number}).encode()
            while True:  # as Gist does: until a 2xx
                try:
                    answer = await http.post(path, content=body)
                except httpx.TransportError:
                    continue
                if answer.status_code == 200:
                    acknowledged.add(f"d{number}")
                    break
            if len(acknowledged) == DELIVERIES // 3 and running.alive[0]:
                running.kill(0)

    async def subscriber(ready: anyio.Event) -> None:
        async with Client(f"{running.replica_urls[2]}/mcp", mode="legacy") as client:
            ready.set()
            after: str | None = None
            while len(followed) < DELIVERIES:
                arguments: dict[str, Any] = {"timeout_seconds": 10} | ({"after_id": after} if after else {})
                batch = (await call(client, "wait_for_webhook_event", arguments))["webhook_events"]
                followed.extend(event["payload"]["id"] for event in batch)
                after = batch[-1]["id"] if batch else after

    with anyio.fail_after(240):
        async with (
            anyio.create_task_group() as tasks,
            httpx.AsyncClient(base_url=running.proxy_url, timeout=60) as http,
        ):
            ready = anyio.Event()
            tasks.start_soon(subscriber, ready)
            await ready.wait()
            await anyio.sleep(0.5)  # the subscriber's first wait is in place
            async with anyio.create_task_group() as senders:
                for _ in range(SENDERS):
                    senders.start_soon(sender, http)

    assert not running.alive[0]
    assert len(acknowledged) == DELIVERIES
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute("SELECT payload FROM webhook_events ORDER BY seq")
        stored = [json.loads(row[0])["id"] for row in await cursor.fetchall()]
    assert sorted(stored) == sorted(acknowledged)  # every 2xx'd delivery once, nothing else
    assert followed == stored  # the subscriber on another replica saw each, in commit order
