"""Cancellation stops the work: after `notifications/cancelled` (stdio, in memory) or a dropped
request (Streamable HTTP), no further Gist request is sent; a bulk call's progress notifications
say how far it got before the cancel.

The emulator's latency keeps `tag_contacts` busy across several waves of batches; its request log
is the ground truth of what reached Gist.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from conftest import CANARY_KEY, MODES
from mcp import Client, StdioServerParameters
from processes import http_server
from test_transports import COMMAND, server_env

from gist_mcp.catalog.tags import BATCH, PARALLEL_BATCHES
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer

pytestmark = pytest.mark.anyio
LATENCY = 0.3
"""Seconds each Gist request takes: a wave of batches is in flight while the client cancels."""
WAVES = 4
CONTACTS = BATCH * PARALLEL_BATCHES * WAVES
"""Enough contacts for WAVES waves of PARALLEL_BATCHES concurrent batches."""


def posts(emulator: GistEmulator) -> int:
    """Tag requests (one per batch) that reached the emulator."""
    return sum(1 for request in emulator.requests if request.method == "POST" and request.path.startswith("/tags"))


async def cancel_mid_call(client: Client, emulator: GistEmulator, ids: list[int]) -> list[str]:
    """Start tag_contacts, cancel it after its first progress notification; return the progress messages."""
    progressed: list[str] = []
    first = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        progressed.append(message or "")
        first.set()

    arguments = {"tag": "cancel-me", "contacts": [{"id": contact_id} for contact_id in ids]}
    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:

            async def run() -> None:
                await client.call_tool("tag_contacts", arguments, progress_callback=on_progress)

            group.start_soon(run)
            await first.wait()
            group.cancel_scope.cancel()
    return progressed


async def assert_nothing_sent_after(client: Client, emulator: GistEmulator) -> None:
    """After the cancel Gist soon hears nothing more, and the call did not run to its end.

    Over HTTP the cancel notification is its own POST, so a later request on the same client is no
    barrier: wait until no batch has arrived for three request latencies (another wave would have).
    """
    await client.list_tools()
    settled = posts(emulator)
    with anyio.fail_after(30):
        while True:
            await anyio.sleep(LATENCY * 3)
            if posts(emulator) == settled:
                break
            settled = posts(emulator)
    assert settled < math.ceil(CONTACTS / BATCH), "the call ran to the end: nothing was cancelled"


def seed(emulator: GistEmulator) -> list[int]:
    return [int(emulator.add_contact(email=f"c{n}@example.com")["id"]) for n in range(CONTACTS)]


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_an_in_memory_call_stops_its_gist_requests(
    make_server: Callable[..., GistServer], emulator: GistEmulator, mode: str
) -> None:
    ids = seed(emulator)
    emulator.latency = LATENCY
    async with Client(make_server(), mode=mode) as client:
        progressed = await cancel_mid_call(client, emulator, ids)
        await assert_nothing_sent_after(client, emulator)
    assert progressed[0].endswith(f"/{CONTACTS} contacts applied"), "progress says how far the bulk call got"


@asynccontextmanager
async def served_emulator() -> AsyncIterator[tuple[GistEmulator, str]]:
    emulator = GistEmulator(api_keys=(CANARY_KEY,))
    async with emulator.serve() as url:
        yield emulator, url


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_cancelling_over_a_real_transport_stops_its_gist_requests(transport: str, mode: str) -> None:
    async with served_emulator() as (emulator, gist_url):
        ids = seed(emulator)
        emulator.latency = LATENCY
        target: Any
        if transport == "stdio":
            target = StdioServerParameters(command=COMMAND[0], args=COMMAND[1:], env=server_env(gist_url))
            async with Client(target, mode=mode) as client:
                progressed = await cancel_mid_call(client, emulator, ids)
                await assert_nothing_sent_after(client, emulator)
        else:
            async with (
                http_server([*COMMAND, "--transport", "http"], server_env(gist_url)) as server,
                Client(f"{server.url}/mcp", mode=mode) as client,
            ):
                progressed = await cancel_mid_call(client, emulator, ids)
                await assert_nothing_sent_after(client, emulator)
    assert progressed
