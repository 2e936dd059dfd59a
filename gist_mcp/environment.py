"""The one reader of gist-mcp's environment: every `GIST_*` variable is read and checked through it.

It depends on nothing else of gist-mcp but its errors, so every module that reads settings (the
server settings, the webhook settings, the command line) can use it without import cycles. Every
value that starts with `${user_config.` counts as unset: an MCP Bundle host passes that literal for
an optional field the user left empty.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping

from pydantic import SecretStr

from gist_mcp.errors import GistConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Environment:
    """The one reader of gist-mcp's environment: every `GIST_*` variable is read and checked here.

    `Settings`, the webhook settings and the command line all read through it, so a value means the
    same everywhere and a bad one is a GistConfigError naming the variable (the CLI exits 2).
    Values are stripped; unset, empty and unfilled bundle placeholders (`${user_config.…}`) are None.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def text(self, name: str) -> str | None:
        """The value of `name`, or None; control characters (a pasted line break) are refused."""
        value = self._environ.get(name, "").strip()
        if not value or value.startswith("${user_config."):
            return None
        if _CONTROL.search(value):
            raise GistConfigError(f"{name} must not contain control characters such as line breaks.")
        return value

    def secret(self, name: str) -> SecretStr | None:
        """A key or token: printable ASCII only (it goes into an HTTP header), and never shown in an error."""
        value = self.text(name)
        if value is not None and not (value.isascii() and value.isprintable()):
            raise GistConfigError(f"{name} must be printable ASCII (check it was pasted whole and nothing else).")
        return SecretStr(value) if value is not None else None

    def flag(self, name: str, default: bool = False) -> bool:
        """1/true/yes/on or 0/false/no/off."""
        return parse_bool(name, self.text(name), default)

    def seconds(self, name: str, default: float) -> float:
        """A positive, finite number of seconds (`nan` and `inf` are refused)."""
        value = self.text(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number > 0):
            raise GistConfigError(f"{name} must be a positive number of seconds, not {value!r}.")
        return number

    def count(self, name: str, default: int) -> int:
        """A whole number of 1 or more."""
        value = self.text(name)
        if value is None:
            return default
        if not value.isdigit() or int(value) < 1:
            raise GistConfigError(f"{name} must be a whole number of 1 or more, not {value!r}.")
        return int(value)

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        """One of `allowed` (case-insensitive), or `default` when unset."""
        value = self.text(name)
        if value is None:
            return default
        if value.lower() not in allowed:
            raise GistConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")
        return value.lower()

    def rate_limit(self, name: str) -> tuple[int, float]:
        """`requests/seconds`, e.g. 100/10."""
        value = self.text(name)
        if value is None:
            return (100, 10.0)
        match = re.fullmatch(r"(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?", value)
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise GistConfigError(f"{name} must look like 100/10 (requests per seconds), not {value!r}.")
        return (int(match.group(1)), float(match.group(2)))


def service_url(env: Environment, name: str, schemes: tuple[str, ...]) -> str | None:
    """A PostgreSQL or Redis URL whose scheme is one of `schemes`, or None. The value is never shown in
    an error: it may carry a password."""
    value = env.text(name)
    if value is not None and not re.match(rf"(?:{'|'.join(map(re.escape, schemes))})://[^/\s]", value):
        raise GistConfigError(f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}.")
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
