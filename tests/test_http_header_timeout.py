"""The header deadline of the HTTP transport (`HeaderTimeoutProtocol`) closes only stalled request heads:
a keep-alive connection serves request after request, and a request whose head arrived may send its
body after the deadline has passed."""

from __future__ import annotations

import functools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
import uvicorn
from anyio.abc import SocketStream
from starlette.types import Receive, Scope, Send

from gist_mcp.http_app import server_config

pytestmark = pytest.mark.anyio

HEADER_TIMEOUT = 0.2
"""Short, so the tests pass the deadline quickly (what they assert never depends on how long it took)."""


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers each request with its body."""
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def connection() -> AsyncIterator[SocketStream]:
    """One TCP connection to a real uvicorn serving `echo` with the header deadline."""
    server = uvicorn.Server(server_config(echo, host="127.0.0.1", port=0, header_timeout=HEADER_TIMEOUT))
    with socket.create_server(("127.0.0.1", 0)) as sock:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(functools.partial(server.serve, sockets=[sock]))
            try:
                async with await anyio.connect_tcp("127.0.0.1", sock.getsockname()[1]) as stream:
                    yield stream
            finally:
                server.should_exit = True


async def answer(stream: SocketStream, body: bytes) -> bytes:
    """Read one response whose body is `body` (the echo of what was posted)."""
    received = b""
    with anyio.fail_after(20):
        while not received.endswith(b"\r\n\r\n" + body):
            received += await stream.receive()
    return received


def post(body: bytes) -> bytes:
    return b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


async def test_a_keep_alive_connection_serves_one_request_after_another() -> None:
    async with connection() as stream:
        for body in (b"first", b"second", b"third"):
            await stream.send(post(body))
            assert (await answer(stream, body)).startswith(b"HTTP/1.1 200")


async def test_a_body_sent_after_the_header_deadline_is_still_answered() -> None:
    async with connection() as stream:
        request = post(b"late body")
        head, body = request[: -len(b"late body")], b"late body"
        await stream.send(head)
        await anyio.sleep(HEADER_TIMEOUT * 3)  # the deadline passes while the head is complete
        await stream.send(body)
        assert (await answer(stream, body)).startswith(b"HTTP/1.1 200")
