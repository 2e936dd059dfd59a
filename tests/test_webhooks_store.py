import hashlib
import json
import math
import os
import sqlite3
import stat
import sys
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import platformdirs
import pytest

from gist_mcp._json import JSONObject
from gist_mcp.errors import GistConfigError
from gist_mcp.webhooks import (
    MAX_EVENT_BYTES,
    MAX_LISTING_BYTES,
    MAX_NESTING_DEPTH,
    MAX_STORE_BYTES,
    EventPage,
    PayloadRefused,
    SqliteWebhookStore,
    WebhookEvent,
    WebhookSettings,
    WebhookStore,
    accept,
    event_id,
    event_topic,
)
from gist_mcp.webhooks.store import SCHEMA_VERSION, PolledStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "webhooks.sqlite3"


OpenStore = Callable[..., PolledStore]
"""Makes an (unopened) store; every call of one test's `open_store` reaches the same events."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def open_store(request: pytest.FixtureRequest, db_path: Path) -> OpenStore:
    """The shared suite runs against both stores: SQLite in a temporary folder, PostgreSQL in a fresh schema."""
    if request.param == "sqlite":
        return lambda **options: SqliteWebhookStore(db_path, **options)
    from gist_mcp.scale.postgres import PostgresWebhookStore

    url: str = request.getfixturevalue("database_url")
    return lambda **options: PostgresWebhookStore(url, **options)


@pytest.fixture
async def store(open_store: OpenStore) -> AsyncIterator[PolledStore]:
    async with open_store(poll_interval=0.01) as store:
        yield store


def payload_ids(page: EventPage) -> list[str]:
    return [event.payload["id"] for event in page.events]


class Clock:
    """A settable clock, so retention by age is tested without waiting days."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_event_id_is_the_sha256_of_the_payload_with_sorted_keys_no_spaces_and_ascii() -> None:
    payload = {"topic": "contact.tagged", "contact": {"tags": [{"name": "vïp"}], "email": "ann@example.com"}}
    canonical = b'{"contact":{"email":"ann@example.com","tags":[{"name":"v\\u00efp"}]},"topic":"contact.tagged"}'

    assert event_id(payload) == hashlib.sha256(canonical).hexdigest()
    assert event_id(dict(reversed(payload.items()))) == event_id(payload)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({"id": 5}, {"id": "5"}),
        ({"id": "c_7", "topic": "contact.tagged"}, {"id": "c_7", "topic": "contact.untagged"}),
        ({"id": "c_7", "contact": {"tags": ["vip"]}}, {"id": "c_7", "contact": {"tags": []}}),
    ],
    ids=["id-type", "topic", "body"],
)
async def test_the_same_top_level_id_does_not_make_the_same_delivery(
    store: PolledStore, one: dict[str, Any], other: dict[str, Any]
) -> None:
    first, first_new = await store.add(one)
    second, second_new = await store.add(other)

    assert (first_new, second_new) == (True, True)
    assert first.id != second.id
    assert [event.payload for event in (await store.list()).events] == [other, one]


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


async def test_a_redelivered_event_is_stored_once(store: PolledStore) -> None:
    payload = {"id": "evt_1", "topic": "contact.created", "contact": {"id": 7}}

    first, first_new = await store.add(payload)
    again, again_new = await store.add(dict(reversed(payload.items())))  # key order is not identity

    assert (first_new, again_new) == (True, False)
    assert again == first
    assert first.payload == payload
    assert await store.list() == EventPage([first], more=False)


async def test_concurrent_deliveries_of_one_event_store_it_once(store: PolledStore) -> None:
    outcomes: list[bool] = []

    async def deliver() -> None:
        _, inserted = await store.add({"topic": "contact.tagged", "contact": {"id": 1}})
        outcomes.append(inserted)

    async with anyio.create_task_group() as tasks:
        for _ in range(20):
            tasks.start_soon(deliver)

    assert sorted(outcomes) == [False] * 19 + [True]
    assert len((await store.list()).events) == 1


async def test_list_gives_newest_first_and_filters_by_topic_time_and_page(open_store: OpenStore) -> None:
    clock = Clock()
    async with open_store(clock=clock) as store:
        added: list[WebhookEvent] = []
        for number, topic in enumerate(["a", "b", "a", "a"]):
            clock.now += timedelta(minutes=1)
            event, _ = await store.add({"id": f"e{number}", "topic": topic})
            added.append(event)
        e0, e1, e2, e3 = added

        assert await store.list() == EventPage([e3, e2, e1, e0], more=False)
        assert await store.list(topic="a", limit=2) == EventPage([e3, e2], more=True)
        assert await store.list(topic="a", limit=2, before_seq=e2.seq) == EventPage([e0], more=False)
        assert await store.list(since=e1.received_at) == EventPage([e3, e2, e1], more=False)
        assert await store.list(since=e1.received_at.replace(tzinfo=None)) == EventPage([e3, e2, e1], more=False)
        assert await store.list(topic="missing") == EventPage([], more=False)


