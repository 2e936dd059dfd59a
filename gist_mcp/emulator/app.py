"""`GistEmulator`: the emulated Gist REST API as one Starlette app, with its state, log and knobs.

Every HTTP request goes through the front door first: it is recorded in `GistEmulator.requests`,
delayed by `latency`, then either answered by a queued fault or checked for a Bearer key (401
``authentication_failed``) and against the workspace's rate limit (429 ``rate_limit_exceeded`` with
``Retry-After``) before reaching the routes. Unknown paths are 404 ``not_found``, wrong methods 405
``method_not_allowed``, both in the §4 error envelope. Trailing slashes are not redirected: ``/contacts/``
is an unknown path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gist_mcp._serve import serve_asgi

from .asgi import discard, read_body, replay
from .errors import ApiError, error_response
from .extras import ExtraApi
from .extras_seed import load_extras_demo
from .extras_state import ExtraStore
from .faults import Faults, play
from .inbox import InboxApi
from .inputs import ContactRef, RefField
from .pagination import Paging
from .ratelimit import SlidingWindow
from .recording import RecordedRequest
from .routes import Api
from .seed import load_demo
from .state import Record, Store
from .webhooks import Topic, WebhookSink, build_payload, deliver


class GistEmulator:
    """An in-process Gist REST API (the current, §7 API of gist-api.md) with a demo workspace.

    Serve `app` in memory (``httpx.ASGITransport(app=emu.app)``) or on a socket (`serve`). The
    state (`contacts`, `tags`, `segments`, `campaigns`, `events`) is the store's own, for tests to
    read and arrange; `requests` logs what clients sent; `faults` injects failures; `webhook_sink`
    receives a payload after every successful write (see `webhooks`).

    Args:
        api_keys: the valid Bearer tokens.
        seed: load the demo workspace (see `seed`); False starts empty.
        max_per_page: ``per_page`` is clamped to this (gist-api.md §3 infers 60).
        latency: seconds every request is delayed (benchmarks).
        rate_limit: ``(requests, seconds)`` in a sliding window shared by every key (Gist counts per
            workspace, §5); None turns it off.
        pages: whether list answers carry the ``pages`` links (also settable later as `pages`).
        clock: Unix seconds now; ``time.time`` by default. Drives timestamps and the rate limit.
    """

    def __init__(
        self,
        api_keys: Iterable[str] = ("sandbox-key",),
        seed: bool = True,
        max_per_page: int = 60,
        latency: float = 0.0,
        rate_limit: tuple[int, float] | None = (100, 10.0),
        clock: Callable[[], float] | None = None,
        pages: bool = True,
    ) -> None:
        self.api_keys = frozenset(api_keys)
        self.seed = seed
        self.latency = latency
        self.clock = clock or time.time
        self.store = Store(self.clock)
        self.extras = ExtraStore(self.store)
        """Campaign subscriptions, forms, subscription types and batches, with the batch switches."""
        self.requests: list[RecordedRequest] = []
        self.faults = Faults()
        self.webhook_sink: WebhookSink | None = None
        self._limiter = None if rate_limit is None else SlidingWindow(*rate_limit, clock=self.clock)
        self.paging = Paging(max_per_page, links=pages)
        self.app = Starlette(
            routes=[
                *Api(self.store, self._notify, self.paging).routes(),
                *InboxApi(self.store, self._notify, self.paging).routes(),
                *ExtraApi(self.extras, self._notify, self.paging).routes(),
            ],
            middleware=[Middleware(_FrontDoor, emulator=self)],
            exception_handlers={ApiError: _api_error, HTTPException: _http_error},
        )
        self.app.router.redirect_slashes = False
        self.reset()

    @property
    def pages(self) -> bool:
        """Whether list answers carry ``pages``; False leaves it out, as endpoints where Gist never sent it (§3)."""
        return self.paging.links

    @pages.setter
    def pages(self, value: bool) -> None:
        self.paging.links = value

    @property
    def contacts(self) -> dict[int, Record]:
        """Contacts by id (record fields: see `state`)."""
        return self.store.contacts

    @property
    def tags(self) -> dict[int, Record]:
        """Tags by id."""
        return self.store.tags

    @property
    def segments(self) -> dict[int, Record]:
        """Segments by id, each with its member ids in ``contact_ids``."""
        return self.store.segments

    @property
    def campaigns(self) -> dict[int, Record]:
        """Campaigns by id."""
        return self.store.campaigns

    @property
    def events(self) -> list[Record]:
        """Tracked events, in the order they were recorded."""
        return self.store.events

    def reset(self) -> None:
        """Back to the seeded (or empty) workspace; clears the request log, faults and rate-limit window."""
        self.store.clear()
        self.extras.clear()
        if self.seed:
            load_demo(self.store)
            load_extras_demo(self.extras)
        self.requests.clear()
        self.faults.clear()
        if self._limiter is not None:
            self._limiter.clear()

    def add_contact(self, *, tags: Iterable[str] = (), segment_ids: Iterable[int] = (), **fields: Any) -> Record:
        """Create a contact directly in the state (no request, no webhook) and return its record.

        `fields` are record fields stored as given (e.g. ``email``, ``user_id``, ``created_at``);
        ``type`` follows ``user_id``. `tags` are names (created when missing), `segment_ids` existing
        segments to join (segment membership is otherwise static).
        """
        return self.store.add_contact(tags=tags, segment_ids=segment_ids, **fields)

    def find_contact(
        self, *, id: int | None = None, user_id: str | None = None, email: str | None = None
    ) -> Record | None:
        """The stored contact with this id, user_id or email (give one), or None."""
        candidates: tuple[tuple[RefField, int | str | None], ...] = (("id", id), ("user_id", user_id), ("email", email))
        given = [ContactRef(field, value) for field, value in candidates if value is not None]
        if len(given) != 1:
            raise TypeError("give exactly one of id, user_id, email")
        return self.store.find(given[0])

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> AbstractAsyncContextManager[str]:
        """Serve the emulator on a loopback socket for the duration; yields the base URL (see `serve_asgi`)."""
        return serve_asgi(self.app, host=host, port=port)

    async def _notify(self, topic: Topic, contact: dict[str, Any], **parts: dict[str, Any] | None) -> None:
        """Send one webhook payload to `webhook_sink`, if set."""
        if self.webhook_sink is not None:
            await deliver(self.webhook_sink, build_payload(topic, contact, self.store.now(), **parts))

    def gate(self, headers: dict[str, str]) -> ApiError | None:
        """The authentication and rate-limit verdict on a request; None lets it through."""
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.api_keys:
            return ApiError(
                401, "authentication_failed", "missing or invalid API key; send Authorization: Bearer <key>"
            )
        wait = None if self._limiter is None else self._limiter.acquire()
        if wait is not None:
            return ApiError(
                429,
                "rate_limit_exceeded",
                f"rate limit exceeded; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        return None


class _FrontDoor:
    """ASGI middleware run before routing: record, delay, inject faults, authenticate, rate-limit."""

    def __init__(self, app: ASGIApp, emulator: GistEmulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        recorded = RecordedRequest.from_scope(scope, body)
        self.emulator.requests.append(recorded)
        if self.emulator.latency:
            await anyio.sleep(self.emulator.latency)
        fault = self.emulator.faults.take(recorded.method, recorded.path)
        if fault is None:
            await self._handle(scope, replay(body, receive), send, recorded)
            return
        if fault.commit:
            await self._handle(scope, replay(body, receive), discard, recorded)
        await play(fault, scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, recorded: RecordedRequest) -> None:
        error = self.emulator.gate(recorded.headers)
        if error is not None:
            await error.response()(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 (no route) and 405 (wrong method), in the §4 envelope."""
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 405:
        message = f"{where} is not allowed; allowed methods: {(exc.headers or {}).get('Allow', '')}"
    else:
        message = f"no such endpoint: {where}" if exc.status_code == 404 else exc.detail
    return error_response(exc.status_code, message, headers=exc.headers)
