"""Webhook events of many workspaces in one PostgreSQL database (hosted mode's replicas): a workspace's
store sees only its own events, its retention touches only its own, every replica of a workspace sees
its deliveries, one process's stores share one pool, and a version-1 database keeps its events."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import anyio
import psycopg
import pytest
from test_webhooks_store import Clock, assert_they_share_events, payload_ids, sized, wait_during

from gist_mcp._json import JSONObject
from gist_mcp.scale.migrations import migrate
from gist_mcp.scale.pool import POOL_SIZE
from gist_mcp.scale.postgres import MIGRATIONS, PostgresWebhookStore
from gist_mcp.webhooks import MAX_EVENT_BYTES, EventPage, accept, event_id
from gist_mcp.webhooks.store import to_ms, utc_now

pytestmark = [pytest.mark.anyio, pytest.mark.services]


def replica(database_url: str, name: str) -> str:
    """`database_url` as another replica would spell it: a pool of its own, its connections named `name`."""
    return f"{database_url}&application_name={name}"


async def totals(database_url: str) -> dict[str, tuple[int, int]]:
    """The trigger-kept (events, bytes) of each workspace, checked against the table itself."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute("SELECT workspace, events, bytes FROM webhook_totals WHERE events > 0")
        kept = {str(workspace): (int(events), int(size)) for workspace, events, size in await cursor.fetchall()}
        cursor = await conn.execute("SELECT workspace, count(*), sum(bytes) FROM webhook_events GROUP BY workspace")
        counted = {str(workspace): (int(events), int(size)) for workspace, events, size in await cursor.fetchall()}
    assert kept == counted
    return kept


async def test_a_version_1_database_keeps_its_events_as_the_single_user_workspace(database_url: str) -> None:
    payloads: list[JSONObject] = [{"id": f"old{number}", "topic": "contact.created"} for number in range(3)]
    received_ms = to_ms(utc_now())
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        assert await migrate(conn, "webhooks", MIGRATIONS[:1]) == 1
        for payload in payloads:
            event = accept(payload)
            await conn.execute(
                "INSERT INTO webhook_events (id, topic, received_ms, bytes, payload) VALUES (%s, %s, %s, %s, %s)",
                (event.id, event.topic, received_ms, event.size, event.text),
            )
        cursor = await conn.execute("SELECT seq FROM webhook_events ORDER BY seq")
        seqs = [int(seq) for (seq,) in await cursor.fetchall()]

    async with PostgresWebhookStore(database_url) as single, PostgresWebhookStore(database_url, "1001") as hosted:
        page = await single.list()
        assert payload_ids(page) == ["old2", "old1", "old0"]
        assert [event.seq for event in page.events] == seqs[::-1]
        assert await single.get(event_id(payloads[0])) == page.events[-1]
        assert await hosted.list() == EventPage([], more=False)
        assert (await hosted.add(payloads[0]))[1]  # the same delivery in another workspace is another event
        newer, inserted = await single.add({"id": "new"})
        assert inserted
        assert newer.seq > seqs[-1]
        assert (await totals(database_url))[""][0] == 4

    async with PostgresWebhookStore(database_url, max_events=2) as single:  # the count rule reads the migrated totals
        assert payload_ids(await single.list()) == ["new", "old2"]
    assert set(await totals(database_url)) == {"", "1001"}


