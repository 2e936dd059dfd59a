"""Replicas benchmark: `python bench/replicas.py [--calls 300] [--sessions 10]` (needs PostgreSQL and Redis).

Set `GIST_MCP_TEST_DATABASE_URL` and `GIST_MCP_TEST_REDIS_URL` first (`eval "$(./.ci/services start
.ci/out/services)"` starts both). In one run it measures, side by side:

1. tool-call throughput and p50/p99 latency through a round-robin proxy for 1 replica and for 3
   replicas (real `gist-mcp --transport http --stateless` processes on shared PostgreSQL and Redis,
   the emulator on loopback with 20 ms of Gist latency and a budget too large to throttle), and the
   3-vs-1 ratios;
2. the Redis rate limiter's cost per request: `acquire` + `release` against the in-process limiter,
   in this process, as a difference in microseconds and as a ratio.

On a shared 2-core machine the replicas compete with their clients for the cores, so the ratio says
more about this machine than about a deployment with a core per replica; the limiter overhead is the
figure that carries over (one Redis round trip each way).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]  # run from a checkout without installing; the tests' helpers

from conftest import call  # noqa: E402
from replica_set import deployment  # noqa: E402

from gist_mcp._ratelimit import Limiter, RateLimiter  # noqa: E402
from gist_mcp.scale.ratelimit import RedisRateLimiter  # noqa: E402

API_KEY = "sk_bench_replicas"
UNTHROTTLED = (1_000_000, 10.0)
GIST_LATENCY = 0.02
LIMITER_ROUNDS = 2000


async def replicas_run(count: int, calls: int, sessions: int, database_url: str, redis_url: str) -> dict[str, float]:
    """Throughput (calls/s) and p50/p99 (ms) of `calls` list_tags calls from `sessions` sessions."""
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as data_dir:
        async with deployment(
            count,
            api_key=API_KEY,
            rate_limit=UNTHROTTLED,
            data_dir=Path(data_dir),
            database_url=database_url,
            redis_url=redis_url,
            latency=GIST_LATENCY,
        ) as running:

            async def session(share: int) -> None:
                async with Client(f"{running.proxy_url}/mcp", mode="auto") as client:
                    await call(client, "list_tags", {})  # warm the connection
                    for _ in range(share):
                        started = time.perf_counter()
                        await call(client, "list_tags", {})
                        latencies.append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            async with anyio.create_task_group() as tasks:
                for n in range(sessions):
                    tasks.start_soon(session, calls // sessions + (1 if n < calls % sessions else 0))
            elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {"throughput": len(latencies) / elapsed, "p50": cuts[49], "p99": cuts[98]}


async def limiter_cost(limiter: Limiter) -> float:
    """Microseconds per acquire + release pair."""
    started = time.perf_counter()
    for _ in range(LIMITER_ROUNDS):
        await limiter.acquire()
        await limiter.release()
    return (time.perf_counter() - started) / LIMITER_ROUNDS * 1e6


async def main(calls: int, sessions: int) -> None:
    database_url = os.environ.get("GIST_MCP_TEST_DATABASE_URL")
    redis_url = os.environ.get("GIST_MCP_TEST_REDIS_URL")
    if not database_url or not redis_url:
        sys.exit('Set GIST_MCP_TEST_DATABASE_URL and GIST_MCP_TEST_REDIS_URL (eval "$(./.ci/services start DIR)").')
    one = await replicas_run(1, calls, sessions, database_url, redis_url)
    three = await replicas_run(3, calls, sessions, database_url, redis_url)
    local = await limiter_cost(RateLimiter(*UNTHROTTLED))
    shared_limiter = RedisRateLimiter(redis_url, "sk_bench_limiter", *UNTHROTTLED, lease=45.0)
    shared = await limiter_cost(shared_limiter)
    await shared_limiter.aclose()

    print(f"{calls} list_tags calls from {sessions} sessions, emulator latency {GIST_LATENCY * 1000:.0f} ms")
    print("| replicas | calls/s | p50 ms | p99 ms |")
    print("| ---: | ---: | ---: | ---: |")
    for label, figures in (("1", one), ("3", three)):
        print(f"| {label} | {figures['throughput']:.1f} | {figures['p50']:.1f} | {figures['p99']:.1f} |")
    print(
        f"| 3 vs 1 | **{three['throughput'] / one['throughput']:.2f}x** | {three['p50'] / one['p50']:.2f}x"
        f" | {three['p99'] / one['p99']:.2f}x |"
    )
    print(
        f"rate limiter per request (acquire + release, {LIMITER_ROUNDS} rounds): in process {local:.1f} us, "
        f"Redis {shared:.1f} us: +{shared - local:.0f} us, **{shared / local:.0f}x**"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Replicas benchmark (needs PostgreSQL and Redis).")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--sessions", type=int, default=10)
    options = parser.parse_args()
    anyio.run(main, options.calls, options.sessions)
