"""The Streamable HTTP app: `/mcp`, an unauthenticated `/health`, and the guards for exposing it.

Bound to loopback it needs nothing more (the SDK's DNS-rebinding protection covers localhost). Bound
to any other address it requires `GIST_MCP_AUTH_TOKEN`, which clients send as a Bearer token on
`/mcp`, and it checks `Host` against `--allowed-host` and a browser `Origin` against
`--allowed-origin`.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence

from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gist_mcp.server import GistServer

MCP_PATH = "/mcp"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerGuard:
    """Require `Authorization: Bearer <token>` on the MCP endpoint; other routes pass through."""

    def __init__(self, app: ASGIApp, token: str, path: str = MCP_PATH) -> None:
        self.app = app
        self._token = token.encode()
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") == self._path:
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
) -> ASGIApp:
    """The ASGI app for `--transport http`; callers have already checked that a public bind has a token."""
    security = None
    if not is_loopback(host):
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=list(allowed_hosts),
            allowed_origins=list(allowed_origins),
        )
    server.custom_route("/health", methods=["GET"])(health)
    for route in extra_routes:
        server.custom_route(route.path, methods=sorted(route.methods or ["POST"]))(route.endpoint)
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=stateless,
        json_response=stateless,
        host=host,
        transport_security=security,
    )
    return BearerGuard(app, auth_token) if auth_token else app
