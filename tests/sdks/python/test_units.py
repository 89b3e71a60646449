"""Pure parts of the SDK, without a server: the public namespace, models read like JSON,
argument merging, settings from the environment, retry and rate-limit decisions, the
circuit breaker, SSE parsing and the metrics."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import re
import subprocess
import sys
import tomllib
import warnings
from collections.abc import Iterator
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
    Timeout,
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
    assert not [
        n
        for n in dir(tavo)
        if not n.startswith("_")
        and n not in tavo.__all__
        and n not in ("invitations", "pagination", "resources", "types", "webhooks")
    ]


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
        {
            "items": [SCAN_JSON],
            "total": 7,
            "offset": 0,
            "limit": 1,
            "page": 0,
            "page_size": 1,
            "has_more": True,
        }
    )
    assert page["items"][0]["id"] == "scan_1"
    assert isinstance(page.items[0], Scan)
    assert page.has_more and page["total"] == 7


def _every_model() -> list[type[Any]]:
    import dataclasses

    import tavo.types
    from tavo._models import Model

    found: dict[str, type[Any]] = {}
    for module in list(sys.modules.values()):
        if module is None or not getattr(module, "__name__", "").startswith("tavo"):
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Model)
                and value is not Model
                and dataclasses.is_dataclass(value)
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    assert len(found) > 40 and tavo.types.ScanStatus in found.values()
    return list(found.values())


def _sample(model: type[Any], depth: int = 0) -> dict[str, Any]:
    """A JSON object for `model`: every field set (nested models too), plus an extra key."""
    import dataclasses
    import typing

    from tavo._models import Model

    def value_for(hint: Any) -> Any:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if isinstance(hint, type) and issubclass(hint, Model):
            return _sample(hint, depth + 1) if depth < 3 else None
        if args and type(None) in args:
            options = [a for a in args if a is not type(None)]
            return value_for(options[0]) if len(options) == 1 else "either"
        if origin is list:
            return [value_for(args[0]) for _ in range(2)] if args else ["x"]
        if origin is dict:
            return {"k": value_for(args[1])} if len(args) == 2 else {"k": 1}
        return {int: 7, float: 1.5, bool: True, str: "text"}.get(hint, "literal")

    hints = typing.get_type_hints(model)
    data = {f.name: value_for(hints[f.name]) for f in dataclasses.fields(model)}
    data["added_by_a_newer_server"] = [1, 2]
    return data


def test_compiled_model_builders_match_the_dataclass_path() -> None:
    """Every model's written-out from_json builds what the generic path (a keyword call of
    the dataclass) builds: all fields, only the required ones, extras kept, nested models,
    and the same error when a required field is missing."""
    import dataclasses

    checked = 0
    for model in _every_model():
        full = _sample(model)
        required = {
            f.name: full[f.name]
            for f in dataclasses.fields(model)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        for data in (full, required, {**required, "another": None}):
            built, generic = model.from_json(data), model._from_json_generic(data)
            assert type(built) is model
            assert built == generic and built.to_dict() == generic.to_dict() == {
                **{f.name: generic.to_dict()[f.name] for f in dataclasses.fields(model)},
                **generic.extra,
            }
            assert built.extra == generic.extra
            checked += 1
        if required:
            missing = dict(full)
            missing.pop(next(iter(required)))
            with pytest.raises(TypeError) as compiled_error:
                model.from_json(missing)
            with pytest.raises(TypeError) as generic_error:
                model._from_json_generic(missing)
            assert str(compiled_error.value) == str(generic_error.value)
        with pytest.raises(TypeError, match="expects a JSON object"):
            model.from_json(["not", "an", "object"])  # type: ignore[arg-type]
    assert checked > 120


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
        1000,
        0,
        1640995200,
        3600,
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
    lines = [
        b"id: 1\n",
        b"event: status\n",
        b'data: {"a": 1}\n',
        b"\n",
        b": keep-alive\n",
        b"\n",
        b"data: x\n",
        b"data: y\n",
        b"\n",
    ]
    events = [e for e in (decoder.feed(line) for line in lines) if e is not None]
    assert [(e.event, e.data, e.id) for e in events] == [
        ("status", '{"a": 1}', "1"),
        ("message", "x\ny", "1"),
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
        event_hooks={
            "request": [lambda r: seen.append(f"request {r.method}")],
            "response": [on_response],
        },
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
        issubclass(w.category, ResourceWarning) and "never closed" in str(w.message) for w in caught
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
        "aiohttp",
        "httpx",
        "hishel",
        "pathspec",
    }
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
            {"items": window, "total": len(data), "has_more": offset + limit < len(data)}
        )

    pager = SyncPager(fetch, lambda page: page.items, page_size=2, key=lambda scan: scan.id)
    iterator = iter(pager)
    assert next(iterator).id == "scan_0" and fetched == [(0, 2)]  # one page so far
    rest = [scan.id for scan in iterator]
    assert rest == ["scan_1", "scan_2", "scan_3", "scan_4"]


# --- the aiohttp transport's read timeout (the longest wait between two chunks) -------------


class _ScriptServer:
    """A server on a free port answering each request with the next script of `scripts`:
    (seconds to wait, bytes to send) steps, the connection kept open afterwards."""

    def __init__(self, scripts: Iterator[list[tuple[float, bytes]]]) -> None:
        self.scripts = scripts
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/api/v1/x"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        self.tasks.append(task)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                for pause, chunk in next(self.scripts):
                    await asyncio.sleep(pause)
                    writer.write(chunk)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, StopIteration):
            pass

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"


def _get(url: str, read: float) -> Request:
    return Request("GET", url, {"Accept": "application/json"}, None, Timeout(connect=5, read=read))


def test_a_response_stalling_midway_times_out_after_the_read_timeout() -> None:
    from tavo._aiohttp_transport import AiohttpTransport, _QuietReadTimeoutHandler

    async def scenario() -> None:
        # Data 0.2 s in, then nothing: the timeout counts from the last chunk (0.5 s).
        stalls = itertools.repeat([(0, _HEAD), (0.2, b'{"id":'), (30, b'"x"}  ')])
        async with _ScriptServer(stalls) as url:
            transport = AiohttpTransport()
            try:
                started = asyncio.get_running_loop().time()
                with pytest.raises(TavoTimeoutError):
                    await transport.send(_get(url, read=0.3))
                waited = asyncio.get_running_loop().time() - started
                assert 0.45 <= waited < 2.5
                # The client's own connector reads with the one-timer protocol.
                connector: Any = transport.connector
                assert connector._factory.func is _QuietReadTimeoutHandler
            finally:
                await transport.aclose()

    asyncio.run(scenario())


def test_a_slow_but_steady_response_is_not_a_read_timeout() -> None:
    """Chunks 0.15 s apart, 0.9 s in all, under a 0.4 s read timeout: never a wait of 0.4 s
    between two chunks, so the answer arrives (the same connection, twice)."""
    from tavo._aiohttp_transport import AiohttpTransport

    body = b'{"id": "x"} '
    steady = [(0.0, _HEAD)] + [(0.15, body[i : i + 2]) for i in range(0, 12, 2)]

    async def scenario() -> None:
        async with _ScriptServer(itertools.repeat(steady)) as url:
            transport = AiohttpTransport()
            try:
                for _ in range(2):
                    response = await transport.send(_get(url, read=0.4))
                    assert response.status_code == 200
                    assert json.loads(response.content) == {"id": "x"}
            finally:
                await transport.aclose()

    asyncio.run(scenario())


def test_a_shorter_read_timeout_on_a_reused_connection_is_kept() -> None:
    """A long read timeout on one request, then a short one on the same connection whose
    answer stalls: the short one fires (not the timer armed for the long one)."""
    from tavo._aiohttp_transport import AiohttpTransport

    answers = iter([[(0.0, _HEAD + b'{"id": "x"} ')], [(0.0, _HEAD + b"{"), (30, b"")]])

    async def scenario() -> None:
        async with _ScriptServer(answers) as url:
            transport = AiohttpTransport()
            try:
                assert (await transport.send(_get(url, read=20))).status_code == 200
                started = asyncio.get_running_loop().time()
                with pytest.raises(TavoTimeoutError):
                    await transport.send(_get(url, read=0.3))
                assert asyncio.get_running_loop().time() - started < 2.0
            finally:
                await transport.aclose()

    asyncio.run(scenario())


def test_a_reused_connection_times_the_new_response_from_its_own_start() -> None:
    """The timer armed for the first response outlives it (an idle connection keeps it,
    disarmed); the second response, started 0.3 s later and stalling, is timed from its
    own start: the timeout comes 0.5 s after it, not when the first timer was due."""
    from tavo._aiohttp_transport import AiohttpTransport

    answers = iter([[(0.0, _HEAD + b'{"id": "x"} ')], [(0.0, _HEAD + b"{"), (30, b"")]])

    async def scenario() -> None:
        async with _ScriptServer(answers) as url:
            transport = AiohttpTransport()
            try:
                assert (await transport.send(_get(url, read=0.5))).status_code == 200
                await asyncio.sleep(0.3)
                started = asyncio.get_running_loop().time()
                with pytest.raises(TavoTimeoutError):
                    await transport.send(_get(url, read=0.5))
                assert 0.45 <= asyncio.get_running_loop().time() - started < 2.5
            finally:
                await transport.aclose()

    asyncio.run(scenario())


def test_an_idle_connection_outlives_its_read_timeout() -> None:
    """Idle for longer than the read timeout between two requests: nothing is timed while
    no response is read, and the second request reuses the connection."""
    from tavo._aiohttp_transport import AiohttpTransport

    async def scenario() -> None:
        server = _ScriptServer(itertools.repeat([(0.0, _HEAD + b'{"id": "x"} ')]))
        async with server as url:
            transport = AiohttpTransport()
            try:
                for _ in range(2):
                    response = await transport.send(_get(url, read=0.2))
                    assert json.loads(response.content) == {"id": "x"}
                    await asyncio.sleep(0.5)
                assert len(server.writers) == 1  # one connection served both
            finally:
                await transport.aclose()

    asyncio.run(scenario())
