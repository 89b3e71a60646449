"""TavoClient (async) and SyncTavoClient: settings in, resources out. All request logic is in
_base_client; these classes only pick the transport and wire the pieces together.

    async with TavoClient(api_key="...") as client:
        scans = await client.scan_management.list_scans(status="completed")

Settings not given come from the environment: TAVO_BASE_URL, TAVO_API_KEY (several keys
separated by commas).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import hishel

from tavo import _constants as C
from tavo._base_client import AsyncAPIClient, ClientCore, EventHooks, SyncAPIClient
from tavo._cache import AsyncHTTPCache, SyncHTTPCache
from tavo._circuit import CircuitBreaker
from tavo._config import Limits, Timeout
from tavo._exceptions import TavoError
from tavo._metrics import Metrics
from tavo._ratelimit import KeyBudget
from tavo._retry import RetryPolicy
from tavo._transport import AsyncTransport, SyncTransport
from tavo.resources.ai_analysis import AsyncAIAnalysis, SyncAIAnalysis
from tavo.resources.audit_log import AsyncAuditLog, SyncAuditLog
from tavo.resources.findings import AsyncFindings, SyncFindings
from tavo.resources.repositories import AsyncRepositories, SyncRepositories
from tavo.resources.scan_bulk_operations import AsyncScanBulkOperations, SyncScanBulkOperations
from tavo.resources.scan_management import AsyncScanManagement, SyncScanManagement
from tavo.resources.scan_rules import AsyncScanRules, SyncScanRules
from tavo.resources.schedules import AsyncSchedules, SyncSchedules
from tavo.resources.usage import AsyncUsage, SyncUsage
from tavo.resources.users import AsyncUsers, SyncUsers
from tavo.resources.webhooks import AsyncWebhooks, SyncWebhooks

if TYPE_CHECKING:
    import aiohttp

__all__ = ["SyncTavoClient", "TavoClient"]

DEFAULT_TIMEOUT = Timeout()


def _api_keys(api_key: str | Sequence[str] | None) -> list[str]:
    if api_key is None:
        api_key = os.environ.get(C.API_KEY_ENV, "")
    keys = api_key.split(",") if isinstance(api_key, str) else list(api_key)
    keys = [key.strip() for key in keys if key and key.strip()]
    if not keys:
        raise TavoError(f"no API key: pass api_key=... or set {C.API_KEY_ENV}")
    return keys


def _base_url(base_url: str | None) -> str:
    return base_url or os.environ.get(C.BASE_URL_ENV) or C.DEFAULT_BASE_URL


def _breaker(circuit_breaker: CircuitBreaker | bool | None) -> CircuitBreaker | None:
    if circuit_breaker is True:
        return CircuitBreaker()
    return circuit_breaker or None


def _core(
    api_key: str | Sequence[str] | None,
    base_url: str | None,
    timeout: Timeout | float | None,
    max_retries: int | RetryPolicy,
    wait_for_rate_limit: bool,
    max_rate_limit_wait: float,
    circuit_breaker: CircuitBreaker | bool | None,
    compress_requests: bool,
    default_headers: Mapping[str, str] | None,
    event_hooks: EventHooks | None,
) -> ClientCore:
    return ClientCore(
        api_keys=_api_keys(api_key),
        base_url=_base_url(base_url),
        timeout=Timeout.of(timeout),
        retry=(
            max_retries
            if isinstance(max_retries, RetryPolicy)
            else RetryPolicy(max_retries=max_retries, max_server_wait=max_rate_limit_wait)
        ),
        wait_for_rate_limit=wait_for_rate_limit,
        max_rate_limit_wait=max_rate_limit_wait,
        circuit_breaker=_breaker(circuit_breaker),
        gzip_min_bytes=C.GZIP_MIN_BYTES if compress_requests else None,
        default_headers=dict(default_headers or {}),
        event_hooks=dict(event_hooks or {}),
    )


class _ClientBase:
    """What both clients show besides their resources."""

    _core: ClientCore

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def metrics(self) -> Metrics:
        """Requests total/failed, retries, rate limits hit, cache hits, latency percentiles."""
        return self._core.metrics

    @property
    def circuit_breaker(self) -> CircuitBreaker | None:
        return self._core.circuit_breaker

    @property
    def rate_limits(self) -> list[KeyBudget]:
        """What is known of each API key's budget (from the last responses)."""
        return list(self._core.keys.budgets)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # `getattr(client, "scan_management.list_scans")` reaches the method: helpers
            # that take a method name (like the seed's TimedTavoClient) can name any call.
            if "." not in name:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            target: Any = self
            for part in name.split("."):
                target = getattr(target, part)
            return target


