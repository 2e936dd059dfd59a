"""The one way gist-mcp connects to PostgreSQL: a psycopg_pool pool, opened and migrated at start.

Every PostgreSQL store (webhook events, hosted mode's records) opens its pool here, so they share the
limits below and the order "connect, then migrate the component's schema, then serve". Connections
are in autocommit mode: a store opens a transaction explicitly where it needs one.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from gist_mcp.scale.migrations import Migrations, migrate

POOL_SIZE = 10
"""Connections one store of one replica keeps at most (its requests, listings and waiters share them)."""
OPEN_TIMEOUT = 30.0
"""Seconds opening a store waits for the database before failing (the replica then does not start)."""

Pool = AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]


async def open_pool(url: str, component: str, migrations: Migrations) -> Pool:
    """A connected pool whose `component` schema is at the newest of `migrations`; closed again on failure.

    `url` may carry a password: psycopg's errors do not repeat it, and nothing here logs it.
    """
    pool: Pool = AsyncConnectionPool(url, min_size=1, max_size=POOL_SIZE, open=False, kwargs={"autocommit": True})
    await pool.open(wait=True, timeout=OPEN_TIMEOUT)
    try:
        async with pool.connection() as conn:
            await migrate(conn, component, migrations)
    except BaseException:
        await pool.close()
        raise
    return pool
