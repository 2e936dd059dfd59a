"""Several real `gist-mcp --transport http --stateless` processes behind a small round-robin proxy,
sharing PostgreSQL and Redis, against the emulator on loopback: the harness of
tests/test_scale_replicas.py, tests/test_scale_resume.py (stateful replicas, reached directly) and
bench/replicas.py.

`GistWatch` wraps the emulator's app and records when each request reached it and what it answered,
so a test can check every window of the budget and count 429s. The proxy sends each HTTP request to
the next live replica (a replica that refuses the connection is skipped, as a load balancer's health
check would), so one MCP session's requests spread over every replica.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
from anyio.abc import Process
from processes import free_port, until_healthy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gist_mcp._serve import serve_asgi
from gist_mcp.emulator import GistEmulator

COMMAND = [sys.executable, "-m", "gist_mcp"]
WEBHOOK_TOKEN = "replica-webhook-token-0123456789"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class GistWatch:
    """ASGI wrapper around the emulator: (arrival monotonic time, status) of every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[float, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append((arrived, int(message["status"])))
            await send(message)

        await self.app(scope, receive, watch)

    def most_in_any_window(self, window: float) -> int:
        """The largest number of requests that reached the emulator within any `window` seconds."""
        moments = sorted(moment for moment, _ in self.seen)
        most, start = 0, 0
        for end, moment in enumerate(moments):
            while moment - moments[start] >= window:
                start += 1
            most = max(most, end - start + 1)
        return most


@dataclass
class Deployment:
    """Replicas, their proxy and the emulator they share."""

    proxy_url: str
    replica_urls: list[str]
    processes: list[Process]
    watch: GistWatch
    alive: list[bool] = field(default_factory=list)

    def kill(self, index: int) -> None:
        """SIGKILL one replica (no shutdown, no cleanup: a crashed machine)."""
        self.alive[index] = False
        self.processes[index].send_signal(signal.SIGKILL)


def _proxy(deployment_urls: list[str], alive: list[bool], http: httpx.AsyncClient) -> Starlette:
    turn = itertools.count()

    async def forward(request: Request) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        for _ in range(len(deployment_urls)):
            index = next(turn) % len(deployment_urls)
            if not alive[index]:
                continue
            url = deployment_urls[index] + request.url.path + (f"?{request.url.query}" if request.url.query else "")
            try:
                answer = await http.request(request.method, url, content=body, headers=headers)
            except httpx.ConnectError:
                continue
            except httpx.TransportError:
                return Response(status_code=502)  # the replica died mid-request: the sender must retry
            out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP | {"content-encoding"}}
            return Response(answer.content, status_code=answer.status_code, headers=out)
        return Response(status_code=503)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "DELETE"])])


@contextlib.asynccontextmanager
async def deployment(
    count: int,
    *,
    api_key: str,
    rate_limit: tuple[int, float],
    data_dir: Path,
    database_url: str | None,
    redis_url: str | None,
    log: Path | None = None,
    latency: float = 0.0,
    stateless: bool = True,
    toolsets: str = "default,webhooks",
) -> AsyncIterator[Deployment]:
    """`count` replicas (stateless HTTP unless `stateless` is False) behind a round-robin proxy, and the
    emulator with the same budget (answering after `latency` seconds, as Gist over the internet)."""
    requests, window = rate_limit
    emulator = GistEmulator(api_keys=(api_key,), rate_limit=rate_limit, latency=latency)
    watch = GistWatch(emulator.app)
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIST_")}
    async with serve_asgi(watch) as gist_url:
        env = base | {
            "GIST_API_KEY": api_key,
            "GIST_API_BASE_URL": gist_url,
            "GIST_RATE_LIMIT": f"{requests}/{window:g}",
            "GIST_TOOLSETS": toolsets,
            "GIST_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        }
        if database_url:
            env["GIST_MCP_DATABASE_URL"] = database_url
        if redis_url:
            env["GIST_MCP_REDIS_URL"] = redis_url
        ports = [free_port() for _ in range(count)]
        processes: list[Process] = []
        output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115, ASYNC230 - closed below; instant
        try:
            for n, port in enumerate(ports):
                replica_env = env | {"GIST_MCP_DATA_DIR": str(data_dir / f"replica-{n}")}
                processes.append(
                    await anyio.open_process(
                        [*COMMAND, "--transport", "http", *(["--stateless"] if stateless else []), "--port", str(port)],
                        env=replica_env,
                        stdout=subprocess.DEVNULL,
                        stderr=output,
                    )
                )
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            with anyio.fail_after(60):
                for url in urls:
                    await until_healthy(url)
            alive = [True] * count
            async with httpx.AsyncClient(timeout=120) as http, serve_asgi(_proxy(urls, alive, http)) as proxy_url:
                yield Deployment(proxy_url, urls, processes, watch, alive)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.terminate()
            with anyio.CancelScope(shield=True):
                for process in processes:
                    await process.wait()
            if not isinstance(output, int):
                output.close()
