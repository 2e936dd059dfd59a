"""Hosted mode's store (`hosted.store.HostedStore`) in PostgreSQL (`GIST_MCP_DATABASE_URL`), shared by
every replica, so a login started on one replica can finish on another and a token issued by one is
honoured by all.

The same semantics as `SQLiteHostedStore` (the shared suite in tests/test_hosted_store.py runs both):

- one table of (kind, key) records; codes and tokens arrive already digested (`provider` does that),
  so the table never holds a usable code or token;
- an expired record is as good as absent, and expired records are deleted as writes happen;
- `take` is one `DELETE … RETURNING`: PostgreSQL's row lock lets exactly one of any number of
  concurrent takes, on any replicas, delete (and so get) a record, which keeps codes single-use.

Unlike the webhook store this one has no `open` in its interface: the pool opens (and the schema is
created or migrated, component "hosted") on first use, in the event loop that serves requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import anyio

from gist_mcp.hosted.store import Kind
from gist_mcp.scale.pool import Pool, open_pool

MIGRATIONS = (
    (
        """CREATE TABLE hosted_records (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            owner TEXT,
            expires_at DOUBLE PRECISION,
            PRIMARY KEY (kind, key)
        )""",
        "CREATE INDEX hosted_records_by_owner ON hosted_records (owner, kind)",
        "CREATE INDEX hosted_records_by_expiry ON hosted_records (expires_at)",
    ),
)
"""The hosted store's schema, one entry per version (never edit a released entry: append one)."""


class PostgresHostedStore:
    """`HostedStore` in PostgreSQL. Times are `clock()` seconds (Unix time), as in the SQLite store."""

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time) -> None:
        self._url = url  # may carry a password: never in a repr, log or error
        self._clock = clock
        self._pool: Pool | None = None
        self._opening = anyio.Lock()

    def __repr__(self) -> str:
        return "PostgresHostedStore(<GIST_MCP_DATABASE_URL>)"

    async def _open_pool(self) -> Pool:
        """The pool, connected and migrated on first use (concurrent first uses open it once)."""
        async with self._opening:
            if self._pool is None:
                self._pool = await open_pool(self._url, "hosted", MIGRATIONS)
            return self._pool

    async def _execute(self, sql: bytes, values: tuple[Any, ...]) -> tuple[tuple[Any, ...] | None, int]:
        """Run one statement in its own transaction: its first row (or None) and how many rows it touched."""
        async with (await self._open_pool()).connection() as conn, conn.transaction():
            cursor = await conn.execute(sql, values)
            row = await cursor.fetchone() if cursor.description is not None else None
            return row, cursor.rowcount

    async def put(
        self, kind: Kind, key: str, value: str, *, owner: str | None = None, expires_at: float | None = None
    ) -> None:
        now = self._clock()
        async with (await self._open_pool()).connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM hosted_records WHERE expires_at < %s", (now,))
            await conn.execute(
                "INSERT INTO hosted_records (kind, key, value, owner, expires_at) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (kind, key) DO UPDATE "
                "SET value = EXCLUDED.value, owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at",
                (kind.value, key, value, owner, expires_at),
            )

    async def get(self, kind: Kind, key: str) -> str | None:
        row, _ = await self._execute(
            b"SELECT value FROM hosted_records "
            b"WHERE kind = %s AND key = %s AND (expires_at IS NULL OR expires_at >= %s)",
            (kind.value, key, self._clock()),
        )
        return None if row is None else str(row[0])

    async def take(self, kind: Kind, key: str) -> str | None:
        now = self._clock()
        row, _ = await self._execute(
            b"DELETE FROM hosted_records WHERE kind = %s AND key = %s RETURNING value, expires_at",
            (kind.value, key),
        )
        if row is None or (row[1] is not None and row[1] < now):
            return None
        return str(row[0])

    async def drop_owned(self, owner: str, kinds: Iterable[Kind]) -> int:
        _, count = await self._execute(
            b"DELETE FROM hosted_records WHERE owner = %s AND kind = ANY(%s)",
            (owner, [kind.value for kind in kinds]),
        )
        return count

    async def close(self) -> None:
        """Close the pool; the next call opens a new one."""
        async with self._opening:
            pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
