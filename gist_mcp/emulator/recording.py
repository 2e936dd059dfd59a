"""The request log: one `RecordedRequest` per request that reached the emulator, faulted ones included."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Scope


@dataclass(frozen=True)
class RecordedRequest:
    """What a client sent, as tests want to check it.

    `query` has the last value per key, `query_items` every pair in order; `json` is the parsed body
    (None when empty or not JSON); `headers` have lower-case names. `headers` and `body` stay out of
    the repr so a failing assertion never prints the Authorization header.
    """

    method: str
    path: str
    query: dict[str, str]
    query_items: list[tuple[str, str]]
    json: Any
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    @classmethod
    def from_scope(cls, scope: Scope, body: bytes) -> RecordedRequest:
        """Build the record of an HTTP request from its ASGI scope and body."""
        items = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        return cls(
            method=scope["method"],
            path=scope["path"],
            query=dict(items),
            query_items=items,
            json=parsed,
            headers={name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]},
            body=body,
        )
