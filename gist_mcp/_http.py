"""The one authenticated HTTP client a server process uses to talk to Gist.

Auth, timeouts, the shared rate limiter, retries, the per-call deadline, response size limits and
the mapping of failures onto `gist_mcp.errors` all live here, once, for every tool.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx

from gist_mcp import __version__
from gist_mcp._ratelimit import RateLimiter
from gist_mcp.errors import (
    AuthenticationError,
    BadResponseError,
    GistAPIError,
    GistConnectionError,
    GistDeadlineError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from gist_mcp.settings import Settings

logger = logging.getLogger("gist_mcp.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
PROTECTED_HEADERS = frozenset({"authorization", "host", "content-length", "proxy-authorization", "transfer-encoding"})
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Gist pages are small; anything near this size is a fault, and is cut rather than held in memory."""
MAX_RETRY_AFTER = 30.0

_deadline: ContextVar[float | None] = ContextVar("gist_deadline", default=None)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class GistResponse:
    """A successful answer: the status and the parsed JSON body (None when empty)."""

    status: int
    data: Any
    already_gone: bool = False
    """A retried DELETE met a 404: the first attempt most likely deleted it."""


def page_number(url: object) -> int | None:
    """The `page` query parameter of a `pages.next` / `pages.last` URL; only this is taken from it."""
    if not isinstance(url, str):
        return None
    values = parse_qs(urlsplit(url).query).get("page")
    if not values or not values[0].isdigit():
        return None
    return int(values[0])


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    parsed = email.utils.parsedate_to_datetime(value) if value else None
    if parsed is None:
        return None
    return max(0.0, parsed.timestamp() - time.time())


def gist_message(data: Any, fallback: str) -> str:
    """Gist's own error text: `errors[0].message`, a flat `message`, or a short excerpt of the body."""
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first: dict[str, Any] = errors[0]
            message = first.get("message") or first.get("code")
            if message:
                return str(message)
        for key in ("message", "error", "code"):
            if isinstance(data.get(key), str) and data[key]:
                return data[key]
    return fallback


def error_for(status: int, method: str, path: str, message: str, retry_after: float | None = None) -> GistAPIError:
    """The GistAPIError subclass for an HTTP failure status."""
    if status == 429:
        return RateLimitError(status, method, path, message, retry_after)
    if status in (401, 403):
        return AuthenticationError(status, method, path, message)
    if status == 404:
        return NotFoundError(status, method, path, message)
    if status >= 500:
        error: GistAPIError = ServerError(status, method, path, message)
        error.retry_after = retry_after
        return error
    return InvalidRequestError(status, method, path, message)


@contextlib.contextmanager
def deadline_scope(seconds: float) -> Iterator[float]:
    """Give every request made inside (child tasks included) a shared absolute deadline."""
    deadline = time.monotonic() + seconds
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def remaining() -> float:
    """Seconds left before the current call's deadline (infinite outside a deadline scope)."""
    deadline = _deadline.get()
    return math.inf if deadline is None else deadline - time.monotonic()


