"""The one small transport interface: send a request and get the whole response, or open a
streamed response (for Server-Sent Events). Implementations: aiohttp (the async default, by
far the fastest measured), httpx (the sync client, and HTTP/2 for both).

Transports raise only `TavoConnectionError` and `TavoTimeoutError`; HTTP statuses are data.
Response headers are a dict with lower-case names (repeated fields joined with ", ").
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from tavo._config import Timeout

__all__ = [
    "AsyncStream",
    "AsyncTransport",
    "Request",
    "Response",
    "SyncStream",
    "SyncTransport",
    "lower_headers",
]


@dataclass(slots=True)
class Request:
    """One HTTP request as it goes on the wire."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None = None
    timeout: Timeout = field(default_factory=Timeout)


@dataclass(slots=True)
class Response:
    """One HTTP response, body read and decoded (gzip undone)."""

    status_code: int
    headers: dict[str, str]
    content: bytes
    http_version: str = "HTTP/1.1"
    # Answered from the HTTP cache (fresh, or revalidated with a 304): the stored entry.
    cache_entry: object | None = None

    @property
    def from_cache(self) -> bool:
        return self.cache_entry is not None

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


class AsyncStream(Protocol):
    """A response whose body is read line by line as it arrives."""

    status_code: int
    headers: dict[str, str]

    def lines(self) -> AsyncIterator[bytes]: ...

    async def read(self) -> bytes: ...


class SyncStream(Protocol):
    status_code: int
    headers: dict[str, str]

    def lines(self) -> Iterator[bytes]: ...

    def read(self) -> bytes: ...


class AsyncTransport(Protocol):
    async def send(self, request: Request) -> Response: ...

    def stream(self, request: Request) -> AbstractAsyncContextManager[AsyncStream]: ...

    async def aclose(self) -> None: ...


class SyncTransport(Protocol):
    def send(self, request: Request) -> Response: ...

    def stream(self, request: Request) -> AbstractContextManager[SyncStream]: ...

    def close(self) -> None: ...


def lower_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header pairs as a dict with lower-case names; a repeated name's values are joined."""
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers
