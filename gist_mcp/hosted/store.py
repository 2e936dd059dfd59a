"""Where hosted mode keeps its state: an interface, and the embedded SQLite implementation.

Everything hosted mode stores is a short text record of some `Kind`, under a key, optionally owned by
an MCP subject and optionally expiring: registered MCP clients, pending logins (the `state` sent to
Gist), authorization codes, access and refresh tokens, and each subject's Gist grant (workspace and
the Gist token, encrypted before it gets here). Codes and tokens are stored under the SHA-256 digest
of their value, never the value itself (`provider` does this), so a copy of the store lets nobody in.

`HostedStore` is that much and no more: five methods over one table. Expired records are never
returned, and are deleted as writes happen. `SQLiteHostedStore` keeps the table in
`GIST_MCP_DATA_DIR/hosted.sqlite3` (directory 0700, file 0600, like the webhook store); its blocking
calls run in a worker thread, one at a time. With `GIST_MCP_DATABASE_URL` set, `hosted_store_from_env`
picks `scale.hosted.PostgresHostedStore` instead, shared by every replica.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

import anyio
import anyio.to_thread

from gist_mcp.environment import Environment, service_url
from gist_mcp.webhooks.config import private_dir, private_file

T = TypeVar("T")

DB_FILE = "hosted.sqlite3"
_BUSY_TIMEOUT = 10.0
"""Seconds a write waits for another process's transaction before failing."""
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS hosted_records (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        owner TEXT,
        expires_at REAL,
        PRIMARY KEY (kind, key)
    )""",
    "CREATE INDEX IF NOT EXISTS hosted_records_by_owner ON hosted_records (owner, kind)",
    "CREATE INDEX IF NOT EXISTS hosted_records_by_expiry ON hosted_records (expires_at)",
)


class Kind(StrEnum):
    """What a record is."""

    CLIENT = "client"
    """A registered MCP client (its DCR metadata), by client id."""
    PENDING = "pending"
    """A login waiting for Gist's consent, by the `state` sent to Gist."""
    CODE = "code"
    """An MCP authorization code, by digest."""
    ACCESS = "access"
    """An MCP access token, by digest."""
    REFRESH = "refresh"
    """An MCP refresh token, by digest."""
    GRANT = "grant"
    """A subject's Gist workspace and encrypted Gist token, by subject."""


class HostedStore(Protocol):
    """Records by (kind, key); an expired record is as good as absent."""

    async def put(
        self, kind: Kind, key: str, value: str, *, owner: str | None = None, expires_at: float | None = None
    ) -> None:
        """Store `value` under (kind, key), replacing what was there."""
        ...

    async def get(self, kind: Kind, key: str) -> str | None:
        """The value, or None if absent or expired."""
        ...

    async def take(self, kind: Kind, key: str) -> str | None:
        """The value, deleted in the same step: of two concurrent takes, only one gets it (single use)."""
        ...

    async def drop_owned(self, owner: str, kinds: Iterable[Kind]) -> int:
        """Delete every record of these kinds that `owner` holds (revocation); how many went."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...


class SQLiteHostedStore:
    """`HostedStore` in one SQLite file (WAL, so several processes on one machine can share it)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        self._lock = anyio.Lock()

    @classmethod
    def in_dir(cls, data_dir: Path) -> SQLiteHostedStore:
        """The store in the data directory (`GIST_MCP_DATA_DIR`)."""
        return cls(data_dir / DB_FILE)

    def _connect(self) -> sqlite3.Connection:
        private_dir(self.path.parent)
        private_file(self.path)
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            conn.execute(statement)
        return conn

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in a worker thread, one at a time, opening the file on first use."""
        async with self._lock:
            if self._conn is None:
                self._conn = await anyio.to_thread.run_sync(self._connect)
            return await anyio.to_thread.run_sync(work, self._conn)

    async def put(
        self, kind: Kind, key: str, value: str, *, owner: str | None = None, expires_at: float | None = None
    ) -> None:
        now = self._clock()

        def write(conn: sqlite3.Connection) -> None:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM hosted_records WHERE expires_at < ?", (now,))
                conn.execute(
                    "INSERT OR REPLACE INTO hosted_records VALUES (?, ?, ?, ?, ?)",
                    (kind.value, key, value, owner, expires_at),
                )

        await self._run(write)

    async def get(self, kind: Kind, key: str) -> str | None:
        now = self._clock()

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT value FROM hosted_records "
                "WHERE kind = ? AND key = ? AND (expires_at IS NULL OR expires_at >= ?)",
                (kind.value, key, now),
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._run(read)

    async def take(self, kind: Kind, key: str) -> str | None:
        now = self._clock()

        def take(conn: sqlite3.Connection) -> str | None:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                row = conn.execute(
                    "DELETE FROM hosted_records WHERE kind = ? AND key = ? RETURNING value, expires_at",
                    (kind.value, key),
                ).fetchone()
            if row is None or (row[1] is not None and row[1] < now):
                return None
            return str(row[0])

        return await self._run(take)

    async def drop_owned(self, owner: str, kinds: Iterable[Kind]) -> int:
        names = [kind.value for kind in kinds]

        def drop(conn: sqlite3.Connection) -> int:
            marks = ",".join("?" * len(names))
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                cursor = conn.execute(
                    f"DELETE FROM hosted_records WHERE owner = ? AND kind IN ({marks})",
                    (owner, *names),
                )
            return cursor.rowcount

        return await self._run(drop)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                await anyio.to_thread.run_sync(self._conn.close)
                self._conn = None


def hosted_store_from_env(data_dir: Path, environ: Mapping[str, str] | None = None) -> HostedStore:
    """PostgreSQL when `GIST_MCP_DATABASE_URL` is set (needs `gist-mcp[scale]`), else `data_dir`'s SQLite file.

    Raises GistConfigError naming the variable when it is not a postgresql:// URL.
    """
    url = service_url(Environment(environ), "GIST_MCP_DATABASE_URL", ("postgresql", "postgres"))
    if url is None:
        return SQLiteHostedStore.in_dir(data_dir)
    from gist_mcp.scale.hosted import PostgresHostedStore  # only with the scale extra installed

    return PostgresHostedStore(url)
