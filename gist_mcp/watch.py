"""Watch Events glue: the webhook store and receiver one server process runs, and its notifications.

The server's lifespan enters `WebhookHub.running()`: it opens the shared store, tells subscribers of
`gist://webhook-events` about every newly stored event (also those another process stored), and in
stdio mode with `--webhook-port` serves the receiver on a listener of its own. In HTTP mode the
receiver routes sit beside `/mcp` instead (`receiver_routes`). The store's modules load when the server
starts serving, not while it starts; the receiver's only where one of those is used.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from gist_mcp.webhooks.config import WebhookSettings, data_dir_from_env

if TYPE_CHECKING:
    from starlette.routing import Route

    from gist_mcp.webhooks import WebhookStore

logger = logging.getLogger("gist_mcp.watch")
Notify = Callable[[str], Awaitable[None]]


class WebhookHub:
    """The store and receiver settings of one server; opened and closed by the server's lifespan."""

    def __init__(
        self, settings: WebhookSettings, *, listen: tuple[str, int] | None = None, redis_url: str | None = None
    ) -> None:
        self.settings = settings
        self.listen = listen
        """(host, port) of the stdio-mode receiver listener, or None."""
        self._redis_url = redis_url  # GIST_MCP_REDIS_URL: arrivals are announced to every replica
        self._users = 0
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"WebhookHub(data_dir={str(self.settings.data_dir)!r}, listen={self.listen!r})"

    @functools.cached_property
    def store(self) -> WebhookStore:
        """The store the settings choose, made on first use: a server loads the store modules (and SQLite's)
        when it starts serving, not while it starts."""
        from gist_mcp.webhooks.store import store_from_settings

        return store_from_settings(self.settings)

    def routes(self) -> list[Route]:
        """The receiver routes, to serve beside `/mcp` on the HTTP transport."""
        from gist_mcp.webhooks.receiver import receiver_routes

        return receiver_routes(self.store, self.settings)

    @contextlib.asynccontextmanager
    async def running(self, notify: Notify) -> AsyncGenerator[None, None]:
        """Open the store (shared by concurrent lifespans), notify on arrivals, serve the listener if asked."""
        async with self._lock:
            if self._users == 0:
                await self.store.open()
            self._users += 1
        try:
            async with anyio.create_task_group() as tasks:
                if self._redis_url is not None:
                    await tasks.start(self._fan_out, self._redis_url)
                tasks.start_soon(self._notify_arrivals, notify)
                if self.listen is not None:
                    await tasks.start(self._listen, *self.listen)
                try:
                    yield
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            async with self._lock:
                self._users -= 1
                if self._users == 0:
                    await self.store.close()

    async def _notify_arrivals(self, notify: Notify) -> None:
        async with contextlib.aclosing(self.store.subscribe()) as arrivals:
            async for _event in arrivals:
                from gist_mcp.catalog.webhooks import EVENTS_URI  # loaded at the first arrival, not at start

                await notify(EVENTS_URI)

    async def _fan_out(self, url: str, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Announce this replica's arrivals on Redis and wake the store on every replica's."""
        from gist_mcp.scale.fanout import ArrivalFanout  # only with the scale extra installed

        fanout = ArrivalFanout(url)
        announcing = self.store.announce is None  # concurrent lifespans (in-memory clients): one announces
        if announcing:
            self.store.announce = fanout.publish
        try:
            await fanout.listen(self.store.wake, task_status=task_status)
        finally:
            if announcing:
                self.store.announce = None
            with anyio.CancelScope(shield=True):
                await fanout.aclose()

    async def _listen(self, host: str, port: int, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        from gist_mcp.webhooks.receiver import serve_receiver

        await serve_receiver(self.store, self.settings, host, port, task_status=task_status)


def hub_from_env(
    *, sandbox: bool, listen: tuple[str, int] | None = None, redis_url: str | None = None
) -> WebhookHub | None:
    """The hub for this process, or None (logged) when its data folder cannot be prepared.

    The sandbox keeps its demo events in a folder of its own, so they never mix with real ones.
    """
    try:
        sandbox_dir = data_dir_from_env() / "sandbox" if sandbox else None
        settings = WebhookSettings.from_env(data_dir_override=sandbox_dir)
        return WebhookHub(settings, listen=listen, redis_url=redis_url)
    except OSError as error:
        logger.warning("Webhook events are off: cannot prepare the data folder (%s).", error)
        return None


def deliver_in_process(hub: WebhookHub) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """A sink that posts payloads through the real receiver app in process (the sandbox's Gist webhooks)."""
    import httpx
    from starlette.applications import Starlette

    from gist_mcp.webhooks.receiver import SIGNATURE_HEADER, signature

    app = Starlette(routes=hub.routes())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.receiver")

    async def deliver(payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if hub.settings.secret:
            headers[SIGNATURE_HEADER] = signature(hub.settings.secret, body)
        response = await client.post(hub.settings.receiver_path, content=body, headers=headers)
        if response.status_code >= 300:
            logger.warning("Sandbox webhook not stored: receiver answered %s", response.status_code)

    return deliver
