"""The hosted-mode store contract, as a suite every implementation must pass (add a PostgreSQL one to
`store` below), plus what only the SQLite file has to do (private modes, survives a restart)."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from gist_mcp.hosted.store import HostedStore, Kind, SQLiteHostedStore

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> AsyncIterator[HostedStore]:
    implementation = SQLiteHostedStore(tmp_path / "data" / "hosted.sqlite3", clock=clock)
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
