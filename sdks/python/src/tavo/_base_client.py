"""The one request loop, in an async and a sync twin over shared pure decisions.

A call goes: prepare (URL, JSON body gzip-compressed when large, an Idempotency-Key for
every POST) -> [HTTP cache for GETs] -> pick an API key with budget (or wait / raise) ->
circuit breaker -> hooks -> transport -> budgets, breaker, metrics, hooks -> retry or
return. Retries happen for connection errors, timeouts, 429 and 502/503/504, and only for
requests that may be sent twice: safe methods, and POSTs with their idempotency key (the
same key on every attempt, so the server does the work once).
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import inspect
import json
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload
from urllib.parse import quote, urlencode

from tavo import _constants as C
from tavo._cache import AsyncHTTPCache, SyncHTTPCache, worth_storing
from tavo._circuit import CircuitBreaker
from tavo._config import Timeout
from tavo._exceptions import (
    TavoAPIError,
    TavoConnectionError,
    TavoError,
    TavoTimeoutError,
    error_for_status,
)
from tavo._metrics import Metrics
from tavo._models import Model
from tavo._ratelimit import KeyPool
from tavo._retry import RetryPolicy, server_wait
from tavo._sse import ServerSentEvent, SSEDecoder
from tavo._transport import AsyncTransport, Request, Response, SyncTransport
from tavo._version import __version__

__all__ = ["APIRequest", "AsyncAPIClient", "ClientCore", "EventHooks", "SyncAPIClient", "path"]

EventHooks = Mapping[str, Sequence[Callable[[Any], Any]]]
ModelT = TypeVar("ModelT", bound=Model)
# Models decoded from cached responses, kept for reuse (see ClientCore.interpret).
DECODED_MEMO_SIZE = 128
PREPARED_MEMO_SIZE = 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SCAN_CREATION = "scan creation"


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")


@functools.lru_cache(maxsize=4096)
def path(*segments: str) -> str:
    """An API path from segments, each percent-encoded (ids and URLs are safe in it)."""
    return C.API_PREFIX + "".join("/" + _segment(segment) for segment in segments)


def _segment(segment: str) -> str:
    if not segment:
        raise ValueError("an id in the path must not be empty")
    if not segment.strip("."):
        # "." and ".." would be read as relative path steps.
        return segment.replace(".", "%2E")
    return segment if _PLAIN_SEGMENT.fullmatch(segment) else quote(segment, safe="")


@dataclass(frozen=True, slots=True)
class APIRequest:
    """What a resource method asks for; the client turns it into HTTP."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    idempotency_key: str | None = None
    # Rate-limit kind beyond the general budget (e.g. scan creations), or None.
    scope: str | None = None
    cacheable: bool = True
    timeout: Timeout | None = None


@dataclass(slots=True)
class Prepared:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    scope: str | None
    cacheable: bool
    replay_safe: bool
    timeout: Timeout


