"""Durable store of received webhook events: the `WebhookStore` interface and its embedded default,
`SqliteWebhookStore`, one SQLite file (WAL) that several processes on one machine share.

The interface is what the receiver, the tools and the server's notifications use; the other
implementation, `gist_mcp.scale.postgres.PostgresWebhookStore`, keeps the same semantics in PostgreSQL
for several replicas. What both share (waiting, subscribing, the listing byte budget) lives in
`PolledStore`, so the two differ only in how they insert, select and prune.

The SQLite store:

Claude Desktop and Claude Code each start their own gist-mcp, but only one of them can own the webhook
port; the others read the same file. So:

- every insert is its own `BEGIN IMMEDIATE` transaction, committed with `synchronous=FULL` before `add`
  returns (the receiver answers 2xx only then, so Gist's retries cover a crash);
- the event id (a digest of the whole payload, see `events`) is UNIQUE and inserts are `INSERT OR
  IGNORE`, so exact redeliveries are stored once;
- `seq` is an AUTOINCREMENT key, assigned under SQLite's write lock: it grows in commit order across
  processes and is never reused, which makes "events after seq N" a safe cursor for waiting;
- waiters wake at once on an insert made through this store, and poll every `poll_interval` seconds for
  inserts made by other processes.

Every stored event passed `events.accept` (size, depth, finite numbers, no lone surrogates), so every
listing can be encoded. Retention (age, count, and total bytes, oldest first) is applied when the store
opens and on every insert, in the same transaction. A listing or a wait returns at most
`MAX_LISTING_BYTES` of payloads (and always at least one event), reading rows one at a time, so its
memory stays bounded whatever `limit` asks for. Blocking SQLite calls run in worker threads over one
connection, one call at a time.

A store file written before schema version 1 (ids taken from the payload's `id`, no byte counts) is
migrated when opened: each event gets its new id and its byte count, and events the receiver would now
refuse (too large, too deep, `Infinity`) are dropped, with a warning.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypedDict, TypeVar, Unpack

import anyio
import anyio.to_thread

from gist_mcp.webhooks.config import WebhookSettings, private_dir, private_file
from gist_mcp.webhooks.events import MAX_EVENT_BYTES, PayloadRefused, WebhookEvent, accept

T = TypeVar("T")

logger = logging.getLogger(__name__)

MAX_STORE_BYTES = 256 * 1024 * 1024
"""Total payload bytes kept; beyond it the oldest events go. 100,000 events of a typical 2.5 KiB fit,
but only 4,096 of the largest: whoever holds the URL cannot fill the disk (before, about 100 GB)."""
MAX_LISTING_BYTES = 256 * 1024
"""Payload bytes one listing or wait returns at most (four of the largest events, about a hundred
typical ones): the memory a listing takes, and a result a host can still show the model."""
SCHEMA_VERSION = 1
"""`PRAGMA user_version` of the current schema; files without it (version 0) are migrated on open."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_BUSY_TIMEOUT = 10.0
"""Seconds a write waits for another process's transaction before failing (then the receiver 500s)."""
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS webhook_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        payload TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_events_by_topic ON webhook_events (topic, seq)",
    "CREATE INDEX IF NOT EXISTS webhook_events_by_time ON webhook_events (received_ms)",
    # The running total of payload bytes, kept by triggers so the byte cap costs no table scan.
    "CREATE TABLE IF NOT EXISTS webhook_totals (only INTEGER PRIMARY KEY CHECK (only = 1), bytes INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO webhook_totals VALUES (1, 0)",
    """CREATE TRIGGER IF NOT EXISTS webhook_events_added AFTER INSERT ON webhook_events
        BEGIN UPDATE webhook_totals SET bytes = bytes + new.bytes; END""",
    """CREATE TRIGGER IF NOT EXISTS webhook_events_removed AFTER DELETE ON webhook_events
        BEGIN UPDATE webhook_totals SET bytes = bytes - old.bytes; END""",
)
_INSERT = "INSERT OR IGNORE INTO webhook_events (seq, id, topic, received_ms, bytes, payload) VALUES (?, ?, ?, ?, ?, ?)"
_SELECT = "SELECT seq, id, topic, received_ms, bytes, payload FROM webhook_events"
_Row = tuple[int, str, str, int, int, str]


@dataclass(frozen=True, slots=True)
class EventPage:
    """One listing: the events, whether more match, and whether the byte budget cut it short."""

    events: list[WebhookEvent]
    more: bool
    over_budget: bool = False


def utc_now() -> datetime:
    """The store's default clock."""
    return datetime.now(UTC)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS


