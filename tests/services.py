"""Real PostgreSQL and Redis for the tests that need them, from `GIST_MCP_TEST_DATABASE_URL` and
`GIST_MCP_TEST_REDIS_URL` (`.ci/run` starts both; on a laptop: `eval "$(./.ci/services start .ci/out/services)"`).

Without them those tests skip with that hint, unless `GIST_MCP_TEST_REQUIRE_SERVICES=1` (set by
`.ci/run`): then they fail, so CI can never pass by skipping them. Each test gets a PostgreSQL
schema and a Redis key prefix of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

HOW = 'start them with `eval "$(./.ci/services start .ci/out/services)"` (needs postgresql and redis-server)'


def service_url(variable: str, what: str) -> str:
    """The URL in `variable`, or skip (fail in CI) saying how to get one."""
    url = os.environ.get(variable)
    if url:
        return url
    message = f"needs {what}: set {variable}, or {HOW}"
    if os.environ.get("GIST_MCP_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def schema_url(base: str, schema: str) -> str:
    """`base` (a postgresql:// URL) with its search_path set to `schema`."""
    return f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A postgresql:// URL whose search_path is a fresh schema (so migrations start from nothing)."""
    import psycopg

    url = service_url("GIST_MCP_TEST_DATABASE_URL", "PostgreSQL")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f"CREATE SCHEMA {schema}".encode())
    try:
        yield schema_url(url, schema)
    finally:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())


@pytest.fixture
def redis_url() -> str:
    """The Redis URL (tests use key prefixes of their own, see `key_prefix`)."""
    return service_url("GIST_MCP_TEST_REDIS_URL", "Redis")


@pytest.fixture
def key_prefix() -> str:
    """A Redis key prefix no other test uses."""
    return f"gist-mcp-test:{uuid.uuid4().hex[:12]}:"
