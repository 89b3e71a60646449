"""Retries, timeouts, idempotent POSTs and the circuit breaker, against the live server
behind the fault-injecting proxy (tests/support/faults.py). Each test names the faults it
injects; every other request goes through to the real server untouched."""

from __future__ import annotations

import time

import pytest
from tavo import (
    CircuitBreaker,
    CircuitOpenError,
    RetryPolicy,
    SyncTavoClient,
    TavoClient,
    TavoConnectionError,
    TavoNotFoundError,
    TavoRateLimitError,
    TavoServerError,
    TavoTimeoutError,
    Timeout,
)

from tests.sdks.python.conftest import Keys, run
from tests.support.faults import FaultProxy

# Short waits keep the tests quick; the policy is the SDK's own.
FAST = RetryPolicy(max_retries=3, initial_delay=0.05, max_delay=0.2)


def client(proxy: FaultProxy, key: str, **options: object) -> TavoClient:
    options.setdefault("max_retries", FAST)
    return TavoClient(key, base_url=proxy.base_url, **options)  # type: ignore[arg-type]


def test_connection_resets_are_retried(faults: FaultProxy, api_key: str) -> None:
    """Injects: three connection resets before the request reaches the server. (aiohttp
    itself sends an idempotent request once more when its connection closes, as RFC 9112
    allows; the SDK's retries come on top of that.)"""
    faults.inject(["reset", "reset", "reset"])

    async def scenario() -> None:
        async with client(faults, api_key) as tavo:
            scans = await tavo.scan_management.list_scans()
            assert scans.total == 0
            assert tavo.metrics.retries >= 1 and tavo.metrics.requests_failed == 0

    run(scenario())
    assert [seen.fault for seen in faults.seen] == ["reset", "reset", "reset", "pass"]


def test_a_burst_of_503s_is_ridden_out(faults: FaultProxy, api_key: str) -> None:
    """Injects: three 503 answers, then the server answers."""
    faults.inject(["503", "503", "503"])

    async def scenario() -> None:
        async with client(faults, api_key) as tavo:
            models = await tavo.ai_analysis.get_models()
            assert models.items
            assert tavo.metrics.retries == 3

    run(scenario())


def test_retries_stop_after_max_retries(faults: FaultProxy, api_key: str) -> None:
    """Injects: 502, 504, 503, 503 (one more than the three retries allowed)."""
    faults.inject(["502", "504", "503", "503"])

    async def scenario() -> None:
        async with client(faults, api_key) as tavo:
            with pytest.raises(TavoServerError) as failed:
                await tavo.scan_management.list_scans()
            assert failed.value.status_code == 503 and failed.value.request_id == "injected-503"
            assert tavo.metrics.attempts == 4 and tavo.metrics.requests_failed == 1

    run(scenario())


def test_other_4xx_are_not_retried(faults: FaultProxy, api_key: str) -> None:
    """Injects nothing: a 404 from the server is final."""

    async def scenario() -> None:
        async with client(faults, api_key) as tavo:
            with pytest.raises(TavoNotFoundError):
                await tavo.scan_management.get_scan("scan_missing")
            assert tavo.metrics.attempts == 1

    run(scenario())
    assert len(faults.seen) == 1


def test_a_slow_response_times_out_and_is_retried(faults: FaultProxy, api_key: str) -> None:
    """Injects: the first answer is held back 3 s; the read timeout is 0.5 s."""
    faults.inject(["slow:3"])

    async def scenario() -> None:
        async with client(faults, api_key, timeout=Timeout(connect=5, read=0.5)) as tavo:
            started = time.monotonic()
            await tavo.scan_management.list_scans()
            assert time.monotonic() - started < 2.5
            assert tavo.metrics.retries == 1

    run(scenario())


def test_timeouts_surface_as_timeout_errors(faults: FaultProxy, api_key: str) -> None:
    """Injects: every answer held back 2 s; read timeout 0.3 s and no retries."""
    faults.inject(["slow:2"])

    async def scenario() -> None:
        async with client(faults, api_key, timeout=Timeout(read=0.3), max_retries=0) as tavo:
            with pytest.raises(TavoTimeoutError):
                await tavo.scan_management.list_scans()

    run(scenario())


