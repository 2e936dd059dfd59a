"""Gist's OAuth and many workspaces, emulated (gist-api.md §2.2 and §13's OAuth checklist).

`EmulatedAccounts` is one ASGI app that plays Gist for a hosted gist-mcp: `GET /oauth/authorize`
approves at once and gives every login a fresh workspace (its own `GistEmulator`, demo data and rate
limit), then redirects to the app's `redirect_uri` with `code` and the `state` it was given;
`POST /oauth/token` trades that code (once) for a workspace token, from a form-encoded **or** JSON
body, answering `{"access_token", "token_type": "Bearer", "scope"}` with no refresh token or expiry;
`GET /token` and `GET /token/info` tell a token's workspace. Every other request is routed by its
Bearer token to that token's workspace, after a scope check (`SCOPE_OF_PATH`): a token without the
scope an endpoint needs gets 403 ``forbidden`` naming it. Unknown tokens get 401.

Knobs for tests: `app_scopes` (the scopes ticked for the app in Gist's developer hub: a login gets
only those, whatever it asks for), `form_exchange` (False answers 415 to a form-encoded exchange, like a JSON-only
host), `introspection` (which of `/token`, `/token/info` exist).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from gist_mcp._json import JSON

from .app import GistEmulator
from .errors import error_response

SCOPES = (
    "read_contact",
    "write_contact",
    "read_bulk_contacts",
    "write_bulk_contacts",
    "read_conversations",
    "write_conversations",
    "read_events",
    "read_tags",
    "write_tags",
    "read_teams",
    "read_teammates",
)
"""The scopes Gist's developer hub offers; a login that asks for none gets them all (ticked per app)."""
SCOPE_OF_PATH = {
    "contacts": ("read_contact", "write_contact"),
    "tags": ("read_tags", "write_tags"),
    "conversations": ("read_conversations", "write_conversations"),
    "events": ("read_events", None),
    "teams": ("read_teams", None),
    "teammates": ("read_teammates", None),
}
"""First path segment -> (scope for reads, scope for writes); a contact listing needs read_bulk_contacts."""
INTROSPECTION = ("/token", "/token/info")


@dataclass(frozen=True)
class Login:
    """One approved login: its workspace and the scopes granted."""

    workspace_id: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class _Code:
    token: str
    redirect_uri: str


class EmulatedAccounts:
    """Gist's OAuth server plus one emulated workspace per login. Serve `app` like `GistEmulator.app`."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        seed: bool = True,
        rate_limit: tuple[int, float] | None = (100, 10.0),
        form_exchange: bool = True,
        introspection: Iterable[str] = INTROSPECTION,
        app_scopes: Iterable[str] = SCOPES,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.seed = seed
        self.rate_limit = rate_limit
        self.form_exchange = form_exchange
        self.introspection = frozenset(introspection)
        self.app_scopes = frozenset(app_scopes)
        self.workspaces: dict[str, GistEmulator] = {}
        """Each login's workspace, by workspace id."""
        self.logins: dict[str, Login] = {}
        """By access token."""
        self.on_login: Callable[[str, GistEmulator], None] | None = None
        """Called with each new workspace's id and emulator (the sandbox wires its webhooks here)."""
        self.exchanges: list[str] = []
        """The body form of every token exchange received ("form" or "json"), for tests."""
        self._codes: dict[str, _Code] = {}

    def login(self, scopes: Iterable[str] = SCOPES) -> str:
        """Approve a login directly (no browser); returns its access token."""
        token = "gist-oauth-" + secrets.token_urlsafe(24)
        workspace_id = str(1000 + len(self.workspaces) + 1)
        workspace = GistEmulator(api_keys=(token,), seed=self.seed, rate_limit=self.rate_limit)
        self.workspaces[workspace_id] = workspace
        if self.on_login is not None:
            self.on_login(workspace_id, workspace)
        granted = set(scopes) & self.app_scopes
        self.logins[token] = Login(workspace_id, tuple(scope for scope in SCOPES if scope in granted))
        return token

    def workspace(self, token: str) -> GistEmulator:
        """The workspace a token acts on."""
        return self.workspaces[self.logins[token].workspace_id]

    async def authorize(self, request: Request) -> Response:
        """`GET /oauth/authorize`: approve at once and send the browser back with a code."""
        query = request.query_params
        if query.get("client_id") != self.client_id:
            return error_response(400, "unknown client_id", "invalid_client")
        if query.get("response_type") != "code":
            return error_response(400, "response_type must be code", "unsupported_response_type")
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return error_response(400, "redirect_uri is required", "invalid_request")
        asked = query.get("scope", "").split()
        unknown = [scope for scope in asked if scope not in SCOPES]
        if unknown:
            return error_response(400, f"unknown scope: {unknown[0]}", "invalid_scope")
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(self.login(asked or SCOPES), redirect_uri)
        back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(back)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        """`POST /oauth/token`: the authorization-code exchange, form-encoded or JSON."""
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            self.exchanges.append("json")
            try:
                loaded: JSON = json.loads(body)
            except ValueError:
                loaded = None
            fields: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        else:
            self.exchanges.append("form")
            if not self.form_exchange:
                return JSONResponse({"error": "unsupported_media_type"}, status_code=415)
            fields = {key: values[0] for key, values in parse_qs(body.decode(errors="replace")).items()}
        if fields.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if fields.get("client_id") != self.client_id or fields.get("client_secret") != self.client_secret:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        code = self._codes.pop(str(fields.get("code", "")), None)
        if code is None or fields.get("redirect_uri") != code.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        login = self.logins[code.token]
        return JSONResponse({"access_token": code.token, "token_type": "Bearer", "scope": " ".join(login.scopes)})

    def _info(self, token: str) -> Response:
        login = self.logins[token]
        return JSONResponse(
            {
                "workspace_id": login.workspace_id,
                "workspace_name": f"Demo workspace {login.workspace_id}",
                "scopes": list(login.scopes),
                "app_id": None,
                "expires_at": None,
            }
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path, method = scope["path"], scope["method"]
        if path == "/oauth/authorize" and method == "GET":
            response = await self.authorize(request)
        elif path == "/oauth/token" and method == "POST":
            response = await self._token(request)
        else:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token not in self.logins:
                response = error_response(401, "missing or invalid access token", "authentication_failed")
            elif path in self.introspection and method == "GET":
                response = self._info(token)
            elif (missing := _missing_scope(self.logins[token], method, path)) is not None:
                response = error_response(403, f"this token lacks the {missing} scope", "forbidden")
            else:
                await self.workspace(token).app(scope, receive, send)
                return
        await response(scope, receive, send)

    @property
    def app(self) -> EmulatedAccounts:
        """The ASGI app (the object itself), named like `GistEmulator.app`."""
        return self


def _missing_scope(login: Login, method: str, path: str) -> str | None:
    """The scope this request needs and the login lacks, or None."""
    parts = path.strip("/").split("/")
    read, write = SCOPE_OF_PATH.get(parts[0], (None, None))
    needed = read if method in ("GET", "HEAD") else write
    if needed == "read_contact" and len(parts) == 1:
        needed = "read_bulk_contacts"
    return needed if needed is not None and needed not in login.scopes else None
