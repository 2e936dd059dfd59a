"""The webhook store in PostgreSQL (`GIST_MCP_DATABASE_URL`), shared by every replica.

psycopg 3 with psycopg_pool: the PostgreSQL project's own maintained driver family, fully typed (pyright
checks our queries' call sites; asyncpg ships no types), with server-side cursors for reading a listing
one row at a time and a pool that reconnects after a database restart.

One table holds the events of every workspace: the single-user server's are workspace '' and hosted
mode opens one `PostgresWebhookStore(url, workspace=ID)` per Gist workspace, so a delivery received by
any replica is seen by the workspace's users on every replica. Every query, retention rule and
listing of a store is scoped to its workspace; `seq` is one identity shared by all workspaces, so a
workspace's seqs grow but have gaps, and "after seq N" is still a cursor within the workspace.

The same semantics as `SqliteWebhookStore` (the shared suite in tests/test_webhooks_store.py runs both):

- `add` returns only after COMMIT (the receiver answers 2xx then; `synchronous_commit` is the
  server's, `on` by default, so a committed event survives a database crash);
- the event id (the payload digest) is UNIQUE within a workspace and inserts are `ON CONFLICT DO
  NOTHING`: a delivery is stored once whichever replica receives it, however often (the same payload
  posted to two workspaces' URLs is two events, one in each);
- every insert first takes its workspace's transaction-level advisory lock (`insert_lock`), so within
  a workspace `seq` (an identity column) is assigned and committed in the same order on every replica:
  "after seq N" stays a safe cursor (without the lock, seq 7 could commit before seq 6 and a waiter at
  7 would miss 6). Workspaces do not wait for each other: a waiter reads only its own workspace, whose
  seqs commit in order;
- retention by age, count and bytes of the store's workspace runs on open and in every insert's
  transaction; a trigger keeps each workspace's event count and byte total (one `webhook_totals` row
  per workspace), so neither cap costs a table scan;
- listings read through a server-side cursor `LISTING_FETCH_ROWS` rows at a time within the byte budget.

Every store of one URL in a process shares one pool (`pool.shared_pool`, component COMPONENT), opened
and the schema created or migrated by the first store that opens, and closed with the last.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any, Unpack, cast

import anyio
from psycopg import AsyncConnection

from gist_mcp.scale.pool import Pool, release_pool, shared_pool
from gist_mcp.webhooks.events import Accepted, WebhookEvent, accept
from gist_mcp.webhooks.store import (
    EventPage,
    PolledStore,
    StoreOptions,
    budgeted_async,
    row_event,
    where,
)

LISTING_FETCH_ROWS = 2
"""Rows a listing fetches per round trip: at most twice MAX_EVENT_BYTES held beyond the page itself."""
INSERT_LOCK = 0x6769_7374_7768_6B01
"""The seed of the advisory lock keys that order each workspace's inserts (and retention) across
replicas (any fixed bigint; see `insert_lock`)."""

COMPONENT = "webhooks"
"""The store's name in `gist_mcp_migrations` (and its pool's, see `pool.shared_pool`)."""
MIGRATIONS = (
    (
        """CREATE TABLE webhook_events (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            topic TEXT NOT NULL,
            received_ms BIGINT NOT NULL,
            bytes INTEGER NOT NULL,
            payload TEXT NOT NULL
        )""",
        "CREATE INDEX webhook_events_by_topic ON webhook_events (topic, seq)",
        "CREATE INDEX webhook_events_by_time ON webhook_events (received_ms)",
        "CREATE TABLE webhook_totals (only_row BOOLEAN PRIMARY KEY CHECK (only_row), bytes BIGINT NOT NULL)",
        "INSERT INTO webhook_totals VALUES (TRUE, 0)",
        """CREATE FUNCTION webhook_events_count_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE webhook_totals SET bytes = bytes + NEW.bytes;
            ELSE
                UPDATE webhook_totals SET bytes = bytes - OLD.bytes;
            END IF;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER webhook_events_bytes AFTER INSERT OR DELETE ON webhook_events
            FOR EACH ROW EXECUTE FUNCTION webhook_events_count_bytes()""",
    ),
    (  # 2: workspaces (hosted mode); the rows already stored are the single-user server's, workspace ''
        "ALTER TABLE webhook_events ADD COLUMN workspace TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_id_key",
        "ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_workspace_id_key UNIQUE (workspace, id)",
        "DROP INDEX webhook_events_by_topic",
        "DROP INDEX webhook_events_by_time",
        "CREATE INDEX webhook_events_by_seq ON webhook_events (workspace, seq)",
        "CREATE INDEX webhook_events_by_topic ON webhook_events (workspace, topic, seq)",
        "CREATE INDEX webhook_events_by_time ON webhook_events (workspace, received_ms)",
        "DROP TRIGGER webhook_events_bytes ON webhook_events",
        "DROP TABLE webhook_totals",
        "CREATE TABLE webhook_totals (workspace TEXT PRIMARY KEY, events BIGINT NOT NULL, bytes BIGINT NOT NULL)",
        """INSERT INTO webhook_totals
            SELECT workspace, count(*), sum(bytes) FROM webhook_events GROUP BY workspace""",
        """CREATE OR REPLACE FUNCTION webhook_events_count_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO webhook_totals VALUES (NEW.workspace, 1, NEW.bytes) ON CONFLICT (workspace)
                    DO UPDATE SET events = webhook_totals.events + 1, bytes = webhook_totals.bytes + NEW.bytes;
            ELSE
                UPDATE webhook_totals SET events = events - 1, bytes = bytes - OLD.bytes
                    WHERE workspace = OLD.workspace;
            END IF;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER webhook_events_totals AFTER INSERT OR DELETE ON webhook_events
            FOR EACH ROW EXECUTE FUNCTION webhook_events_count_bytes()""",
    ),
)
"""The webhook store's schema, one entry per version (never edit a released entry: append one)."""

