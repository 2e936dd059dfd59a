"""The Redis rate limiter: one budget across replicas, with the in-process limiter's semantics."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable

import anyio
import httpx
import pytest
from conftest import BASE_URL, call
from mcp import Client
from pydantic import SecretStr
from redis.asyncio import Redis

from gist_mcp.emulator import GistEmulator
from gist_mcp.errors import GistConfigError
from gist_mcp.scale.ratelimit import RedisRateLimiter, workspace_key
from gist_mcp.scale.redis_client import connect
from gist_mcp.server import create_server
from gist_mcp.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.services]

ReplicaLimiter = Callable[..., RedisRateLimiter]


@pytest.fixture
async def replica(redis_url: str, key_prefix: str) -> AsyncIterator[ReplicaLimiter]:
    """Makes limiters that share one workspace, as replicas of one deployment do."""
    made: list[RedisRateLimiter] = []

    def make(requests: int, window: float, lease: float = 30.0) -> RedisRateLimiter:
        made.append(RedisRateLimiter(redis_url, "sk_workspace", requests, window, lease=lease, prefix=key_prefix))
        return made[-1]

    yield make
    for limiter in made:
        await limiter.aclose()


def most_in_any_window(moments: list[float], window: float) -> int:
    """The largest number of `moments` inside any half-open `window`-second span."""
    ordered = sorted(moments)
    return max((sum(1 for m in ordered[i:] if m < start + window) for i, start in enumerate(ordered)), default=0)


async def test_slots_held_in_flight_on_one_replica_block_another_until_the_deadline(replica: ReplicaLimiter) -> None:
    one, other = replica(2, 60.0), replica(2, 60.0)
    assert await one.acquire()
    assert await other.acquire()

    with anyio.fail_after(5):
        # Every slot is in flight: the wait is unknown, so it lasts until the deadline, then gives up.
        assert not await other.acquire(deadline=time.monotonic() + 0.1)
        await one.release()
        # The released slot frees 60 s after its answer: past this deadline, so no wait at all.
        assert not await other.acquire(deadline=time.monotonic() + 30)


async def test_a_slot_ends_at_the_microsecond_of_its_answer_on_redis_clock(
    replica: ReplicaLimiter, redis_url: str, key_prefix: str
) -> None:
    """At millisecond precision a slot could free up to 1 ms early: a request answered faster than that
    (loopback) let the next reach Gist inside the window (seen once as a 429 under load)."""
    limiter = replica(1, 60.0)
    redis = connect(redis_url)
    try:
        assert await limiter.acquire()
        before = await redis_microseconds(redis)
        await limiter.release()
        after = await redis_microseconds(redis)
        ((_, ended),) = await redis.zrange(workspace_key("sk_workspace", key_prefix), 0, -1, withscores=True)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]  # redis-py: untyped
    finally:
        await redis.aclose()
    assert before <= float(ended) <= after


async def redis_microseconds(redis: Redis) -> int:
    seconds, micros = await redis.time()
    return seconds * 1_000_000 + micros


async def test_a_released_slot_frees_a_window_after_the_answer_on_every_replica(replica: ReplicaLimiter) -> None:
    one, other = replica(1, 0.3), replica(1, 0.3)
    assert await one.acquire()
    order: list[str] = []

    async def waiter() -> None:
        assert await other.acquire()
        order.append("other acquired")
        await other.release()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(waiter)
            await anyio.sleep(0.2)
            order.append("one released")
            await one.release()
    assert order == ["one released", "other acquired"]


async def test_a_replica_killed_mid_request_leaks_its_slot_only_for_the_lease(replica: ReplicaLimiter) -> None:
    crashed, survivor = replica(1, 0.1, lease=0.2), replica(1, 0.1, lease=0.2)
    assert await crashed.acquire()  # and never released

    with anyio.fail_after(5):
        assert await survivor.acquire()


async def test_three_replicas_never_put_more_than_the_budget_into_any_window(replica: ReplicaLimiter) -> None:
    budget, window = 8, 0.4
    limiters = [replica(budget, window) for _ in range(3)]
    arrivals: list[float] = []

    async def request(limiter: RedisRateLimiter) -> None:
        assert await limiter.acquire()
        await anyio.sleep(0.01)
        arrivals.append(time.monotonic())  # Gist counts the request somewhere between send and answer
        await anyio.sleep(0.01)
        await limiter.release()

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            for n in range(36):
                tasks.start_soon(request, limiters[n % 3])

    assert len(arrivals) == 36
    assert most_in_any_window(arrivals, window) <= budget


def test_the_workspace_key_is_a_digest_never_the_api_key() -> None:
    key = workspace_key("sk_canary_secret")
    assert "sk_canary_secret" not in key
    assert key != workspace_key("sk_other")
    assert key == workspace_key("sk_canary_secret")


def test_the_redis_url_is_checked_by_name_and_never_shown() -> None:
    settings = Settings.from_env({"GIST_MCP_REDIS_URL": "redis://:pw-canary@cache:6379/0"})
    assert settings.redis() == "redis://:pw-canary@cache:6379/0"
    assert "pw-canary" not in repr(settings)
    with pytest.raises(GistConfigError, match="GIST_MCP_REDIS_URL must be a URL starting with redis://") as error:
        Settings.from_env({"GIST_MCP_REDIS_URL": "http://:pw-canary@cache"})
    assert "pw-canary" not in str(error.value)


@pytest.mark.slow
async def test_two_servers_sharing_redis_stay_inside_gists_budget(redis_url: str) -> None:
    """Two server processes' worth of tool calls against one emulator whose limit equals our budget:
    with retries off, a single 429 would fail a call."""
    api_key = f"sk_{uuid.uuid4().hex}"  # a workspace of its own in Redis
    emulator = GistEmulator(api_keys=(api_key,), rate_limit=(6, 1.0))
    settings = Settings(
        api_key=SecretStr(api_key),
        base_url=BASE_URL,
        rate_limit=(6, 1.0),
        max_retries=0,
        redis_url=SecretStr(redis_url),
    )
    servers = [create_server(settings, transport=httpx.ASGITransport(app=emulator.app)) for _ in range(2)]
    results: list[int] = []

    async def calls(server_index: int) -> None:
        async with Client(servers[server_index], cache=None) as client:
            for _ in range(6):
                answer = await call(client, "list_tags", {})
                results.append(len(answer["tags"]))

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tasks:
            for index in (0, 1, 0, 1):
                tasks.start_soon(calls, index)

    assert len(results) == 24
    assert all(count > 0 for count in results)
