"""`gist_mcp._serve`: the one way an ASGI app is served on a loopback socket."""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gist_mcp._serve import listen, serve_asgi
from gist_mcp.emulator import serve_asgi as emulator_serve_asgi

pytestmark = pytest.mark.anyio


def test_the_listening_socket_and_the_connections_it_accepts_have_tcp_nodelay() -> None:
    with listen("127.0.0.1", 0) as server, socket.create_connection(server.getsockname()[:2]) as _client:
        accepted, _ = server.accept()
        with accepted:
            assert server.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_a_taken_port_is_an_os_error_before_anything_is_served() -> None:
    with listen("127.0.0.1", 0) as taken, pytest.raises(OSError, match="in use"):
        listen("127.0.0.1", taken.getsockname()[1])


async def test_serve_asgi_serves_until_the_block_ends_and_the_emulator_re_exports_it() -> None:
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("hello"))])

    with anyio.fail_after(10):
        async with serve_asgi(app) as url, httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/")).text == "hello"
        async with httpx.AsyncClient(base_url=url) as after:
            with pytest.raises(httpx.ConnectError):
                await after.get("/")
    assert emulator_serve_asgi is serve_asgi
