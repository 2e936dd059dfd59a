"""The one authenticated HTTP client a server process uses to talk to Gist.

Auth, timeouts, the shared rate limiter, retries, the per-call deadline, response size limits and
the mapping of failures onto `gist_mcp.errors` all live here, once, for every tool.

Time is the event loop's clock (`anyio.current_time`), the same one `anyio.fail_after`, `move_on_after`
and `sleep` use: deadlines, rate-limit waits and backoff share one source of time, so a test running
on a virtual-time event loop (tests/virtual_time.py) runs all of them without really waiting.

It is also the boundary where text from Gist enters: every answer is cleaned once here (see
`clean_json`) so that nothing Gist sends can make an MCP answer unencodable or leak the key.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import anyio

from gist_mcp import __version__, _probes
from gist_mcp._json import JSON, JSONArray, JSONObject
from gist_mcp._ratelimit import Limiter, RateLimiter
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
from gist_mcp.redact import redact

if TYPE_CHECKING:
    # httpx is imported where a request is first built (`_client`), not at start: a server that has not
    # called Gist yet has not paid for it (~10 ms of cold start, pygments included).
    import httpx

    from gist_mcp.settings import Settings

logger = logging.getLogger("gist_mcp.http")
# httpx logs every request URL at INFO, query values (a contact's email) included, and httpcore logs
# the request at DEBUG; our own DEBUG line shows the path without the query.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CALLER_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "content-type",
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "x-request-id",
    }
)
"""The only headers a caller (`api_request`) may add: content negotiation, conditional requests and a
request id. Everything else (auth, framing, cookies, hop-by-hop and proxy headers, method overrides
such as X-HTTP-Method-Override) is refused by the tool and dropped here."""
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Gist pages are small; anything near this size is a fault, and is cut rather than held in memory."""
MAX_RETRY_AFTER = 30.0
MAX_JSON_DEPTH = 64
"""Gist's answers nest a few levels; deeper is a fault (and ~1000 levels would break the JSON encoders)."""
MAX_NUMBER_DIGITS = 100
"""Longer integers are refused (Python refuses above 4300 digits; no Gist field is near 100)."""
MAX_MESSAGE_CHARS = 500
"""Gist's error messages are one sentence; longer ones are cut so an error stays readable (and small)."""

_deadline: ContextVar[float | None] = ContextVar("gist_deadline", default=None)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class GistResponse:
    """A successful answer: the status and the parsed JSON body (None when empty)."""

    status: int
    data: JSON


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
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError, OverflowError):  # not a date: as if Gist had said nothing
        return None
    return max(0.0, parsed.timestamp() - time.time())


