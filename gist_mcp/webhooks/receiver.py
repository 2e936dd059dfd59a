"""The HTTP receiver Gist posts webhooks to: `POST /webhooks/gist/{token}`.

It is served beside `/mcp` by the Streamable HTTP app (`receiver_routes`), or on a listener of its own
in stdio mode (`serve_receiver`). The token in the path is its only credential: it is checked before
anything else and never logged (uvicorn's access log included, see `hide_token_in_access_log`). When a
secret is configured, `X-Gist-Signature: sha256=<hex HMAC-SHA256 of the raw body>` must match too.
A body over `MAX_EVENT_BYTES` is a 413 (the rest is not read: no larger event is kept); one the
store refuses (not a JSON object, too deep, a non-finite number, too large once stored: see
`events.accept`) a 400 or 413. Every refusal's JSON body says why. The answer is 2xx only once the
event is committed, so Gist's own retries cover a crash.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Generator

import anyio
from anyio.abc import TaskStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gist_mcp import _probes
from gist_mcp._json import JSON, JSONObject
from gist_mcp._serve import listen, serve_asgi
from gist_mcp.webhooks.config import RECEIVER_PATH, WebhookSettings
from gist_mcp.webhooks.events import MAX_EVENT_BYTES, MAX_NESTING_DEPTH, PayloadRefused
from gist_mcp.webhooks.store import WebhookStore

SIGNATURE_HEADER = "X-Gist-Signature"
SHUTDOWN_GRACE = 5
"""Seconds deliveries in flight get to commit when the listener stops."""

logger = logging.getLogger(__name__)


def signature(secret: str, body: bytes) -> str:
    """The `X-Gist-Signature` value for `body`: `sha256=<hex HMAC-SHA256 keyed with secret>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of `body` (hex in either case; constant-time compare)."""
    if header is None:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().lower().encode())


def _json_object(body: bytes) -> JSONObject:
    """The body as a JSON object; PayloadRefused (400) when it is anything else."""
    try:
        payload: JSON = json.loads(body)
    except RecursionError:  # nesting deep enough to exhaust the parser's stack
        raise PayloadRefused(400, f"body nested deeper than {MAX_NESTING_DEPTH} levels") from None
    except ValueError:  # includes bad UTF-8 and integers too long to convert
        raise PayloadRefused(400, "body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise PayloadRefused(400, "body is not a JSON object")
    return payload


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None as soon as it is known to exceed `limit` bytes (the rest is not read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _reject(status: int, reason: str, headers: dict[str, str] | None = None) -> JSONResponse:
    logger.warning("Refused a webhook delivery (HTTP %d): %s", status, reason)
    _probes.webhook_delivery(str(status))
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


class _Receiver:
    """ASGI endpoint for every method, so that a wrong token is a 404 whatever the method."""

    def __init__(self, store: WebhookStore, settings: WebhookSettings) -> None:
        self._store = store
        self._settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._handle(Request(scope, receive))
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> JSONResponse:
        token = str(request.path_params["token"])
        if not hmac.compare_digest(token.encode(), self._settings.token.encode()):
            return _reject(404, "unknown webhook token")
        if request.method != "POST":
            return _reject(405, "only POST is accepted", headers={"Allow": "POST"})
        body = await _read_body(request, MAX_EVENT_BYTES)
        if body is None:
            return _reject(413, f"body larger than {MAX_EVENT_BYTES // 1024} KiB")
        secret = self._settings.secret
        if secret is not None and not signature_matches(secret, body, request.headers.get(SIGNATURE_HEADER)):
            return _reject(401, f"missing or wrong {SIGNATURE_HEADER}")
        try:
            event, inserted = await self._store.add(_json_object(body))
        except PayloadRefused as refused:
            return _reject(refused.status, refused.reason)
        if inserted:
            logger.info("Stored webhook event %s (topic %s)", event.id, event.topic)
        else:
            logger.info("Webhook event %s (topic %s) was already stored: redelivery ignored", event.id, event.topic)
        _probes.webhook_delivery("stored" if inserted else "duplicate")
        return JSONResponse({"id": event.id, "topic": event.topic, "duplicate": not inserted})


def receiver_routes(store: WebhookStore, settings: WebhookSettings) -> list[Route]:
    """The receiver's route, to mount beside `/mcp`."""
    return [Route(RECEIVER_PATH, _Receiver(store, settings))]


@contextlib.contextmanager
def hide_token_in_access_log(token: str) -> Generator[None, None, None]:
    """Mask `token` in uvicorn's access log (its lines carry the request path) while the block runs."""

    def redact(record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(arg.replace(token, "<token>") if isinstance(arg, str) else arg for arg in record.args)
        return True

    access_log = logging.getLogger("uvicorn.access")
    access_log.addFilter(redact)
    try:
        yield
    finally:
        access_log.removeFilter(redact)


async def serve_receiver(
    store: WebhookStore,
    settings: WebhookSettings,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    task_status: TaskStatus[int | None] = anyio.TASK_STATUS_IGNORED,
) -> bool:
    """Serve the receiver alone on host:port until cancelled (stdio mode's `--webhook-port`).

    Returns False, after a warning, when the port cannot be bound: another gist-mcp process is most
    likely receiving into the same store, which this process still reads. With `task_group.start()`,
    the bound port (useful with port 0) or None is reported as soon as it is known.
    """
    try:
        sock = listen(host, port)
    except OSError as error:
        logger.warning(
            "Webhook receiver not started: cannot listen on %s:%d (%s). Another gist-mcp process probably "
            "receives the webhooks into the shared store; going on without a receiver.",
            host,
            port,
            error.strerror or error,
        )
        task_status.started(None)
        return False
    app = Starlette(routes=receiver_routes(store, settings))
    with hide_token_in_access_log(settings.token):
        async with serve_asgi(app, sock=sock, shutdown_grace=SHUTDOWN_GRACE):
            task_status.started(sock.getsockname()[1])
            await anyio.sleep_forever()
    return True