_COLUMNS = "seq, id, topic, received_ms, bytes, payload"
_EVENT_BY_ID = f"SELECT {_COLUMNS} FROM webhook_events WHERE workspace = %s AND id = %s".encode()
"""One event of a workspace, by id (its stored row)."""
_Row = tuple[int, str, str, int, int, str]
_cursor_names = itertools.count()
_Connection = AsyncConnection[tuple[Any, ...]]


async def insert_lock(conn: _Connection, workspace: str) -> None:
    """Take `workspace`'s insert lock until the transaction ends: one bigint key per workspace, hashed by
    the server from INSERT_LOCK and the name (a collision only makes two workspaces take turns)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, %s))", (workspace, INSERT_LOCK))


class PostgresWebhookStore(PolledStore):
    """Received webhook events of one workspace in PostgreSQL ('' is the single-user server's).

    Use `async with PostgresWebhookStore(url, workspace=ID) as store:`.
    """

    def __init__(self, url: str, workspace: str = "", **options: Unpack[StoreOptions]) -> None:
        super().__init__(**options)
        self._url = url  # may carry a password: never in a repr, log or error
        self.workspace = workspace
        self._pool: Pool | None = None

    def __repr__(self) -> str:
        return "PostgresWebhookStore(<GIST_MCP_DATABASE_URL>)"

    async def open(self) -> None:
        """Take the process's pool for the URL (connecting, creating or migrating the schema if this is
        the first store), apply retention."""
        pool = await shared_pool(self._url, COMPONENT, MIGRATIONS)
        try:
            async with pool.connection() as conn, conn.transaction():
                await insert_lock(conn, self.workspace)
                await self._prune(conn, self._now_ms())
        except BaseException:
            await release_pool(self._url, COMPONENT)
            raise
        self._pool = pool

    async def close(self) -> None:
        """Release the pool (the last store of the URL closes it); later calls raise RuntimeError."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await release_pool(self._url, COMPONENT)

    def _open_pool(self) -> Pool:
        if self._pool is None:
            raise RuntimeError("PostgresWebhookStore is not open")
        return self._pool

    async def _prune(self, conn: _Connection, now_ms: int) -> None:
        """The SQLite store's three retention rules (see `SqliteWebhookStore._prune`) over this
        workspace's events only, under its insert lock.

        The count and byte rules start from the workspace's trigger-kept totals (`seq` is shared by all
        workspaces, so "seq <= max(seq) - N" would not count them) and walk only the oldest rows they
        remove. Each deletion reports what it removed in the same round trip (a data-modifying CTE: its
        main query reads the totals as they were before it), so a typical insert prunes in one or two.
        """
        workspace = self.workspace
        cursor = await conn.execute(
            """WITH gone AS (DELETE FROM webhook_events WHERE workspace = %s AND received_ms < %s RETURNING bytes)
            SELECT events - (SELECT count(*) FROM gone), bytes - (SELECT coalesce(sum(bytes), 0) FROM gone)
            FROM webhook_totals WHERE workspace = %s""",
            (workspace, self._retention_cutoff_ms(now_ms), workspace),
        )
        totals = await cursor.fetchone()
        events, stored = (int(totals[0]), int(totals[1])) if totals else (0, 0)
        if events > self.max_events:
            cursor = await conn.execute(
                """WITH gone AS (DELETE FROM webhook_events WHERE workspace = %s AND seq <= (
                    SELECT seq FROM webhook_events WHERE workspace = %s ORDER BY seq OFFSET %s LIMIT 1
                ) RETURNING bytes) SELECT coalesce(sum(bytes), 0) FROM gone""",
                (workspace, workspace, events - self.max_events - 1),
            )
            stored -= int((await cursor.fetchone() or (0,))[0])
        excess = stored - self.max_bytes
        if excess > 0:
            # The running sum over the oldest rows stops at the first that frees enough.
            await conn.execute(
                """DELETE FROM webhook_events WHERE workspace = %s AND seq <= (
                    SELECT seq FROM (
                        SELECT seq, sum(bytes) OVER (ORDER BY seq) AS freed FROM webhook_events WHERE workspace = %s
                    ) oldest
                    WHERE freed >= %s ORDER BY seq LIMIT 1)""",
                (workspace, workspace, excess),
            )

    async def add(self, payload: dict[str, Any]) -> tuple[WebhookEvent, bool]:
        """Check, store and commit one delivery; returns the stored event and whether it was new.

        Raises PayloadRefused when `events.accept` refuses it. The transaction is shielded from
        cancellation: a delivery whose client went away still commits (or rolls back) whole.
        """
        event, received_ms = accept(payload), self._now_ms()
        pool = self._open_pool()
        outcome = None
        with anyio.CancelScope(shield=True):  # never cancelled itself, so the body always completes
            outcome = await self._insert(pool, event, received_ms)
        if outcome is None:
            raise RuntimeError("the webhook insert did not complete")
        row, inserted = outcome
        if inserted:
            await self._stored_new()
        return row_event(row), inserted

    async def _insert(self, pool: Pool, event: Accepted, received_ms: int) -> tuple[_Row, bool]:
        """One insert transaction: the stored row (the new one, or the first copy) and whether it is new.

        Retention always keeps the newest event (max_events >= 1, max_bytes >= MAX_EVENT_BYTES, and it
        was received now), so the row is there to return.
        """
        async with pool.connection() as conn, conn.transaction():
            await insert_lock(conn, self.workspace)
            cursor = await conn.execute(
                "INSERT INTO webhook_events (workspace, id, topic, received_ms, bytes, payload) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (workspace, id) DO NOTHING RETURNING seq",
                (self.workspace, event.id, event.topic, received_ms, event.size, event.text),
            )
            inserted = await cursor.fetchone() is not None
            if inserted:
                await self._prune(conn, received_ms)
            cursor = await conn.execute(_EVENT_BY_ID, (self.workspace, event.id))
            row = await cursor.fetchone()
        if row is None:
            raise RuntimeError("a webhook event vanished inside its own insert transaction")
        return cast(_Row, row), inserted

    async def _one(self, sql: bytes, *values: Any) -> tuple[Any, ...] | None:
        """The first row of `sql`, whose first placeholder is this store's workspace."""
        async with self._open_pool().connection() as conn:
            cursor = await conn.execute(sql, (self.workspace, *values))
            return await cursor.fetchone()

    async def get(self, event_id: str) -> WebhookEvent | None:
        """The event with this id, or None (never stored, or removed by retention)."""
        row = await self._one(_EVENT_BY_ID, event_id)
        return None if row is None else row_event(cast(_Row, row))

    async def seq_of(self, event_id: str) -> int | None:
        """The sequence number of a stored event: turns an `after_id` into a cursor for `wait`."""
        row = await self._one(b"SELECT seq FROM webhook_events WHERE workspace = %s AND id = %s", event_id)
        return None if row is None else int(row[0])

    async def latest_seq(self) -> int:
        """The sequence number of this workspace's newest stored event, 0 when there is none."""
        row = await self._one(b"SELECT coalesce(max(seq), 0) FROM webhook_events WHERE workspace = %s")
        return int(row[0]) if row else 0

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
        clause, values = where(
            "%s", workspace=self.workspace, topic=topic, since=since, after_seq=after_seq, before_seq=before_seq
        )
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {_COLUMNS} FROM webhook_events{clause} ORDER BY seq {order} LIMIT %s"
        async with self._open_pool().connection() as conn, conn.transaction():
            cursor = conn.cursor(name=f"listing_{next(_cursor_names)}")
            try:
                cursor.itersize = LISTING_FETCH_ROWS
                await cursor.execute(sql.encode(), (*values, limit + 1))
                return await budgeted_async(cast(Any, cursor), limit, max_bytes)
            finally:
                # Shielded: a wait's timeout cancels its listing, and an unshielded close would be
                # cancelled too, leaving the cursor open (psycopg warns when it is collected).
                with anyio.CancelScope(shield=True):
                    await cursor.close()
