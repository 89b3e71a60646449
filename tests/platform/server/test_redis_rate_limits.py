"""The rate limiter over Redis decides exactly as over memory, is exact under concurrency from
many limiter instances (as many API processes would be), and turns a Redis outage into
RateLimitStoreUnavailable (the API's 503) and recovers when Redis is back."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tavo_platform.server.auth import Principal
from tavo_platform.server.ratelimit import Decision, RateLimiter, RateLimitStoreUnavailable
from tavo_platform.store.records import ApiKey
from tavo_platform.tiers import TierLimits

from tests.support import services

pytestmark = pytest.mark.usefixtures("scale_services")


def principal(per_hour: int, per_day: int, scans: int = 10) -> Principal:
    key = ApiKey(id=f"key_{uuid.uuid4().hex}", org_id="org_test", name="", key_hash="h",
                 prefix="p", tier="enterprise", is_admin=False, limits=None,
                 created_at=datetime.now(UTC), expires_at=None, revoked_at=None)
    return Principal(key, TierLimits(requests_per_hour=per_hour, requests_per_day=per_day,
                                     scans_per_hour=scans))


def summary(decision: Decision) -> tuple:
    return (decision.allowed, decision.binding.name, decision.binding.remaining,
            tuple((w.name, w.limit, w.remaining) for w in decision.windows))


async def sequence(limiter: RateLimiter, caller: Principal) -> list[tuple]:
    """Hits, checks and scan creations through both windows' limits."""
    results = []
    for _ in range(3):
        results.append(summary(await limiter.hit_request(caller)))
    results.append(summary(await limiter.hit_request(caller, consume=False)))
    for _ in range(3):  # the hour (3) is spent: refused, and the day is not charged
        results.append(summary(await limiter.hit_request(caller)))
    results.append(summary(await limiter.hit_request(caller, consume=False)))
    for _ in range(3):
        results.append(summary(await limiter.hit_scan_creation(caller)))
    return results


def test_redis_decides_exactly_as_memory() -> None:
    async def both() -> tuple[list[tuple], list[tuple], Decision]:
        memory = RateLimiter("memory://")
        redis = RateLimiter(services.redis_url())
        caller = principal(per_hour=3, per_day=5, scans=2)
        try:
            in_memory = await sequence(memory, caller)
            in_redis = await sequence(redis, caller)
            last = await redis.hit_request(caller)
        finally:
            await redis.close()
        return in_memory, in_redis, last

    in_memory, in_redis, refused = asyncio.run(both())
    assert in_redis == in_memory
    assert [allowed for allowed, *_ in in_redis[:3]] == [True] * 3
    assert in_redis[4][0] is False and in_redis[4][1] == "hour"
    assert in_redis[1][3] == (("hour", 3, 1), ("day", 5, 3))
    assert not refused.allowed
    assert 3500 < refused.binding.reset - time.time() <= 3601
    assert 3500 < refused.retry_after <= 3601


def test_many_limiters_one_exact_budget() -> None:
    """Ten limiter instances (ten API processes) and 400 concurrent hits on a budget of 57."""
    caller = principal(per_hour=57, per_day=10_000)

    async def burst() -> list[bool]:
        limiters = [RateLimiter(services.redis_url()) for _ in range(10)]
        try:
            decisions = await asyncio.gather(
                *(limiters[n % 10].hit_request(caller) for n in range(400)))
        finally:
            await asyncio.gather(*(limiter.close() for limiter in limiters))
        return [d.allowed for d in decisions]

    allowed = asyncio.run(burst())
    assert allowed.count(True) == 57


def test_redis_outage_is_unavailable_and_recovers(tmp_path: Path) -> None:
    redis = services.PrivateRedis(tmp_path / "redis").start()
    caller = principal(per_hour=100, per_day=1000)

    async def scenario() -> None:
        limiter = RateLimiter(redis.url)
        try:
            await outage(limiter)
        finally:
            await limiter.close()

    async def outage(limiter: RateLimiter) -> None:
        assert (await limiter.hit_request(caller)).allowed
        redis.stop()
        started = time.monotonic()
        for _ in range(3):
            with pytest.raises(RateLimitStoreUnavailable) as refused:
                await limiter.hit_request(caller)
            assert refused.value.status == 503
        assert time.monotonic() - started < 5  # fails fast, no long retry loop
        redis.start()  # same port, and empty: a restart without persistence
        recovered = await limiter.hit_request(caller)
        assert recovered.allowed and recovered.binding.remaining == 99

    try:
        asyncio.run(scenario())
    finally:
        redis.stop()
