"""The hosted-mode store contract, as a suite every implementation must pass (SQLite, and PostgreSQL
with the services of tests/services.py), plus what only one of them has to do: the SQLite file's
private modes and restart, PostgreSQL's migration, and the choice between them."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest

from gist_mcp.errors import GistConfigError
from gist_mcp.hosted.store import HostedStore, Kind, SQLiteHostedStore, hosted_store_from_env

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Callable[[], HostedStore]:
    """Makes a store: SQLite in a temporary folder, or PostgreSQL in a fresh schema (`database_url`)."""
    if request.param == "sqlite":
        return lambda: SQLiteHostedStore(tmp_path / "data" / "hosted.sqlite3", clock=clock)
    from gist_mcp.scale.hosted import PostgresHostedStore

    url: str = request.getfixturevalue("database_url")
    return lambda: PostgresHostedStore(url, clock=clock)


@pytest.fixture
async def store(new_store: Callable[[], HostedStore]) -> AsyncIterator[HostedStore]:
    implementation = new_store()
    try:
        yield implementation
    finally:
        await implementation.close()


async def test_put_get_replace(store: HostedStore) -> None:
    assert await store.get(Kind.CLIENT, "c1") is None
    await store.put(Kind.CLIENT, "c1", "one")
    await store.put(Kind.CLIENT, "c1", "two")
    assert await store.get(Kind.CLIENT, "c1") == "two"
    assert await store.get(Kind.CODE, "c1") is None  # kinds are separate


async def test_expired_records_are_absent(store: HostedStore, clock: Clock) -> None:
    await store.put(Kind.ACCESS, "t", "v", expires_at=clock.now + 10)
    assert await store.get(Kind.ACCESS, "t") == "v"
    clock.now += 11
    assert await store.get(Kind.ACCESS, "t") is None
    assert await store.take(Kind.ACCESS, "t") is None


async def test_take_is_single_use_even_when_concurrent(store: HostedStore) -> None:
    await store.put(Kind.CODE, "code", "grant")
    got: list[str | None] = []

    async def take() -> None:
        got.append(await store.take(Kind.CODE, "code"))

    async with anyio.create_task_group() as tasks:
        for _ in range(5):
            tasks.start_soon(take)
    assert got.count("grant") == 1
    assert got.count(None) == 4


async def test_put_forgets_expired_records_of_every_kind(store: HostedStore, clock: Clock) -> None:
    await store.put(Kind.PENDING, "old", "x", expires_at=clock.now + 1)
    await store.put(Kind.CLIENT, "kept", "x")
    clock.now += 2
    await store.put(Kind.CLIENT, "new", "y")  # a write deletes what has expired...
    clock.now -= 2  # ...so even a clock turned back does not bring it back
    assert await store.get(Kind.PENDING, "old") is None
    assert await store.get(Kind.CLIENT, "kept") == "x"


async def test_drop_owned_removes_only_that_owners_records_of_those_kinds(store: HostedStore) -> None:
    await store.put(Kind.ACCESS, "a1", "x", owner="alice")
    await store.put(Kind.REFRESH, "r1", "x", owner="alice")
    await store.put(Kind.GRANT, "alice", "x", owner="alice")
    await store.put(Kind.ACCESS, "b1", "x", owner="bob")
    assert await store.drop_owned("alice", (Kind.ACCESS, Kind.REFRESH)) == 2
    assert await store.get(Kind.ACCESS, "a1") is None
    assert await store.get(Kind.GRANT, "alice") == "x"
    assert await store.get(Kind.ACCESS, "b1") == "x"


async def test_sqlite_file_is_private_and_survives_a_restart(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "data" / "hosted.sqlite3"
    first = SQLiteHostedStore(path, clock=clock)
    await first.put(Kind.CLIENT, "c1", "kept")
    await first.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    second = SQLiteHostedStore(path, clock=clock)
    try:
        assert await second.get(Kind.CLIENT, "c1") == "kept"
    finally:
        await second.close()


async def test_two_replicas_share_records_and_a_code_is_taken_by_only_one(
    new_store: Callable[[], HostedStore],
) -> None:
    """Two stores on one database (or one file) are two replicas (or processes): a login begun on one
    finishes on the other, and of concurrent takes of one code from both, exactly one succeeds."""
    first, second = new_store(), new_store()
    try:
        await first.put(Kind.CLIENT, "c1", "registered")
        assert await second.get(Kind.CLIENT, "c1") == "registered"
        await second.put(Kind.ACCESS, "a1", "x", owner="alice")
        assert await first.drop_owned("alice", (Kind.ACCESS,)) == 1
        assert await second.get(Kind.ACCESS, "a1") is None

        async def take(replica: HostedStore, key: str, got: list[str | None]) -> None:
            got.append(await replica.take(Kind.CODE, key))

        for attempt in range(5):
            await first.put(Kind.CODE, f"code{attempt}", "grant")
            got: list[str | None] = []
            async with anyio.create_task_group() as tasks:
                for replica in (first, second) * 4:
                    tasks.start_soon(take, replica, f"code{attempt}", got)
            assert got.count("grant") == 1
            assert got.count(None) == 7
    finally:
        await first.close()
        await second.close()


@pytest.mark.services
async def test_postgres_hosted_schema_is_a_migrated_component_of_its_own(database_url: str) -> None:
    import psycopg

    from gist_mcp.scale.hosted import MIGRATIONS, PostgresHostedStore

    replicas = [PostgresHostedStore(database_url) for _ in range(3)]
    try:
        async with anyio.create_task_group() as tasks:  # replicas starting together migrate once
            for replica in replicas:
                tasks.start_soon(replica.get, Kind.CLIENT, "c1")
    finally:
        for replica in replicas:
            await replica.close()
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute("SELECT component, version FROM gist_mcp_migrations")
        assert await cursor.fetchall() == [("hosted", len(MIGRATIONS))]


def test_the_database_url_chooses_postgres_and_never_shows(tmp_path: Path) -> None:
    from gist_mcp.scale.hosted import PostgresHostedStore

    url = "postgresql://gist:s3cret-canary@db.internal/gist"
    chosen = hosted_store_from_env(tmp_path, {"GIST_MCP_DATABASE_URL": url})
    assert isinstance(chosen, PostgresHostedStore)
    assert "s3cret-canary" not in repr(chosen)
    embedded = hosted_store_from_env(tmp_path, {})
    assert isinstance(embedded, SQLiteHostedStore)
    assert embedded.path == tmp_path / "hosted.sqlite3"
    with pytest.raises(
        GistConfigError, match="GIST_MCP_DATABASE_URL must be a URL starting with postgresql://"
    ) as error:
        hosted_store_from_env(tmp_path, {"GIST_MCP_DATABASE_URL": "mysql://root:s3cret-canary@x/y"})
    assert "s3cret-canary" not in str(error.value)
