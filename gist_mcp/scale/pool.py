"""The one way gist-mcp connects to PostgreSQL: a psycopg_pool pool, opened and migrated at start.

Every PostgreSQL store (webhook events, hosted mode's records) opens its pool here, so they share the
limits below and the order "connect, then migrate the component's schema, then serve". Connections
are in autocommit mode: a store opens a transaction explicitly where it needs one.

`shared_pool` hands every store of one URL and component in the process the same pool: hosted mode opens one webhook
store per workspace, and hundreds of workspaces with a pool each would exhaust PostgreSQL's
connections (`max_connections` is 100 by default); one pool of POOL_SIZE serves them all, since a
store holds a connection only for one query or transaction (waiters sleep between polls without one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import anyio
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


@dataclass
class _Shared:
    """One component's pool for one URL in this process, and how many stores hold it."""

    lock: anyio.Lock = field(default_factory=anyio.Lock)
    pool: Pool | None = None
    users: int = 0


_shared: dict[tuple[str, str], _Shared] = {}
"""By (URL, component); an entry stays (without a pool) once its last holder is gone, so a store
opening while the last one closes waits on the same lock. A pool belongs to the event loop that
opened it: every holder releases it in that loop."""


async def shared_pool(url: str, component: str, migrations: Migrations) -> Pool:
    """The process's pool of `component` for `url`, opened and migrated (`open_pool`) on first use; pair
    every call with one `release_pool(url, component)`. Raises like `open_pool`, and then holds nothing."""
    shared = _shared.setdefault((url, component), _Shared())
    async with shared.lock:
        if shared.pool is None:
            shared.pool = await open_pool(url, component, migrations)
        shared.users += 1
        return shared.pool


async def release_pool(url: str, component: str) -> None:
    """One holder of the shared pool is done with it; the last one closes it."""
    shared = _shared[(url, component)]
    async with shared.lock:
        shared.users -= 1
        if shared.users:
            return
        pool, shared.pool = cast(Pool, shared.pool), None  # open while it had holders
        await pool.close()
