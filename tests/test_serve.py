"""`gist_mcp._serve`: the one way an ASGI app is served on a loopback socket."""

from __future__ import annotations

import socket
import statistics
import time

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from gist_mcp._serve import listen, serve_asgi
from gist_mcp.emulator import GistEmulator
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


LOOPBACK_FACTOR = 10
"""How many times a bare app's median round trip the emulator's may take in the loopback check."""
LOOPBACK_SLACK = 0.005
"""Seconds added to that bound, so scheduling noise on a loaded machine cannot fail the check."""
LOOPBACK_CALLS = 20
"""GETs per side in the loopback check (medians compared)."""


async def _median_round_trip(http: httpx.AsyncClient, path: str) -> float:
    times: list[float] = []
    for _ in range(LOOPBACK_CALLS):
        started = time.perf_counter()
        (await http.get(path)).raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _floor_socket() -> socket.socket:
    """A loopback listener made here, not by `listen`, with TCP_NODELAY set: the bare app's floor."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


async def test_a_loopback_round_trip_to_the_emulator_costs_about_what_a_bare_app_costs() -> None:
    """The emulator served by `serve_asgi` answers within a small factor of a bare Starlette app, same run.

    A comparison, not a wall-clock budget. The bare app runs under the same runner on a socket this
    test makes (not `listen`'s), so a regression in the emulator's socket shows: one without
    TCP_NODELAY makes every small answer wait for the peer's delayed ACK (~44 ms against ~1 ms
    here), which no load on the machine hides inside 10x + 5 ms, while both sides slow down alike
    when the machine is busy. (Timings are not asserted anywhere else: they stay in bench/bench.py.)
    """
    emulator = GistEmulator(api_keys=("serve-key",), rate_limit=None)
    contact_id = next(iter(emulator.contacts))
    path = f"/contacts/{contact_id}"
    bare = Starlette(routes=[Route(path, lambda request: JSONResponse({"contact": {"id": contact_id}}))])
    headers = {"Authorization": "Bearer serve-key"}
    with anyio.fail_after(30):
        async with (
            emulator.serve() as emulator_url,
            serve_asgi(bare, sock=_floor_socket()) as bare_url,
            httpx.AsyncClient(base_url=emulator_url, headers=headers) as to_emulator,
            httpx.AsyncClient(base_url=bare_url) as to_bare,
        ):
            await _median_round_trip(to_emulator, path)  # warm up both connections
            await _median_round_trip(to_bare, path)
            emulator_time = await _median_round_trip(to_emulator, path)
            bare_time = await _median_round_trip(to_bare, path)
    assert emulator_time <= LOOPBACK_FACTOR * bare_time + LOOPBACK_SLACK, (emulator_time, bare_time)