class TavoClient(_ClientBase):
    """The async client. Reuse one client for many requests (it pools connections) and
    close it when done (`async with`, or `await client.close()`).

    - `api_key`: one key, or several to spread requests over (a limited key is skipped);
      default: TAVO_API_KEY.
    - `base_url`: default TAVO_BASE_URL, else http://127.0.0.1:8700.
    - `timeout`: a Timeout (connect, read, write, pool) or one number for all.
    - `max_retries`: retries of connection errors, timeouts, 429 and 502/503/504; or a
      RetryPolicy to set the backoff too.
    - `limits`: connection pool size, per-host bound and keep-alive expiry.
    - `http2`: HTTP/2 through httpx (ALPN over TLS, prior knowledge over plain http);
      HTTP/1.1 through aiohttp otherwise (the faster one, measured).
    - `connector`: your own aiohttp connector (its limits, DNS cache, TLS); closed with the
      client unless `connector_owner=False`.
    - `cache`: HTTP caching of GETs (True: in memory; or a hishel async storage; False: off).
    - `wait_for_rate_limit`: when every key is out of budget, wait for the reset (up to
      `max_rate_limit_wait` seconds) instead of raising TavoRateLimitError at once.
    - `circuit_breaker`: True or a CircuitBreaker to fail fast while the server is down.
    - `compress_requests`: gzip request bodies of 1 KiB and more.
    - `event_hooks`: {"request": [fn, ...], "response": [fn, ...]}, called with each
      request sent and response received (functions or coroutine functions).
    - `verify`: TLS certificate checks: True (system CAs), False, or an ssl.SSLContext of
      this client's own (httpx sets its ALPN protocols on the context it is given).
    - `transport`: any object with the AsyncTransport interface (for tests, proxies).
    """

    scan_management: AsyncScanManagement
    repositories: AsyncRepositories
    ai_analysis: AsyncAIAnalysis
    scan_rules: AsyncScanRules
    scan_bulk_operations: AsyncScanBulkOperations
    findings: AsyncFindings
    webhooks: AsyncWebhooks
    schedules: AsyncSchedules
    usage: AsyncUsage
    audit_log: AsyncAuditLog
    users: AsyncUsers

    def __init__(
        self,
        api_key: str | Sequence[str] | None = None,
        *,
        base_url: str | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int | RetryPolicy = C.DEFAULT_MAX_RETRIES,
        limits: Limits | None = None,
        http2: bool = False,
        connector: aiohttp.BaseConnector | None = None,
        connector_owner: bool = True,
        cache: bool | hishel.AsyncBaseStorage = True,
        wait_for_rate_limit: bool = True,
        max_rate_limit_wait: float = C.MAX_RATE_LIMIT_WAIT,
        circuit_breaker: CircuitBreaker | bool | None = None,
        compress_requests: bool = True,
        default_headers: Mapping[str, str] | None = None,
        event_hooks: EventHooks | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: AsyncTransport | None = None,
    ) -> None:
        self._transport: AsyncTransport | None = None
        core = _core(
            api_key,
            base_url,
            timeout,
            max_retries,
            wait_for_rate_limit,
            max_rate_limit_wait,
            circuit_breaker,
            compress_requests,
            default_headers,
            event_hooks,
        )
        if http2 and connector is not None:
            raise ValueError("an aiohttp connector speaks HTTP/1.1 only: pass http2 or connector")
        if transport is None:
            # Imported here: a program pays only for the HTTP stack it uses.
            if http2:
                from tavo._httpx_transport import HttpxAsyncTransport

                transport = HttpxAsyncTransport(
                    base_url=core.base_url, limits=limits, http2=True, verify=verify
                )
            else:
                from tavo._aiohttp_transport import AiohttpTransport

                transport = AiohttpTransport(
                    limits=limits, connector=connector, connector_owner=connector_owner,
                    verify=verify,
                )
        self._core = core
        self._transport = transport
        http_cache = None
        if cache is not False:
            http_cache = AsyncHTTPCache(cache if not isinstance(cache, bool) else None)
        self._cache = http_cache
        self._api = AsyncAPIClient(core, transport, http_cache)
        self.scan_management = AsyncScanManagement(self._api)
        self.repositories = AsyncRepositories(self._api)
        self.ai_analysis = AsyncAIAnalysis(self._api)
        self.scan_rules = AsyncScanRules(self._api)
        self.scan_bulk_operations = AsyncScanBulkOperations(self._api)
        self.findings = AsyncFindings(self._api)
        self.webhooks = AsyncWebhooks(self._api)
        self.schedules = AsyncSchedules(self._api)
        self.usage = AsyncUsage(self._api)
        self.audit_log = AsyncAuditLog(self._api)
        self.users = AsyncUsers(self._api)

    @property
    def transport(self) -> AsyncTransport:
        assert self._transport is not None
        return self._transport

    async def close(self) -> None:
        """Closes the pooled connections (and the cache storage)."""
        if self._transport is not None:
            await self._transport.aclose()
        if self._cache is not None:
            await self._cache.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"TavoClient(base_url={self.base_url!r})"


