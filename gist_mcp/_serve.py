"""Run an ASGI app under uvicorn on a loopback socket: the emulator, the webhook receiver's own listener,
the HTTP-exposure tests and the benchmarks all serve this one way.

The socket is bound before serving (`listen`), so a taken port is an OSError the caller can answer
before anything starts, and a client may connect as soon as the URL is known. The socket has
`TCP_NODELAY`: small loopback answers otherwise wait for the peer's delayed ACK (about 40 ms).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import AsyncGenerator, Generator
from typing import Literal

import anyio
import uvicorn
from starlette.types import ASGIApp


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one); OSError when the port is taken.

    `SO_REUSEADDR` lets a restarted process rebind over TIME_WAIT (not on Windows, where the flag
    would steal a port another process listens on).
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[
        0
    ]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted connections inherit it
        sock.bind(address)
        sock.listen()
    except OSError:
        sock.close()
        raise
    return sock


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process it runs in (an MCP server, a test)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serve_asgi(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    sock: socket.socket | None = None,
    lifespan: Literal["on", "off"] = "off",
    shutdown_grace: int = 1,
) -> AsyncGenerator[str, None]:
    """Serve an ASGI app with uvicorn for the duration of the block; yields its base URL.

    It serves on `sock` when given (from `listen`, closed on exit), else on a new socket for
    host:port (port 0 picks a free port). On exit, also by cancellation, the server stops cleanly:
    it closes the socket and lets requests in flight finish for up to `shutdown_grace` seconds
    (a ``hang`` fault whose client is still connected, for instance). If the server stops by
    itself, the block is cancelled.
    """
    sock = listen(host, port) if sock is None else sock
    bound_host, bound_port = sock.getsockname()[:2]
    url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    # log_config=None: uvicorn's default would reconfigure its loggers for the whole process, and
    # print access lines to stdout, which is the stdio transport's channel.
    config = uvicorn.Config(
        app, lifespan=lifespan, log_config=None, server_header=False, timeout_graceful_shutdown=shutdown_grace
    )
    server = _EmbeddedServer(config)
    with sock:
        async with anyio.create_task_group() as tasks:

            async def serve() -> None:
                with anyio.CancelScope(shield=True):  # a cancelled caller still gets a clean shutdown
                    await server.serve(sockets=[sock])
                tasks.cancel_scope.cancel()

            tasks.start_soon(serve)
            try:
                yield f"http://{url_host}:{bound_port}"
            finally:
                server.should_exit = True
