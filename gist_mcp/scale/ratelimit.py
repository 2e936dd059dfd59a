"""The Gist rate limit counted across replicas in Redis (`GIST_MCP_REDIS_URL`), per workspace.

The same sliding window as the in-process `RateLimiter`: a slot is held while its request is in
flight and frees `window` seconds after the request *ended*. All replicas sharing one API key share
one sorted set, `gist-mcp:ratelimit:<first 16 hex of SHA-256(key)>` (the key itself never reaches
Redis). Each member is one slot; its score says until when it counts:

- taken (`ACQUIRE`): score = now + `lease`, "in flight"; a replica killed mid-request leaves a
  slot that still stops counting `lease` + `window` after it was taken, so a crash never leaks budget;
- released (`RELEASE`): score = now, the end of the request; it counts until now + `window`.

A slot counts while score > now - window. Both scripts run atomically in Redis (Lua) on Redis's own
clock (`TIME`), so replicas' clocks need not agree. Callers of one replica queue in order behind a
lock; across replicas a waiter polls: at once when the oldest slot's end is known (it frees then),
every `BUSY_POLL` seconds while every slot is in flight (a release elsewhere is not announced).
A wait that cannot end before the caller's deadline gives up at once, as in process.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections import deque
from typing import Any

import anyio
from redis.asyncio import Redis

from gist_mcp.scale.redis_client import connect

BUSY_POLL = 0.05
"""Seconds between checks while every slot is in flight on some replica."""
KEY_PREFIX = "gist-mcp:ratelimit:"
MICROSECONDS = 1_000_000
"""The scripts' unit of time, per second."""

# Times are microseconds on Redis's clock (exact in a Lua number and a sorted-set score): at millisecond
# precision a slot could free up to 1 ms early, and a request answered in less than that (loopback) could
# let the next one reach Gist a fraction of a millisecond inside the window.
# KEYS[1] the slots; ARGV: window us, limit, lease us, member. Returns -1 when the slot is taken, else
# the us until the oldest slot stops counting, or -2 when every slot is in flight (unknown).
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window, limit, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil((window + lease) / 1000))
  return -1
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then
  return -2
end
return oldest + window - now
"""
# KEYS[1] the slots; ARGV: window us, lease us, member. The slot ends now (if its lease has not run out).
RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now, ARGV[3]) == 1 then
  redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ARGV[1]) + tonumber(ARGV[2])) / 1000))
end
return 0
"""


def workspace_key(api_key: str, prefix: str = KEY_PREFIX) -> str:
    """The Redis key of one workspace's slots: a digest of its API key, never the key."""
    return prefix + hashlib.sha256(api_key.encode()).hexdigest()[:16]


class RedisRateLimiter:
    """At most `requests` requests in flight or ended within `window` seconds, across every replica."""

    def __init__(
        self, url: str, api_key: str, requests: int, window: float, *, lease: float, prefix: str = KEY_PREFIX
    ) -> None:
        """`lease`: seconds a slot counts as in flight at most (longer than any request: the call deadline)."""
        self.requests = requests
        self.window = window
        self._redis: Redis = connect(url)
        self._key = workspace_key(api_key, prefix)
        self._args = (round(window * MICROSECONDS), requests, round(lease * MICROSECONDS))
        self._acquire: Any = self._redis.register_script(ACQUIRE)
        self._release: Any = self._redis.register_script(RELEASE)
        self._held: deque[str] = deque()  # this replica's slots in flight (fungible: any one may end)
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"RedisRateLimiter({self.requests}/{self.window:g} s)"

    async def acquire(self, deadline: float = math.inf) -> bool:
        """Wait for a slot and hold it until `release()`; False if none frees before `deadline`."""
        member = uuid.uuid4().hex
        async with self._lock:
            while True:
                answer = int(await self._acquire(keys=[self._key], args=[*self._args, member]))
                if answer == -1:
                    self._held.append(member)
                    return True
                left = deadline - anyio.current_time()
                wait = BUSY_POLL if answer == -2 else answer / MICROSECONDS
                if answer != -2 and wait > left:
                    return False
                if left <= 0:
                    return False
                await anyio.sleep(min(wait, left))

    async def release(self) -> None:
        """One of this replica's requests ended: its slot frees `window` seconds from now."""
        member = self._held.popleft()
        window, _, lease = self._args
        with anyio.CancelScope(shield=True):  # a cancelled request still lets go of its slot
            await self._release(keys=[self._key], args=[window, lease, member])

    async def aclose(self) -> None:
        """Close the idle Redis connections. Every MCP session's lifespan closes the shared Gist client,
        while other sessions may still be mid-request: their connections stay, and the pool opens new
        ones on the next use."""
        await self._redis.connection_pool.disconnect(inuse_connections=False)
