"""Keeping the API key out of everything gist-mcp says: results, errors and log lines.

The key never goes into a message on purpose, but Gist (or anything at the base URL) may echo it
back: in a 401 body, a plain-text error, even a 2xx answer. `redact` is the one function that
removes it; the Gist client applies it to every answer and error it builds, and `RedactingFilter`
applies it to log records (the SDK's and uvicorn's included) on the handlers it is installed on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[redacted]"


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` (so also `Bearer <secret>`) replaced by REDACTED."""
    if not secret or secret not in text:
        return text
    return text.replace(secret, REDACTED)


class RedactingFilter(logging.Filter):
    """A handler filter that redacts `secret` from a record's message and its formatted traceback."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def __repr__(self) -> str:
        return "RedactingFilter()"

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._secret in message:
            record.msg, record.args = redact(message, self._secret), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secret)
        return True


def redact_logs(secret: str | None, handlers: Iterable[logging.Handler] | None = None) -> None:
    """Install a RedactingFilter for `secret` on `handlers` (default: the root logger's handlers).

    Filters on handlers see every record that reaches them, whichever logger it came from.
    """
    if not secret:
        return
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        handler.addFilter(RedactingFilter(secret))
