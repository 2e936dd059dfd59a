"""import_contacts polls every running job of a round at once: one round trip per round, not one per chunk.

A transport in front of the emulator holds each status read until all of the round's reads are in
flight (or `BARRIER_TIMEOUT` passes, which only a one-by-one poll would hit), so the check needs no
clock: the most reads in flight at once must equal the number of jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from conftest import call
from mcp import Client

from gist_mcp._http import GistClient
from gist_mcp.catalog.bulk import CHUNK_SIZE
from gist_mcp.emulator import GistEmulator
from gist_mcp.server import GistServer

pytestmark = pytest.mark.anyio

JOBS = 5
BARRIER_TIMEOUT = 5.0
"""Seconds a status read waits for the rest of its round before going on alone."""


class RoundBarrier(httpx.AsyncBaseTransport):
    """The emulator in memory; status reads wait for each other in groups of `size`, counting those in flight."""

    def __init__(self, emulator: GistEmulator, size: int) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.size = size
        self.waiting = 0
        self.most_in_flight = 0
        self.full = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith("/contacts/batch/"):
            self.waiting += 1
            self.most_in_flight = max(self.most_in_flight, self.waiting)
            if self.waiting == self.size:
                self.full.set()
            with anyio.move_on_after(BARRIER_TIMEOUT):
                await self.full.wait()
            self.waiting -= 1
            if self.waiting == 0:
                self.full = anyio.Event()
        return await self.inner.handle_async_request(request)


async def test_every_running_job_of_a_round_is_polled_at_once(
    make_server: Callable[..., GistServer], emulator: GistEmulator
) -> None:
    emulator.reset()
    emulator.extras.batch_reads_before_done = 1
    barrier = RoundBarrier(emulator, JOBS)

    async def no_pause(seconds: float) -> None:
        pass

    server = make_server(rate_limit=(10_000, 10.0))
    server.gist = GistClient(server.gist_settings, transport=barrier, sleep=no_pause)
    given: list[dict[str, Any]] = [
        {"email": f"round{i}@example.net", "name": f"Round {i}"} for i in range(JOBS * CHUNK_SIZE)
    ]
    with anyio.fail_after(4 * BARRIER_TIMEOUT):
        async with Client(server, cache=None) as client:
            result = await call(client, "import_contacts", {"contacts": given})
    assert result["status"] == "done"
    assert [b["status"] for b in result["batches"]] == ["done"] * JOBS
    assert result["accepted"] == JOBS * CHUNK_SIZE
    polls = [r.path for r in emulator.requests if r.method == "GET"]
    assert len(polls) == 2 * JOBS  # one round still running, one done
    assert barrier.most_in_flight == JOBS
