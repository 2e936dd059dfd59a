"""The MCP side of hosted mode: an OAuth 2.1 authorization server for MCP clients, on the SDK's
`mcp.server.auth`, whose login step is Gist's own consent.

The flow as implemented:

1. An MCP client registers (dynamic client registration) and sends the user to `/authorize` with a
   PKCE S256 challenge. The SDK checks the client, the exact redirect URI and the challenge; `authorize`
   here keeps the request as a pending login under a fresh random `state` (single use, expiring after
   LOGIN_SECONDS) and sends the browser to Gist's consent with that `state`.
2. Gist sends the browser back to CALLBACK_PATH with `code` and `state`. `callback` takes the pending
   login (a `state` nobody issued, or one already used, gets a 400 page), trades the code for a Gist
   token (`gist_oauth`), learns the workspace, stores the Gist token encrypted with
   `GIST_MCP_SECRET_KEY` under a new MCP subject, and redirects to the client's redirect URI with an
   MCP authorization code (single use, expiring after CODE_SECONDS) and the client's own `state`.
3. The client trades the code (with its PKCE verifier, checked by the SDK) for an MCP access token
   (ACCESS_TOKEN_SECONDS) and refresh token (REFRESH_TOKEN_SECONDS); a refresh rotates both, and the
   old refresh token stops working. Revoking either token ends the login: both tokens and the stored
   Gist grant go.

Codes and tokens are random (256 bits) and stored only as SHA-256 digests. The MCP token never goes to
Gist and the Gist token never goes to the client: `clients` reads it from the store per workspace.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import TypedDict

from cryptography.fernet import InvalidToken
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    OAuthAuthorizationServerProvider,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from gist_mcp.hosted.clients import WorkspaceClients
from gist_mcp.hosted.config import HostedSettings
from gist_mcp.hosted.gist_oauth import GistLoginError, GistOAuth, Workspace
from gist_mcp.hosted.store import HostedStore, Kind

logger = logging.getLogger(__name__)

MCP_SCOPE = "gist"
"""The one scope MCP tokens carry: access to the user's Gist workspace through the tools."""
LOGIN_SECONDS = 600
"""How long a user has to answer Gist's consent page."""
CODE_SECONDS = 300
"""How long an MCP authorization code can be exchanged (once)."""
ACCESS_TOKEN_SECONDS = 3600
"""Lifetime of an MCP access token; clients refresh it."""
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
"""Lifetime of an MCP refresh token; each refresh rotates it. The stored Gist grant lives as long, and so
does a registered client from its registration or last token: registration is open to anyone, so
unused registrations must not pile up forever."""
MAX_CALLBACK_PARAM_CHARS = 2048
"""Longer `code`/`state` values on the callback are refused unread."""


def digest(value: str) -> str:
    """The key a code or token is stored under (the value itself is never stored)."""
    return hashlib.sha256(value.encode()).hexdigest()


class _TokenFields(TypedDict):
    """What an access token and its refresh token share."""

    client_id: str
    scopes: list[str]
    resource: str
    subject: str


class Grant:
    """A subject's Gist workspace and Gist token, as kept in the store (the token encrypted)."""

    def __init__(self, workspace: Workspace, token: SecretStr) -> None:
        self.workspace = workspace
        self.token = token

    def __repr__(self) -> str:
        return f"Grant(workspace={self.workspace.id!r})"


