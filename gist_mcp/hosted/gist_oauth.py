"""The Gist side of a hosted login: send the user to Gist's consent, trade the code for a Gist token,
learn which workspace it is for.

What the reference (gist-api.md §2.2) leaves open, and how this copes:

- The token exchange is seen form-encoded (third-party clients) and as JSON (Gist's own demo app), at
  two hosts. The URL is a setting (`GIST_OAUTH_TOKEN_URL`); the form is sent first, as OAuth 2 says,
  and the same five fields as JSON when Gist refuses the form (400, 415, 422).
- Gist's answer carries `access_token` and nothing we rely on besides; no refresh token, no expiry
  (tokens live until the app is uninstalled). So a Gist token is kept until the user logs in again.
- The workspace is read from `GET /token`, else `GET /token/info` (both seen). When neither answers,
  a `workspace_id` in the callback (Gist-initiated installs carry one) is used, and failing that the
  workspace is named after a digest of the token, so it still gets a rate limiter of its own.
- `scope` is sent space-separated on the consent URL; the app's scopes are ticked in Gist's developer
  hub too, so Gist may ignore it.

The Gist token never leaves this module but as a `SecretStr` handed to the provider, which encrypts it.
Errors are `GistLoginError`s whose text names the step and the HTTP status, never a token or secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from gist_mcp._json import JSON, JSONObject
from gist_mcp.hosted.config import HostedSettings

REFUSED_FORM = frozenset({400, 415, 422})
"""Statuses on which the form-encoded exchange is retried once as JSON."""
INTROSPECTION_PATHS = ("token", "token/info")
"""Where Gist tells a token's workspace (both seen in the reference), tried in this order."""
EXCHANGE_TIMEOUT = 15.0
"""Seconds each request to Gist may take during a login."""
MAX_ANSWER_BYTES = 64 * 1024
"""A token or token-info answer is a few hundred bytes; a larger one is refused unread."""


class GistLoginError(Exception):
    """A login step with Gist failed; the message is safe to show (no token, no secret)."""


@dataclass(frozen=True)
class Workspace:
    """The Gist workspace a token acts on."""

    id: str
    name: str | None = None


class GistOAuth:
    """Talks to Gist's OAuth endpoints for the configured Gist app."""

    def __init__(
        self, settings: HostedSettings, api_base_url: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._api_base = api_base_url.rstrip("/") + "/"
        self._transport = transport

    def consent_url(self, state: str, scopes: list[str]) -> str:
        """Gist's authorize URL for this login; `state` comes back on the callback."""
        query = {
            "client_id": self.settings.client_id,
            "response_type": "code",
            "redirect_uri": self.settings.callback_url,
            "state": state,
        }
        if scopes:
            query["scope"] = " ".join(scopes)
        return f"{self.settings.authorize_url}?{urlencode(query)}"

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=EXCHANGE_TIMEOUT,
            transport=self._transport,
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )

    async def exchange(self, code: str) -> SecretStr:
        """Trade Gist's authorization code for a Gist access token (form first, JSON if the form is refused)."""
        fields = {
            "grant_type": "authorization_code",
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret.get_secret_value(),
            "redirect_uri": self.settings.callback_url,
            "code": code,
        }
        async with self._http() as http:
            try:
                response = await http.post(self.settings.token_url, data=fields)
                if response.status_code in REFUSED_FORM:
                    response = await http.post(self.settings.token_url, json=fields)
            except httpx.HTTPError as error:
                raise GistLoginError(f"Gist's token endpoint could not be reached ({type(error).__name__}).") from None
        data = _json(response, "token exchange")
        token = data.get("access_token")
        if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable():
            raise GistLoginError("Gist's token exchange answered without a usable access_token.")
        return SecretStr(token)

    async def workspace(self, token: SecretStr, hint: str | None = None) -> Workspace:
        """The token's workspace: from Gist's token introspection, else `hint` (the callback's), else a digest."""
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
        async with self._http() as http:
            for path in INTROSPECTION_PATHS:
                try:
                    response = await http.get(self._api_base + path, headers=headers)
                    data = _json(response, path)
                except (httpx.HTTPError, GistLoginError):
                    continue
                found = data.get("workspace_id")
                if isinstance(found, str | int) and not isinstance(found, bool) and str(found):
                    name = data.get("workspace_name")
                    return Workspace(str(found)[:100], name[:200] if isinstance(name, str) else None)
        if hint:
            return Workspace(hint[:100])
        digest = hashlib.sha256(token.get_secret_value().encode()).hexdigest()[:16]
        return Workspace(f"token-{digest}")


def _json(response: httpx.Response, step: str) -> JSONObject:
    """The JSON object of a successful answer, or a GistLoginError naming the step and status."""
    if response.status_code >= 400:
        raise GistLoginError(f"Gist refused the {step} (HTTP {response.status_code}).")
    if len(response.content) > MAX_ANSWER_BYTES:
        raise GistLoginError(f"Gist's {step} answer is larger than {MAX_ANSWER_BYTES} bytes.")
    try:
        data: JSON = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GistLoginError(f"Gist's {step} answer is not a JSON object.")
    return data