async def test_get_seq_of_and_latest_seq_find_stored_events(store: PolledStore) -> None:
    assert await store.latest_seq() == 0
    first, _ = await store.add({"id": "e1"})
    second, _ = await store.add({"id": "e2"})

    assert await store.get(first.id) == first
    assert await store.get("nope") is None
    assert await store.seq_of(second.id) == second.seq > first.seq
    assert await store.seq_of("nope") is None
    assert await store.latest_seq() == second.seq


async def test_events_survive_a_restart_and_new_ones_follow_them(open_store: OpenStore) -> None:
    async with open_store() as store:
        before, _ = await store.add({"id": "e1", "topic": "contact.created"})

    async with open_store() as store:
        assert await store.get(before.id) == before
        _, inserted = await store.add({"id": "e1", "topic": "contact.created"})
        after, _ = await store.add({"id": "e2"})

    assert not inserted
    assert after.seq > before.seq


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
async def test_the_data_folder_is_private_to_the_user(db_path: Path) -> None:
    db_path.parent.mkdir(mode=0o755)
    os.chmod(db_path.parent, 0o755)  # an existing, too open folder is tightened too

    async with SqliteWebhookStore(db_path) as store:
        await store.add({"id": "e1"})
        files = [path for path in db_path.parent.iterdir() if path.name.startswith(db_path.name)]

        assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
        assert {path.name for path in files} >= {db_path.name, f"{db_path.name}-wal"}
        assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}


async def test_only_the_newest_max_events_are_kept(open_store: OpenStore) -> None:
    async with open_store(max_events=3) as store:
        for number in range(5):
            await store.add({"id": f"e{number}"})

        assert payload_ids(await store.list()) == ["e4", "e3", "e2"]

    async with open_store(max_events=2) as store:
        assert payload_ids(await store.list()) == ["e4", "e3"]


async def test_events_older_than_the_retention_are_dropped_on_add_and_on_open(open_store: OpenStore) -> None:
    clock = Clock()
    async with open_store(retention_days=30, clock=clock) as store:
        await store.add({"id": "old"})
        clock.now += timedelta(days=20)
        await store.add({"id": "recent"})
        clock.now += timedelta(days=11)
        await store.add({"id": "new"})

        assert payload_ids(await store.list()) == ["new", "recent"]

    clock.now += timedelta(days=20)
    async with open_store(retention_days=30, clock=clock) as store:
        assert payload_ids(await store.list()) == ["new"]


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


async def assert_they_share_events(first: PolledStore, second: PolledStore) -> None:
    """Two store objects on one store (processes on one file, replicas on one database): each sees what the
    other stored, a redelivery through the other is stored once, and a wait on one wakes for the other's insert."""
    stored, _ = await first.add({"id": "e1", "topic": "contact.created"})
    assert await second.list() == EventPage([stored], more=False)
    assert await second.get(stored.id) == stored
    assert await second.seq_of(stored.id) == stored.seq
    _, inserted = await second.add({"id": "e1", "topic": "contact.created"})
    assert not inserted
    later = {"id": "e2", "topic": "contact.deleted"}

    seen = await wait_during(second, stored.seq, lambda: first.add(later))

    assert seen == [await first.get(event_id(later))]


async def test_two_stores_on_one_file_see_each_others_events(open_store: OpenStore) -> None:
    async with (
        open_store(poll_interval=0.01) as desktop,
        open_store(poll_interval=0.01) as code,
    ):
        await assert_they_share_events(desktop, code)


async def test_wait_wakes_on_an_insert_in_the_same_process_without_polling(open_store: OpenStore) -> None:
    async with open_store(poll_interval=3600) as store:
        seen = await wait_during(store, 0, lambda: store.add({"id": "e1"}))

        assert seen == [await store.get(event_id({"id": "e1"}))]


async def test_wait_returns_the_events_after_the_cursor_at_once_oldest_first(store: PolledStore) -> None:
    first, _ = await store.add({"id": "e1", "topic": "a"})
    second, _ = await store.add({"id": "e2", "topic": "b"})
    third, _ = await store.add({"id": "e3", "topic": "a"})

    with anyio.fail_after(5):
        assert await store.wait(after_seq=first.seq) == [second, third]
        assert await store.wait(after_seq=first.seq, limit=1) == [second]
        assert await store.wait(after_seq=0, topic="a") == [first, third]


