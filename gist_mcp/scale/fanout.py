"""Webhook arrivals announced to every replica over Redis pub/sub (`GIST_MCP_REDIS_URL`).

The replica that stores a webhook event publishes one message on `CHANNEL`; every replica (itself
included) wakes its store's waiters at once. What they wake is the existing path: `wait_for_webhook_event`
calls and the hub's arrival loop, which re-reads the shared store and calls
`Subscriptions.notify_updated`, reaching handshake-era `resources/updated` subscribers and 2026-07-28
`subscriptions/listen` streams alike. The message only says "look now": the event itself is read from
PostgreSQL, so pub/sub's at-most-once delivery loses nothing; a lost message (Redis restarting) costs
at most the store's `poll_interval`, which stays as the fallback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gist_mcp.scale.redis_client import connect

logger = logging.getLogger(__name__)

CHANNEL = "gist-mcp:webhook-arrivals"
RECONNECT_DELAY = 1.0
"""Seconds between attempts to resubscribe after Redis went away (the store's polling covers the gap)."""


class ArrivalFanout:
    """Publishes this replica's arrivals and wakes on every replica's (one Redis connection each way)."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        self._redis: Redis = connect(url)
        self.channel = channel

    def __repr__(self) -> str:
        return f"ArrivalFanout(channel={self.channel!r})"

    async def publish(self) -> None:
        """Announce that an event was stored; a Redis failure is logged, never raised (it is committed)."""
        try:
            await self._redis.publish(self.channel, b"stored")  # pyright: ignore[reportUnknownMemberType]  # redis-py: **kwargs unannotated
        except (RedisError, OSError) as error:
            logger.warning(
                "Could not announce a webhook arrival on Redis (%s); replicas see it on their next poll.", error
            )

    async def listen(self, wake: Callable[[], None], *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Call `wake()` for every announcement until cancelled, resubscribing after Redis failures."""
        started = False
        while True:
            pubsub = self._redis.pubsub()  # pyright: ignore[reportUnknownMemberType]  # redis-py: **kwargs unannotated
            try:
                await pubsub.subscribe(self.channel)
                if not started:
                    started = True
                    task_status.started()
                # redis-py leaves the messages' type unknown; each is a dict with a "type" key.
                messages: AsyncIterator[dict[str, object]] = pubsub.listen()  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
                async for message in messages:
                    if message.get("type") == "message":
                        wake()
            except (RedisError, OSError) as error:
                logger.warning("Lost the Redis subscription for webhook arrivals (%s); retrying.", error)
                if not started:
                    started = True
                    task_status.started()
                await anyio.sleep(RECONNECT_DELAY)
            finally:
                with anyio.CancelScope(shield=True):  # cancelled on shutdown: still close the connection
                    await pubsub.aclose()

    async def aclose(self) -> None:
        """Close the Redis connections."""
        await self._redis.aclose()