class GistClient:
    """Sends requests to the configured Gist API host, and only there.

    One instance per server process; the underlying `httpx.AsyncClient` opens on first use so that
    start-up stays fast, and closes with `aclose()` (the server's lifespan). `transport` lets tests
    and the sandbox plug in the emulator; `sleep` lets tests skip real waits.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.settings = settings
        self.limiter = RateLimiter(*settings.rate_limit)
        self._transport = transport
        self._sleep = sleep
        self._max_response_bytes = max_response_bytes
        self._http: httpx.AsyncClient | None = None
        base = httpx.URL(settings.base_url + "/")
        self._origin = (base.scheme, base.host, base.port)

    def __repr__(self) -> str:
        return f"GistClient(base_url={self.settings.base_url!r})"

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
            self._http = httpx.AsyncClient(
                base_url=self.settings.base_url + "/",
                headers={
                    "Authorization": f"Bearer {key}",
                    "Accept": "application/json",
                    "User-Agent": f"gist-mcp/{__version__}",
                },
                # Gist answers in well under a second; 30 s per attempt leaves room for a retry
                # inside the 45 s call deadline, and connect failures surface fast.
                timeout=httpx.Timeout(self.settings.http_timeout, connect=5.0),
                follow_redirects=False,
                transport=self._transport,
            )
        return self._http

    async def pause(self, seconds: float) -> None:
        """Wait between polls with this client's sleep (injectable, so tests that poll never really wait)."""
        await self._sleep(seconds)

    async def aclose(self) -> None:
        """Close the connection pool (safe to call when it never opened)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _build(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any, headers: Mapping[str, str] | None
    ) -> httpx.Request:
        extra = {k: v for k, v in (headers or {}).items() if k.lower() not in PROTECTED_HEADERS}
        request = self._client().build_request(
            method,
            path.lstrip("/"),
            params={k: v for k, v in (params or {}).items() if v is not None},
            json=body,
            headers=extra,
        )
        if (request.url.scheme, request.url.host, request.url.port) != self._origin:
            # Defence in depth: tool input validation already refuses such paths.
            raise InvalidRequestError(
                400,
                method,
                path,
                "the path leaves the configured Gist API host",
                "Use a path relative to the API base URL, e.g. contacts.",
            )
        return request

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> GistResponse:
        """Send one logical request (with bounded retries) and return the parsed answer.

        Raises:
            GistAPIError: Gist answered with a failure status (or an unusable body).
            GistConnectionError: Gist could not be reached.
            GistDeadlineError: the call's deadline would pass before an answer.
        """
        method = method.upper()
        request = self._build(method, path, params, json_body, headers)
        shown_path = self._shown_path(request.url)
        idempotent = method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = await self._attempt(request, shown_path)
            except httpx.TransportError as exc:
                not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
                reason = type(exc).__name__
                if isinstance(exc, httpx.TimeoutException) and remaining() <= 0:
                    raise GistDeadlineError(self.settings.deadline) from exc
                if attempt < self.settings.max_retries and (idempotent or not_sent):
                    await self._backoff(attempt, None, method, shown_path, f"transport error {reason}")
                    attempt += 1
                    continue
                raise GistConnectionError(method, shown_path, _transport_reason(exc)) from exc
            if isinstance(response, GistResponse):
                logger.debug(
                    "%s %s -> %s in %.0f ms", method, shown_path, response.status, (time.monotonic() - started) * 1000
                )
                return response
            error = response
            if method == "DELETE" and error.status == 404 and attempt > 0:
                return GistResponse(error.status, None, already_gone=True)
            if (
                attempt < self.settings.max_retries
                and error.status in RETRYABLE_STATUSES
                and (idempotent or error.status == 429)
            ):
                await self._backoff(attempt, error, method, shown_path, f"status {error.status}")
                attempt += 1
                continue
            raise error

    async def _attempt(self, request: httpx.Request, shown_path: str) -> GistResponse | GistAPIError:
        """One send, inside a rate-limit slot that is held until the answer (or failure) is in."""
        left = remaining()
        if left <= 0 or not await self.limiter.acquire(deadline=time.monotonic() + left):
            raise GistDeadlineError(self.settings.deadline)
        try:
            return await self._send(request, min(self.settings.http_timeout, remaining()), shown_path)
        finally:
            self.limiter.release()

    async def _backoff(self, attempt: int, error: GistAPIError | None, method: str, path: str, why: str) -> None:
        """Sleep before the next attempt, or raise now if the wait would pass the deadline."""
        retry_after = error.retry_after if error else None
        if retry_after is not None:
            wait = min(retry_after, MAX_RETRY_AFTER)
        else:
            wait = min(0.5 * 2**attempt, 8.0) * (0.5 + random.random() / 2)
        if wait >= remaining():
            if error is not None:
                raise error
            raise GistDeadlineError(self.settings.deadline)
        logger.info("Retrying %s %s in %.1f s after %s", method, path, wait, why)
        await self._sleep(wait)

    async def _send(self, request: httpx.Request, seconds: float, path: str) -> GistResponse | GistAPIError:
        """Send once: a GistResponse for 2xx, else the GistAPIError it maps to (raised or retried by the caller)."""
        request.extensions["timeout"] = httpx.Timeout(seconds, connect=min(5.0, seconds)).as_dict()
        response = await self._client().send(request, stream=True)
        try:
            body = await self._read_capped(response)
        finally:
            await response.aclose()
        method = request.method
        status = response.status_code
        if body is None:
            size = self._max_response_bytes // (1024 * 1024)
            return BadResponseError(status, method, path, f"the response is larger than {size} MiB and was cut off")
        data = _parse_json(body)
        if status < 300:
            if data is _INVALID:
                return BadResponseError(status, method, path, "the response body is not valid JSON")
            return GistResponse(status, data)
        snippet = body[:200].decode("utf-8", "replace").strip().replace("\n", " ")
        message = gist_message(None if data is _INVALID else data, snippet or response.reason_phrase or "no message")
        return error_for(status, method, path, message, _retry_after(response))

    def _shown_path(self, url: httpx.URL) -> str:
        """The request path relative to the API base URL, as error messages show it (no query, no host)."""
        base_path = urlsplit(self.settings.base_url).path.rstrip("/")
        path = url.path
        if base_path and path.startswith(base_path):
            path = path[len(base_path) :]
        return "/" + path.lstrip("/")

    async def _read_capped(self, response: httpx.Response) -> bytes | None:
        """Read the body, or return None as soon as it exceeds the size limit."""
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_response_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_response_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)


_INVALID = object()


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return _INVALID


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "the request timed out"
    if isinstance(exc, httpx.ConnectError):
        return "the connection failed"
    return "the connection broke before an answer arrived"