async def test_wait_without_a_cursor_ignores_earlier_events_and_gives_an_empty_list_on_timeout(
    store: PolledStore,
) -> None:
    await store.add({"id": "e1"})

    with anyio.fail_after(5):
        assert await store.wait(timeout=0.05) == []


async def test_subscribe_yields_events_stored_by_this_and_other_processes(open_store: OpenStore) -> None:
    async with (
        open_store(poll_interval=0.01) as server,
        open_store(poll_interval=0.01) as other,
    ):
        await server.add({"id": "old"})
        start = await server.latest_seq()
        with anyio.fail_after(5):
            async with aclosing(server.subscribe(after_seq=start)) as events:
                await server.add({"id": "mine"})
                assert (await anext(events)).payload == {"id": "mine"}
                await other.add({"id": "theirs"})
                assert (await anext(events)).payload == {"id": "theirs"}


async def test_a_closed_store_refuses_to_work(open_store: OpenStore) -> None:
    store = open_store()
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
    store = SqliteWebhookStore.from_settings(settings)
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


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"name": "bad \ud800 end", "\udfff key": ["\udbff"]}, {"name": "bad \ufffd end", "\ufffd key": ["\ufffd"]}),
        ({"text": "emoji 😀, accents é, CJK 漢字"}, {"text": "emoji 😀, accents é, CJK 漢字"}),
    ],
    ids=["lone-surrogates", "valid-text"],
)
def test_accept_replaces_lone_surrogates_and_keeps_valid_text(
    payload: dict[str, Any], expected: dict[str, Any]
) -> None:
    accepted = accept(payload)

    assert accepted.payload == expected
    assert json.loads(accepted.text.encode()) == expected  # the stored text encodes as UTF-8
    assert accepted.id == event_id(expected)


def nested(depth: int) -> dict[str, Any]:
    """An object whose objects nest `depth` deep (itself included)."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        (nested(MAX_NESTING_DEPTH + 1), 400, f"nested deeper than {MAX_NESTING_DEPTH}"),
        ({"list": [[[]]] * 3, "deep": nested(MAX_NESTING_DEPTH)}, 400, "nested deeper"),
        ({"n": math.inf}, 400, "number JSON cannot express"),
        ({"n": [-math.inf]}, 400, "number JSON cannot express"),
        ({"n": math.nan}, 400, "number JSON cannot express"),
        ({"pad": "é" * (MAX_EVENT_BYTES // 2)}, 413, "larger than 64 KiB"),
    ],
    ids=["too-deep", "too-deep-inside", "infinity", "minus-infinity", "nan", "too-large-in-utf8"],
)
def test_accept_refuses_what_a_later_answer_could_not_carry(payload: dict[str, Any], status: int, reason: str) -> None:
    with pytest.raises(PayloadRefused, match=reason) as refused:
        accept(payload)

    assert refused.value.status == status


def test_accept_takes_the_limits_themselves() -> None:
    at_limit: JSONObject = {"pad": ""}
    at_limit["pad"] = "x" * (MAX_EVENT_BYTES - len(json.dumps(at_limit, separators=(",", ":"))))

    assert accept(at_limit).size == MAX_EVENT_BYTES
    assert accept(nested(MAX_NESTING_DEPTH)).payload == nested(MAX_NESTING_DEPTH)


def sized(name: str, size: int) -> dict[str, Any]:
    """A payload of exactly `size` stored bytes."""
    empty = len(json.dumps({"id": name, "pad": ""}, separators=(",", ":")))
    return {"id": name, "pad": "x" * (size - empty)}


async def test_the_store_keeps_at_most_max_bytes_of_payloads_dropping_the_oldest(open_store: OpenStore) -> None:
    async with open_store(max_bytes=100_000) as store:
        for number in range(5):
            await store.add(sized(f"e{number}", 30_000))

        assert payload_ids(await store.list()) == ["e4", "e3", "e2"]  # 90,000 bytes; a fourth would pass the cap
        await store.add(sized("small", 10_000))
        assert payload_ids(await store.list()) == ["small", "e4", "e3", "e2"]

    async with open_store(max_bytes=MAX_EVENT_BYTES) as store:  # a smaller cap applies on open
        assert payload_ids(await store.list()) == ["small", "e4"]


def test_the_store_cap_must_hold_the_largest_event(db_path: Path) -> None:
    with pytest.raises(ValueError, match="MAX_EVENT_BYTES"):
        SqliteWebhookStore(db_path, max_bytes=MAX_EVENT_BYTES - 1)


async def test_a_listing_stops_at_its_byte_budget_and_the_rest_follows_page_by_page(store: PolledStore) -> None:
    size = 60 * 1024
    for number in range(10):
        await store.add(sized(f"e{number}", size))

    pages: list[EventPage] = []
    before: int | None = None
    while not pages or pages[-1].more:
        pages.append(await store.list(limit=100, before_seq=before))
        before = pages[-1].events[-1].seq

    per_page = MAX_LISTING_BYTES // size
    assert [len(page.events) for page in pages] == [per_page, per_page, 10 - 2 * per_page]
    assert [page.over_budget for page in pages] == [True, True, False]
    assert [name for page in pages for name in payload_ids(page)] == [f"e{n}" for n in reversed(range(10))]
    assert len(await store.wait(after_seq=0, limit=100)) == per_page
    assert payload_ids(await store.list(max_bytes=1)) == ["e9"]  # never an empty page while events match


async def test_listing_memory_stays_within_the_budget_whatever_the_limit(store: PolledStore) -> None:
    for number in range(100):
        await store.add(sized(f"e{number}", MAX_EVENT_BYTES))

    tracemalloc.start()
    try:
        page = await store.list(limit=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(page.events) == MAX_LISTING_BYTES // MAX_EVENT_BYTES
    assert peak < 3 * MAX_LISTING_BYTES  # without the budget: 100 events, over 12 MiB


V0_SCHEMA = (  # the schema gist-mcp used before SCHEMA_VERSION 1, as it created it
    """CREATE TABLE IF NOT EXISTS webhook_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        payload TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_events_by_topic ON webhook_events (topic, seq)",
    "CREATE INDEX IF NOT EXISTS webhook_events_by_time ON webhook_events (received_ms)",
)