def gist_message(data: JSON, fallback: str) -> str:
    """Gist's own error text: `errors[0].message`, a flat `message`, or a short excerpt of the body."""
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            message = first.get("message") or first.get("code")
            if message:
                return str(message)
        for key in ("message", "error", "code"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
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
        return ServerError(status, method, path, message, retry_after=retry_after)
    return InvalidRequestError(status, method, path, message)


@contextlib.contextmanager
def deadline_scope(seconds: float) -> Generator[float, None, None]:
    """Give every request made inside (child tasks included) a shared absolute deadline."""
    deadline = anyio.current_time() + seconds
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def current_deadline() -> float:
    """The current call's deadline on the event loop's clock (infinite outside a deadline scope)."""
    deadline = _deadline.get()
    return math.inf if deadline is None else deadline


def remaining() -> float:
    """Seconds left before the current call's deadline (infinite outside a deadline scope)."""
    return current_deadline() - anyio.current_time()


def _limiter(settings: Settings) -> Limiter:
    """Counted across replicas in Redis with GIST_MCP_REDIS_URL, else in this process."""
    url = settings.redis()
    if url is None:
        return RateLimiter(*settings.rate_limit)
    from gist_mcp.scale.ratelimit import RedisRateLimiter  # only with the scale extra installed

    key = settings.api_key.get_secret_value() if settings.api_key else ""
    return RedisRateLimiter(url, key, *settings.rate_limit, lease=settings.deadline)


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
        self.limiter = _limiter(settings)
        self._transport = transport
        self._sleep = sleep
        self._max_response_bytes = max_response_bytes
        self._http: httpx.AsyncClient | None = None
        self._origin: tuple[str, str, int | None] = ("", "", None)
        """The base URL's scheme, host and port, set with the client: requests may go nowhere else."""
        self._secret = settings.api_key.get_secret_value() if settings.api_key else None
        self._base_url = settings.base_url.rstrip("/") + "/"
        """Every request's URL is this plus a path relative to it."""
        self._base_path = urlsplit(settings.base_url).path.rstrip("/")
        """The base URL's path, which error messages leave out of a request's path."""

    def __repr__(self) -> str:
        return f"GistClient(base_url={self.settings.base_url!r})"

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            import httpx

            key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
            base = httpx.URL(self._base_url)
            self._origin = (base.scheme, base.host, base.port)
            self._http = httpx.AsyncClient(
                base_url=self._base_url,
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
        # Forget the pool before awaiting its close, so a request starting meanwhile opens a fresh one.
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()
        await self.limiter.aclose()

    def _build(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any, headers: Mapping[str, str] | None
    ) -> httpx.Request:
        import httpx  # loaded by `_client()` (see the TYPE_CHECKING note)

        client = self._client()
        extra = {k: v for k, v in (headers or {}).items() if k.lower() in CALLER_HEADERS}
        query = {k: v for k, v in (params or {}).items() if v is not None}
        merged = client.headers
        if extra:
            merged = httpx.Headers(merged)
            merged.update(extra)
        # Built directly rather than with `client.build_request` (30 -> 15 us): that joins the path to the
        # base URL by parsing both, and merges cookies, which an API authenticated by its key never needs.
        request = httpx.Request(
            method,
            self._base_url + path.lstrip("/"),
            params=query or None,  # None, not {}: httpx re-parses the URL to merge even an empty query
            json=body,
            headers=merged,
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
        import httpx  # loaded by `_build` below (see the TYPE_CHECKING note)

        method = method.upper()
        request = self._build(method, path, params, json_body, headers)
        shown_path = self._shown_path(request.url)
        idempotent = method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            started = anyio.current_time()
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
                if logger.isEnabledFor(logging.DEBUG):
                    elapsed_ms = (anyio.current_time() - started) * 1000
                    logger.debug("%s %s -> %s in %.0f ms", method, shown_path, response.status, elapsed_ms)
                return response
            error = response
            if method == "DELETE" and error.status == 404 and attempt > 0:
                # A retried DELETE met a 404: the first attempt most likely deleted it.
                return GistResponse(error.status, None)
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
        import httpx  # loaded with the request (see the TYPE_CHECKING note)

        queued = anyio.current_time()
        deadline = current_deadline()
        if deadline <= queued or not await self.limiter.acquire(deadline=deadline):
            raise GistDeadlineError(self.settings.deadline)
        sending = anyio.current_time()
        _probes.rate_limit_wait(sending - queued)
        try:
            answer = await self._send(request, min(self.settings.http_timeout, deadline - sending), shown_path)
        except httpx.TransportError:
            _probes.gist_request(request.method, "transport_error")
            raise
        else:
            _probes.gist_request(request.method, str(answer.status))
            return answer
        finally:
            await self.limiter.release()  # completes even when this call is cancelled (see Limiter.release)

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
        request.extensions["timeout"] = {
            "connect": min(5.0, seconds),
            "read": seconds,
            "write": seconds,
            "pool": seconds,
        }
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
        try:
            data = clean_json(body, self._secret)
        except UnusableJSONError as problem:
            if status < 300:
                return BadResponseError(status, method, path, f"the response body {problem}")
            data = None
        if status < 300:
            return GistResponse(status, data)
        snippet = body[:200].decode("utf-8", "replace").strip().replace("\n", " ")
        message = gist_message(data, snippet or response.reason_phrase or "no message")
        return error_for(status, method, path, _cut(redact(message, self._secret)), _retry_after(response))

    def _shown_path(self, url: httpx.URL) -> str:
        """The request path relative to the API base URL, as error messages show it (no query, no host)."""
        path = url.path
        if self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path) :]
        return "/" + path.lstrip("/")

    async def _read_capped(self, response: httpx.Response) -> bytes | None:
        """Read the body, or return None as soon as it exceeds the size limit."""
        declared = response.headers.get("content-length")
        if declared and declared.isdigit():
            if int(declared) > self._max_response_bytes:
                return None
            if response.headers.get("content-encoding", "identity") == "identity":
                # Not compressed, and HTTP/1.1 framing ends the body at its declared length: one read.
                return await response.aread()
        chunks: list[bytes] = []  # decoded as it streams, so a small compressed body cannot inflate past the cap
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_response_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)


class UnusableJSONError(ValueError):
    """A body that is not JSON, or JSON no answer can carry (too deep, absurd numbers)."""


