"""Rate-limit awareness against the real server's limits (keys with small custom budgets):
bursts do not turn into storms of 429s, spent keys are skipped, scan-creation limits hold
back scan creations only, and the seed's 429 body comes back as a TavoRateLimitError."""

from __future__ import annotations

import asyncio

import pytest
from tavo import TavoClient, TavoRateLimitError

from tests.sdks.python.conftest import Keys, run
from tests.support.live import LiveServer


def test_a_burst_beyond_the_budget_gets_no_storm_of_429s(server: LiveServer, keys: Keys) -> None:
    """Budget 5 per hour, 20 calls at once: 5 succeed, the other 15 are refused by the
    client itself (the reset is an hour away) without reaching the server."""
    key = keys.create("free", requests_per_hour=5)

    async def scenario() -> None:
        async with TavoClient(key, base_url=server.base_url) as client:
            outcomes = await asyncio.gather(
                *(client.scan_management.list_scans() for _ in range(20)),
                return_exceptions=True,
            )
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            assert len(errors) == 15
            assert all(isinstance(e, TavoRateLimitError) for e in errors)
            assert all(e.retry_after and e.retry_after > 3000 for e in errors)  # type: ignore[attr-defined]
            assert client.metrics.attempts == 5
            assert client.metrics.rate_limits_hit == 0  # not a single 429 received

    run(scenario())


def test_waiting_can_be_switched_off(server: LiveServer, keys: Keys) -> None:
    key = keys.create("free", requests_per_hour=1)

    async def scenario() -> None:
        async with TavoClient(key, base_url=server.base_url, wait_for_rate_limit=False) as client:
            await client.scan_management.list_scans()
            with pytest.raises(TavoRateLimitError) as refused:
                await client.scan_management.list_scans()
            assert refused.value.remaining == 0 and refused.value.limit == 1

    run(scenario())


def test_requests_spread_over_several_keys(server: LiveServer, keys: Keys) -> None:
    """Two keys with 3 requests each: 6 calls succeed, spread 3 and 3; the 7th is refused."""
    org = "spread"
    first, second = (keys.create("free", org=org, requests_per_hour=3) for _ in range(2))

    async def scenario() -> None:
        async with TavoClient([first, second], base_url=server.base_url) as client:
            for _ in range(6):
                await client.scan_management.list_scans()
            assert [budget.remaining for budget in client.rate_limits] == [0, 0]
            with pytest.raises(TavoRateLimitError):
                await client.scan_management.list_scans()
            assert client.metrics.rate_limits_hit == 0

    run(scenario())


def test_the_servers_429_is_a_rate_limit_error(server: LiveServer, keys: Keys) -> None:
    """A fresh client does not know the key is spent: the server answers 429 with the seed's
    body, and the wait it asks for (an hour) is too long to retry."""
    key = keys.create("free", requests_per_hour=1)

    async def scenario() -> None:
        async with TavoClient(key, base_url=server.base_url) as client:
            await client.scan_management.list_scans()
        async with TavoClient(key, base_url=server.base_url) as unaware:
            with pytest.raises(TavoRateLimitError) as limited:
                await unaware.scan_management.list_scans()
            error = limited.value
            assert error.code == "RATE_LIMIT_EXCEEDED" and error.status_code == 429
            assert error.limit == 1 and error.remaining == 0 and error.reset
            assert error.retry_after is not None and error.retry_after > 3000
            assert error.message == "API rate limit exceeded. Please try again later."
            assert unaware.metrics.attempts == 1 and unaware.metrics.rate_limits_hit == 1

    run(scenario())


def test_a_scan_creation_limit_holds_back_scan_creations_only(
    server: LiveServer, keys: Keys, repository_url: str
) -> None:
    key = keys.create("pro", scans_per_hour=1)

    async def scenario() -> None:
        async with TavoClient(key, base_url=server.base_url) as client:
            scan = await client.scan_management.create_scan(
                repository_url=repository_url, scan_type="secrets")
            with pytest.raises(TavoRateLimitError):
                await client.scan_management.create_scan(repository_url=repository_url)
            assert client.metrics.rate_limits_hit == 1
            # Reads go on; another creation is refused without asking the server again.
            await client.scan_management.get_scan_status(scan.id)
            with pytest.raises(TavoRateLimitError):
                await client.scan_management.create_scan(repository_url=repository_url)
            assert client.metrics.rate_limits_hit == 1
            await client.scan_management.cancel_scan(scan.id)

    run(scenario())
