"""Errors raised by the Gist client, each written for the model that reads it.

```
GistError
├── GistConfigError            settings are missing or invalid (start-up only)
├── GistDeadlineError          the tool call ran out of time, waits included
├── GistConnectionError        Gist could not be reached, after retries
├── GistAPIError               Gist answered with a failure: status, method, path, Gist's message
│   ├── AuthenticationError    401 / 403
│   ├── NotFoundError          404
│   ├── InvalidRequestError    400 / 409 / 422 and other 4xx
│   ├── RateLimitError         429, carries retry_after
│   ├── ServerError            5xx, carries retry_after when Gist said so
│   └── BadResponseError       a 2xx whose body is not the JSON Gist promises, or is too large
└── GistUsageError             the call cannot be done as asked (bad arguments, a stale cursor...)
```

`str()` of each is the text an `isError` tool result shows: the status, Gist's own message and what
the caller can do next. None of them ever holds the API key.
"""

from __future__ import annotations


class GistError(Exception):
    """Base class of every error gist-mcp raises on purpose."""


class GistConfigError(GistError):
    """The server cannot start: a setting is missing or malformed."""


class GistDeadlineError(GistError):
    """The tool call did not finish within its deadline (retries and rate-limit waits included)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The call did not finish within its {seconds:g} s deadline (Gist was slow or rate-limited). "
            "Nothing more was sent; try again, or ask for fewer items."
        )


class GistConnectionError(GistError):
    """Gist could not be reached (DNS, refused or reset connection, timeout) after the allowed retries."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        super().__init__(
            f"Could not reach Gist for {method} {path}: {reason}. "
            "Check GIST_API_BASE_URL and the network, then try again."
        )


class GistAPIError(GistError):
    """Gist answered with a non-2xx status."""

    default_hint = "Check the arguments and try again."

    def __init__(
        self,
        status: int,
        method: str,
        path: str,
        message: str,
        hint: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.gist_message = message
        self.hint = hint or self.default_hint
        self.retry_after = retry_after
        """Seconds Gist asked to wait (Retry-After) before trying again, when it said so."""
        super().__init__(status, method, path, message)

    def __str__(self) -> str:
        return f"Gist API {self.status} on {self.method} {self.path}: {self.gist_message} — {self.hint}"


class AuthenticationError(GistAPIError):
    """401 / 403: the key is wrong, revoked, or lacks access (some features need a paid Gist plan)."""

    default_hint = (
        "Check GIST_API_KEY (Gist: Settings > API & Webhooks > API Key); "
        "a 403 can also mean the workspace's plan does not include this feature."
    )


class NotFoundError(GistAPIError):
    """404: no such object in this workspace."""

    default_hint = "Check the id with the matching list tool."

    def with_hint(self, hint: str) -> NotFoundError:
        """The same 404 with another next step (the tool that finds a valid id)."""
        return NotFoundError(self.status, self.method, self.path, self.gist_message, hint)


class InvalidRequestError(GistAPIError):
    """400 / 422 and other 4xx: Gist rejected the request as given."""


class RateLimitError(GistAPIError):
    """429: Gist's rate limit; `retry_after` is in seconds when Gist said so."""

    def __init__(self, status: int, method: str, path: str, message: str, retry_after: float | None) -> None:
        wait = f"retry after {retry_after:g} s" if retry_after is not None else "wait a few seconds and retry"
        hint = f"Gist is rate-limiting this workspace; {wait}."
        super().__init__(status, method, path, message, hint, retry_after=retry_after)


class ServerError(GistAPIError):
    """5xx: Gist failed; the request may or may not have taken effect."""

    default_hint = (
        "Gist had a server error; try again in a moment (check with a get or list tool before repeating a write)."
    )


class BadResponseError(GistAPIError):
    """Gist answered 2xx with a body that is not usable JSON, or larger than the client accepts."""

    default_hint = "Try again; if it persists, narrow the request (smaller limit) or report it."


class GistUsageError(GistError):
    """The call cannot be done as asked (a user tool given a lead, an empty update, a stale cursor).

    The message says which tool or argument to use instead; nothing was changed in Gist.
    """