async def test_a_store_file_of_the_old_schema_is_migrated_once_when_opened(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path.parent.mkdir()
    received_ms = int(datetime.now(UTC).timestamp() * 1000)
    old_rows = [  # (seq, old id, topic, payload text as the old store wrote it)
        (3, "evt_1", "contact.tagged", '{"id":"evt_1","topic":"contact.tagged","contact":{"id":7}}'),
        (4, "5", "unknown", '{"id":"5","name":"bad \\ud800 name"}'),
        (5, "6", "unknown", '{"id":"6","n":Infinity}'),
        (6, "7", "unknown", json.dumps({"id": "7", "deep": nested(40)})),
        (7, "8", "unknown", json.dumps({"id": "8", "pad": "x" * (1024 * 1024 - 30)})),
    ]
    with sqlite3.connect(db_path) as conn:
        for statement in V0_SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT INTO webhook_events VALUES (9, 'pruned', 'unknown', ?, '{}')", (received_ms,))
        conn.execute("DELETE FROM webhook_events")  # the AUTOINCREMENT counter stays at 9
        conn.executemany(
            "INSERT INTO webhook_events VALUES (?, ?, ?, ?, ?)", [(*row[:3], received_ms, row[3]) for row in old_rows]
        )
    conn.close()

    async with SqliteWebhookStore(db_path) as store:
        kept = (await store.list()).events
        assert [(event.seq, event.payload) for event in kept] == [
            (4, {"id": "5", "name": "bad \ufffd name"}),
            (3, {"id": "evt_1", "topic": "contact.tagged", "contact": {"id": 7}}),
        ]
        assert [event.id for event in kept] == [event_id(event.payload) for event in kept]
        assert kept[1].topic == "contact.tagged"
        newer, inserted = await store.add({"id": "evt_1", "topic": "contact.tagged", "contact": {"id": 7}})
        assert (newer.seq, inserted) == (3, False)  # a redelivery of a migrated event is still recognised
        assert (await store.add({"id": "next"}))[0].seq > 9  # seqs handed out before are never reused
    assert "3 stored event(s) the receiver now refuses were dropped" in caplog.text

    caplog.clear()
    async with SqliteWebhookStore(db_path) as store:  # opening again changes nothing
        assert len((await store.list()).events) == 3
    assert "migrated" not in caplog.text
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("SELECT bytes FROM webhook_totals").fetchone()[0] == sum(
            len(event.text.encode()) for event in map(accept, [p.payload for p in kept] + [{"id": "next"}])
        )
    conn.close()


def test_the_readme_states_the_webhook_limits_the_code_applies() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme[readme.index("## Watch Events") :]

    for phrase in (
        f"bodies over {MAX_EVENT_BYTES // 1024} KiB",
        f"nesting deeper than {MAX_NESTING_DEPTH} levels",
        f"at most\n{MAX_LISTING_BYTES // 1024} KiB of payloads",
        f"{MAX_STORE_BYTES // 1024 // 1024} MiB of payloads",
    ):
        assert phrase in section


async def test_two_stores_receiving_the_same_deliveries_at_once_store_each_once_in_commit_order(
    open_store: OpenStore,
) -> None:
    """Two replicas (two store objects) receive the same 30 deliveries concurrently: 30 events, each
    reported new exactly once, and a waiter following the seq cursor meets every one of them."""
    payloads = [{"id": f"e{number}", "topic": "contact.tagged"} for number in range(30)]
    inserted: list[str] = []
    followed: list[WebhookEvent] = []
    async with open_store(poll_interval=0.01) as one, open_store(poll_interval=0.01) as other:
        start = await one.latest_seq()

        async def deliver(store: PolledStore, payload: dict[str, Any]) -> None:
            event, new = await store.add(payload)
            if new:
                inserted.append(event.id)

        async def follow() -> None:
            seq = start
            while len(followed) < len(payloads):
                batch = await other.wait(after_seq=seq, timeout=5)
                followed.extend(batch)
                seq = batch[-1].seq if batch else seq

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(follow)
                for payload in payloads:
                    tasks.start_soon(deliver, one, payload)
                    tasks.start_soon(deliver, other, payload)

        assert sorted(inserted) == sorted(event_id(payload) for payload in payloads)
        assert [event.id for event in followed] == [event.id for event in reversed((await one.list()).events)]
        assert sorted(event.payload["id"] for event in followed) == sorted(p["id"] for p in payloads)


@pytest.mark.services
async def test_postgres_schema_is_migrated_once_by_concurrent_replicas_and_a_newer_one_is_refused(
    database_url: str,
) -> None:
    import psycopg

    from gist_mcp.scale.postgres import MIGRATIONS, PostgresWebhookStore

    # Three URLs, so three pools as in three replicas (one process's stores of one URL share a pool).
    stores = [PostgresWebhookStore(f"{database_url}&application_name=replica{n}") for n in range(3)]
    async with anyio.create_task_group() as tasks:
        for store in stores:
            tasks.start_soon(store.open)
    for store in stores:
        await store.close()
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cursor = await conn.execute("SELECT component, version FROM gist_mcp_migrations ORDER BY version")
        assert await cursor.fetchall() == [("webhooks", version) for version in range(1, len(MIGRATIONS) + 1)]
        await conn.execute("INSERT INTO gist_mcp_migrations (component, version) VALUES ('webhooks', 99)")

    with pytest.raises(RuntimeError, match="version 99, newer than this gist-mcp knows"):
        await PostgresWebhookStore(database_url).open()


@pytest.mark.services
def test_the_postgres_store_is_chosen_by_the_database_url_which_never_shows(tmp_path: Path) -> None:
    from gist_mcp.scale.postgres import PostgresWebhookStore
    from gist_mcp.webhooks import store_from_settings

    url = "postgresql://gist:s3cret-canary@db.internal/gist"
    settings = WebhookSettings.from_env({"GIST_MCP_DATABASE_URL": url, "GIST_MCP_DATA_DIR": str(tmp_path)})
    store = store_from_settings(settings)

    assert isinstance(store, PostgresWebhookStore)
    assert "s3cret-canary" not in repr(store) + repr(settings)
    assert isinstance(
        store_from_settings(WebhookSettings.from_env({"GIST_MCP_DATA_DIR": str(tmp_path)})), SqliteWebhookStore
    )
    with pytest.raises(
        GistConfigError, match="GIST_MCP_DATABASE_URL must be a URL starting with postgresql://"
    ) as error:
        WebhookSettings.from_env(
            {"GIST_MCP_DATABASE_URL": "mysql://root:s3cret-canary@x/y", "GIST_MCP_DATA_DIR": str(tmp_path)}
        )
    assert "s3cret-canary" not in str(error.value)


@pytest.mark.services
async def test_postgres_waits_cut_off_by_their_timeout_leave_no_listing_cursor_open(database_url: str) -> None:
    """A timeout that lands during a wait's listing cancels the query; the cursor must still close (an
    open one is a ResourceWarning when collected, which fails this test). Before the fix, about one
    wait in 17 of these left one."""
    import gc

    from gist_mcp.scale.postgres import PostgresWebhookStore

    async with PostgresWebhookStore(database_url) as store:
        await store.add({"id": "e1"})
        latest = await store.latest_seq()
        for attempt in range(300):
            assert await store.wait(after_seq=latest, timeout=0.0005 * (attempt % 7)) == []
        gc.collect()
        assert payload_ids(await store.list()) == ["e1"]  # the pool still serves after the cancelled queries
