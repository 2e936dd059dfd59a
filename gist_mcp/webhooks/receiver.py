"""The HTTP receiver Gist posts webhooks to: `POST /webhooks/gist/{token}`.

It is served beside `/mcp` by the Streamable HTTP app (`receiver_routes`), or on a listener of its own
in stdio mode (`serve_receiver`). The token in the path is its only credential: it is checked before
anything else and never logged (uvicorn's access log included, see `hide_token_in_access_log`). When a
secret is configured, `X-Gist-Signature: sha256=<hex HMAC-SHA256 of the raw body>` must match too.
The answer is 2xx only once the event is committed, so Gist's own retries cover a crash.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import anyio
import uvicorn
from anyio.abc import TaskStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gist_mcp.webhooks.config import RECEIVER_PATH, WebhookSettings
from gist_mcp.webhooks.events import WebhookEvent
from gist_mcp.webhooks.store import WebhookStore

MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_HEADER = "X-Gist-Signature"

logger = logging.getLogger(__name__)

OnEvent = Callable[[WebhookEvent], Awaitable[None]]


def signature(secret: str, body: bytes) -> str:
    """The `X-Gist-Signature` value for `body`: `sha256=<hex HMAC-SHA256 keyed with secret>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of `body` (hex in either case; constant-time compare)."""
    if header is None:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().lower().encode())


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is anything else (NaN and Infinity are not JSON)."""
    try:
        payload = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    return payload if isinstance(payload, dict) else None


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
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


class _Receiver:
    """ASGI endpoint for every method, so that a wrong token is a 404 whatever the method."""

    def __init__(self, store: WebhookStore, settings: WebhookSettings, on_event: OnEvent | None) -> None:
        self._store = store
        self._settings = settings
        self._on_event = on_event

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._handle(Request(scope, receive))
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> JSONResponse:
        token = str(request.path_params["token"])
        if not hmac.compare_digest(token.encode(), self._settings.token.encode()):
            return _reject(404, "unknown webhook token")
        if request.method != "POST":
            return _reject(405, "only POST is accepted", headers={"Allow": "POST"})
        body = await _read_body(request, MAX_BODY_BYTES)
        if body is None:
            return _reject(413, "body larger than 1 MiB")
        secret = self._settings.secret
        if secret is not None and not signature_matches(secret, body, request.headers.get(SIGNATURE_HEADER)):
            return _reject(401, f"missing or wrong {SIGNATURE_HEADER}")
        payload = _json_object(body)
        if payload is None:
            return _reject(400, "body is not a JSON object")
        event, inserted = await self._store.add(payload)
        if inserted:
            logger.info("Stored webhook event %s (topic %s)", event.id, event.topic)
            await self._notify(event)
        else:
            logger.info("Webhook event %s (topic %s) was already stored: redelivery ignored", event.id, event.topic)
        return JSONResponse({"id": event.id, "topic": event.topic, "duplicate": not inserted})

    async def _notify(self, event: WebhookEvent) -> None:
        """Tell `on_event`; its failure is logged, not answered: the event is committed, Gist need not retry."""
        if self._on_event is None:
            return
        try:
            await self._on_event(event)
        except Exception:
            logger.exception("Webhook event %s was stored, but its on_event callback failed", event.id)


def receiver_routes(store: WebhookStore, settings: WebhookSettings, on_event: OnEvent | None = None) -> list[Route]:
    """The receiver's route, to mount beside `/mcp`; `on_event` is awaited for each newly stored event."""
    return [Route(RECEIVER_PATH, _Receiver(store, settings, on_event))]


@contextlib.contextmanager
def hide_token_in_access_log(token: str) -> Iterator[None]:
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


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port; OSError when another process already listens there."""
    addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = addresses[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":  # rebind over TIME_WAIT after a restart; on Windows this flag would steal the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process it runs in."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_until_cancelled(server: uvicorn.Server, sock: socket.socket) -> None:
    """Run `server` until cancelled, then let it shut down cleanly: close the socket, finish in-flight requests."""
    async with anyio.create_task_group() as tasks:

        async def serve() -> None:
            with anyio.CancelScope(shield=True):
                await server.serve(sockets=[sock])
            tasks.cancel_scope.cancel()

        tasks.start_soon(serve)
        try:
            await anyio.sleep_forever()
        finally:
            server.should_exit = True


async def serve_receiver(
    store: WebhookStore,
    settings: WebhookSettings,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    on_event: OnEvent | None = None,
    task_status: TaskStatus[int | None] = anyio.TASK_STATUS_IGNORED,
) -> bool:
    """Serve the receiver alone on host:port until cancelled (stdio mode's `--webhook-port`).

    Returns False, after a warning, when the port cannot be bound: another gist-mcp process is most
    likely receiving into the same store, which this process still reads. With `task_group.start()`,
    the bound port (useful with port 0) or None is reported as soon as it is known.
    """
    try:
        sock = _bind(host, port)
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
    app = Starlette(routes=receiver_routes(store, settings, on_event))
    # log_config=None: uvicorn's default config would print access lines to stdout, the stdio transport.
    config = uvicorn.Config(app, log_config=None, lifespan="off", server_header=False, timeout_graceful_shutdown=5)
    with sock, hide_token_in_access_log(settings.token):
        task_status.started(sock.getsockname()[1])
        await _serve_until_cancelled(_EmbeddedServer(config), sock)
    return True


async def _serve_standalone(settings: WebhookSettings, host: str, port: int) -> bool:
    async with WebhookStore.from_settings(settings) as store:
        return await serve_receiver(store, settings, host, port)


def main(argv: Sequence[str] | None = None) -> None:
    """Run only the receiver, e.g. for load checks:

    `python -c "from gist_mcp.webhooks.receiver import main; main()" --port 8765 [--data-dir DIR]`
    (`python -m` would import this module twice, through the package first).
    """
    parser = argparse.ArgumentParser(description="Receive Gist webhooks into the gist-mcp store.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, help="default: GIST_MCP_DATA_DIR or the user data folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = WebhookSettings.from_env(data_dir_override=args.data_dir)
    if not anyio.run(_serve_standalone, settings, args.host, args.port):
        sys.exit(1)
