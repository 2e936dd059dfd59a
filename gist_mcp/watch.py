"""Watch Events glue: the webhook store and receiver one server process runs, and its notifications.

The server's lifespan enters `WebhookHub.running()`; once a client subscribes to `gist://webhook-events`
(`watch`), the hub tells subscribers about every newly stored event (also those another process stored),
and in stdio mode with `--webhook-port` it serves the receiver on a listener of its own. In HTTP mode the
receiver routes sit beside `/mcp` instead (`receiver_routes`). The store's modules load, and the store
opens, when it is first used, not while the server starts; the receiver's only where one of those is used.
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
    from anyio.abc import TaskGroup
    from starlette.routing import Route

    from gist_mcp.webhooks import WebhookStore

logger = logging.getLogger("gist_mcp.watch")
Notify = Callable[[str], Awaitable[None]]


class WebhookHub:
    """The store and receiver settings of one server; run by the server's lifespan.

    Nothing here touches the store until it is used: a tool or resource reads it (SQLite opens with its
    first use), a delivery arrives, or a client subscribes to `gist://webhook-events` or listens (`watch`
    starts the arrivals watcher then). PostgreSQL's pool is opened with the first lifespan.
    """

    def __init__(
        self, settings: WebhookSettings, *, listen: tuple[str, int] | None = None, redis_url: str | None = None
    ) -> None:
        self.settings = settings
        self.listen = listen
        """(host, port) of the stdio-mode receiver listener, or None."""
        self._redis_url = redis_url  # GIST_MCP_REDIS_URL: arrivals are announced to every replica
        self._users = 0
        self._closed = False
        """Whether the last lifespan out closed the store (the next one opens it again)."""
        self._lock = anyio.Lock()
        self._sessions: list[tuple[TaskGroup, Notify]] = []
        """The task group and notify function of each lifespan now running (one per in-memory session)."""
        self._watcher: anyio.Event | None = None
        """Set once the arrivals watcher knows where "new" starts; None while no client has subscribed."""
        self._watcher_group: TaskGroup | None = None

    def __repr__(self) -> str:
        return f"WebhookHub(data_dir={str(self.settings.data_dir)!r}, listen={self.listen!r})"

    @functools.cached_property
    def store(self) -> WebhookStore:
        """The store the settings choose, made on first use: a server loads the store modules (and SQLite's)
        when something needs them, not while it starts."""
        from gist_mcp.webhooks.store import store_from_settings

        return store_from_settings(self.settings)

    def routes(self) -> list[Route]:
        """The receiver routes, to serve beside `/mcp` on the HTTP transport."""
        from gist_mcp.webhooks.receiver import receiver_routes

        return receiver_routes(self.store, self.settings)

    @contextlib.asynccontextmanager
    async def running(self, notify: Notify) -> AsyncGenerator[None, None]:
        """Serve the listener if asked, relay arrivals over Redis if configured, and let `watch` start the
        arrivals watcher; the last lifespan out closes the store."""
        async with self._lock:
            if self._users == 0 and (self._closed or self.settings.database_url is not None):
                await self.store.open()  # PostgreSQL serves from a pool; SQLite again after an earlier lifespan
                self._closed = False
            self._users += 1
        group: TaskGroup | None = None
        try:
            async with anyio.create_task_group() as group:
                session = (group, notify)
                self._sessions.append(session)
                try:
                    if self._redis_url is not None:
                        await group.start(self._fan_out, self._redis_url)
                    if self.listen is not None:
                        await group.start(self._listen, *self.listen)
                    yield
                finally:
                    self._sessions.remove(session)
                    group.cancel_scope.cancel()
        finally:
            if group is not None and self._watcher_group is group:  # the watcher ended with this lifespan:
                self._watcher = self._watcher_group = None  # other sessions' subscribers keep hearing
                if self._sessions:
                    self._start_watcher()
            async with self._lock:
                self._users -= 1
                if self._users == 0 and "store" in vars(self):
                    await self.store.close()
                    self._closed = True

    async def watch(self) -> None:
        """Tell subscribers of `gist://webhook-events` about every event stored from now on, this process's and
        other processes'. Called before a client's subscription (or listen stream) is acknowledged: the first
        call starts the watcher and returns once it has read where "from now on" begins, so no event stored
        after the acknowledgement is missed. Until then nothing polls the store."""
        if self._watcher is None:
            if not self._sessions:
                return  # outside a lifespan: no client to tell
            self._start_watcher()
        assert self._watcher is not None
        await self._watcher.wait()

    def _start_watcher(self) -> None:
        """Run the arrivals watcher in the task group of the newest lifespan now running."""
        tasks, notify = self._sessions[-1]
        self._watcher, self._watcher_group = anyio.Event(), tasks
        tasks.start_soon(self._notify_arrivals, notify, self._watcher)

    async def _notify_arrivals(self, notify: Notify, ready: anyio.Event) -> None:
        try:
            newest = await self.store.latest_seq()
        finally:
            ready.set()  # a failure is the task group's to report; no subscriber waits for ever
        async with contextlib.aclosing(self.store.subscribe(after_seq=newest)) as arrivals:
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