def clean_json(body: bytes, secret: str | None = None) -> JSON:
    """Parse Gist's body into JSON that every MCP transport can encode, with `secret` redacted.

    Lone UTF-16 surrogates (`"\\ud800"`) become U+FFFD, non-finite numbers (`1e400`, `NaN`) become
    null, and the key (or `Bearer <key>`) becomes `[redacted]` in every string and object key.
    An empty body is None.

    Raises:
        UnusableJSONError: not JSON, nested deeper than MAX_JSON_DEPTH, or an integer longer than
            MAX_NUMBER_DIGITS digits; its text completes "the response body ...".
    """
    if not body.strip():
        return None
    try:
        encoding = json.detect_encoding(body)
        digits_fit = encoding == "utf-8" and _TOO_MANY_DIGITS not in body.translate(_DIGITS_AS_ZERO)
        data: JSON = (_DECODER if digits_fit else _BOUNDED_DECODER).decode(body.decode(encoding, "surrogatepass"))
    except RecursionError:
        raise UnusableJSONError(f"is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except UnusableJSONError:
        raise
    except ValueError:
        raise UnusableJSONError("is not valid JSON") from None
    if (_plainly_clean(body, secret) or _clean_text_throughout(data, secret)) and _within_depth(data):
        return data
    return _clean(data, secret, 0)


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise UnusableJSONError(f"holds a number longer than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _finite_float(text: str) -> float | None:
    """A JSON number with a fraction or exponent; null when it overflows (`1e400`), as `_clean` would make it."""
    value = float(text)
    return value if math.isfinite(value) else None


_DECODER = json.JSONDecoder(parse_float=_finite_float, parse_constant=lambda _: None)
"""Gist's JSON as `json.loads` reads bytes, with non-finite numbers (`1e400`, `NaN`) as null."""
_BOUNDED_DECODER = json.JSONDecoder(parse_int=_bounded_int, parse_float=_finite_float, parse_constant=lambda _: None)
"""The same, refusing integers longer than MAX_NUMBER_DIGITS: a Python call per integer (~0.2 us each, 16 a
contact), so used only for a body with such a run of digits (or not in UTF-8, where runs are not checked)."""
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_TOO_MANY_DIGITS = b"0" * (MAX_NUMBER_DIGITS + 1)

_SURROGATE = re.compile("[\ud800-\udfff]")
_RAW_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
"""A surrogate written as UTF-8 bytes (json decodes bytes with `surrogatepass`, so it would come through)."""


def _plainly_clean(body: bytes, secret: str | None) -> bool:
    """Whether the body's own bytes prove every string in it is clean: the commonest case, in a few byte scans.

    Without a backslash every string (and key) is its bytes as written, so a lone surrogate or the
    secret in a string shows in the body (a secret spanning tokens only sends it to the slower check);
    non-finite numbers are already null (`_finite_float`). Anything else goes to `_clean_text_throughout`,
    which decides on the parsed data.
    """
    return (
        b"\\" not in body
        and json.detect_encoding(body) == "utf-8"
        and _RAW_SURROGATE.search(body) is None
        and not (secret and secret.encode() in body)
    )


def _clean_text_throughout(data: JSON, secret: str | None) -> bool:
    """Whether no string or key of `data` holds a lone surrogate or the secret, and no number is non-finite:
    proved with C-speed passes only.

    `_clean` visits every value in Python (about three quarters of the CPU a 1,000-contact listing
    spends reading Gist's answers); this check costs about a third of that. It serialises `data` once
    (JSON escapes character by character, so a string holding the secret holds its escaped form in
    the text; a non-finite number refuses to serialise) and searches that text for lone surrogates and
    the secret. Anything doubtful goes to `_clean`, which decides.
    """
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return False
    return not (_SURROGATE.search(text) or (secret and json.dumps(secret, ensure_ascii=False)[1:-1] in text))


def _within_depth(data: JSON) -> bool:
    """Whether `data` nests at most MAX_JSON_DEPTH containers deep (one pass over its containers, level by level)."""
    level: list[JSONObject | JSONArray] = [data] if isinstance(data, dict | list) else []
    for _ in range(MAX_JSON_DEPTH):
        if not level:
            return True
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
    return not level


def _clean_text(text: str, secret: str | None) -> str:
    """A string value or object key: lone surrogates as U+FFFD, the secret redacted."""
    return redact(_SURROGATE.sub("\ufffd", text), secret)


def _clean(value: JSON, secret: str | None, depth: int) -> JSON:
    if isinstance(value, str):
        return _clean_text(value, secret)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | dict):
        if depth >= MAX_JSON_DEPTH:
            raise UnusableJSONError(f"is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, list):
            return [_clean(item, secret, depth + 1) for item in value]
        return {_clean_text(k, secret): _clean(v, secret, depth + 1) for k, v in value.items()}
    return value


def _cut(message: str) -> str:
    """Gist's message, cut to MAX_MESSAGE_CHARS."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[:MAX_MESSAGE_CHARS] + f"… (cut, {len(message)} characters in all)"


def _transport_reason(exc: httpx.TransportError) -> str:
    import httpx  # loaded: `exc` is one of its errors

    if isinstance(exc, httpx.TimeoutException):
        return "the request timed out"
    if isinstance(exc, httpx.ConnectError):
        return "the connection failed"
    return "the connection broke before an answer arrived"
