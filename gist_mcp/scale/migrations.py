"""Versioned schema migrations for gist-mcp's PostgreSQL tables, applied once at start by any replica.

Each component ("webhooks" for the webhook store, "hosted" for hosted mode's store) declares its
migrations as an ordered tuple: migration N is the tuple's N-th entry, a tuple of SQL statements.
`gist_mcp_migrations` records which (component, version) pairs ran. Replicas starting at once take a
transaction-level advisory lock first, so exactly one applies each migration and the others see it
done; a migration and its record commit together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from psycopg import AsyncConnection

logger = logging.getLogger(__name__)

MIGRATION_LOCK = 0x6769_7374_6D63_7001
"""The `pg_advisory_xact_lock` key every gist-mcp replica takes while migrating (any fixed bigint)."""
Migrations = Sequence[Sequence[str]]


async def migrate(conn: AsyncConnection, component: str, migrations: Migrations) -> int:
    """Apply the migrations of `component` that have not run yet, in one transaction; the version now.

    Raises RuntimeError when the database is at a newer version than this code knows (an older
    replica must not write into a schema it does not understand).
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS gist_mcp_migrations (
                component TEXT NOT NULL,
                version INTEGER NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (component, version)
            )"""
        )
        cursor = await conn.execute(
            "SELECT coalesce(max(version), 0) FROM gist_mcp_migrations WHERE component = %s", (component,)
        )
        row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        if current > len(migrations):
            raise RuntimeError(
                f"The database's {component} schema is at version {current}, newer than this gist-mcp knows "
                f"({len(migrations)}): upgrade gist-mcp."
            )
        for version, statements in enumerate(migrations[current:], start=current + 1):
            for statement in statements:
                await conn.execute(statement.encode())
            await conn.execute(
                "INSERT INTO gist_mcp_migrations (component, version) VALUES (%s, %s)", (component, version)
            )
            logger.info("Migrated the %s schema to version %d.", component, version)
        return len(migrations)
