"""`gist-mcp --transport http` as a real subprocess on port 0: the port it reports, its log, no polling; and
`probe`, a snippet run in a fresh interpreter on the installed package."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio.streams.text import TextReceiveStream

LISTENING = re.compile(r"Uvicorn running on (http://\S+)")
"""What uvicorn logs (INFO and DEBUG) once it listens, with its port (for port 0: the one it took)."""
EMULATOR_LISTENING = re.compile(r"demo workspace on (http://\S+)")
"""What `gist-mcp emulator` prints once it listens."""


@dataclass
class HttpServer:
    """A running server process: its base URL and its stderr so far."""

    url: str = ""
    log: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(self.log)


@asynccontextmanager
async def http_server(
    command: Sequence[str], env: Mapping[str, str], log_level: str = "INFO"
) -> AsyncIterator[HttpServer]:
    """Run `command` (a gist-mcp HTTP server; `--port 0 --log-level` are added) until the block ends."""
    async with listening_process([*command, "--port", "0", "--log-level", log_level], env, LISTENING) as server:
        yield server


@asynccontextmanager
async def listening_process(
    argv: Sequence[str], env: Mapping[str, str], pattern: re.Pattern[str]
) -> AsyncIterator[HttpServer]:
    """Run `argv` (started on port 0) until the block ends; yield once its stderr matches `pattern`.

    It yields with the URL the process reports: no port is probed and released first (another
    process could take it), and nothing polls. Its stderr is read all along (so it never blocks on a
    full pipe) into `log`.
    """
    server = HttpServer()
    listening = anyio.Event()
    async with await anyio.open_process(argv, env=env, stdout=subprocess.DEVNULL) as process:
        assert process.stderr is not None
        stderr = process.stderr

        async def read() -> None:
            async for chunk in TextReceiveStream(stderr):
                server.log.append(chunk)
                found = pattern.search(server.text())
                if found and not listening.is_set():
                    server.url = found.group(1)
                    listening.set()
            listening.set()  # the process ended: let the caller see it did not listen

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(read)
            try:
                await listening.wait()
                assert server.url, f"the server exited before listening:\n{server.text()}"
                yield server
            finally:
                process.terminate()
                await process.wait()


def free_port() -> int:
    """A port free now, for the few servers that must know their port before they start: two stdio
    processes sharing one `--webhook-port`, hosted mode, whose OAuth URLs are built from the bound
    address, and the replicas behind the test proxy. The process binds it within a second, so the
    probe-then-bind race is tolerated there; everything else starts on port 0 (`http_server`,
    `listening_process`), and `until_healthy` waits for the rest."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until_healthy(url: str) -> None:
    """Wait until the gist-mcp HTTP server at `url` answers `/health` (for servers started on a `free_port`)."""
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await anyio.sleep(0.1)


def probe(code: str, *argv: str, folder: Path, env: Mapping[str, str]) -> Any:
    """Run `code` (with `argv`) in a fresh interpreter and return the JSON of its last output line.

    It runs in `folder`, never the checkout (`-c` puts the working folder first on sys.path), with only
    `env` and PYTHONPATH (empty unless a caller set it): what it imports is the installed package.
    """
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if k == "PYTHONPATH"} | dict(env),
    )
    return json.loads(done.stdout.splitlines()[-1])