def row_event(row: _Row) -> WebhookEvent:
    seq, id_, topic, received_ms, _, payload = row
    return WebhookEvent(
        id=id_, topic=topic, received_at=_EPOCH + received_ms * _MS, payload=json.loads(payload), seq=seq
    )


@contextmanager
def _write(conn: sqlite3.Connection) -> Generator[None, None, None]:
    """One write transaction; IMMEDIATE takes the write lock up front, so busy waits happen here only."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _migrate_unversioned(conn: sqlite3.Connection) -> None:
    """Rewrite a version-0 table (inside the caller's transaction) into the current schema.

    Each event is re-accepted from its stored text: it gets its digest id and byte count, lone
    surrogates are replaced, and what would now be refused is dropped. Seqs are kept, and the
    AUTOINCREMENT counter never goes back, so cursors handed out before stay valid.
    """
    conn.execute("DROP INDEX IF EXISTS webhook_events_by_topic")
    conn.execute("DROP INDEX IF EXISTS webhook_events_by_time")
    conn.execute("ALTER TABLE webhook_events RENAME TO webhook_events_v0")
    for statement in _SCHEMA:
        conn.execute(statement)
    dropped = 0
    # One row at a time: an old store may hold gigabytes (1 MiB events were accepted).
    for seq, received_ms, text in conn.execute("SELECT seq, received_ms, payload FROM webhook_events_v0 ORDER BY seq"):
        try:
            event = accept(json.loads(text))
        except (PayloadRefused, ValueError, RecursionError):
            dropped += 1
            continue
        conn.execute(_INSERT, (seq, event.id, event.topic, received_ms, event.size, event.text))
    counter = conn.execute(
        "SELECT max(seq) FROM sqlite_sequence WHERE name IN ('webhook_events', 'webhook_events_v0')"
    ).fetchone()[0]
    conn.execute("DROP TABLE webhook_events_v0")
    if counter is not None:
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'webhook_events'")
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('webhook_events', ?)", (counter,))
    if dropped:
        logger.warning("Webhook store migrated: %d stored event(s) the receiver now refuses were dropped.", dropped)


class PageBuilder:
    """Builds one listing from rows read one at a time: at most `limit` events within `max_bytes` of
    payload (always at least one). Both stores feed it, so the budget rule lives here only."""

    def __init__(self, limit: int, max_bytes: int) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self._taken: list[WebhookEvent] = []
        self._used = 0
        self.page: EventPage | None = None
        """Set once the page is complete (a row was left over); None while more rows fit."""

    def offer(self, row: _Row) -> bool:
        """Take `row` if it fits; False once the page is full (stop reading then)."""
        size = row[4]  # the bytes column: parsing is skipped for the row that ends the page
        if len(self._taken) == self.limit:
            self.page = EventPage(self._taken, more=True)
        elif self._taken and self._used + size > self.max_bytes:
            self.page = EventPage(self._taken, more=True, over_budget=True)
        else:
            self._taken.append(row_event(row))
            self._used += size
            return True
        return False

    def result(self) -> EventPage:
        """The page: full, or every row there was."""
        return self.page or EventPage(self._taken, more=False)


def _budgeted(rows: Iterable[_Row], limit: int, max_bytes: int) -> EventPage:
    """Up to `limit` of `rows` within `max_bytes` of payload (at least one), reading one row at a time."""
    builder = PageBuilder(limit, max_bytes)
    for row in rows:
        if not builder.offer(row):
            break
    return builder.result()


async def budgeted_async(rows: AsyncIterator[_Row], limit: int, max_bytes: int) -> EventPage:
    """`_budgeted` for rows read from an async cursor."""
    builder = PageBuilder(limit, max_bytes)
    async for row in rows:
        if not builder.offer(row):
            break
    return builder.result()


def where(
    mark: str,
    *,
    workspace: str | None = None,
    topic: str | None = None,
    since: datetime | None = None,
    after_seq: int | None = None,
    before_seq: int | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause (or "") and its values for the listing filters given; `mark` is the driver's
    placeholder (`?` for sqlite3, `%s` for psycopg). `workspace` is PostgreSQL's (a SQLite file holds one)."""
    filters = {
        f"workspace = {mark}": workspace,
        f"topic = {mark}": topic,
        f"received_ms >= {mark}": None if since is None else to_ms(since),
        f"seq > {mark}": after_seq,
        f"seq < {mark}": before_seq,
    }
    given = {clause: value for clause, value in filters.items() if value is not None}
    return (f" WHERE {' AND '.join(given)}" if given else ""), list(given.values())


class WebhookStore(Protocol):
    """What the receiver, the tools and the notifications need of a webhook store (SQLite or PostgreSQL).

    Semantics every implementation keeps: `add` returns only after the event is committed (the receiver
    answers 2xx then); one delivery identity (the payload digest, `events.event_id`) is stored once;
    `seq` grows in commit order and is never reused, so "after seq N" is a safe cursor; retention by
    age, count and bytes; listings and waits return at most `MAX_LISTING_BYTES` of payloads.
    """

    announce: Callable[[], Awaitable[None]] | None
    """Called after each new event this object commits (the Redis fan-out's publish), or None."""

    def wake(self) -> None:
        """Wake this object's waiters: they re-read the store now."""
        ...

    async def open(self) -> None:
        """Connect, create or migrate the schema, apply retention."""
        ...

    async def close(self) -> None:
        """Disconnect; later calls raise RuntimeError."""
        ...

    async def add(self, payload: dict[str, Any]) -> tuple[WebhookEvent, bool]:
        """Check, store and commit one delivery; the stored event and whether it was new."""
        ...

    async def get(self, event_id: str) -> WebhookEvent | None:
        """The event with this id, or None."""
        ...

    async def seq_of(self, event_id: str) -> int | None:
        """The sequence number of a stored event."""
        ...

    async def latest_seq(self) -> int:
        """The sequence number of the newest stored event, 0 when there is none."""
        ...

    async def wait(
        self,
        after_seq: int | None = None,
        topic: str | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 - see PolledStore.wait
        limit: int = 100,
        max_bytes: int = MAX_LISTING_BYTES,
    ) -> list[WebhookEvent]:
        """The first events stored after `after_seq`, waiting up to `timeout` seconds for one."""
        ...

    def subscribe(self, topic: str | None = None, after_seq: int | None = None) -> AsyncGenerator[WebhookEvent]:
        """Each newly stored event, in order, forever."""
        ...

    async def list(
        self,
        topic: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        before_seq: int | None = None,
        max_bytes: int = MAX_LISTING_BYTES,
    ) -> EventPage:
        """Up to `limit` events, newest first, within `max_bytes` of payload, and whether more match."""
        ...


class StoreOptions(TypedDict, total=False):
    """The keyword arguments both stores take besides where they keep the events (see `PolledStore`)."""

    retention_days: int
    max_events: int
    max_bytes: int
    poll_interval: float
    clock: Callable[[], datetime]


class PolledStore(ABC):
    """The retention settings, and waiting, subscribing and listing on top of `_select` and
    `latest_seq`, for both stores. Use `async with store:` or open()/close().

    Waiters wake at once on an insert made through this store object (`wake`), and poll every
    `poll_interval` seconds for inserts made by other processes or replicas.
    """

    def __init__(
        self,
        *,
        retention_days: int = 30,
        max_events: int = 100_000,
        max_bytes: int = MAX_STORE_BYTES,
        poll_interval: float = 0.25,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if max_bytes < MAX_EVENT_BYTES:
            raise ValueError(f"max_bytes must hold at least one event of MAX_EVENT_BYTES ({MAX_EVENT_BYTES})")
        self.retention = timedelta(days=retention_days)
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.poll_interval = poll_interval
        self._clock = clock
        self._arrived = anyio.Event()
        self.announce: Callable[[], Awaitable[None]] | None = None
        """Called after each new event committed through this object: tells other replicas (Redis fan-out)."""

    @abstractmethod
    async def open(self) -> None:
        """Connect, create or migrate the schema, apply retention."""

    @abstractmethod
    async def close(self) -> None:
        """Disconnect; later calls raise RuntimeError."""

    @abstractmethod
    async def add(self, payload: dict[str, Any]) -> tuple[WebhookEvent, bool]:
        """Check, store and commit one delivery; the stored event and whether it was new."""

    @abstractmethod
    async def get(self, event_id: str) -> WebhookEvent | None:
        """The event with this id, or None."""

    @abstractmethod
    async def seq_of(self, event_id: str) -> int | None:
        """The sequence number of a stored event."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _now_ms(self) -> int:
        return to_ms(self._clock())

    def _retention_cutoff_ms(self, now_ms: int) -> int:
        """Events received before this are past the retention age."""
        return now_ms - self.retention // _MS

    @abstractmethod
    async def latest_seq(self) -> int:
        """The sequence number of the newest stored event, 0 when there is none."""

    @abstractmethod
    async def _select(
        self,
        *,
        topic: str | None = None,
        since: datetime | None = None,
        after_seq: int | None = None,
        before_seq: int | None = None,
        newest_first: bool,
        limit: int,
        max_bytes: int,
    ) -> EventPage:
        """Up to `limit` events matching every filter given, in seq order, within `max_bytes` of payload."""

    async def wait(
        self,
        after_seq: int | None = None,
        topic: str | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 - running out of time is an answer here ([]), not an error
        limit: int = 100,
        max_bytes: int = MAX_LISTING_BYTES,
    ) -> list[WebhookEvent]:
        """The first events (oldest first) stored after `after_seq`, waiting up to `timeout` seconds for one.

        With `after_seq=None`, only events stored after this call count. Returns [] on timeout, and at
        most `limit` events within `max_bytes` of payload (wait again after the last for the rest).
        Sees events that other processes (or replicas) store, within `poll_interval`.
        """
        if after_seq is None:
            after_seq = await self.latest_seq()
        with anyio.move_on_after(timeout):
            while True:
                arrival = self._arrived  # taken before the query, so an insert during it still wakes us
                found = await self._select(
                    topic=topic, after_seq=after_seq, newest_first=False, limit=limit, max_bytes=max_bytes
                )
                if found.events:
                    return found.events
                with anyio.move_on_after(self.poll_interval):
                    await arrival.wait()
        return []

    async def subscribe(self, topic: str | None = None, after_seq: int | None = None) -> AsyncGenerator[WebhookEvent]:
        """Yield each newly stored event (this process's and other processes'), in order, forever.

        With `after_seq=None` it starts at the newest event when iteration begins. Close it with
        `contextlib.aclosing` or by cancelling the task that iterates.
        """
        seq = await self.latest_seq() if after_seq is None else after_seq
        while True:
            for event in await self.wait(after_seq=seq, topic=topic, timeout=math.inf):
                seq = event.seq
                yield event

    async def list(
        self,
        topic: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        before_seq: int | None = None,
        max_bytes: int = MAX_LISTING_BYTES,
    ) -> EventPage:
        """Up to `limit` events, newest first, within `max_bytes` of payload, and whether more match.

        Filters: exact `topic`; received at or after `since`; `before_seq` continues a previous page
        (pass the `seq` of its last event).
        """
        return await self._select(
            topic=topic, since=since, before_seq=before_seq, newest_first=True, limit=limit, max_bytes=max_bytes
        )

    def wake(self) -> None:
        """Wake this object's waiters at once: they re-read the store (other processes' waiters notice on
        their next poll, or at once when the fan-out calls this on every replica)."""
        self._arrived.set()
        self._arrived = anyio.Event()

    async def _stored_new(self) -> None:
        """A new event was committed through this object: wake our waiters and announce it."""
        self.wake()
        if self.announce is not None:
            await self.announce()


class SqliteWebhookStore(PolledStore):
    """Received webhook events in SQLite. Use `async with SqliteWebhookStore(path) as store:` or open()/close();
    a store never opened opens with its first use (a server that nobody asks about webhooks never touches
    the file)."""

    def __init__(self, path: Path, **options: Unpack[StoreOptions]) -> None:
        super().__init__(**options)
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._lock = anyio.Lock()  # FIFO: concurrent deliveries commit in arrival order, none starves

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> SqliteWebhookStore:
        """The store in the settings' data directory, with their retention."""
        return cls(settings.db_path, retention_days=settings.retention_days, max_events=settings.max_events)

    async def open(self) -> None:
        """Create the private directory and file if needed, set WAL mode and the schema (migrating an
        older file), apply retention."""
        async with self._lock:
            self._conn = await anyio.to_thread.run_sync(self._connect)
            self._closed = False

    def _connect(self) -> sqlite3.Connection:
        private_dir(self.path.parent)
        private_file(self.path)  # SQLite gives its -wal and -shm files the database file's mode
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            with _write(conn):
                if _schema_version(conn) < SCHEMA_VERSION:
                    old = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'webhook_events'").fetchone()
                    if old is not None:
                        _migrate_unversioned(conn)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                for statement in _SCHEMA:
                    conn.execute(statement)
                self._prune(conn, self._now_ms())
        except BaseException:
            conn.close()
            raise
        return conn

    async def close(self) -> None:
        """Close the connection; later calls raise RuntimeError."""
        async with self._lock:
            self._closed = True
            if self._conn is not None:
                await anyio.to_thread.run_sync(self._conn.close)
                self._conn = None

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the connection in a worker thread, one at a time.

        The thread is not abandoned when the caller is cancelled, so a started commit completes.
        """
        async with self._lock:
            if self._conn is None:
                if self._closed:
                    raise RuntimeError("WebhookStore is closed")
                self._conn = await anyio.to_thread.run_sync(self._connect)
            return await anyio.to_thread.run_sync(work, self._conn)

    def _prune(self, conn: sqlite3.Connection, now_ms: int) -> None:
        """Drop events past the retention age, keep at most the newest `max_events`, then drop the
        oldest until the payloads total at most `max_bytes`.

        Counting by seq keeps the count rule an index lookup; seqs have no gaps except where another
        rule already removed an event early, which only ever keeps fewer. The byte rule reads the
        trigger-kept total and walks only the oldest rows it removes.
        """
        conn.execute("DELETE FROM webhook_events WHERE received_ms < ?", (self._retention_cutoff_ms(now_ms),))
        conn.execute(
            "DELETE FROM webhook_events WHERE seq <= (SELECT max(seq) FROM webhook_events) - ?", (self.max_events,)
        )
        excess = conn.execute("SELECT bytes FROM webhook_totals").fetchone()[0] - self.max_bytes
        if excess <= 0:
            return
        oldest = conn.execute("SELECT seq, bytes FROM webhook_events ORDER BY seq")
        last, freed = 0, 0
        for seq, size in oldest:
            last, freed = seq, freed + size
            if freed >= excess:
                break
        oldest.close()
        conn.execute("DELETE FROM webhook_events WHERE seq <= ?", (last,))

    async def add(self, payload: dict[str, Any]) -> tuple[WebhookEvent, bool]:
        """Check, store and commit one delivery; returns the stored event and whether it was new.

        Raises PayloadRefused when `events.accept` refuses the payload. A redelivery (the same payload,
        hence the same id) is not stored again: the first stored copy is returned with False.
        """
        event, received_ms = accept(payload), self._now_ms()

        def insert(conn: sqlite3.Connection) -> tuple[WebhookEvent, bool]:
            with _write(conn):
                cursor = conn.execute(_INSERT, (None, event.id, event.topic, received_ms, event.size, event.text))
                inserted = cursor.rowcount == 1
                if inserted:
                    self._prune(conn, received_ms)
                row = conn.execute(f"{_SELECT} WHERE id = ?", (event.id,)).fetchone()
            return row_event(row), inserted

        stored, inserted = await self._run(insert)
        if inserted:
            await self._stored_new()
        return stored, inserted

    async def get(self, event_id: str) -> WebhookEvent | None:
        """The event with this id, or None (never stored, or removed by retention)."""
        row = await self._run(lambda conn: conn.execute(f"{_SELECT} WHERE id = ?", (event_id,)).fetchone())
        return None if row is None else row_event(row)

    async def seq_of(self, event_id: str) -> int | None:
        """The sequence number of a stored event: turns an `after_id` into a cursor for `wait`."""
        row = await self._run(
            lambda conn: conn.execute("SELECT seq FROM webhook_events WHERE id = ?", (event_id,)).fetchone()
        )
        return None if row is None else row[0]

    async def latest_seq(self) -> int:
        """The sequence number of the newest stored event, 0 when there is none."""
        row = await self._run(lambda conn: conn.execute("SELECT coalesce(max(seq), 0) FROM webhook_events").fetchone())
        return row[0]

    async def _select(
        self,
        *,
        topic: str | None = None,
        since: datetime | None = None,
        after_seq: int | None = None,
        before_seq: int | None = None,
        newest_first: bool,
        limit: int,
        max_bytes: int,
    ) -> EventPage:
        clause, values = where("?", topic=topic, since=since, after_seq=after_seq, before_seq=before_seq)
        sql = f"{_SELECT}{clause} ORDER BY seq {'DESC' if newest_first else 'ASC'} LIMIT ?"

        def page(conn: sqlite3.Connection) -> EventPage:
            rows = conn.execute(sql, (*values, limit + 1))
            try:
                return _budgeted(rows, limit, max_bytes)
            finally:
                rows.close()

        return await self._run(page)


def store_from_settings(settings: WebhookSettings, workspace: str = "") -> WebhookStore:
    """PostgreSQL when `GIST_MCP_DATABASE_URL` is set (needs `gist-mcp[scale]`), else the SQLite file.

    `workspace` names the events' workspace in PostgreSQL, where every workspace shares one table (''
    is the single-user server's; hosted mode passes the Gist workspace id). A SQLite file holds one
    workspace: hosted mode gives each its own `settings.data_dir`.
    """
    if settings.database_url is None:
        return SqliteWebhookStore.from_settings(settings)
    from gist_mcp.scale.postgres import PostgresWebhookStore  # only with the scale extra installed

    return PostgresWebhookStore(
        settings.database_url, workspace, retention_days=settings.retention_days, max_events=settings.max_events
    )
