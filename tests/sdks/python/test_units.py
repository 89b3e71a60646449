"""Pure parts of the SDK, without a server: the public namespace, models read like JSON,
argument merging, settings from the environment, retry and rate-limit decisions, the
circuit breaker, SSE parsing and the metrics."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path
from typing import Any

import pytest
import tavo
from tavo import (
    CircuitBreaker,
    CircuitBreakerOpenError,
    CircuitOpenError,
    RetryPolicy,
    SyncTavoClient,
    TavoClient,
    TavoConnectionError,
    TavoError,
    TavoRateLimitError,
    TavoTimeoutError,
)
from tavo._base_client import APIRequest, ClientCore, path
from tavo._exceptions import error_for_status
from tavo._ratelimit import KeyPool
from tavo._sse import SSEDecoder
from tavo._transport import Request, Response
from tavo.resources._base import merged
from tavo.types import Scan, ScanList, ScanResults

PUBLIC_NAMES = [
    "NOT_GIVEN",
    "SEVERITY_ORDER",
    "AsyncMemoryStorage",
    "AsyncPager",
    "CircuitBreaker",
    "CircuitBreakerOpenError",
    "CircuitOpenError",
    "KeyBudget",
    "Limits",
    "MemoryStorage",
    "Metrics",
    "NotGiven",
    "Request",
    "Response",
    "RetryPolicy",
    "Severity",
    "SyncPager",
    "SyncTavoClient",
    "TavoAPIError",
    "TavoAuthError",
    "TavoClient",
    "TavoConflictError",
    "TavoConnectionError",
    "TavoError",
    "TavoNotFoundError",
    "TavoRateLimitError",
    "TavoServerError",
    "TavoTimeoutError",
    "TavoValidationError",
    "Timeout",
    "WebhookVerificationError",
    "__version__",
    "accept_invitation",
    "accept_invitation_async",
    "verify_webhook",
]

SCAN_JSON: dict[str, Any] = {
    "id": "scan_1",
    "status": "completed",
    "scan_type": "security",
    "summary": {"total": 2, "by_severity": {"HIGH": 2}},
    "rules": [],
    "added_by_a_newer_server": True,
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_public_namespace_is_curated() -> None:
    """A failure here means the public API changed: update the list on purpose."""
    assert tavo.__all__ == PUBLIC_NAMES
    for name in tavo.__all__:
        assert getattr(tavo, name) is not None
    assert not [n for n in dir(tavo) if not n.startswith("_") and n not in tavo.__all__
                and n not in ("invitations", "pagination", "resources", "types", "webhooks")]


def test_models_read_like_the_json_they_came_from() -> None:
    scan = Scan.from_json(SCAN_JSON)
    assert scan.status == scan["status"] == "completed"
    assert scan.summary is not None and scan.summary.total == 2
    assert scan["summary"]["by_severity"] == {"HIGH": 2}
    assert scan.get("missing", "default") == "default"
    assert "id" in scan and "nope" not in scan
    # A field the model does not declare is kept and readable.
    assert scan["added_by_a_newer_server"] is True
    assert scan.extra == {"added_by_a_newer_server": True}
    assert dict(scan)["id"] == "scan_1"
    assert json.loads(json.dumps(scan.to_dict()))["summary"]["total"] == 2
    with pytest.raises(KeyError):
        scan["nope"]


def test_list_models_have_items_and_both_paging_styles() -> None:
    page = ScanList.from_json(
        {"items": [SCAN_JSON], "total": 7, "offset": 0, "limit": 1, "page": 0,
         "page_size": 1, "has_more": True}
    )
    assert page["items"][0]["id"] == "scan_1"
    assert isinstance(page.items[0], Scan)
    assert page.has_more and page["total"] == 7


def test_a_response_of_another_shape_is_a_tavo_error() -> None:
    from tavo.resources._base import parse

    with pytest.raises(TavoError, match="ScanResults"):
        parse(ScanResults, {"vulnerabilities": []})  # scan_id and scan_status missing
    with pytest.raises(TavoError):
        parse(Scan, ["not", "an", "object"])


def test_dict_and_keyword_arguments_merge_keywords_winning() -> None:
    given = {"page": 0, "page_size": 100, "status": "completed"}
    assert merged(given, status="failed", page=tavo.NOT_GIVEN, limit=None) == {
        "page": 0,
        "page_size": 100,
        "status": "failed",
    }


def test_paths_encode_ids_and_urls() -> None:
    assert path("scans", "scan_1", "status") == "/api/v1/scans/scan_1/status"
    assert path("repositories", "https://x/y") == "/api/v1/repositories/https%3A%2F%2Fx%2Fy"
    assert path("scans", "..") == "/api/v1/scans/%2E%2E"
    with pytest.raises(ValueError):
        path("scans", "")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAVO_BASE_URL", "http://tavo.example:9000/api/v1/")
    monkeypatch.setenv("TAVO_API_KEY", "key-a, key-b")
    client = SyncTavoClient()
    try:
        assert client.base_url == "http://tavo.example:9000"
        assert [b.key for b in client.rate_limits] == ["key-a", "key-b"]
        assert "key-a" not in repr(client.rate_limits)  # keys never reach logs whole
    finally:
        client.close()
    monkeypatch.delenv("TAVO_API_KEY")
    with pytest.raises(TavoError, match="TAVO_API_KEY"):
        TavoClient()
    positional = TavoClient("only-key")
    assert [b.key for b in positional.rate_limits] == ["only-key"]


def test_method_names_with_dots_reach_resource_methods() -> None:
    client = TavoClient("k", base_url="http://127.0.0.1:1")
    method = getattr(client, "scan_management.list_scans")
    assert method == client.scan_management.list_scans
    with pytest.raises(AttributeError):
        getattr(client, "scan_management.nope")
    with pytest.raises(AttributeError):
        client.nope  # type: ignore[attr-defined]  # noqa: B018


def test_errors_are_builtin_types_too() -> None:
    assert isinstance(TavoConnectionError("x"), ConnectionError)
    assert isinstance(TavoTimeoutError("x"), TimeoutError)
    assert CircuitBreakerOpenError is CircuitOpenError
    CircuitBreakerOpenError("Circuit breaker is open")  # as the seed raises it


def test_the_seed_rate_limit_body_becomes_a_rate_limit_error() -> None:
    body = {
        "success": False,
        "error": {
            "code": "RATE_LIMIT_EXCEEDED",
            "message": "API rate limit exceeded. Please try again later.",
            "details": {"limit": 1000, "remaining": 0, "reset": 1640995200, "retry_after": 3600},
        },
    }
    error = error_for_status(429, body, {"x-request-id": "r1"}, retry_after=3600)
    assert isinstance(error, TavoRateLimitError)
    assert (error.limit, error.remaining, error.reset, error.retry_after) == (
        1000, 0, 1640995200, 3600,
    )
    assert error.request_id == "r1" and error.code == "RATE_LIMIT_EXCEEDED"
    assert "rate limit" in str(error).lower()


def test_backoff_is_exponential_with_full_jitter() -> None:
    top = RetryPolicy(initial_delay=0.5, max_delay=8, jitter=lambda: 0.999999)
    assert [round(top.backoff(n), 3) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert RetryPolicy(jitter=lambda: 0.0).backoff(3) == 0.0
    policy = RetryPolicy(max_retries=2)
    assert policy.can_retry(1, replay_safe=True)
    assert not policy.can_retry(2, replay_safe=True)
    assert not policy.can_retry(0, replay_safe=False)


def test_retry_decisions_by_status() -> None:
    policy = RetryPolicy(jitter=lambda: 0.5, max_server_wait=60)
    assert policy.delay_for_status(0, 503, {}) == 0.25
    assert policy.delay_for_status(0, 503, {"retry-after": "2"}) == 2.0
    assert policy.delay_for_status(0, 503, {"retry-after": "3600"}) is None  # too long
    for status in (400, 401, 403, 404, 409, 422, 500):
        assert policy.delay_for_status(0, status, {}) is None


def test_every_post_gets_one_idempotency_key_and_large_bodies_are_gzipped() -> None:
    core = ClientCore(api_keys=["k"], base_url="http://h")
    big = core.prepare(APIRequest("POST", "/api/v1/scans", json={"rules": ["r"] * 500}))
    assert big.headers["Content-Encoding"] == "gzip" and big.replay_safe
    assert len(big.headers["Idempotency-Key"]) == 32
    again = core.wire(big, "k", None)
    assert again.headers["Idempotency-Key"] == big.headers["Idempotency-Key"]
    small = core.prepare(APIRequest("POST", "/api/v1/scans", json={"a": 1}))
    assert "Content-Encoding" not in small.headers
    given = core.prepare(APIRequest("POST", "/x", json={}, idempotency_key="mine"))
    assert given.headers["Idempotency-Key"] == "mine"
    get = core.prepare(APIRequest("GET", "/x", params={"severity": ["HIGH", "LOW"], "x": None}))
    assert get.url == "http://h/x?severity=HIGH&severity=LOW"
    assert "Idempotency-Key" not in get.headers


def rate_headers(remaining: int, seconds: int = 3600, window: str = "hour") -> dict[str, str]:
    return {
        "x-ratelimit-limit": "10",
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": "1900000000",
        "ratelimit": f'"{window}";r={remaining};t={seconds}',
    }


def test_an_unknown_budget_is_probed_with_one_request_first() -> None:
    pool = KeyPool(["a"], clock=Clock())
    assert pool.acquire(None) == ("a", 0.0)
    key, wait = pool.acquire(None)  # the probe is still in flight
    assert key is None and 0 < wait < 1
    pool.release("a", 200, rate_headers(remaining=5), None)
    assert [pool.acquire(None)[0] for _ in range(6)] == ["a"] * 5 + [None]


def test_a_spent_key_waits_for_its_reset() -> None:
    clock = Clock()
    pool = KeyPool(["a"], clock=clock)
    pool.acquire(None)
    pool.release("a", 200, rate_headers(remaining=0, seconds=30), None)
    key, wait = pool.acquire(None)
    assert key is None and wait == pytest.approx(30)
    clock.now += 31
    assert pool.acquire(None)[0] == "a"  # the window has reset


def test_requests_spread_over_keys_by_budget_and_skip_a_spent_one() -> None:
    pool = KeyPool(["a", "b"], clock=Clock())
    for key in ("a", "b"):
        assert pool.acquire(None)[0] == key
    pool.release("a", 200, rate_headers(remaining=2), None)
    pool.release("b", 200, rate_headers(remaining=4), None)
    picked = [pool.acquire(None)[0] for _ in range(7)]
    assert picked.count("a") == 2 and picked.count("b") == 4 and picked[-1] is None


def test_a_limit_on_one_kind_of_request_holds_back_that_kind_only() -> None:
    clock = Clock()
    pool = KeyPool(["a"], clock=clock)
    pool.acquire(None)
    pool.release("a", 200, rate_headers(remaining=100), None)  # "hour" is a general window
    pool.acquire("scan creation")
    headers = {**rate_headers(0, 1800, window="scans-hour"), "retry-after": "1800"}
    pool.release("a", 429, headers, "scan creation")
    assert pool.acquire("scan creation")[0] is None
    assert pool.acquire(None)[0] == "a"


def test_circuit_breaker_opens_probes_and_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, recovery_timeout=10, clock=clock)
    breaker.before_request()
    breaker.record_failure()
    breaker.before_request()
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError) as refused:
        breaker.before_request()
    assert refused.value.retry_after == pytest.approx(10)
    clock.now += 10.5
    assert breaker.state == "half-open"
    breaker.before_request()  # the probe
    with pytest.raises(CircuitOpenError):
        breaker.before_request()  # only one probe at a time
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 10.5
    breaker.before_request()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.failure_count == 0


def test_server_sent_events_are_parsed() -> None:
    decoder = SSEDecoder()
    lines = [b"id: 1\n", b"event: status\n", b'data: {"a": 1}\n', b"\n", b": keep-alive\n",
             b"\n", b"data: x\n", b"data: y\n", b"\n"]
    events = [e for e in (decoder.feed(line) for line in lines) if e is not None]
    assert [(e.event, e.data, e.id) for e in events] == [
        ("status", '{"a": 1}', "1"), ("message", "x\ny", "1")
    ]


def test_metrics_percentiles() -> None:
    metrics = tavo.Metrics()
    for millis in range(1, 101):
        metrics.record_call(millis / 1000, failed=millis > 95)
    assert metrics.percentile(0.5) == 0.05 and metrics.percentile(0.99) == 0.099
    snapshot = metrics.snapshot()
    assert snapshot["requests_total"] == 100 and snapshot["requests_failed"] == 5
    assert snapshot["error_rate"] == 0.05


class CannedTransport:
    """Answers every request with the same response (no network)."""

    def __init__(self, response: Response) -> None:
        self.response = response
        self.sent: list[Request] = []

    async def send(self, request: Request) -> Response:
        self.sent.append(request)
        return self.response

    async def aclose(self) -> None:
        pass


def test_hooks_see_each_request_and_response_and_may_be_coroutines() -> None:
    seen: list[str] = []

    async def on_response(response: Response) -> None:
        await asyncio.sleep(0)
        seen.append(f"response {response.status_code}")

    body = json.dumps({"id": "s", "status": "queued"}).encode()
    transport = CannedTransport(Response(200, {}, body))
    client = TavoClient(
        "k",
        base_url="http://h",
        transport=transport,
        event_hooks={"request": [lambda r: seen.append(f"request {r.method}")],
                     "response": [on_response]},
    )
    status = asyncio.run(client.scan_management.get_scan_status("s"))
    assert status.status == "queued"
    assert seen == ["request GET", "response 200"]
    assert transport.sent[0].headers["Authorization"] == "Bearer k"


def test_a_client_never_closed_warns() -> None:
    from tests.support.live import free_port

    async def use_and_drop() -> None:
        client = TavoClient("k", base_url=f"http://127.0.0.1:{free_port()}", max_retries=0)
        with pytest.raises(TavoConnectionError):
            await client.scan_management.list_scans()
        # The session exists now; the client is dropped without close().
        del client
        gc.collect()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(use_and_drop())
    assert any(
        issubclass(w.category, ResourceWarning) and "never closed" in str(w.message)
        for w in caught
    )


def test_a_sync_client_never_closed_warns() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = SyncTavoClient("k", base_url="http://127.0.0.1:1")
        del client
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)


def test_the_sdk_needs_nothing_from_the_server_side() -> None:
    """Its dependencies are its HTTP stack, a cache library and pathspec (for directory
    uploads); using it loads nothing of the platform's."""
    sdk = Path(__file__).resolve().parents[3] / "sdks" / "python" / "pyproject.toml"
    dependencies = tomllib.loads(sdk.read_text())["project"]["dependencies"]
    assert {re.split(r"[<>=\[ ]", spec)[0] for spec in dependencies} == {
        "aiohttp", "httpx", "hishel", "pathspec"}
    code = (
        "import sys, tavo\n"
        "tavo.SyncTavoClient('k').close()\n"
        "tavo.TavoClient('k', http2=True)\n"
        "server_side = ('tavo_platform', 'fastapi', 'starlette', 'sqlalchemy', 'pydantic')\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(server_side))\n"
        "sys.exit(f'loaded: {loaded}' if loaded else 0)\n"
    )
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True)


def test_pages_are_fetched_lazily_and_shifted_items_are_not_repeated() -> None:
    """A scan created between two pages pushes the first page's last item onto the second:
    iterating by item does not yield it twice."""
    from tavo import SyncPager

    data = [{"id": f"scan_{n}", "status": "queued"} for n in range(5)]
    fetched: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> ScanList:
        fetched.append((offset, limit))
        if len(fetched) == 2:
            data.insert(0, {"id": "scan_new", "status": "queued"})
        window = data[offset : offset + limit]
        return ScanList.from_json(
            {"items": window, "total": len(data), "has_more": offset + limit < len(data)})

    pager = SyncPager(fetch, lambda page: page.items, page_size=2, key=lambda scan: scan.id)
    iterator = iter(pager)
    assert next(iterator).id == "scan_0" and fetched == [(0, 2)]  # one page so far
    rest = [scan.id for scan in iterator]
    assert rest == ["scan_1", "scan_2", "scan_3", "scan_4"]
