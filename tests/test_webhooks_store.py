import hashlib
import os
import stat
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import platformdirs
import pytest

from gist_mcp.errors import GistConfigError
from gist_mcp.webhooks import WebhookEvent, WebhookSettings, WebhookStore, event_id, event_topic

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "webhooks.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[WebhookStore]:
    async with WebhookStore(db_path, poll_interval=0.01) as store:
        yield store


class Clock:
    """A settable clock, so retention by age is tested without waiting days."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"id": "evt_1", "event_id": "other"}, "evt_1"),
        ({"id": 42}, "42"),
        ({"event_id": "evt_2", "uuid": "other"}, "evt_2"),
        ({"uuid": "4b1d"}, "4b1d"),
        ({"id": "", "id_is_empty": True, "uuid": "4b1d"}, "4b1d"),
        ({"id": True, "event_id": "evt_3"}, "evt_3"),
        ({"id": {"nested": 1}, "uuid": "4b1d"}, "4b1d"),
    ],
)
def test_event_id_is_the_first_usable_id_key_of_the_payload(payload: dict[str, Any], expected: str) -> None:
    assert event_id(payload) == expected


def test_event_id_without_an_id_key_is_the_sha256_of_the_payload_with_sorted_keys_and_no_spaces() -> None:
    payload = {"topic": "contact.tagged", "contact": {"tags": [{"name": "vip"}], "email": "ann@example.com"}}
    canonical = b'{"contact":{"email":"ann@example.com","tags":[{"name":"vip"}]},"topic":"contact.tagged"}'

    assert event_id(payload) == hashlib.sha256(canonical).hexdigest()
    assert event_id(dict(reversed(payload.items()))) == event_id(payload)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"topic": "contact.tagged", "event": "ignored"}, "contact.tagged"),
        ({"topic": 7, "event": "conversation.opened"}, "conversation.opened"),
        ({"type": "user.created", "event_name": "ignored"}, "user.created"),
        ({"event_name": "Meeting Scheduled"}, "Meeting Scheduled"),
        ({"topic": "", "type": "lead.created"}, "lead.created"),
        ({"contact": {"id": 1}}, "unknown"),
    ],
)
def test_event_topic_is_the_first_string_topic_key_else_unknown(payload: dict[str, Any], expected: str) -> None:
    assert event_topic(payload) == expected


def test_an_event_as_json_has_its_id_topic_utc_time_and_payload() -> None:
    received = datetime(2026, 11, 1, 12, 30, 5, 250000, tzinfo=UTC)
    event = WebhookEvent(id="e1", topic="contact.tagged", received_at=received, payload={"a": 1}, seq=3)

    assert event.to_json() == {
        "id": "e1",
        "topic": "contact.tagged",
        "received_at": "2026-11-01T12:30:05.250Z",
        "payload": {"a": 1},
    }


async def test_a_redelivered_event_is_stored_once(store: WebhookStore) -> None:
    payload = {"id": "evt_1", "topic": "contact.created", "contact": {"id": 7}}

    first, first_new = await store.add(payload)
    again, again_new = await store.add({**payload, "contact": {"id": 8}})

    assert (first_new, again_new) == (True, False)
    assert again == first
    assert first.payload == payload
    assert await store.list() == ([first], False)


async def test_concurrent_deliveries_of_one_event_store_it_once(store: WebhookStore) -> None:
    outcomes: list[bool] = []

    async def deliver() -> None:
        _, inserted = await store.add({"topic": "contact.tagged", "contact": {"id": 1}})
        outcomes.append(inserted)

    async with anyio.create_task_group() as tasks:
        for _ in range(20):
            tasks.start_soon(deliver)

    assert sorted(outcomes) == [False] * 19 + [True]
    events, _ = await store.list()
    assert len(events) == 1


async def test_list_gives_newest_first_and_filters_by_topic_time_and_page(db_path: Path) -> None:
    clock = Clock()
    async with WebhookStore(db_path, clock=clock) as store:
        added: list[WebhookEvent] = []
        for number, topic in enumerate(["a", "b", "a", "a"]):
            clock.now += timedelta(minutes=1)
            event, _ = await store.add({"id": f"e{number}", "topic": topic})
            added.append(event)
        e0, e1, e2, e3 = added

        assert await store.list() == ([e3, e2, e1, e0], False)
        assert await store.list(topic="a", limit=2) == ([e3, e2], True)
        assert await store.list(topic="a", limit=2, before_seq=e2.seq) == ([e0], False)
        assert await store.list(since=e1.received_at) == ([e3, e2, e1], False)
        assert await store.list(since=e1.received_at.replace(tzinfo=None)) == ([e3, e2, e1], False)
        assert await store.list(topic="missing") == ([], False)


async def test_get_seq_of_and_latest_seq_find_stored_events(store: WebhookStore) -> None:
    assert await store.latest_seq() == 0
    first, _ = await store.add({"id": "e1"})
    second, _ = await store.add({"id": "e2"})

    assert await store.get("e1") == first
    assert await store.get("nope") is None
    assert await store.seq_of("e2") == second.seq > first.seq
    assert await store.seq_of("nope") is None
    assert await store.latest_seq() == second.seq


async def test_events_survive_a_restart_and_new_ones_follow_them(db_path: Path) -> None:
    async with WebhookStore(db_path) as store:
        before, _ = await store.add({"id": "e1", "topic": "contact.created"})

    async with WebhookStore(db_path) as store:
        assert await store.get("e1") == before
        _, inserted = await store.add({"id": "e1"})
        after, _ = await store.add({"id": "e2"})

    assert not inserted
    assert after.seq > before.seq


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
async def test_the_data_folder_is_private_to_the_user(db_path: Path) -> None:
    db_path.parent.mkdir(mode=0o755)
    os.chmod(db_path.parent, 0o755)  # an existing, too open folder is tightened too

    async with WebhookStore(db_path) as store:
        await store.add({"id": "e1"})
        files = [path for path in db_path.parent.iterdir() if path.name.startswith(db_path.name)]

        assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
        assert {path.name for path in files} >= {db_path.name, f"{db_path.name}-wal"}
        assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}


async def test_only_the_newest_max_events_are_kept(db_path: Path) -> None:
    async with WebhookStore(db_path, max_events=3) as store:
        for number in range(5):
            await store.add({"id": f"e{number}"})

        events, _ = await store.list()
        assert [event.id for event in events] == ["e4", "e3", "e2"]

    async with WebhookStore(db_path, max_events=2) as store:
        events, _ = await store.list()
        assert [event.id for event in events] == ["e4", "e3"]


async def test_events_older_than_the_retention_are_dropped_on_add_and_on_open(db_path: Path) -> None:
    clock = Clock()
    async with WebhookStore(db_path, retention_days=30, clock=clock) as store:
        await store.add({"id": "old"})
        clock.now += timedelta(days=20)
        await store.add({"id": "recent"})
        clock.now += timedelta(days=11)
        await store.add({"id": "new"})

        events, _ = await store.list()
        assert [event.id for event in events] == ["new", "recent"]

    clock.now += timedelta(days=20)
    async with WebhookStore(db_path, retention_days=30, clock=clock) as store:
        events, _ = await store.list()
        assert [event.id for event in events] == ["new"]


async def wait_during(
    store: WebhookStore, after_seq: int, produce: Callable[[], Awaitable[object]]
) -> list[WebhookEvent]:
    """What `store.wait(after_seq)` returns when `produce()` runs while it waits."""
    result: list[WebhookEvent] = []

    async def wait() -> None:
        result.extend(await store.wait(after_seq=after_seq, timeout=3600))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(wait)
            await anyio.wait_all_tasks_blocked()
            await produce()
    return result


async def test_two_stores_on_one_file_see_each_others_events(db_path: Path) -> None:
    async with (
        WebhookStore(db_path, poll_interval=0.01) as desktop,
        WebhookStore(db_path, poll_interval=0.01) as code,
    ):
        stored, _ = await desktop.add({"id": "e1", "topic": "contact.created"})
        assert await code.list() == ([stored], False)
        assert await code.get("e1") == stored
        _, inserted = await code.add({"id": "e1"})
        assert not inserted

        seen = await wait_during(code, stored.seq, lambda: desktop.add({"id": "e2", "topic": "contact.deleted"}))

        assert seen == [await desktop.get("e2")]


async def test_wait_wakes_on_an_insert_in_the_same_process_without_polling(db_path: Path) -> None:
    async with WebhookStore(db_path, poll_interval=3600) as store:
        seen = await wait_during(store, 0, lambda: store.add({"id": "e1"}))

        assert seen == [await store.get("e1")]


async def test_wait_returns_the_events_after_the_cursor_at_once_oldest_first(store: WebhookStore) -> None:
    first, _ = await store.add({"id": "e1", "topic": "a"})
    second, _ = await store.add({"id": "e2", "topic": "b"})
    third, _ = await store.add({"id": "e3", "topic": "a"})

    with anyio.fail_after(5):
        assert await store.wait(after_seq=first.seq) == [second, third]
        assert await store.wait(after_seq=first.seq, limit=1) == [second]
        assert await store.wait(after_seq=0, topic="a") == [first, third]


async def test_wait_without_a_cursor_ignores_earlier_events_and_gives_an_empty_list_on_timeout(
    store: WebhookStore,
) -> None:
    await store.add({"id": "e1"})

    with anyio.fail_after(5):
        assert await store.wait(timeout=0.05) == []


async def test_subscribe_yields_events_stored_by_this_and_other_processes(db_path: Path) -> None:
    async with (
        WebhookStore(db_path, poll_interval=0.01) as server,
        WebhookStore(db_path, poll_interval=0.01) as other,
    ):
        await server.add({"id": "old"})
        start = await server.latest_seq()
        with anyio.fail_after(5):
            async with aclosing(server.subscribe(after_seq=start)) as events:
                await server.add({"id": "mine"})
                assert (await anext(events)).id == "mine"
                await other.add({"id": "theirs"})
                assert (await anext(events)).id == "theirs"


async def test_a_closed_store_refuses_to_work(db_path: Path) -> None:
    store = WebhookStore(db_path)
    await store.open()
    await store.close()

    with pytest.raises(RuntimeError):
        await store.list()


def test_settings_take_the_data_dir_and_retention_from_the_environment(tmp_path: Path) -> None:
    settings = WebhookSettings.from_env(
        {
            "GIST_MCP_DATA_DIR": str(tmp_path / "state"),
            "GIST_WEBHOOK_TOKEN": "0123456789abcdef",
            "GIST_WEBHOOK_RETENTION_DAYS": "7",
            "GIST_WEBHOOK_MAX_EVENTS": "500",
        }
    )

    assert settings.db_path == tmp_path / "state" / "webhooks.sqlite3"
    assert (settings.retention_days, settings.max_events) == (7, 500)
    store = WebhookStore.from_settings(settings)
    assert (store.path, store.retention, store.max_events) == (settings.db_path, timedelta(days=7), 500)


def test_settings_default_to_the_user_data_folder_and_bundle_placeholders_count_as_unset() -> None:
    settings = WebhookSettings.from_env(
        {
            "GIST_WEBHOOK_TOKEN": "0123456789abcdef",
            "GIST_MCP_DATA_DIR": "${user_config.data_dir}",
            "GIST_WEBHOOK_RETENTION_DAYS": "${user_config.retention_days}",
        }
    )

    assert settings.data_dir == Path(platformdirs.user_data_dir("gist-mcp", appauthor=False))
    assert (settings.retention_days, settings.max_events) == (30, 100_000)


def test_an_explicit_data_dir_wins_over_the_environment(tmp_path: Path) -> None:
    env = {"GIST_MCP_DATA_DIR": str(tmp_path / "real"), "GIST_WEBHOOK_TOKEN": "0123456789abcdef"}

    assert WebhookSettings.from_env(env, data_dir_override=tmp_path / "sandbox").data_dir == tmp_path / "sandbox"


@pytest.mark.parametrize("value", ["0", "-1", "ten", "1.5"])
def test_malformed_retention_settings_are_refused_by_name(tmp_path: Path, value: str) -> None:
    env = {"GIST_MCP_DATA_DIR": str(tmp_path), "GIST_WEBHOOK_TOKEN": "0123456789abcdef"}

    with pytest.raises(GistConfigError, match="GIST_WEBHOOK_MAX_EVENTS"):
        WebhookSettings.from_env({**env, "GIST_WEBHOOK_MAX_EVENTS": value})
