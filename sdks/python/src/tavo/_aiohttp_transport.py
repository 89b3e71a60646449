"""The async client's default transport: aiohttp over HTTP/1.1 (TLS or plain).

Measured here against one server process, raw aiohttp moved about 3x the requests per second
of httpx over HTTP/2 and 10x plain httpx at concurrency 64, so the async client uses it
unless HTTP/2 is asked for. A caller's own `aiohttp.TCPConnector` (its limits, DNS cache,
TLS settings) is used as given; by default the client owns it and closes it.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, NoReturn

import aiohttp
from aiohttp.client_proto import ResponseHandler
from yarl import URL

from tavo import _constants as C
from tavo._config import Limits, Timeout
from tavo._exceptions import TavoConnectionError, TavoError, TavoTimeoutError
from tavo._transport import Request, Response, lower_headers

__all__ = ["AiohttpTransport"]

URL_CACHE_SIZE = 256


class AiohttpTransport:
    """aiohttp behind the transport interface. The session is made on first use, inside
    the running event loop (a client may be constructed before any loop runs)."""

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        connector: aiohttp.BaseConnector | None = None,
        connector_owner: bool = True,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._limits = limits or Limits()
        self._given_connector = connector
        self._connector_owner = connector_owner if connector is not None else True
        self._verify = verify
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        # Parsed URLs of recent requests: the same few URLs come back again and again.
        self._urls: dict[str, URL] = {}
        self._closed = False

    @property
    def connector(self) -> aiohttp.BaseConnector | None:
        """The connector in use (None until the first request)."""
        return self._session.connector if self._session is not None else self._given_connector

    def _current_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is not None and self._loop is loop:
            return self._session
        if self._closed:
            raise TavoError("the client is closed")
        if self._session is not None:
            if self._given_connector is not None:
                raise TavoError(
                    "this client's aiohttp connector belongs to another event loop; "
                    "make the client (and its connector) in the loop that uses it"
                )
            # The loop this session was made in has gone (asyncio.run returned): its
            # connections cannot be used or awaited from here, so they are dropped.
            self.close_now()
            self._closed = False
        self._loop = loop
        self._session = aiohttp.ClientSession(
            connector=self._given_connector or self._default_connector(),
            connector_owner=self._connector_owner,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            timeout=aiohttp.ClientTimeout(total=None),
        )
        return self._session

    def _default_connector(self) -> aiohttp.TCPConnector:
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections,
            limit_per_host=self._limits.max_connections_per_host,
            keepalive_timeout=self._limits.keepalive_expiry,
            ttl_dns_cache=C.DNS_CACHE_TTL,
            ssl=self._verify,
        )
        _use_quiet_read_timeouts(connector)
        return connector

    def _timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        converted = self._timeouts.get(timeout)
        if converted is None:
            # aiohttp's `connect` covers waiting for a pooled connection and connecting;
            # it has no write timeout of its own.
            waiting = None
            if timeout.connect is not None and timeout.pool is not None:
                waiting = timeout.connect + timeout.pool
            converted = aiohttp.ClientTimeout(
                total=None, connect=waiting, sock_connect=timeout.connect, sock_read=timeout.read
            )
            self._timeouts[timeout] = converted
        return converted

    def _url(self, url: str) -> URL:
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= URL_CACHE_SIZE:
                self._urls.clear()
            parsed = self._urls[url] = URL(url, encoded=True)
        return parsed

    async def send(self, request: Request) -> Response:
        session = self._current_session()
        # Errors are mapped inline (a context manager per call would cost its generator).
        try:
            async with session.request(
                request.method,
                self._url(request.url),
                headers=request.headers,
                data=request.content,
                timeout=self._timeout(request.timeout),
                allow_redirects=False,
            ) as response:
                body = await response.read()
                status, received, version = response.status, response.headers, response.version
        except (TavoTimeoutError, TavoConnectionError):
            raise
        except TimeoutError as error:  # asyncio's and aiohttp's timeouts are TimeoutError
            _raise(TavoTimeoutError, request, error)
        except (aiohttp.ClientError, OSError) as error:
            _raise(TavoConnectionError, request, error)
        headers = {name.lower(): value for name, value in received.items()}
        if len(headers) != len(received):  # a repeated field: its values are joined
            headers = lower_headers(received.items())
        return Response(status, headers, body, _http_version(version))

    @asynccontextmanager
    async def stream(self, request: Request) -> AsyncIterator[_AiohttpStream]:
        session = self._current_session()
        with _mapped_errors(request):
            response = await session.request(
                request.method,
                self._url(request.url),
                headers=request.headers,
                data=request.content,
                timeout=self._timeout(request.timeout),
                allow_redirects=False,
            )
        try:
            yield _AiohttpStream(response, request)
        finally:
            response.close()

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        elif self._session is not None:
            self.close_now()

    def close_now(self) -> None:
        """Releases the sockets without awaiting anything (for a client that was never
        closed and is being garbage-collected)."""
        self._closed = True
        connector = self._session.connector if self._session is not None else None
        if connector is not None and self._connector_owner and not connector.closed:
            # The synchronous half of BaseConnector.close(): it closes every transport;
            # awaiting their shutdown is impossible from a finaliser.
            close: Callable[[], Any] | None = getattr(connector, "_close", None)
            if close is not None:
                close()

    @property
    def is_open(self) -> bool:
        return self._session is not None and not self._session.closed

    def __del__(self) -> None:
        # A client that was never closed (like a new client per request): warn the way the
        # standard library does, and release its sockets before aiohttp complains about
        # its session and connector one by one.
        if getattr(self, "_closed", True) or not self.is_open:
            return
        warnings.warn(
            "a TavoClient was never closed: use `async with TavoClient(...)` or "
            "`await client.close()`, and reuse one client for many requests",
            ResourceWarning,
            source=self,
            stacklevel=2,
        )
        self.close_now()


class _QuietReadTimeoutHandler(ResponseHandler):
    """aiohttp's connection protocol with its read timeout (sock_read: the longest wait
    between two chunks of a response) kept by one timer per connection and quiet period.
    aiohttp arms a timer at the start of every response, cancels and re-arms it on every
    chunk received and cancels it at the end (two timers and two cancellations per request,
    a tenth of the client's time per request at concurrency 64). Here a chunk only records
    when it came and the end of a response only disarms; the one timer, when it fires,
    re-arms itself for the rest of the wait if data came meanwhile, and lapses if the
    connection is idle. The timeout fires at the same moment as aiohttp's own; a closing
    connection's timer is cancelled at once, as aiohttp does."""

    _last_data = 0.0
    _timing = False  # a response is being read (aiohttp would have a timer armed)

    def _reschedule_timeout(self) -> None:
        timeout = self._read_timeout
        if not timeout:
            self._cancel_timer()
            return
        loop = self._loop
        now = loop.time()
        self._last_data = now
        self._timing = True
        handle = self._read_timeout_handle
        if handle is not None:
            if handle.when() <= now + timeout:
                return  # fires first and looks again then
            handle.cancel()  # a shorter timeout than the armed one
        self._read_timeout_handle = loop.call_at(now + timeout, self._read_timeout_due)

    def _drop_timeout(self) -> None:
        self._timing = False
        if self.transport is None or self._should_close:
            self._cancel_timer()

    def _cancel_timer(self) -> None:
        self._timing = False
        handle = self._read_timeout_handle
        if handle is not None:
            handle.cancel()
            self._read_timeout_handle = None

    def _read_timeout_due(self) -> None:
        self._read_timeout_handle = None
        timeout = self._read_timeout
        if not timeout or not self._timing or self.transport is None:
            self._timing = False
            return
        deadline = self._last_data + timeout
        if deadline > self._loop.time():
            self._read_timeout_handle = self._loop.call_at(deadline, self._read_timeout_due)
            return
        self._timing = False
        self._on_read_timeout()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)


