"""The one place a Redis client is made, so redis-py's loose annotations are excused once.

`Redis.from_url` leaves its `**kwargs` unannotated, which strict pyright reports at every call;
the ratelimit, fanout and events modules all connect through `connect` instead.
"""

from __future__ import annotations

from redis.asyncio import Redis


def connect(url: str) -> Redis:
    """A Redis client for `url` (connections are opened lazily, on the first command)."""
    return Redis.from_url(url)  # pyright: ignore[reportUnknownMemberType]  # redis-py: **kwargs unannotated