def test_a_lost_answer_to_a_post_does_not_create_twice(
    faults: FaultProxy, keys: Keys, repository_url: str
) -> None:
    """Injects: the server creates the scan, then the connection is reset before its answer
    arrives. The retry carries the same Idempotency-Key, so the server replays the first
    answer instead of creating a second scan."""
    key = keys.unlimited()
    faults.inject(["reset_after_forward"])

    async def scenario() -> None:
        async with client(faults, key) as tavo:
            scan = await tavo.scan_management.create_scan(
                {"repository_url": repository_url, "scan_type": "secrets"}
            )
            listed = await tavo.scan_management.list_scans()
            assert [s.id for s in listed.items] == [scan.id]
            await tavo.scan_management.cancel_scan(scan.id)

    run(scenario())
    posts = [seen for seen in faults.seen if seen.method == "POST" and seen.path.endswith("/scans")]
    assert len(posts) == 2
    assert posts[0].headers["idempotency-key"] == posts[1].headers["idempotency-key"]


def test_a_429_waits_for_retry_after(faults: FaultProxy, api_key: str) -> None:
    """Injects: a 429 with Retry-After: 1 (the seed's body)."""
    faults.inject(["429:1"])

    async def scenario() -> None:
        async with client(faults, api_key) as tavo:
            started = time.monotonic()
            await tavo.scan_management.list_scans()
            assert time.monotonic() - started >= 0.9
            assert tavo.metrics.rate_limits_hit == 1 and tavo.metrics.retries == 1

    run(scenario())


def test_a_429_asking_too_long_a_wait_is_raised_at_once(
    faults: FaultProxy, api_key: str
) -> None:
    """Injects: a 429 with Retry-After: 600, beyond the client's 60 s cap."""
    faults.inject(["429:600"])

    async def scenario() -> None:
        async with client(faults, api_key) as tavo:
            started = time.monotonic()
            with pytest.raises(TavoRateLimitError) as limited:
                await tavo.scan_management.list_scans()
            assert time.monotonic() - started < 5
            assert limited.value.retry_after == 600
            assert "rate limit" in str(limited.value).lower()

    run(scenario())


def test_the_circuit_breaker_fails_fast_then_probes(faults: FaultProxy, api_key: str) -> None:
    """Injects: two 503s (the threshold); then the server is healthy again."""
    faults.inject(["503", "503"])
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=0.5)

    async def scenario() -> None:
        async with client(faults, api_key, max_retries=0, circuit_breaker=breaker) as tavo:
            for _ in range(2):
                with pytest.raises(TavoServerError):
                    await tavo.scan_management.list_scans()
            assert breaker.state == "open"
            with pytest.raises(CircuitOpenError):
                await tavo.scan_management.list_scans()
            assert len(faults.seen) == 2  # refused without a request
            time.sleep(0.6)
            assert breaker.state == "half-open"
            await tavo.scan_management.list_scans()  # the probe succeeds
            assert breaker.state == "closed"

    run(scenario())


def test_wait_for_scan_falls_back_to_polling(
    faults: FaultProxy, keys: Keys, repository_url: str
) -> None:
    """Injects: the event stream's connection is reset (twice: aiohttp sends a GET once
    more by itself); waiting goes on by polling the status."""
    key = keys.unlimited()

    async def scenario() -> None:
        async with client(faults, key) as tavo:
            scan = await tavo.scan_management.create_scan(repository_url=repository_url)
            faults.inject(["reset", "reset"])
            final = await tavo.scan_management.wait_for_scan(scan.id, timeout=300)
            assert final.status == "completed"

    run(scenario())
    streams = [seen for seen in faults.seen if seen.path.endswith("/events")]
    polls = [seen for seen in faults.seen if seen.path.endswith("/status")]
    assert streams and all(seen.fault == "reset" for seen in streams)
    assert polls and polls[-1].fault == "pass"
    assert len(streams) + len(polls) + 1 == len(faults.seen)


def test_the_sync_client_retries_too(faults: FaultProxy, api_key: str) -> None:
    """Injects: a connection reset and a 503."""
    faults.inject(["reset", "503"])
    with SyncTavoClient(api_key, base_url=faults.base_url, max_retries=FAST) as tavo:
        assert tavo.scan_management.list_scans().total == 0
        assert tavo.metrics.retries == 2


def test_an_unreachable_server_is_a_connection_error(api_key: str) -> None:
    """No proxy: nothing listens on the port."""
    from tests.support.live import free_port

    async def scenario() -> None:
        async with TavoClient(api_key, base_url=f"http://127.0.0.1:{free_port()}",
                              max_retries=RetryPolicy(max_retries=1, initial_delay=0.01)) as tavo:
            with pytest.raises(TavoConnectionError):
                await tavo.scan_management.list_scans()
            assert tavo.metrics.attempts == 2

    run(scenario())
