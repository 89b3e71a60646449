"""httpx behind the transport interface: the sync client's transport, and HTTP/2 for both
clients (negotiated by ALPN over TLS; with prior knowledge, "h2c", over plain http)."""

from __future__ import annotations

import ssl
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import NoReturn

import httpx

from tavo._config import Limits, Timeout
from tavo._exceptions import TavoConnectionError, TavoError, TavoTimeoutError
from tavo._transport import Request, Response, lower_headers

__all__ = ["HttpxAsyncTransport", "HttpxSyncTransport"]


def _client_options(
    limits: Limits, http2: bool, base_url: str, verify: ssl.SSLContext | bool
) -> dict[str, object]:
    bound = limits.max_connections
    if limits.max_connections_per_host:
        # The SDK talks to one host, so the per-host bound is the pool's bound.
        bound = min(bound, limits.max_connections_per_host)
    return {
        "http2": http2,
        # Plain-http HTTP/2 has no ALPN to negotiate with: speak it from the first byte.
        "http1": not (http2 and base_url.startswith("http://")),
        "limits": httpx.Limits(
            max_connections=bound,
            max_keepalive_connections=bound,
            keepalive_expiry=limits.keepalive_expiry,
        ),
        "verify": verify,
        "trust_env": False,
        "follow_redirects": False,
    }


def _timeout(timeout: Timeout) -> httpx.Timeout:
    return httpx.Timeout(
        connect=timeout.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
    )


def _response(response: httpx.Response) -> Response:
    return Response(
        response.status_code,
        lower_headers(response.headers.multi_items()),
        response.content,
        response.http_version,
    )


class HttpxAsyncTransport:
    def __init__(
        self,
        *,
        base_url: str,
        limits: Limits | None = None,
        http2: bool = False,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        options = _client_options(limits or Limits(), http2, base_url, verify)
        self._client = httpx.AsyncClient(transport=transport, **options)  # type: ignore[arg-type]

    async def send(self, request: Request) -> Response:
        with _mapped_errors(request):
            response = await self._client.request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.content,
                timeout=_timeout(request.timeout),
            )
        return _response(response)

    @asynccontextmanager
    async def stream(self, request: Request) -> AsyncIterator[_HttpxAsyncStream]:
        built = self._client.build_request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.content,
            timeout=_timeout(request.timeout),
        )
        with _mapped_errors(request):
            response = await self._client.send(built, stream=True)
        try:
            yield _HttpxAsyncStream(response, request)
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    @property
    def is_open(self) -> bool:
        return not self._client.is_closed

    def __del__(self) -> None:
        if getattr(self, "_client", None) is not None and self.is_open:
            _warn_unclosed(self, "TavoClient", "async with TavoClient(...)", "await client.close()")


class HttpxSyncTransport:
    def __init__(
        self,
        *,
        base_url: str,
        limits: Limits | None = None,
        http2: bool = False,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        options = _client_options(limits or Limits(), http2, base_url, verify)
        self._client = httpx.Client(transport=transport, **options)  # type: ignore[arg-type]

    def send(self, request: Request) -> Response:
        with _mapped_errors(request):
            response = self._client.request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.content,
                timeout=_timeout(request.timeout),
            )
        return _response(response)

    @contextmanager
    def stream(self, request: Request) -> Iterator[_HttpxSyncStream]:
        built = self._client.build_request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.content,
            timeout=_timeout(request.timeout),
        )
        with _mapped_errors(request):
            response = self._client.send(built, stream=True)
        try:
            yield _HttpxSyncStream(response, request)
        finally:
            response.close()

    def close(self) -> None:
        self._client.close()

    @property
    def is_open(self) -> bool:
        return not self._client.is_closed

    def __del__(self) -> None:
        if getattr(self, "_client", None) is not None and self.is_open:
            _warn_unclosed(self, "SyncTavoClient", "with SyncTavoClient(...)", "client.close()")


class _HttpxAsyncStream:
    def __init__(self, response: httpx.Response, request: Request) -> None:
        self._response = response
        self._request = request
        self.status_code = response.status_code
        self.headers = lower_headers(response.headers.multi_items())

    async def lines(self) -> AsyncIterator[bytes]:
        iterator = self._response.aiter_lines()
        while True:
            with _mapped_errors(self._request):
                try:
                    line = await anext(iterator)
                except StopAsyncIteration:
                    return
            yield line.encode() + b"\n"

    async def read(self) -> bytes:
        with _mapped_errors(self._request):
            return await self._response.aread()


class _HttpxSyncStream:
    def __init__(self, response: httpx.Response, request: Request) -> None:
        self._response = response
        self._request = request
        self.status_code = response.status_code
        self.headers = lower_headers(response.headers.multi_items())

    def lines(self) -> Iterator[bytes]:
        iterator = self._response.iter_lines()
        while True:
            with _mapped_errors(self._request):
                try:
                    line = next(iterator)
                except StopIteration:
                    return
            yield line.encode() + b"\n"

    def read(self) -> bytes:
        with _mapped_errors(self._request):
            return self._response.read()


def _warn_unclosed(source: object, client: str, block: str, call: str) -> None:
    warnings.warn(
        f"a {client} was never closed: use `{block}` or `{call}`",
        ResourceWarning,
        source=source,
        stacklevel=2,
    )


@contextmanager
def _mapped_errors(request: Request) -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException as error:
        _raise(TavoTimeoutError, request, error)
    except (httpx.TransportError, httpx.StreamError, OSError) as error:
        _raise(TavoConnectionError, request, error)


def _raise(kind: type[TavoError], request: Request, error: BaseException) -> NoReturn:
    detail = str(error) or type(error).__name__
    raise kind(f"{request.method} {request.url}: {detail}") from error
