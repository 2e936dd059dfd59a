"""The Streamable HTTP app: `/mcp`, an unauthenticated `/health`, the guards for exposing it, and
the uvicorn settings it is served with.

The SDK's DNS-rebinding protection (a `Host` and browser `Origin` check) is always configured here
for the bind we serve, never left to the SDK's own guess: bound to loopback (any of 127.0.0.0/8,
::1, localhost) `Host` must name loopback (or an `--allowed-host`); bound to any other address it
must be an `--allowed-host`, and `GIST_MCP_AUTH_TOKEN` (at least MIN_AUTH_TOKEN_LENGTH characters)
is required, which clients send as a Bearer token on `/mcp`. A browser `Origin` must be loopback
(on a loopback bind) or an `--allowed-origin`.

uvicorn closes a connection whose request headers have not all arrived within HEADER_TIMEOUT
seconds (it has no such timeout of its own), an idle keep-alive connection after KEEP_ALIVE_TIMEOUT,
and answers 503 beyond MAX_CONNECTIONS concurrent connections.

Stateful SSE streams are resumable through an event store (`event_store.py`), scoped to each session:
a client that lost a stream reconnects with `Last-Event-ID` and gets what it missed, never another
session's events. With the shared Redis store a resume also works on a replica that does not hold
the session (`gist_mcp.scale.resume`).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import Sequence

import h11
import uvicorn
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from gist_mcp._sdk import holds_session, scope_events_to_sessions
from gist_mcp.errors import GistConfigError
from gist_mcp.event_store import RETRY_MILLISECONDS, MemoryEventStore, SessionEventStore, SharedEventStore
from gist_mcp.server import GistServer

MCP_PATH = "/mcp"
METRICS_PATH = "/metrics"
"""Served with --metrics; guarded like MCP_PATH (see gist_mcp.scale.metrics)."""
MIN_AUTH_TOKEN_LENGTH = 16
"""A shorter GIST_MCP_AUTH_TOKEN is refused on a public bind (it could be guessed)."""
HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a request's headers; a stalled connection is closed after that."""
KEEP_ALIVE_TIMEOUT = 5
"""Seconds an idle keep-alive connection stays open between requests (uvicorn's default)."""
MAX_CONNECTIONS = 200
"""Concurrent connections served; beyond it uvicorn answers 503 instead of queuing without end."""
MAX_INCOMPLETE_EVENT_BYTES = 64 * 1024
"""Largest request head (request line and headers) accepted."""
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, auth_token: str | None) -> None:
    """Refuse to serve a non-loopback bind without a long enough GIST_MCP_AUTH_TOKEN.

    Raises:
        GistConfigError: naming the variable (never its value).
    """
    if is_loopback(host):
        return
    if not auth_token:
        raise GistConfigError(
            f"Binding to {host} exposes the server: set GIST_MCP_AUTH_TOKEN (clients send it as a Bearer "
            "token) and --allowed-host for the name clients use."
        )
    if len(auth_token) < MIN_AUTH_TOKEN_LENGTH:
        raise GistConfigError(
            f"GIST_MCP_AUTH_TOKEN must be at least {MIN_AUTH_TOKEN_LENGTH} characters to bind to {host} "
            "(e.g. the output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )


def transport_security(
    host: str, allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = ()
) -> TransportSecuritySettings:
    """The Host / Origin check for serving on `host`: loopback names on a loopback bind, plus the allowed ones."""
    hosts, origins = list(allowed_hosts), list(allowed_origins)
    if is_loopback(host):
        bound = f"[{host.strip('[]')}]" if ":" in host else host
        for name in dict.fromkeys((*LOOPBACK_NAMES, bound)):
            hosts += [name, f"{name}:*"]
            origins += [f"http://{name}", f"http://{name}:*"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class BearerGuard:
    """Require `Authorization: Bearer <token>` on the MCP endpoint and `/metrics`; other routes pass through."""

    def __init__(self, app: ASGIApp, token: str, paths: Sequence[str] = (MCP_PATH, METRICS_PATH)) -> None:
        self.app = app
        self._token = token.encode()
        self._paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in self._paths:
            header = dict(scope["headers"]).get(b"authorization", b"")
            scheme, _, given = header.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self._token):
                response = JSONResponse(
                    {"error": "unauthorized", "message": "Send the server's GIST_MCP_AUTH_TOKEN as a Bearer token."},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="gist-mcp"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def health(request: Request) -> Response:
    """For load balancers: answers without auth and without calling Gist."""
    return JSONResponse({"status": "ok"})


def build_http_app(
    server: GistServer,
    *,
    host: str,
    auth_token: str | None,
    allowed_hosts: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
    stateless: bool = False,
    extra_routes: Sequence[Route] = (),
    event_store: SessionEventStore | None = None,
    resume_idle: float | None = None,
) -> ASGIApp:
    """The ASGI app for `--transport http`; callers have already checked that a public bind has a token.

    `event_store` keeps SSE events for `Last-Event-ID` resumption on a stateful server, each session's
    apart: the Redis one with GIST_MCP_REDIS_URL, else an in-memory one (`MemoryEventStore`). A shared
    store also serves resumes of sessions held by other replicas, each ending after `resume_idle`
    seconds without an event (default `gist_mcp.scale.resume.RESUME_IDLE_SECONDS`).
    """
    security = transport_security(host, allowed_hosts, allowed_origins)
    server.custom_route("/health", methods=["GET"])(health)
    for route in extra_routes:
        server.custom_route(route.path, methods=sorted(route.methods or ["POST"]))(route.endpoint)
    store = None if stateless else (event_store or MemoryEventStore())
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=stateless,
        json_response=stateless,
        # Stateful streams are resumable (priming event, retry, Last-Event-ID); stateless answers are plain JSON.
        event_store=store,
        retry_interval=None if stateless else RETRY_MILLISECONDS,
        host=host,
        transport_security=security,
    )
    if store is not None:
        scope_events_to_sessions(server.session_manager, store)
    if isinstance(store, SharedEventStore):
        from gist_mcp.scale.resume import RESUME_IDLE_SECONDS, CrossReplicaResume

        manager = server.session_manager
        app = CrossReplicaResume(
            app,
            store,
            holds=lambda session_id: holds_session(manager, session_id),
            security=security,
            path=MCP_PATH,
            idle=RESUME_IDLE_SECONDS if resume_idle is None else resume_idle,
        )
    return BearerGuard(app, auth_token) if auth_token else app


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for each request's headers.

    uvicorn only times out idle keep-alive connections, and cancels that timer as soon as any byte
    arrives, so a client that sends half its headers holds the connection forever. Here a timer starts
    when the connection opens and after every response; when it fires and the request's headers are
    still incomplete (h11 still waits for them), the connection is closed.
    """

    header_timeout: float = HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_deadline)

    def _header_deadline(self) -> None:
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_config(
    app: ASGIApp, *, host: str, port: int, log_level: str = "warning", header_timeout: float = HEADER_TIMEOUT
) -> uvicorn.Config:
    """The uvicorn configuration `--transport http` serves with (its limits are the constants above)."""
    protocol = type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": header_timeout})
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        log_level=log_level,
        log_config=None,  # uvicorn's records go to the root handlers, where the key is redacted
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT_BYTES,
    )