async def test_two_workspaces_in_one_database_never_see_each_others_events(database_url: str) -> None:
    async with (
        PostgresWebhookStore(database_url, "1001", poll_interval=0.01) as one,
        PostgresWebhookStore(database_url, "1002", poll_interval=0.01) as two,
    ):
        same = {"topic": "contact.created", "contact": {"id": 1}}
        first, first_new = await one.add(same)
        second, second_new = await two.add(same)
        assert (first_new, second_new) == (True, True)
        assert first.id == second.id
        assert first.seq != second.seq
        mine, _ = await one.add({"id": "only-1001", "topic": "contact.created"})

        assert await one.list() == EventPage([mine, first], more=False)
        assert await two.list() == EventPage([second], more=False)
        assert await two.list(topic="contact.created", before_seq=mine.seq + 1) == EventPage([second], more=False)
        assert await two.get(mine.id) is None
        assert await two.seq_of(mine.id) is None
        assert await two.get(first.id) == second
        assert await two.latest_seq() == second.seq
        assert await one.latest_seq() == mine.seq
        with anyio.fail_after(5):
            assert await two.wait(after_seq=0, timeout=0.05) == [second]

        async def both() -> None:
            await one.add({"id": "later-1001"})
            await two.add({"id": "later-1002"})

        seen = await wait_during(two, second.seq, both)

        assert [event.payload for event in seen] == [{"id": "later-1002"}]


async def test_retention_of_one_workspace_leaves_the_others_events_alone(database_url: str) -> None:
    clock = Clock()
    async with PostgresWebhookStore(database_url, "quiet", clock=clock) as quiet:
        for number in range(3):
            await quiet.add(sized(f"q{number}", 30_000))
    clock.now += timedelta(days=40)  # quiet's events are past the busy store's retention age, not yet pruned

    async with PostgresWebhookStore(database_url, "busy", max_events=3, clock=clock) as busy:
        for number in range(5):
            await busy.add({"id": f"e{number}"})
        assert payload_ids(await busy.list()) == ["e4", "e3", "e2"]
    async with PostgresWebhookStore(database_url, "busy", max_bytes=100_000, clock=clock) as busy:
        for number in range(4):
            await busy.add(sized(f"b{number}", 30_000))
        assert payload_ids(await busy.list()) == ["b3", "b2", "b1"]  # the oldest went first: e2-e4, then b0
    async with PostgresWebhookStore(database_url, "busy", max_bytes=MAX_EVENT_BYTES, clock=clock) as busy:
        assert payload_ids(await busy.list()) == ["b3", "b2"]  # 60,000 bytes; b1 would pass 64 KiB

    assert await totals(database_url) == {"quiet": (3, 90_000), "busy": (2, 60_000)}
    async with PostgresWebhookStore(database_url, "quiet", clock=clock) as quiet:  # its own age rule, on open
        assert payload_ids(await quiet.list()) == []


async def test_two_replicas_of_one_workspace_see_each_others_deliveries(database_url: str) -> None:
    async with (
        PostgresWebhookStore(replica(database_url, "replica1"), "1001", poll_interval=0.01) as first,
        PostgresWebhookStore(replica(database_url, "replica2"), "1001", poll_interval=0.01) as second,
    ):
        await assert_they_share_events(first, second)


async def test_the_stores_of_many_workspaces_share_one_pool_closed_with_the_last(database_url: str) -> None:
    """Hosted mode opens a store per workspace: 50 of them busy at once hold at most POOL_SIZE connections
    (a pool each would hold 50 at rest and up to 500), and the last one to close closes the pool. The
    README states the limit."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert f"share one pool of at most {POOL_SIZE} connections" in readme
    name = f"gist-mcp-{uuid.uuid4().hex[:8]}"
    url = replica(database_url, name)
    stores = [PostgresWebhookStore(url, f"w{number}") for number in range(50)]

    async def connections() -> int:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            cursor = await conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,))
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def use(store: PostgresWebhookStore) -> None:
        await store.open()
        await store.add({"id": store.workspace})
        assert payload_ids(await store.list()) == [store.workspace]

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            for store in stores:
                tasks.start_soon(use, store)
        assert 1 <= await connections() <= POOL_SIZE
        for store in stores[1:]:
            await store.close()
        assert payload_ids(await stores[0].list()) == ["w0"]
        await stores[0].close()
        remaining = await connections()
        while remaining:  # the server notices closed connections a moment later
            await anyio.sleep(0.01)
            remaining = await connections()
    with pytest.raises(RuntimeError, match="not open"):
        await stores[0].list()
