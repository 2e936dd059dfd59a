"""Durable store of received webhook events: one SQLite file (WAL) that several processes share.

Claude Desktop and Claude Code each start their own gist-mcp, but only one of them can own the webhook
port; the others read the same file. So:

- every insert is its own `BEGIN IMMEDIATE` transaction, committed with `synchronous=FULL` before `add`
  returns (the receiver answers 2xx only then, so Gist's retries cover a crash);
- the event id is UNIQUE and inserts are `INSERT OR IGNORE`, so redeliveries are stored once;
- `seq` is an AUTOINCREMENT key, assigned under SQLite's write lock: it grows in commit order across
  processes and is never reused, which makes "events after seq N" a safe cursor for waiting;
- waiters wake at once on an insert made through this store, and poll every `poll_interval` seconds for
  inserts made by other processes.

Retention (age and count) is applied when the store opens and on every insert, in the same transaction.
Blocking SQLite calls run in worker threads over one connection, one call at a time.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import anyio.to_thread

from gist_mcp.webhooks.config import WebhookSettings, private_dir, private_file
from gist_mcp.webhooks.events import WebhookEvent, event_id, event_topic

T = TypeVar("T")

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
        payload TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_events_by_topic ON webhook_events (topic, seq)",
    "CREATE INDEX IF NOT EXISTS webhook_events_by_time ON webhook_events (received_ms)",
)
_SELECT = "SELECT seq, id, topic, received_ms, payload FROM webhook_events"


def utc_now() -> datetime:
    """The store's default clock."""
    return datetime.now(UTC)


def _to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS


def _event(row: tuple[int, str, str, int, str]) -> WebhookEvent:
    seq, id_, topic, received_ms, payload = row
    return WebhookEvent(
        id=id_, topic=topic, received_at=_EPOCH + received_ms * _MS, payload=json.loads(payload), seq=seq
    )


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction; IMMEDIATE takes the write lock up front, so busy waits happen here only."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class WebhookStore:
    """Received webhook events in SQLite. Use `async with WebhookStore(path) as store:` or open()/close()."""

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int = 30,
        max_events: int = 100_000,
        poll_interval: float = 0.25,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.path = Path(path)
        self.retention = timedelta(days=retention_days)
        self.max_events = max_events
        self.poll_interval = poll_interval
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        self._lock = anyio.Lock()  # FIFO: concurrent deliveries commit in arrival order, none starves
        self._arrived = anyio.Event()

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> WebhookStore:
        """The store in the settings' data directory, with their retention."""
        return cls(settings.db_path, retention_days=settings.retention_days, max_events=settings.max_events)

    async def open(self) -> None:
        """Create the private directory and file if needed, set WAL mode and the schema, apply retention."""
        async with self._lock:
            self._conn = await anyio.to_thread.run_sync(self._connect)

    def _connect(self) -> sqlite3.Connection:
        private_dir(self.path.parent)
        private_file(self.path)  # SQLite gives its -wal and -shm files the database file's mode
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            with _write(conn):
                for statement in _SCHEMA:
                    conn.execute(statement)
                self._prune(conn, _to_ms(self._clock()))
        except BaseException:
            conn.close()
            raise
        return conn

    async def close(self) -> None:
        """Close the connection; later calls raise RuntimeError."""
        async with self._lock:
            if self._conn is not None:
                await anyio.to_thread.run_sync(self._conn.close)
                self._conn = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the connection in a worker thread, one at a time.

        The thread is not abandoned when the caller is cancelled, so a started commit completes.
        """
        async with self._lock:
            if self._conn is None:
                raise RuntimeError("WebhookStore is not open")
            return await anyio.to_thread.run_sync(work, self._conn)

    def _prune(self, conn: sqlite3.Connection, now_ms: int) -> None:
        """Drop events past the retention age, and keep at most the newest `max_events`.

        Counting by seq keeps this an index lookup; seqs have no gaps except where the age rule already
        removed an event early (another process's clock ran behind), which only ever keeps fewer.
        """
        conn.execute("DELETE FROM webhook_events WHERE received_ms < ?", (now_ms - self.retention // _MS,))
        conn.execute(
            "DELETE FROM webhook_events WHERE seq <= (SELECT max(seq) FROM webhook_events) - ?", (self.max_events,)
        )

    async def add(self, payload: dict[str, Any]) -> tuple[WebhookEvent, bool]:
        """Store one delivery and commit; returns the stored event and whether it was new.

        A redelivery (same event id) is not stored again: the first stored copy is returned with False.
        """
        id_, topic, received_ms = event_id(payload), event_topic(payload), _to_ms(self._clock())
        body = json.dumps(payload, separators=(",", ":"))

        def insert(conn: sqlite3.Connection) -> tuple[WebhookEvent, bool]:
            with _write(conn):
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO webhook_events (id, topic, received_ms, payload) VALUES (?, ?, ?, ?)",
                    (id_, topic, received_ms, body),
                )
                inserted = cursor.rowcount == 1
                if inserted:
                    self._prune(conn, received_ms)
                row = conn.execute(f"{_SELECT} WHERE id = ?", (id_,)).fetchone()
            return _event(row), inserted

        event, inserted = await self._run(insert)
        if inserted:
            self._wake()
        return event, inserted

    def _wake(self) -> None:
        """Wake this process's waiters at once (other processes' waiters notice on their next poll)."""
        self._arrived.set()
        self._arrived = anyio.Event()

    async def get(self, event_id: str) -> WebhookEvent | None:
        """The event with this id, or None (never stored, or removed by retention)."""
        row = await self._run(lambda conn: conn.execute(f"{_SELECT} WHERE id = ?", (event_id,)).fetchone())
        return None if row is None else _event(row)

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
    ) -> list[WebhookEvent]:
        """Up to `limit` events matching every filter given, in seq order."""
        filters = {
            "topic = ?": topic,
            "received_ms >= ?": None if since is None else _to_ms(since),
            "seq > ?": after_seq,
            "seq < ?": before_seq,
        }
        given = {clause: value for clause, value in filters.items() if value is not None}
        where = f" WHERE {' AND '.join(given)}" if given else ""
        sql = f"{_SELECT}{where} ORDER BY seq {'DESC' if newest_first else 'ASC'} LIMIT ?"
        rows = await self._run(lambda conn: conn.execute(sql, (*given.values(), limit)).fetchall())
        return [_event(row) for row in rows]

    async def wait(
        self,
        after_seq: int | None = None,
        topic: str | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 - running out of time is an answer here ([]), not an error
        limit: int = 100,
    ) -> list[WebhookEvent]:
        """The first events (oldest first) stored after `after_seq`, waiting up to `timeout` seconds for one.

        With `after_seq=None`, only events stored after this call count. Returns [] on timeout. Sees
        events that other processes store, within `poll_interval`.
        """
        if after_seq is None:
            after_seq = await self.latest_seq()
        with anyio.move_on_after(timeout):
            while True:
                arrival = self._arrived  # taken before the query, so an insert during it still wakes us
                events = await self._select(topic=topic, after_seq=after_seq, newest_first=False, limit=limit)
                if events:
                    return events
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
    ) -> tuple[list[WebhookEvent], bool]:
        """Up to `limit` events, newest first, and whether more match.

        Filters: exact `topic`; received at or after `since`; `before_seq` continues a previous page
        (pass the `seq` of its last event).
        """
        events = await self._select(topic=topic, since=since, before_seq=before_seq, newest_first=True, limit=limit + 1)
        return events[:limit], len(events) > limit
