"""Server settings, read once from the environment (and overridden by command-line flags).

Every environment value that starts with `${user_config.` counts as unset: an MCP Bundle host passes
that literal for an optional field the user left empty.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from gist_mcp.errors import GistConfigError

DEFAULT_BASE_URL = "https://api.getgist.com"
TOOLSETS = (
    "users", "leads", "tags", "segments", "campaigns", "events", "forms", "subscriptions", "bulk", "webhooks", "raw"
)  # fmt: skip
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_value(environ: Mapping[str, str], name: str) -> str | None:
    """The stripped value of `name`, or None when unset, empty or an unfilled bundle placeholder."""
    value = environ.get(name, "").strip()
    if not value or value.startswith("${user_config."):
        return None
    return value


def parse_bool(name: str, value: str | None, default: bool = False) -> bool:
    """Read 1/true/yes/on and 0/false/no/off; anything else is a configuration error naming the variable."""
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise GistConfigError(f"{name} must be true or false (1/0, yes/no), not {value!r}.")


def parse_toolsets(value: str | None) -> frozenset[str]:
    """Comma-separated toolset names; `all`, empty or unset means every toolset."""
    names = {part.strip().lower() for part in (value or "").split(",") if part.strip()}
    if not names or "all" in names:
        return frozenset(TOOLSETS)
    unknown = sorted(names - set(TOOLSETS))
    if unknown:
        raise GistConfigError(f"Unknown toolset(s): {', '.join(unknown)}. Valid toolsets: all, {', '.join(TOOLSETS)}.")
    return frozenset(names)


def _positive_float(name: str, value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number <= 0:
        raise GistConfigError(f"{name} must be a positive number of seconds, not {value!r}.")
    return number


def _rate_limit(value: str | None) -> tuple[int, float]:
    if value is None:
        return (100, 10.0)
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*", value)
    if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise GistConfigError(f"GIST_RATE_LIMIT must look like 100/10 (requests per seconds), not {value!r}.")
    return (int(match.group(1)), float(match.group(2)))


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
    toolsets: frozenset[str] = field(default_factory=lambda: frozenset(TOOLSETS))
    read_only: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read `GIST_*` variables; raises GistConfigError naming the variable that is malformed."""
        env = os.environ if environ is None else environ
        key = env_value(env, "GIST_API_KEY")
        base_url = env_value(env, "GIST_API_BASE_URL") or DEFAULT_BASE_URL
        if not re.match(r"https?://[^/\s]+", base_url):
            raise GistConfigError(f"GIST_API_BASE_URL must be an http(s) URL, not {base_url!r}.")
        return cls(
            api_key=SecretStr(key) if key else None,
            base_url=base_url.rstrip("/"),
            deadline=_positive_float("GIST_TOOL_TIMEOUT", env_value(env, "GIST_TOOL_TIMEOUT"), 45.0),
            rate_limit=_rate_limit(env_value(env, "GIST_RATE_LIMIT")),
            toolsets=parse_toolsets(env_value(env, "GIST_TOOLSETS")),
            read_only=parse_bool("GIST_READ_ONLY", env_value(env, "GIST_READ_ONLY")),
        )

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (command-line flags win over the environment)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
