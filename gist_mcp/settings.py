"""Server settings, read once from the environment (and overridden by command-line flags).

Every variable is read through `environment.Environment`, the one reader the webhook settings use too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from gist_mcp.catalog import DEFAULT_TOOLSETS, choose_toolsets
from gist_mcp.environment import Environment, service_url
from gist_mcp.errors import GistConfigError

DEFAULT_BASE_URL = "https://api.getgist.com"
CONFIRM_CHOICES = ("ask", "never")
"""GIST_CONFIRM: `ask` the user before destructive calls (when the client supports elicitation), or `never`."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What one server process needs to talk to Gist. The key is a SecretStr: its repr is masked."""

    api_key: SecretStr | None = None
    base_url: str = DEFAULT_BASE_URL
    sandbox: bool = False
    deadline: float = 45.0
    """Seconds a tool call may take in all, retries and rate-limit waits included (hosts cancel at ~60 s)."""
    http_timeout: float = 30.0
    rate_limit: tuple[int, float] = (100, 10.0)
    max_retries: int = 2
    toolsets: frozenset[str] = DEFAULT_TOOLSETS
    read_only: bool = False
    dynamic_toolsets: bool = False
    """Start with `toolsets` plus list_toolsets/enable_toolset, which switch more on at runtime."""
    auth_token: SecretStr | None = None
    """GIST_MCP_AUTH_TOKEN: the Bearer token HTTP clients must send (required on a public bind)."""
    confirm: bool = True
    """GIST_CONFIRM=ask (default) or never: ask the user before destructive calls when the client can elicit."""
    gist_oauth: bool = False
    """GIST_MCP_AUTH=gist-oauth (or --auth gist-oauth): hosted mode, each user logs in to their own workspace."""
    redis_url: SecretStr | None = None
    """GIST_MCP_REDIS_URL (`redis://…`, may carry a password): the rate limit, notifications and the
    HTTP event store are shared by every replica through it (needs `gist-mcp[scale]`)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read `GIST_*` variables; raises GistConfigError naming the variable that is malformed."""
        env = Environment(environ)
        base_url = env.text("GIST_API_BASE_URL") or DEFAULT_BASE_URL
        if not re.match(r"https?://[^/\s]+", base_url):
            raise GistConfigError(f"GIST_API_BASE_URL must be an http(s) URL, not {base_url!r}.")
        return cls(
            api_key=env.secret("GIST_API_KEY"),
            base_url=base_url.rstrip("/"),
            deadline=env.seconds("GIST_TOOL_TIMEOUT", 45.0),
            rate_limit=env.rate_limit("GIST_RATE_LIMIT"),
            toolsets=choose_toolsets(env.text("GIST_TOOLSETS")),
            read_only=env.flag("GIST_READ_ONLY"),
            dynamic_toolsets=env.flag("GIST_DYNAMIC_TOOLSETS"),
            auth_token=env.secret("GIST_MCP_AUTH_TOKEN"),
            confirm=env.choice("GIST_CONFIRM", CONFIRM_CHOICES, "ask") == "ask",
            gist_oauth=_auth_mode(env.text("GIST_MCP_AUTH")),
            redis_url=_secret(service_url(env, "GIST_MCP_REDIS_URL", ("redis", "rediss", "unix"))),
        )

    def redis(self) -> str | None:
        """The Redis URL, or None (everything is counted in this process)."""
        return self.redis_url.get_secret_value() if self.redis_url else None

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (command-line flags win over the environment)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


AUTH_MODES = ("gist-oauth",)
"""What GIST_MCP_AUTH / --auth accept: `gist-oauth` is hosted mode (README: Run it for your team)."""


def _auth_mode(value: str | None) -> bool:
    """Whether GIST_MCP_AUTH asks for hosted mode; any other value is refused, naming the variable."""
    if value is not None and value not in AUTH_MODES:
        raise GistConfigError(f"GIST_MCP_AUTH must be one of {', '.join(AUTH_MODES)}, not {value!r}.")
    return value is not None


def _secret(value: str | None) -> SecretStr | None:
    return None if value is None else SecretStr(value)
