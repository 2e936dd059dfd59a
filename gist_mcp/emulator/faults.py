"""Injected failures for fault-injection tests: a queue of `Fault` rules consulted on every request.

Faults act in front of everything else but the request log and the latency (authentication, rate
limit and routes never see a faulted request), the way a failing proxy or network would; with
``commit=True`` the request is first carried out normally and only its answer is replaced, which
simulates "the write happened but the answer was lost". What a client sees, per kind:

* ``status``: that HTTP status with the §4 error envelope (code from the status, e.g.
  ``server_error`` for 5xx, ``rate_limit_exceeded`` for 429), plus ``Retry-After`` when given.
* ``hang``: no answer until the client goes away (or `HANG_SECONDS`). ``httpx.ASGITransport``
  applies no timeouts, so an in-memory caller waits until its own cancel scope
  (``anyio.fail_after``) fires; over a socket the client's read timeout fires.
* ``reset``: the connection is dropped without a response. Under uvicorn the socket is aborted and
  httpx raises ``RemoteProtocolError`` ("Server disconnected without sending a response."); in memory
  the app raises that same ``httpx.RemoteProtocolError``, which ``ASGITransport`` (with its default
  ``raise_app_exceptions=True``) passes to the caller, so retry code sees the same exception type
  (with ``raise_app_exceptions=False`` the caller gets Starlette's plain-text 500 instead).
* ``malformed``: 200 with ``Content-Type: application/json`` and an HTML body.
* ``truncated``: 200 with a JSON body cut in the middle (Content-Length matches the cut body).
* ``huge``: 200 with a valid JSON list body of about `HUGE_BYTES`, streamed in 64 KiB chunks
  (chunked encoding, no Content-Length).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, get_args

import anyio
import httpx
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from .asgi import wait_for_disconnect
from .errors import error_response

FaultKind = Literal["status", "hang", "reset", "malformed", "truncated", "huge"]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)

HANG_SECONDS = 600.0
"""How long a ``hang`` lasts at most: far past any client timeout (hosts cancel tool calls at ~60 s)."""

HUGE_BYTES = 20 * 1024 * 1024
MALFORMED_BODY = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
TRUNCATED_BODY = json.dumps(
    {"contact": {"id": 179301, "type": "user", "email": "maya.patel@example.com", "user_id": "u_1001", "tags": []}}
).encode()[:48]


@dataclass
class Fault:
    """One rule: do `kind` to the next `times` requests (None = until cleared) matching `method` and `path_prefix`."""

    kind: FaultKind
    times: int | None = 1
    path_prefix: str | None = None
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    commit: bool = False
    after: int = 0
    """Matching requests let through untouched before the fault starts (e.g. fail only the third POST)."""

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        return (self.method is None or self.method.upper() == method) and path.startswith(self.path_prefix or "")


class Faults:
    """The fault queue of one emulator: the first matching rule wins and is used up after `times` requests."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []

    def add(
        self,
        kind: FaultKind,
        *,
        times: int | None = 1,
        path_prefix: str | None = None,
        method: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        commit: bool = False,
        after: int = 0,
    ) -> Fault:
        """Queue a fault (see the module docstring for the kinds).

        Args:
            kind: what goes wrong.
            times: how many matching requests it affects; None for every one until `clear`.
            path_prefix: only requests whose path starts with this, e.g. ``"/contacts"``.
            method: only requests with this method, e.g. ``"POST"``.
            status: the HTTP status of a ``status`` fault (required for that kind, refused for others).
            retry_after: a ``Retry-After`` header (seconds) for a ``status`` fault.
            commit: carry the request out first, then replace its answer with the fault.
            after: let this many matching requests through first.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if (kind == "status") != (status is not None) or (retry_after is not None and kind != "status"):
            raise ValueError("status (and retry_after) go with kind='status' only, and that kind needs a status")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None")
        if after < 0:
            raise ValueError("after must be 0 or more")
        fault = Fault(kind, times, path_prefix, method, status, retry_after, commit, after)
        self._rules.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every queued fault."""
        self._rules.clear()

    @property
    def pending(self) -> list[Fault]:
        """The faults still queued, in order."""
        return list(self._rules)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any, counting one use of it."""
        for fault in self._rules:
            if fault.matches(method, path):
                if fault.after:
                    fault.after -= 1
                    return None
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._rules.remove(fault)
                return fault
        return None


async def play(fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer (or fail to answer) a request as `fault` says; `receive` must be the server's own."""
    if fault.kind == "reset":
        await _drop_connection(receive)
        return
    if fault.kind == "hang":
        with anyio.move_on_after(HANG_SECONDS):
            await wait_for_disconnect(receive)
        response: Response = error_response(504, "the emulator hung on purpose (hang fault)")
    elif fault.kind == "status":
        status = fault.status or 500
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        response = error_response(status, f"emulated HTTP {status} (status fault)", headers=headers)
    elif fault.kind == "malformed":
        response = Response(MALFORMED_BODY, media_type="application/json")
    elif fault.kind == "truncated":
        response = Response(TRUNCATED_BODY, media_type="application/json")
    else:
        response = StreamingResponse(_huge_body(), media_type="application/json")
    await response(scope, receive, send)


async def _drop_connection(receive: Receive) -> None:
    """Close the connection without answering (see the module docstring for what clients see)."""
    # uvicorn's `receive` is a bound method of its request cycle, which holds the socket transport.
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    abort = getattr(transport, "abort", None)
    if not callable(abort):
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    abort()
    # Returning only once uvicorn has seen the disconnect stops it from sending a 500 instead.
    await wait_for_disconnect(receive)


async def _huge_body() -> AsyncIterator[bytes]:
    """About `HUGE_BYTES` of valid JSON, ``{"contacts": [...]}``, one 64 KiB chunk at a time."""
    item = json.dumps({"id": 1, "type": "lead", "name": "x" * 1000, "email": "huge@example.org"}).encode()
    chunk = b",".join([item] * (65536 // (len(item) + 1)))
    yield b'{"contacts": [' + chunk
    for _ in range(HUGE_BYTES // len(chunk) - 1):
        yield b"," + chunk
    yield b'], "pages": {}}'
