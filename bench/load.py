"""Load check over real Streamable HTTP: `python bench/load.py [--sessions 8] [--calls 25]`.

Serves `build_http_app(create_server(...))` with uvicorn on a free loopback port, backed by the Gist
emulator in memory with its 100 requests / 10 s limit (the server's limiter has the same figure),
and puts sessions x calls `get_user` calls in flight at once from several `mcp.Client(url)`
sessions. Prints calls, seconds, calls/s, p50/p99 latency, the 429s Gist sent (they must never
reach the model: the limiter queues, a stray 429 is retried) and the RSS of this process.
`tests/test_load.py` runs the same function and asserts on its outcome.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client
from pydantic import SecretStr

from gist_mcp.emulator import GistEmulator, serve_asgi
from gist_mcp.http_app import build_http_app
from gist_mcp.server import create_server
from gist_mcp.settings import Settings

KEY = "load-key"


def rss_kib() -> int:
    """Current resident set size of this process (Linux /proc), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Counting(httpx.AsyncBaseTransport):
    """The emulator in memory, counting the statuses Gist answered with."""

    def __init__(self, emulator: GistEmulator) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


@dataclass
class LoadResult:
    calls: int
    seconds: float
    latencies: list[float]
    errors: list[str] = field(default_factory=list)
    wrong: int = 0
    gist_requests: int = 0
    gist_429s: int = 0
    rss_before_kib: int = 0
    rss_after_kib: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98]

    def report(self) -> str:
        return "\n".join(
            [
                f"calls                 {self.calls} ({len(self.errors)} errors, {self.wrong} wrong answers)",
                f"seconds               {self.seconds:.2f}",
                f"calls/s               {self.calls / self.seconds:.1f}",
                f"p50 / p99             {self.p50 * 1000:.0f} ms / {self.p99 * 1000:.0f} ms",
                f"requests to Gist      {self.gist_requests}",
                f"429s sent by Gist     {self.gist_429s} (none may reach the model)",
                f"RSS before / after    {self.rss_before_kib / 1024:.1f} MiB / {self.rss_after_kib / 1024:.1f} MiB "
                f"(delta {(self.rss_after_kib - self.rss_before_kib) / 1024:+.1f} MiB)",
            ]
        )


async def run_load(
    sessions: int = 8, calls_per_session: int = 25, rate_limit: tuple[int, float] = (100, 10.0)
) -> LoadResult:
    """Run the load and return its figures (see the module docstring)."""
    emulator = GistEmulator(api_keys=(KEY,), rate_limit=rate_limit)
    users = [c for c in emulator.contacts.values() if c.get("type") == "user"]
    transport = Counting(emulator)
    settings = Settings(api_key=SecretStr(KEY), base_url="http://gist.test", rate_limit=rate_limit)
    app = build_http_app(create_server(settings, transport=transport), host="127.0.0.1", auth_token=None)
    result = LoadResult(calls=sessions * calls_per_session, seconds=0.0, latencies=[], rss_before_kib=rss_kib())

    async def one_call(client: Client, user: dict[str, Any]) -> None:
        started = time.perf_counter()
        answer = await client.call_tool("get_user", {"user": {"id": user["id"]}})
        result.latencies.append(time.perf_counter() - started)
        if answer.is_error:
            result.errors.append("".join(getattr(block, "text", "") for block in answer.content))
        elif (answer.structured_content or {}).get("email") != user["email"]:
            result.wrong += 1

    async def session(url: str, number: int) -> None:
        async with Client(url, mode="legacy", cache=None) as client, anyio.create_task_group() as calls:
            for i in range(calls_per_session):
                calls.start_soon(one_call, client, users[(number * calls_per_session + i) % len(users)])

    async with serve_asgi(app, lifespan="on") as base_url:
        started = time.perf_counter()
        async with anyio.create_task_group() as clients:
            for number in range(sessions):
                clients.start_soon(session, f"{base_url}/mcp", number)
        result.seconds = time.perf_counter() - started
    result.gist_requests = len(transport.statuses)
    result.gist_429s = transport.statuses.count(429)
    result.rss_after_kib = rss_kib()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8, help="MCP client sessions (default 8)")
    parser.add_argument("--calls", type=int, default=25, help="calls in flight per session (default 25)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    result = anyio.run(run_load, args.sessions, args.calls)
    print(result.report())
    for error in result.errors[:5]:
        print("error:", error)


if __name__ == "__main__":
    main()