class SyncTavoClient(_ClientBase):
    """The blocking twin of TavoClient: the same resources and methods, without `await`.
    Thread-safe; uses httpx (HTTP/1.1, or HTTP/2 with `http2=True`)."""

    scan_management: SyncScanManagement
    repositories: SyncRepositories
    ai_analysis: SyncAIAnalysis
    scan_rules: SyncScanRules
    scan_bulk_operations: SyncScanBulkOperations
    findings: SyncFindings
    webhooks: SyncWebhooks
    schedules: SyncSchedules
    usage: SyncUsage
    audit_log: SyncAuditLog
    users: SyncUsers

    def __init__(
        self,
        api_key: str | Sequence[str] | None = None,
        *,
        base_url: str | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int | RetryPolicy = C.DEFAULT_MAX_RETRIES,
        limits: Limits | None = None,
        http2: bool = False,
        cache: bool | hishel.BaseStorage = True,
        wait_for_rate_limit: bool = True,
        max_rate_limit_wait: float = C.MAX_RATE_LIMIT_WAIT,
        circuit_breaker: CircuitBreaker | bool | None = None,
        compress_requests: bool = True,
        default_headers: Mapping[str, str] | None = None,
        event_hooks: EventHooks | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: SyncTransport | None = None,
    ) -> None:
        self._transport: SyncTransport | None = None
        core = _core(
            api_key,
            base_url,
            timeout,
            max_retries,
            wait_for_rate_limit,
            max_rate_limit_wait,
            circuit_breaker,
            compress_requests,
            default_headers,
            event_hooks,
        )
        if transport is None:
            from tavo._httpx_transport import HttpxSyncTransport

            transport = HttpxSyncTransport(
                base_url=core.base_url, limits=limits, http2=http2, verify=verify
            )
        self._core = core
        self._transport = transport
        http_cache = None
        if cache is not False:
            http_cache = SyncHTTPCache(cache if not isinstance(cache, bool) else None)
        self._cache = http_cache
        self._api = SyncAPIClient(core, transport, http_cache)
        self.scan_management = SyncScanManagement(self._api)
        self.repositories = SyncRepositories(self._api)
        self.ai_analysis = SyncAIAnalysis(self._api)
        self.scan_rules = SyncScanRules(self._api)
        self.scan_bulk_operations = SyncScanBulkOperations(self._api)
        self.findings = SyncFindings(self._api)
        self.webhooks = SyncWebhooks(self._api)
        self.schedules = SyncSchedules(self._api)
        self.usage = SyncUsage(self._api)
        self.audit_log = SyncAuditLog(self._api)
        self.users = SyncUsers(self._api)

    @property
    def transport(self) -> SyncTransport:
        assert self._transport is not None
        return self._transport

    def close(self) -> None:
        """Closes the pooled connections (and the cache storage)."""
        if self._transport is not None:
            self._transport.close()
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SyncTavoClient(base_url={self.base_url!r})"