_PROTOCOL_HOOKS = ("_reschedule_timeout", "_drop_timeout", "_on_read_timeout")
_PROTOCOL_STATE = ("_read_timeout", "_read_timeout_handle", "_loop", "_should_close", "transport")


def _use_quiet_read_timeouts(connector: aiohttp.BaseConnector) -> None:
    """Makes the client's own connector use _QuietReadTimeoutHandler, when this aiohttp's
    protocol has the parts it refines (else aiohttp's protocol stays)."""
    factory = getattr(connector, "_factory", None)
    loop = getattr(connector, "_loop", None)
    if not isinstance(factory, functools.partial) or factory.func is not ResponseHandler:
        return
    if loop is None or not all(
        callable(getattr(ResponseHandler, n, None)) for n in _PROTOCOL_HOOKS
    ):
        return
    probe = ResponseHandler(loop=loop)
    if all(hasattr(probe, name) for name in _PROTOCOL_STATE):
        quiet = functools.partial(_QuietReadTimeoutHandler, loop=loop)
        connector._factory = quiet  # type: ignore[assignment]


_VERSIONS: dict[object, str] = {}


def _http_version(version: aiohttp.HttpVersion | None) -> str:
    if version is None:
        return "HTTP/1.1"
    text = _VERSIONS.get(version)
    if text is None:
        text = _VERSIONS[version] = f"HTTP/{version.major}.{version.minor}"
    return text


class _AiohttpStream:
    def __init__(self, response: aiohttp.ClientResponse, request: Request) -> None:
        self._response = response
        self._request = request
        self.status_code = response.status
        self.headers = lower_headers(response.headers.items())

    async def lines(self) -> AsyncIterator[bytes]:
        content = self._response.content
        while True:
            with _mapped_errors(self._request):
                line = await content.readline()
            if not line:
                return
            yield line

    async def read(self) -> bytes:
        with _mapped_errors(self._request):
            return await self._response.read()


@contextmanager
def _mapped_errors(request: Request) -> Iterator[None]:
    try:
        yield
    except (TavoTimeoutError, TavoConnectionError):
        raise
    except TimeoutError as error:  # asyncio's and aiohttp's timeouts are TimeoutError
        _raise(TavoTimeoutError, request, error)
    except (aiohttp.ClientError, OSError) as error:
        _raise(TavoConnectionError, request, error)


def _raise(kind: type[TavoError], request: Request, error: BaseException) -> NoReturn:
    detail = str(error) or type(error).__name__
    raise kind(f"{request.method} {request.url}: {detail}") from error