class GistOAuthProvider(OAuthAuthorizationServerProvider[AuthorizationCode, RefreshToken, AccessToken]):
    """The authorization server for MCP clients, with Gist's consent as the login (no identity-assertion grant)."""

    def __init__(
        self,
        settings: HostedSettings,
        store: HostedStore,
        gist: GistOAuth,
        clients: WorkspaceClients,
        *,
        gist_scopes: list[str],
        resource: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.gist = gist
        self.clients = clients
        """Told, on every verified request, which Gist login the caller's token stands for."""
        self.gist_scopes = gist_scopes
        self.resource = resource
        """The protected resource (`<public URL>/mcp`) every token is issued for."""
        self._clock = clock

    # Clients (dynamic registration)

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        value = await self.store.get(Kind.CLIENT, client_id)
        return None if value is None else OAuthClientInformationFull.model_validate_json(value)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        await self._save_client(client_info)

    async def _save_client(self, client: OAuthClientInformationFull) -> None:
        """Keep (or keep longer) a client's registration, for REFRESH_TOKEN_SECONDS from now."""
        assert client.client_id is not None  # the SDK's registration handler assigns one
        expires_at = self._clock() + REFRESH_TOKEN_SECONDS
        await self.store.put(Kind.CLIENT, client.client_id, client.model_dump_json(), expires_at=expires_at)

    # Step 1: the MCP client's /authorize, sent on to Gist

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource is not None and params.resource.rstrip("/") != self.resource:
            raise AuthorizeError("invalid_target", f"This server only issues tokens for {self.resource}.")
        state = secrets.token_urlsafe(32)
        pending = {"client_id": client.client_id, "params": params.model_dump(mode="json")}
        await self.store.put(Kind.PENDING, digest(state), json.dumps(pending), expires_at=self._clock() + LOGIN_SECONDS)
        return self.gist.consent_url(state, self.gist_scopes)

    # Step 2: Gist's callback

    async def callback(self, request: Request) -> Response:
        """Finish the Gist side of a login and send the browser back to the MCP client with a code."""
        query = request.query_params
        state, code = query.get("state", ""), query.get("code", "")
        if not state or len(state) > MAX_CALLBACK_PARAM_CHARS or len(code) > MAX_CALLBACK_PARAM_CHARS:
            return _page(400, "This page is Gist's answer to a login: it needs the state Gist sends back.")
        taken = await self.store.take(Kind.PENDING, digest(state))
        if taken is None:
            return _page(400, "This login has expired or was already used: start again from your MCP client.")
        pending = json.loads(taken)
        params = AuthorizationParams.model_validate(pending["params"])
        back = str(params.redirect_uri)
        if query.get("error") or not code:
            reason = "access_denied" if query.get("error") == "access_denied" else "server_error"
            described = "The Gist login was declined." if reason == "access_denied" else "Gist sent no code."
            return _redirect(
                construct_redirect_uri(back, error=reason, error_description=described, state=params.state)
            )
        try:
            token = await self.gist.exchange(code)
            workspace = await self.gist.workspace(token, query.get("workspace_id"))
        except GistLoginError as error:
            logger.warning("Gist login failed: %s", error)
            return _redirect(
                construct_redirect_uri(back, error="server_error", error_description=str(error), state=params.state)
            )
        subject = "gist-user-" + secrets.token_urlsafe(16)
        await self._save_grant(subject, Grant(workspace, token))
        mcp_code = secrets.token_urlsafe(32)
        record = AuthorizationCode(
            code="",
            scopes=params.scopes or [MCP_SCOPE],
            expires_at=self._clock() + CODE_SECONDS,
            client_id=pending["client_id"],
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=self.resource,
            subject=subject,
        )
        await self.store.put(Kind.CODE, digest(mcp_code), record.model_dump_json(), expires_at=record.expires_at)
        logger.info("Login to Gist workspace %s as %s", workspace.id, subject)
        return _redirect(construct_redirect_uri(back, code=mcp_code, state=params.state))

    # Step 3: codes and tokens

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        value = await self.store.get(Kind.CODE, digest(authorization_code))
        if value is None:
            return None
        record = AuthorizationCode.model_validate_json(value)
        if record.client_id != client.client_id:
            return None
        return record.model_copy(update={"code": authorization_code})

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        if await self.store.take(Kind.CODE, digest(authorization_code.code)) is None:
            raise TokenError("invalid_grant", "authorization code was already used or has expired")
        return await self._issue(client, authorization_code.scopes, authorization_code.subject)

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        value = await self.store.get(Kind.REFRESH, digest(refresh_token))
        if value is None:
            return None
        record = RefreshToken.model_validate_json(value)
        if record.client_id != client.client_id:
            return None
        return record.model_copy(update={"token": refresh_token})

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        if await self.store.take(Kind.REFRESH, digest(refresh_token.token)) is None:
            raise TokenError("invalid_grant", "refresh token was already used or has expired")
        return await self._issue(client, scopes, refresh_token.subject)

    async def load_access_token(self, token: str) -> AccessToken | None:
        value = await self.store.get(Kind.ACCESS, digest(token))
        if value is None:
            return None
        record = AccessToken.model_validate_json(value)
        grant = None if record.subject is None else await self.grant(record.subject)
        if record.subject is None or grant is None:
            return None  # the Gist grant is gone or unreadable: the user must log in again
        await self.clients.remember(record.subject, grant)
        return record.model_copy(update={"token": token})

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        if token.subject is not None:
            self.clients.forget(token.subject)
            await self.store.drop_owned(token.subject, (Kind.ACCESS, Kind.REFRESH, Kind.GRANT))

    async def _issue(self, client: OAuthClientInformationFull, scopes: list[str], subject: str | None) -> OAuthToken:
        """A new access and refresh token pair for `subject`; the Gist grant's lifetime follows the refresh token."""
        assert client.client_id is not None
        assert subject is not None
        grant = await self.grant(subject)
        if grant is None:
            raise TokenError("invalid_grant", "the Gist login behind this grant is gone: log in again")
        now = int(self._clock())
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        common = _TokenFields(client_id=client.client_id, scopes=scopes, resource=self.resource, subject=subject)
        access_record = AccessToken(token="", expires_at=now + ACCESS_TOKEN_SECONDS, **common)
        refresh_record = RefreshToken(token="", expires_at=now + REFRESH_TOKEN_SECONDS, **common)
        await self.store.put(
            Kind.ACCESS,
            digest(access),
            access_record.model_dump_json(),
            owner=subject,
            expires_at=access_record.expires_at,
        )
        await self.store.put(
            Kind.REFRESH,
            digest(refresh),
            refresh_record.model_dump_json(),
            owner=subject,
            expires_at=refresh_record.expires_at,
        )
        await self._save_grant(subject, grant)
        await self._save_client(client)
        return OAuthToken(
            access_token=access, expires_in=ACCESS_TOKEN_SECONDS, scope=" ".join(scopes), refresh_token=refresh
        )

    # The Gist grant

    async def _save_grant(self, subject: str, grant: Grant) -> None:
        sealed = self.settings.keys.encrypt(grant.token.get_secret_value().encode()).decode()
        value = json.dumps(
            {"workspace_id": grant.workspace.id, "workspace_name": grant.workspace.name, "token": sealed}
        )
        await self.store.put(
            Kind.GRANT, subject, value, owner=subject, expires_at=self._clock() + REFRESH_TOKEN_SECONDS
        )

    async def grant(self, subject: str) -> Grant | None:
        """The subject's Gist workspace and token, or None (no login, revoked, or encrypted with a lost key)."""
        value = await self.store.get(Kind.GRANT, subject)
        if value is None:
            return None
        data = json.loads(value)
        try:
            token = self.settings.keys.decrypt(data["token"].encode()).decode()
        except InvalidToken:
            logger.warning("The Gist token of %s cannot be decrypted with GIST_MCP_SECRET_KEY", subject)
            return None
        return Grant(Workspace(data["workspace_id"], data["workspace_name"]), SecretStr(token))


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


def _page(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status, headers={"Cache-Control": "no-store"})
