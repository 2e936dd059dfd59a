"""The hosted-mode settings, read through `environment.Environment` like every other setting.

A missing or malformed variable is a GistConfigError naming it (the command exits 2); secret values
are never part of a message. In the sandbox the Gist OAuth app is the emulator's, so its client id and
secret are optional and the public URL defaults to the address the server is bound to; the secret key
stays required there too, because tokens are still stored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, MultiFernet
from pydantic import SecretStr

from gist_mcp.environment import Environment
from gist_mcp.errors import GistConfigError

DEFAULT_AUTHORIZE_URL = "https://app.getgist.com/oauth/authorize"
DEFAULT_TOKEN_URL = "https://api.getgist.com/oauth/token"
SANDBOX_CLIENT_ID = "sandbox-oauth-client"
SANDBOX_CLIENT_SECRET = "sandbox-oauth-secret"
CALLBACK_PATH = "/oauth/gist/callback"
"""Where Gist sends the browser back after consent (public URL + this is the app's redirect URL)."""


_LOOPBACK = ("localhost", "127.0.0.1", "::1")
"""Hosts on which an http:// public URL is accepted (OAuth requires https elsewhere)."""
_URL = re.compile(r"https?://[^/\s?#]+(/[^\s?#]*)?")


@dataclass(frozen=True, kw_only=True)
class HostedSettings:
    """What hosted mode needs; `repr()` leaves out the client secret and the keys."""

    public_url: str
    """The server's own address as users' browsers and MCP clients reach it, without a trailing slash."""
    client_id: str
    client_secret: SecretStr = field(repr=False)
    authorize_url: str
    token_url: str
    keys: MultiFernet = field(repr=False)
    """GIST_MCP_SECRET_KEY: encrypts the stored Gist tokens (the first key encrypts, all decrypt)."""
    signing_keys: tuple[bytes, ...] = field(repr=False)
    """Derived from GIST_MCP_SECRET_KEY (same order): sign the per-workspace webhook URLs."""

    @property
    def callback_url(self) -> str:
        """The redirect URL to register with the Gist OAuth app."""
        return self.public_url + CALLBACK_PATH

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, sandbox: bool = False, bound_url: str | None = None
    ) -> HostedSettings:
        """Read the hosted-mode variables; `bound_url` is the public URL's default in the sandbox."""
        env = Environment(environ)
        public_url = _url(env, "GIST_MCP_PUBLIC_URL", bound_url if sandbox else None)
        if not public_url.startswith("https://") and urlsplit(public_url).hostname not in _LOOPBACK:
            raise GistConfigError("GIST_MCP_PUBLIC_URL must be https:// (put a TLS reverse proxy in front; README).")
        client_id = env.secret("GIST_OAUTH_CLIENT_ID")
        client_secret = env.secret("GIST_OAUTH_CLIENT_SECRET")
        if sandbox:
            client_id = client_id or SecretStr(SANDBOX_CLIENT_ID)
            client_secret = client_secret or SecretStr(SANDBOX_CLIENT_SECRET)
        if client_id is None:
            raise GistConfigError("GIST_OAUTH_CLIENT_ID is not set: copy it from your Gist OAuth app (README).")
        if client_secret is None:
            raise GistConfigError("GIST_OAUTH_CLIENT_SECRET is not set: copy it from your Gist OAuth app (README).")
        return cls(
            public_url=public_url,
            client_id=client_id.get_secret_value(),
            client_secret=client_secret,
            authorize_url=_url(env, "GIST_OAUTH_AUTHORIZE_URL", DEFAULT_AUTHORIZE_URL),
            token_url=_url(env, "GIST_OAUTH_TOKEN_URL", DEFAULT_TOKEN_URL),
            **secret_keys(env.secret("GIST_MCP_SECRET_KEY")),
        )


def _url(env: Environment, name: str, default: str | None) -> str:
    value = env.text(name) or default
    if value is None:
        raise GistConfigError(
            f"{name} is not set: the server's public https:// address (README: Run it for your team)."
        )
    if not _URL.fullmatch(value):
        raise GistConfigError(f"{name} must be an http(s) URL without query or fragment, not {value!r}.")
    return value.rstrip("/")


def secret_keys(value: SecretStr | None) -> dict[str, Any]:
    """GIST_MCP_SECRET_KEY as Fernet keys (comma-separated, the first encrypts, every one decrypts) and
    the signing keys derived from them (`keys` and `signing_keys` of `HostedSettings`)."""
    if value is None:
        raise GistConfigError(
            "GIST_MCP_SECRET_KEY is not set: generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    keys: list[Fernet] = []
    signing: list[bytes] = []
    for position, part in enumerate(value.get_secret_value().split(","), start=1):
        try:
            keys.append(Fernet(part.strip()))
            signing.append(hashlib.sha256(b"gist-mcp webhook urls\0" + part.strip().encode()).digest())
        except ValueError:
            raise GistConfigError(
                f"GIST_MCP_SECRET_KEY key {position} is not a Fernet key (32 bytes as URL-safe base64, "
                "what Fernet.generate_key() prints)."
            ) from None
    return {"keys": MultiFernet(keys), "signing_keys": tuple(signing)}
