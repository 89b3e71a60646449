"""Per-key rate limits by tier: in process memory (MemoryWindows) or in Redis.

Fixed windows (an hour and a day from the first request in each) give the seed's
`X-RateLimit-Reset` its meaning (when the window resets). Each counter is incremented
atomically by the storage, so N concurrent requests against a budget of K get exactly K
successes.

With `TAVO_REDIS_URL` the counters live in Redis (limits' Redis storage over the redis-py
asyncio client): all of a request's windows are counted by one Lua script, in one round trip
and atomically on the server (INCR, EXPIRE on a window's first hit, TTL for its reset), so any
number of API processes share one exact limit per key. While Redis is unreachable, requests
are answered 503 SERVICE_UNAVAILABLE (never let through uncounted); pooled connections
reconnect by themselves when it is back.

Without Redis the counters live in this process (MemoryWindows): the fixed windows of
`limits`' memory storage, counted synchronously. The event loop runs one request's count at a
time, so each increment is atomic without a lock; `limits`' asyncio storage took four awaits
and two lock acquisitions per request for the same counts.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerHour
from limits.aio.storage import Storage as AsyncStorage
from limits.errors import StorageError
from limits.storage import storage_from_string
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from tavo_platform.server.auth import Principal
from tavo_platform.server.errors import APIError

_NAMESPACE = "tavo"
# Redis answers in well under a millisecond on a healthy network; a down Redis refuses
# connections at once (503 at once); these bound the wait when it hangs instead. One
# immediate retry replaces a pooled connection that went stale (e.g. Redis restarted)
# without failing the request.
REDIS_CONNECT_TIMEOUT = 5.0
REDIS_COMMAND_TIMEOUT = 5.0
# Connections per API process. A request holds one for a single round trip, so a burst of
# requests queues for a few instead of opening one each (the client's default is unbounded).
REDIS_MAX_CONNECTIONS = 64


# KEYS: one counter per window, in order. ARGV: limit and window seconds per window, then
# 1 to count this request (a hit) or 0 to only look (a check). Returns count and TTL per
# window, stopping after the first window a hit exhausts: as with the strategy's hits one by
# one, a request refused by its hourly window does not count against the daily one.
_WINDOWS_SCRIPT = """
local consume = ARGV[#ARGV] == '1'
local result = {}
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 * i - 1])
    local count
    if consume then
        count = redis.call('INCR', key)
        if count == 1 then
            redis.call('EXPIRE', key, ARGV[2 * i])
        end
    else
        count = tonumber(redis.call('GET', key) or '0')
    end
    result[#result + 1] = count
    result[#result + 1] = redis.call('TTL', key)
    if consume and count > limit then
        break
    end
end
return result
"""


# KEYS: the counters a request was counted in; each goes down by one if it still exists
# (a window that expired meanwhile has nothing to give back).
_REFUND_SCRIPT = """
for _, key in ipairs(KEYS) do
    if redis.call('EXISTS', key) == 1 then
        redis.call('DECR', key)
    end
end
return 0
"""


class RateLimitStoreUnavailable(APIError):
    def __init__(self) -> None:
        super().__init__(
            503,
            "SERVICE_UNAVAILABLE",
            "the rate-limit store is unavailable; retry shortly",
            headers={"Retry-After": "1"},
        )


def _redis_pool(uri: str) -> BlockingConnectionPool | None:
    url = uri.removeprefix("async+")
    if not url.startswith(("redis://", "rediss://")):
        return None
    return BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=REDIS_COMMAND_TIMEOUT,  # the longest a request waits for a free connection
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
        socket_timeout=REDIS_COMMAND_TIMEOUT,
        retry=Retry(NoBackoff(), 1),
    )


# Not frozen: a frozen dataclass sets each field through object.__setattr__, three times the
# cost of a plain one, and every request makes three of these (treated as immutable).
@dataclass(slots=True)
class WindowState:
    name: str  # "hour" | "day" | "scans-hour"
    limit: int
    remaining: int
    reset: int  # unix time
    window_seconds: int


@dataclass(slots=True)
class Decision:
    allowed: bool
    binding: WindowState  # the most constraining window (or the one that refused)
    windows: tuple[WindowState, ...]

    @property
    def retry_after(self) -> int:
        """Seconds until the binding window resets: never more than the window itself
        (a reset time computed on another host's clock could say more)."""
        wait = math.ceil(self.binding.reset - time.time())
        return max(0, min(wait, self.binding.window_seconds))


class MemoryWindows:
    """Fixed-window counters in this process, with the semantics of `limits`' memory storage
    (which the Redis script mirrors): a window starts at its first hit and lasts its length,
    an expired counter reads 0, a give-back never goes below 0. Expired counters are swept
    every SWEEP_SECONDS so keys no longer used do not accumulate."""

    SWEEP_SECONDS = 60.0

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._expiries: dict[str, float] = {}
        self._next_sweep = time.time() + self.SWEEP_SECONDS

    def _live(self, key: str, now: float) -> int:
        if self._expiries.get(key, 0) <= now:
            self._counts.pop(key, None)
            self._expiries.pop(key, None)
            return 0
        return self._counts.get(key, 0)

    def incr(self, key: str, seconds: int, now: float) -> tuple[int, float]:
        """The count after this hit, and when the window ends."""
        if now >= self._next_sweep:
            self._sweep(now)
        count = self._live(key, now) + 1
        self._counts[key] = count
        if count == 1:
            self._expiries[key] = now + seconds
        return count, self._expiries[key]

    def get(self, key: str, now: float) -> tuple[int, float]:
        """The count as it stands, and when the window ends (now: no window)."""
        count = self._live(key, now)
        return count, self._expiries.get(key, now)

    def decr(self, key: str, now: float) -> None:
        count = self._live(key, now)
        if count:
            self._counts[key] = count - 1

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_SECONDS
        for key in [key for key, expiry in self._expiries.items() if expiry <= now]:
            self._counts.pop(key, None)
            self._expiries.pop(key, None)


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://") -> None:
        uri = storage_uri if storage_uri.startswith("async+") else "async+" + storage_uri
        # Counters in this process: no storage round trips at all (MemoryWindows).
        self._memory = MemoryWindows() if uri == "async+memory://" else None
        self._redis_pool = _redis_pool(uri)
        options: dict[str, Any] = {}
        if self._redis_pool is not None:
            options = {
                "implementation": "redispy",  # the client Celery's Redis broker uses too
                "wrap_exceptions": True,  # client failures arrive as limits' StorageError
                "connection_pool": self._redis_pool,
            }
        # The "async+" scheme always gives one of limits' asyncio storages.
        self.storage = cast(AsyncStorage, storage_from_string(uri, **options))
        self._redis_windows = None
        bridge = getattr(self.storage, "bridge", None)
        if bridge is not None:  # limits' Redis storage: count a request in one round trip
            self._redis_windows = bridge.get_connection().register_script(_WINDOWS_SCRIPT)
            self._redis_refund = bridge.get_connection().register_script(_REFUND_SCRIPT)
            self._redis_key = bridge.prefixed_key

    async def close(self) -> None:
        """Closes the Redis connections, if any (the memory storage holds none)."""
        if self._redis_pool is not None:
            await self._redis_pool.disconnect()

    async def hit_request(self, principal: Principal, *, consume: bool = True) -> Decision:
        """Counts one API request against the hourly and daily windows (in that order)."""
        limits = principal.limits
        windows = _request_windows(
            principal.key_id, limits.requests_per_hour, limits.requests_per_day
        )
        return await self._apply(windows, consume)

    def hit_request_in_memory(self, principal: Principal) -> Decision | None:
        """hit_request without a coroutine where the counters are in this process (the hot
        path); None when they are in Redis (then await hit_request)."""
        if self._memory is None:
            return None
        limits = principal.limits
        windows = _request_windows(
            principal.key_id, limits.requests_per_hour, limits.requests_per_day
        )
        return self._count_in_memory(self._memory, windows, True)

    async def refund_request(self, principal: Principal, counted: Decision) -> Decision:
        """Gives back one request counted by `hit_request` (a 304 costs nothing); returns
        the decision as it stands after the refund."""
        limits = principal.limits
        windows = _request_windows(
            principal.key_id, limits.requests_per_hour, limits.requests_per_day
        )
        try:
            if self._memory is not None:
                now = time.time()
                for window in windows:
                    self._memory.decr(window.key, now)
            elif self._redis_windows is not None:
                keys = [self._redis_key(window.key) for window in windows]
                await self._redis_refund(keys=keys)
            else:
                for window in windows:
                    await self.storage.decr(window.key)  # type: ignore[attr-defined]
        except (StorageError, RedisError, OSError) as error:
            raise RateLimitStoreUnavailable() from error
        states = tuple(
            replace(state, remaining=min(state.limit, state.remaining + 1))
            for state in counted.windows
        )
        binding = min(states, key=lambda state: state.remaining)
        return Decision(counted.allowed, binding, states)

    async def hit_scan_creation(self, principal: Principal) -> Decision:
        windows = _scan_windows(principal.key_id, principal.limits.scans_per_hour)
        return await self._apply(windows, True)

    async def peek_scan_creation(self, principal: Principal) -> Decision:
        """The scan-creation window as it stands, nothing counted (GET /usage)."""
        windows = _scan_windows(principal.key_id, principal.limits.scans_per_hour)
        return await self._apply(windows, False)

    async def _apply(self, windows: Sequence[_Window], consume: bool) -> Decision:
        if self._memory is not None:
            return self._count_in_memory(self._memory, windows, consume)
        try:
            if self._redis_windows is not None:
                return await self._count_in_redis(windows, consume)
            return await self._count(windows, consume)
        except (StorageError, RedisError, OSError) as error:
            raise RateLimitStoreUnavailable() from error

    async def _count_in_redis(self, windows: Sequence[_Window], consume: bool) -> Decision:
        """The same decision as `_count`, from one script run (see _WINDOWS_SCRIPT)."""
        assert self._redis_windows is not None
        keys = [self._redis_key(window.key) for window in windows]
        args = [value for window in windows for value in (window.limit, window.seconds)]
        counted = await self._redis_windows(keys=keys, args=[*args, 1 if consume else 0])
        now = time.time()
        states = []
        for index, window in enumerate(windows[: len(counted) // 2]):
            count, ttl = int(counted[2 * index]), int(counted[2 * index + 1])
            state = window.state(count, math.ceil(now + max(ttl, 0)))
            states.append(state)
            if not (count <= window.limit if consume else count < window.limit):
                return Decision(False, state, tuple(states))
        return _allowed(states)

    @staticmethod
    def _count_in_memory(
        memory: MemoryWindows, windows: Sequence[_Window], consume: bool
    ) -> Decision:
        """The same decision as `_count`, counted synchronously (MemoryWindows)."""
        now = time.time()
        states = []
        for window in windows:
            if consume:
                count, expiry = memory.incr(window.key, window.seconds, now)
                allowed = count <= window.limit
            else:
                count, expiry = memory.get(window.key, now)
                allowed = count < window.limit
            state = window.state(count, math.ceil(expiry))
            states.append(state)
            if not allowed:
                return Decision(False, state, tuple(states))
        return _allowed(states)

    async def _count(self, windows: Sequence[_Window], consume: bool) -> Decision:
        """Two storage calls per window: the increment (or, for a check, the read) whose count
        decides, exactly as the fixed-window strategy's hit/test do, and the window's expiry.
        The remaining budget shown is the one this request's own increment produced."""
        storage = self.storage
        states = []
        for window in windows:
            if consume:
                count = await storage.incr(window.key, window.seconds, amount=1)
                allowed = count <= window.limit
            else:
                count = await storage.get(window.key)
                allowed = count < window.limit
            state = window.state(count, math.ceil(await storage.get_expiry(window.key)))
            states.append(state)
            if not allowed:
                return Decision(False, state, tuple(states))
        return _allowed(states)


@dataclass(frozen=True, slots=True)
class _Window:
    """One counted window of one key: its limits item, storage key and length, worked out
    once per key and limit rather than on every request."""

    name: str
    limit: int
    seconds: int
    key: str

    def state(self, count: int, reset: int) -> WindowState:
        return WindowState(self.name, self.limit, max(0, self.limit - count), reset, self.seconds)


def _window(name: str, item: RateLimitItem, key_id: str) -> _Window:
    return _Window(name, item.amount, item.get_expiry(), item.key_for(key_id))


@functools.lru_cache(maxsize=4096)
def _request_windows(key_id: str, per_hour: int, per_day: int) -> tuple[_Window, ...]:
    return (
        _window("hour", RateLimitItemPerHour(per_hour, namespace=_NAMESPACE), key_id),
        _window("day", RateLimitItemPerDay(per_day, namespace=_NAMESPACE), key_id),
    )


@functools.lru_cache(maxsize=4096)
def _scan_windows(key_id: str, per_hour: int) -> tuple[_Window, ...]:
    item = RateLimitItemPerHour(per_hour, namespace=_NAMESPACE + "-scan")
    return (_window("scans-hour", item, key_id),)


def _allowed(states: list[WindowState]) -> Decision:
    """Allowed; bound by the window with the least remaining (the shorter on a tie)."""
    binding = states[0]
    for state in states[1:]:
        if (state.remaining, state.window_seconds) < (binding.remaining, binding.window_seconds):
            binding = state
    return Decision(True, binding, tuple(states))


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    binding = decision.binding
    headers = {
        "X-RateLimit-Limit": str(binding.limit),
        "X-RateLimit-Remaining": str(binding.remaining),
        "X-RateLimit-Reset": str(binding.reset),
        # IETF draft-ietf-httpapi-ratelimit-headers: structured-field policy and state.
        "RateLimit-Policy": ", ".join(
            f'"{w.name}";q={w.limit};w={w.window_seconds}' for w in decision.windows
        ),
        "RateLimit": f'"{binding.name}";r={binding.remaining};t={decision.retry_after}',
    }
    if not decision.allowed:
        headers["X-RateLimit-Retry-After"] = str(decision.retry_after)
        headers["Retry-After"] = str(decision.retry_after)
    return headers


# The names of the headers rate_limit_raw_headers may give.
RATE_LIMIT_NAMES = frozenset({
    b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset", b"ratelimit-policy",
    b"ratelimit", b"x-ratelimit-retry-after", b"retry-after",
})


@functools.lru_cache(maxsize=4096)
def _policy(windows: tuple[tuple[str, int, int], ...]) -> bytes:
    return ", ".join(f'"{name}";q={limit};w={seconds}' for name, limit, seconds in windows).encode()


def rate_limit_raw_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    """rate_limit_headers as ASGI headers (lower-case names, same order), the policy of
    each set of windows encoded once."""
    binding = decision.binding
    retry_after = decision.retry_after
    policy = _policy(tuple((w.name, w.limit, w.window_seconds) for w in decision.windows))
    headers = [
        (b"x-ratelimit-limit", b"%d" % binding.limit),
        (b"x-ratelimit-remaining", b"%d" % binding.remaining),
        (b"x-ratelimit-reset", b"%d" % binding.reset),
        (b"ratelimit-policy", policy),
        (b"ratelimit", b'"%s";r=%d;t=%d' % (binding.name.encode(), binding.remaining, retry_after)),
    ]
    if not decision.allowed:
        headers.append((b"x-ratelimit-retry-after", b"%d" % retry_after))
        headers.append((b"retry-after", b"%d" % retry_after))
    return headers


def scan_budget_headers(decision: Decision) -> dict[str, str]:
    """On an accepted scan creation: the key's scan-creation budget after this one (the
    X-RateLimit-* headers describe the request budget)."""
    binding = decision.binding
    return {
        "X-Scans-Limit": str(binding.limit),
        "X-Scans-Remaining": str(binding.remaining),
        "X-Scans-Reset": str(binding.reset),
    }


def rate_limit_details(decision: Decision) -> dict[str, int]:
    return {
        "limit": decision.binding.limit,
        "remaining": decision.binding.remaining,
        "reset": decision.binding.reset,
        "retry_after": decision.retry_after,
    }
