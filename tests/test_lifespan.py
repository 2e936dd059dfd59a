"""The server owns its shared Gist client: every session enters the lifespan, and the last one out closes it."""

from __future__ import annotations

import httpx
import pytest
from conftest import call, settings_for
from mcp import Client

from gist_mcp.emulator import GistEmulator
from gist_mcp.server import create_server

pytestmark = pytest.mark.anyio


class ClosingCounter(httpx.AsyncBaseTransport):
    """The emulator in memory, counting how often the Gist client's connection pool was closed."""

    def __init__(self, emulator: GistEmulator) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.closed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.closed == 0, "a request went through a closed connection pool"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        self.closed += 1


async def test_one_client_closing_leaves_the_pool_open_for_another(emulator: GistEmulator) -> None:
    transport = ClosingCounter(emulator)
    server = create_server(settings_for(), transport=transport)
    async with Client(server, cache=None) as staying:
        async with Client(server, cache=None) as leaving:
            assert (await call(leaving, "list_segments", {}))["segments"]
            assert (await call(staying, "list_segments", {}))["segments"]
        assert transport.closed == 0, "the first client out closed the pool the other one uses"
        segments = await call(staying, "list_segments", {})
        assert segments == await call(staying, "list_segments", {})
    assert transport.closed == 1, "the last client out closes the pool, once"
    assert server.sessions == 0