@dataclass
class ClientCore:
    """Settings and the shared state of one client; everything here is pure (no I/O)."""

    api_keys: Sequence[str]
    base_url: str
    timeout: Timeout = field(default_factory=Timeout)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    wait_for_rate_limit: bool = True
    max_rate_limit_wait: float = C.MAX_RATE_LIMIT_WAIT
    circuit_breaker: CircuitBreaker | None = None
    gzip_min_bytes: int | None = C.GZIP_MIN_BYTES
    default_headers: Mapping[str, str] = field(default_factory=dict)
    event_hooks: EventHooks = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)

    def __post_init__(self) -> None:
        self.keys = KeyPool(self.api_keys)
        self._decoded: OrderedDict[tuple[object, type[Model]], Model] = OrderedDict()
        self._prepared: dict[APIRequest, Prepared] = {}
        self._authorization: dict[str, str] = {}
        self.base_url = normalise_base_url(self.base_url)
        self._headers = {
            "User-Agent": f"tavo-python/{__version__}",
            "Accept": "application/json",
            **self.default_headers,
        }
        self.request_hooks = list(self.event_hooks.get("request", ()))
        self.response_hooks = list(self.event_hooks.get("response", ()))

    # --- building requests -----------------------------------------------------------------

    def prepare(self, request: APIRequest) -> Prepared:
        """The request's URL, headers and body; a body-less GET's is built once and kept
        (its URL, headers and flags never change: the same few are sent again and again)."""
        if (
            request.method == "GET"
            and request.params is None
            and request.json is None
            and request.content is None
        ):
            known = self._prepared.get(request)
            if known is None:
                if len(self._prepared) >= PREPARED_MEMO_SIZE:
                    self._prepared.clear()
                known = self._prepared[request] = self._prepare(request)
            return known
        return self._prepare(request)

    def _prepare(self, request: APIRequest) -> Prepared:
        url = self.base_url + request.path
        if request.params:
            query = _query(request.params)
            if query:
                url = f"{url}?{query}"
        headers = dict(self._headers)
        content = request.content
        if request.json is not None:
            content = json.dumps(request.json, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        elif request.content_type is not None:
            headers["Content-Type"] = request.content_type
        if (
            content is not None
            and self.gzip_min_bytes is not None
            and len(content) >= self.gzip_min_bytes
        ):
            content = gzip.compress(content, C.GZIP_LEVEL)
            headers["Content-Encoding"] = "gzip"
        method = request.method.upper()
        if method == "POST":
            # One key for every attempt of this call: a retried POST is done once.
            headers["Idempotency-Key"] = request.idempotency_key or uuid.uuid4().hex
        return Prepared(
            method,
            url,
            headers,
            content,
            request.scope,
            request.cacheable and method == "GET",
            method in SAFE_METHODS or "Idempotency-Key" in headers,
            request.timeout or self.timeout,
        )

    def wire(self, prepared: Prepared, key: str, extra: Mapping[str, str] | None) -> Request:
        authorization = self._authorization.get(key)
        if authorization is None:
            authorization = self._authorization[key] = f"Bearer {key}"
        headers = dict(prepared.headers)
        headers["Authorization"] = authorization
        if extra:
            headers.update(extra)
        return Request(prepared.method, prepared.url, headers, prepared.content, prepared.timeout)

    # --- reading responses -----------------------------------------------------------------

    def interpret(self, response: Response, model: type[ModelT] | None) -> Any:
        """The decoded body, as `model` when one is given. A cached response is decoded once
        per stored entry: repeated calls answered from the cache return the same frozen
        model (decoding a large body would cost more than the cache saves)."""
        if model is None:
            return self.decode(response)
        if response.cache_entry is None:
            return parse(model, self.decode(response))
        key = (response.cache_entry, model)
        known = self._decoded.get(key)
        if known is None:
            known = parse(model, self.decode(response))
            self._decoded[key] = known
            while len(self._decoded) > DECODED_MEMO_SIZE:
                self._decoded.popitem(last=False)
        return known

    def decode(self, response: Response) -> Any:
        if not response.content:
            return None
        try:
            # Decoding first skips json's encoding detection (pure Python, per call).
            return json.loads(response.content.decode("utf-8"))
        except ValueError:
            raise TavoError(
                f"the server answered HTTP {response.status_code} with a body that is not JSON"
            ) from None

    def error_for(self, response: Response) -> TavoAPIError:
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        return error_for_status(
            response.status_code, body, response.headers, retry_after=server_wait(response.headers)
        )

    # --- decisions ---------------------------------------------------------------------------

    def retry_delay(self, prepared: Prepared, retries: int, response: Response) -> float | None:
        """Seconds before retrying this response, or None to raise its error."""
        if not self.retry.can_retry(retries, replay_safe=prepared.replay_safe):
            return None
        if response.status_code == 429:
            # The pool now knows this key is spent: another key goes at once, else the next
            # attempt waits for the reset, if waiting is allowed and not too long.
            wait = self.keys.available_in(prepared.scope)
            if wait == 0:
                return 0.0
            if not self.wait_for_rate_limit or wait > self.max_rate_limit_wait:
                return None
            return 0.0
        return self.retry.delay_for_status(retries, response.status_code, response.headers)

    def key_wait_allowed(self, wait: float) -> bool:
        return self.wait_for_rate_limit and wait <= self.max_rate_limit_wait

    def observe(self, key: str, prepared: Prepared, response: Response | None) -> None:
        """After an attempt: budgets, breaker and metrics learn how it went."""
        status = response.status_code if response is not None else None
        self.keys.release(
            key, status, response.headers if response is not None else None, prepared.scope
        )
        breaker = self.circuit_breaker
        if breaker is not None:
            if status is None or status >= 500:
                breaker.record_failure()
            else:
                breaker.record_success()
        self.metrics.record_attempt(
            len(prepared.content or b""), len(response.content) if response else 0, status
        )


def parse(model: type[ModelT], data: Any) -> ModelT:
    """The model for a response body; a body of another shape is a TavoError."""
    try:
        return model.from_json(data)
    except (TypeError, ValueError, KeyError) as error:
        raise TavoError(f"unexpected response shape for {model.__name__}: {error}") from error


def normalise_base_url(base_url: str) -> str:
    url = base_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https:// (got {base_url!r})")
    return url.removesuffix(C.API_PREFIX)


def _query(params: Mapping[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None:
                continue
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            pairs.append((name, text))
    return urlencode(pairs)


class AsyncAPIClient:
    """The async request loop."""

    def __init__(self, core: ClientCore, transport: AsyncTransport, cache: AsyncHTTPCache | None):
        self.core = core
        self.transport = transport
        self.cache = cache

    @overload
    async def request(self, request: APIRequest) -> Any: ...

    @overload
    async def request(self, request: APIRequest, model: type[ModelT]) -> ModelT: ...

    async def request(self, request: APIRequest, model: type[ModelT] | None = None) -> Any:
        """The body of a successful call (as `model`, or decoded JSON); raises TavoError
        subclasses otherwise.

        One coroutine runs the whole loop (retries, the HTTP cache's common case): every
        coroutine a call passes through costs its frame on each resumption."""
        core = self.core
        prepared = core.prepare(request)
        started = time.perf_counter()
        failed = True
        try:
            cache = self.cache if prepared.cacheable else None
            retries = 0
            while True:
                try:
                    if cache is None:
                        response = await self._send(prepared, None)
                    elif not cache.holds(prepared.url):
                        # Nothing stored for this URL: straight to the server, and the
                        # cache sees the answer only if it could ever be reused.
                        response = await self._send(prepared, None)
                        if worth_storing(response):
                            response = await self._through_cache(prepared, cache, response)
                    else:
                        response = await self._through_cache(prepared, cache, None)
                except (TavoConnectionError, TavoTimeoutError):
                    if not core.retry.can_retry(retries, replay_safe=prepared.replay_safe):
                        raise
                    delay = core.retry.backoff(retries)
                else:
                    if response.is_success:
                        break
                    retry_in = core.retry_delay(prepared, retries, response)
                    if retry_in is None:
                        raise core.error_for(response)
                    delay = retry_in
                retries += 1
                core.metrics.record_retry()
                if delay > 0:
                    await asyncio.sleep(delay)
            decoded = core.interpret(response, model)
            failed = False
            return decoded
        finally:
            core.metrics.record_call(time.perf_counter() - started, failed=failed)

    async def _through_cache(
        self, prepared: Prepared, cache: AsyncHTTPCache, upstream: Response | None
    ) -> Response:
        """A GET answered by the HTTP cache (`upstream`: the server's answer already had,
        when the cache held nothing for the URL)."""

        def send(extra: Mapping[str, str]) -> Awaitable[Response]:
            return self._send(prepared, extra)

        if upstream is None:
            outcome = await cache.fetch(prepared.url, {}, send)
        else:
            outcome = await cache.offer(prepared.url, {}, upstream, send)
        if outcome.hit or outcome.revalidated:
            self.core.metrics.record_cache(hit=outcome.hit, revalidated=outcome.revalidated)
        return outcome.response

    async def _wait_for_key(self, scope: str | None, wait: float) -> str:
        """A key, once one has budget again (every key was spent or refused)."""
        core = self.core
        if not core.key_wait_allowed(wait):
            raise core.keys.exhausted_error(scope, wait)
        core.metrics.record_rate_limit_wait()
        while True:
            await asyncio.sleep(wait)
            key, wait = core.keys.acquire(scope)
            if key is not None:
                return key
            if not core.key_wait_allowed(wait):
                raise core.keys.exhausted_error(scope, wait)

    async def _send(self, prepared: Prepared, extra: Mapping[str, str] | None) -> Response:
        core = self.core
        key, wait = core.keys.acquire(prepared.scope)
        if key is None:
            key = await self._wait_for_key(prepared.scope, wait)
        try:
            if core.circuit_breaker is not None:
                core.circuit_breaker.before_request()
            request = core.wire(prepared, key, extra)
            if core.request_hooks:
                for hook in core.request_hooks:
                    await _call_hook(hook, request)
            response = await self.transport.send(request)
        except BaseException as error:
            if isinstance(error, (TavoConnectionError, TavoTimeoutError)):
                core.observe(key, prepared, None)
            else:
                core.keys.release(key, None, None, prepared.scope)
            raise
        core.observe(key, prepared, response)
        if core.response_hooks:
            for hook in core.response_hooks:
                await _call_hook(hook, response)
        return response

    async def _acquire_key(self, scope: str | None) -> str:
        key, wait = self.core.keys.acquire(scope)
        return key if key is not None else await self._wait_for_key(scope, wait)

    async def events(self, request: APIRequest) -> AsyncGenerator[ServerSentEvent | None, None]:
        """The Server-Sent Events of a streamed GET, and None for each line that completes
        no event (so a caller can check its deadline). No cache and no retries: callers
        fall back to polling when the stream fails."""
        core = self.core
        prepared = core.prepare(request)
        key = await self._acquire_key(prepared.scope)
        observed = False
        try:
            if core.circuit_breaker is not None:
                core.circuit_breaker.before_request()
            wired = core.wire(prepared, key, None)
            for hook in core.request_hooks:
                await _call_hook(hook, wired)
            async with self.transport.stream(wired) as stream:
                head = Response(stream.status_code, stream.headers, b"")
                if not head.is_success:
                    head.content = await stream.read()
                core.observe(key, prepared, head)
                observed = True
                for hook in core.response_hooks:
                    await _call_hook(hook, head)
                if not head.is_success:
                    raise core.error_for(head)
                decoder = SSEDecoder()
                async for line in stream.lines():
                    yield decoder.feed(line)
        except (TavoConnectionError, TavoTimeoutError):
            if not observed:
                core.observe(key, prepared, None)
                observed = True
            raise
        finally:
            if not observed:
                core.keys.release(key, None, None, prepared.scope)


class SyncAPIClient:
    """The sync request loop (the same steps as AsyncAPIClient, blocking)."""

    def __init__(self, core: ClientCore, transport: SyncTransport, cache: SyncHTTPCache | None):
        self.core = core
        self.transport = transport
        self.cache = cache

    @overload
    def request(self, request: APIRequest) -> Any: ...

    @overload
    def request(self, request: APIRequest, model: type[ModelT]) -> ModelT: ...

    def request(self, request: APIRequest, model: type[ModelT] | None = None) -> Any:
        core = self.core
        prepared = core.prepare(request)
        started = time.perf_counter()
        failed = True
        try:
            cache = self.cache if prepared.cacheable else None
            retries = 0
            while True:
                try:
                    if cache is None:
                        response = self._send(prepared, None)
                    elif not cache.holds(prepared.url):
                        response = self._send(prepared, None)
                        if worth_storing(response):
                            response = self._through_cache(prepared, cache, response)
                    else:
                        response = self._through_cache(prepared, cache, None)
                except (TavoConnectionError, TavoTimeoutError):
                    if not core.retry.can_retry(retries, replay_safe=prepared.replay_safe):
                        raise
                    delay = core.retry.backoff(retries)
                else:
                    if response.is_success:
                        break
                    retry_in = core.retry_delay(prepared, retries, response)
                    if retry_in is None:
                        raise core.error_for(response)
                    delay = retry_in
                retries += 1
                core.metrics.record_retry()
                if delay > 0:
                    time.sleep(delay)
            decoded = core.interpret(response, model)
            failed = False
            return decoded
        finally:
            core.metrics.record_call(time.perf_counter() - started, failed=failed)

    def _through_cache(
        self, prepared: Prepared, cache: SyncHTTPCache, upstream: Response | None
    ) -> Response:
        def send(extra: Mapping[str, str]) -> Response:
            return self._send(prepared, extra)

        if upstream is None:
            outcome = cache.fetch(prepared.url, {}, send)
        else:
            outcome = cache.offer(prepared.url, {}, upstream, send)
        if outcome.hit or outcome.revalidated:
            self.core.metrics.record_cache(hit=outcome.hit, revalidated=outcome.revalidated)
        return outcome.response

    def _wait_for_key(self, scope: str | None, wait: float) -> str:
        core = self.core
        if not core.key_wait_allowed(wait):
            raise core.keys.exhausted_error(scope, wait)
        core.metrics.record_rate_limit_wait()
        while True:
            time.sleep(wait)
            key, wait = core.keys.acquire(scope)
            if key is not None:
                return key
            if not core.key_wait_allowed(wait):
                raise core.keys.exhausted_error(scope, wait)

    def _acquire_key(self, scope: str | None) -> str:
        key, wait = self.core.keys.acquire(scope)
        return key if key is not None else self._wait_for_key(scope, wait)

    def _send(self, prepared: Prepared, extra: Mapping[str, str] | None) -> Response:
        core = self.core
        key = self._acquire_key(prepared.scope)
        try:
            if core.circuit_breaker is not None:
                core.circuit_breaker.before_request()
            request = core.wire(prepared, key, extra)
            for hook in core.request_hooks:
                hook(request)
            response = self.transport.send(request)
        except BaseException as error:
            if isinstance(error, (TavoConnectionError, TavoTimeoutError)):
                core.observe(key, prepared, None)
            else:
                core.keys.release(key, None, None, prepared.scope)
            raise
        core.observe(key, prepared, response)
        for hook in core.response_hooks:
            hook(response)
        return response

    def events(self, request: APIRequest) -> Generator[ServerSentEvent | None, None, None]:
        core = self.core
        prepared = core.prepare(request)
        key = self._acquire_key(prepared.scope)
        observed = False
        try:
            if core.circuit_breaker is not None:
                core.circuit_breaker.before_request()
            wired = core.wire(prepared, key, None)
            for hook in core.request_hooks:
                hook(wired)
            with self.transport.stream(wired) as stream:
                head = Response(stream.status_code, stream.headers, b"")
                if not head.is_success:
                    head.content = stream.read()
                core.observe(key, prepared, head)
                observed = True
                for hook in core.response_hooks:
                    hook(head)
                if not head.is_success:
                    raise core.error_for(head)
                decoder = SSEDecoder()
                for line in stream.lines():
                    yield decoder.feed(line)
        except (TavoConnectionError, TavoTimeoutError):
            if not observed:
                core.observe(key, prepared, None)
                observed = True
            raise
        finally:
            if not observed:
                core.keys.release(key, None, None, prepared.scope)


async def _call_hook(hook: Callable[[Any], Any], value: Any) -> None:
    result = hook(value)
    if inspect.isawaitable(result):
        await result
