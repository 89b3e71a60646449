"""HTTP caching of GET responses, by hishel's RFC 9111 state machine (freshness from
Cache-Control/Expires, conditional requests with ETag/Last-Modified, 304 reuse).

The client is a private cache (it may keep `private` responses). Storage is in memory by
default; any hishel storage can be given instead (e.g. hishel.AsyncSqliteStorage to keep
the cache across runs). Responses that carry neither freshness nor a validator can never be
reused, so they are not offered to the cache at all: endpoints that are not cacheable pay
only a dictionary lookup.

Rate-limit headers of a response served from the cache are history, so budgets are updated
from what went over the wire only (the caller's `send`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import hishel

from tavo import _constants as C
from tavo._transport import Response

__all__ = ["AsyncHTTPCache", "AsyncMemoryStorage", "MemoryStorage", "SyncHTTPCache"]

_OPTIONS = hishel.CacheOptions(shared=False)
# Request headers a cached response may vary on, as this client sends them.
_DROP_FROM_STORED = ("content-encoding", "content-length", "transfer-encoding")


def worth_storing(response: Response) -> bool:
    """Whether a response could ever be reused: it says how long it stays fresh, or it
    carries a validator to revalidate it with."""
    headers = response.headers
    cache_control = headers.get("cache-control", "").lower()
    if "no-store" in cache_control:
        return False
    return bool(
        "max-age" in cache_control
        or "expires" in headers
        or "etag" in headers
        or "last-modified" in headers
    )


def _to_hishel(response: Response) -> hishel.Response:
    # The body is stored decoded, so the headers about its encoding no longer apply.
    headers = {k: v for k, v in response.headers.items() if k not in _DROP_FROM_STORED}
    return hishel.Response(status_code=response.status_code, headers=hishel.Headers(headers))


def _from_entry(entry: hishel.Entry, body: bytes, upstream: Response | None) -> Response:
    headers = {key: entry.response.headers[key] for key in entry.response.headers}
    return Response(
        entry.response.status_code,
        headers,
        body,
        upstream.http_version if upstream is not None else "HTTP/1.1",
        cache_entry=entry.id,
    )


def _conditional_headers(request: hishel.Request) -> dict[str, str]:
    return {
        key: request.headers[key]
        for key in ("if-none-match", "if-modified-since")
        if key in request.headers
    }


@dataclass(frozen=True, slots=True)
class CacheOutcome:
    response: Response
    hit: bool
    revalidated: bool


class AsyncHTTPCache:
    def __init__(self, storage: hishel.AsyncBaseStorage | None = None) -> None:
        self.storage = storage if storage is not None else AsyncMemoryStorage()

    async def fetch(
        self,
        url: str,
        vary_headers: Mapping[str, str],
        send: Callable[[dict[str, str]], Awaitable[Response]],
    ) -> CacheOutcome:
        """A GET of `url`: from the cache when allowed, else through `send(extra headers)`."""
        entries = await self.storage.get_entries(url)
        upstream: Response | None = None
        if not entries:
            # Nothing stored: ask the server, and involve the cache only if the answer
            # could be reused (most API responses cannot).
            upstream = await send({})
            if not worth_storing(upstream):
                return CacheOutcome(upstream, False, False)
        request = hishel.Request("GET", url, hishel.Headers(dict(vary_headers)))
        state: hishel.AnyState
        if upstream is None:
            state = hishel.IdleClient(options=_OPTIONS).next(request, entries)
        else:
            state = hishel.CacheMiss(request=request, options=_OPTIONS).next(_to_hishel(upstream))
        revalidated = False
        while True:
            if isinstance(state, (hishel.CacheMiss, hishel.NeedRevalidation)):
                revalidated = isinstance(state, hishel.NeedRevalidation)
                upstream = await send(_conditional_headers(state.request))
                if isinstance(state, hishel.CacheMiss) and not worth_storing(upstream):
                    return CacheOutcome(upstream, False, False)
                state = state.next(_to_hishel(upstream))
            elif isinstance(state, hishel.StoreAndUse):
                assert upstream is not None
                stored = replace(state.response, stream=_async_chunks(upstream.content))
                entry = await self.storage.create_entry(request, stored, url)
                await _drain_async(entry.response.stream)
                return CacheOutcome(upstream, False, revalidated)
            elif isinstance(state, hishel.CouldNotBeStored):
                assert upstream is not None
                return CacheOutcome(upstream, False, revalidated)
            elif isinstance(state, hishel.FromCache):
                body = await _drain_async(state.entry.response.stream)
                return CacheOutcome(_from_entry(state.entry, body, upstream), True, revalidated)
            elif isinstance(state, hishel.NeedToBeUpdated):
                for entry in state.updating_entries:
                    await self.storage.update_headers(entry.id, entry.response.headers)
                state = state.next()
            elif isinstance(state, hishel.InvalidateEntries):
                for entry_id in state.entry_ids:
                    await self.storage.remove_entry(entry_id)
                state = state.next()
            else:  # pragma: no cover - hishel's states are exhaustive above
                raise AssertionError(f"unexpected cache state {state!r}")

    async def aclose(self) -> None:
        await self.storage.close()


class SyncHTTPCache:
    def __init__(self, storage: hishel.BaseStorage | None = None) -> None:
        self.storage = storage if storage is not None else MemoryStorage()

    def fetch(
        self,
        url: str,
        vary_headers: Mapping[str, str],
        send: Callable[[dict[str, str]], Response],
    ) -> CacheOutcome:
        """A GET of `url`: from the cache when allowed, else through `send(extra headers)`."""
        entries = self.storage.get_entries(url)
        upstream: Response | None = None
        if not entries:
            # Nothing stored: ask the server, and involve the cache only if the answer
            # could be reused (most API responses cannot).
            upstream = send({})
            if not worth_storing(upstream):
                return CacheOutcome(upstream, False, False)
        request = hishel.Request("GET", url, hishel.Headers(dict(vary_headers)))
        state: hishel.AnyState
        if upstream is None:
            state = hishel.IdleClient(options=_OPTIONS).next(request, entries)
        else:
            state = hishel.CacheMiss(request=request, options=_OPTIONS).next(_to_hishel(upstream))
        revalidated = False
        while True:
            if isinstance(state, (hishel.CacheMiss, hishel.NeedRevalidation)):
                revalidated = isinstance(state, hishel.NeedRevalidation)
                upstream = send(_conditional_headers(state.request))
                if isinstance(state, hishel.CacheMiss) and not worth_storing(upstream):
                    return CacheOutcome(upstream, False, False)
                state = state.next(_to_hishel(upstream))
            elif isinstance(state, hishel.StoreAndUse):
                assert upstream is not None
                stored = replace(state.response, stream=iter([upstream.content]))
                entry = self.storage.create_entry(request, stored, url)
                _drain_sync(entry.response.stream)
                return CacheOutcome(upstream, False, revalidated)
            elif isinstance(state, hishel.CouldNotBeStored):
                assert upstream is not None
                return CacheOutcome(upstream, False, revalidated)
            elif isinstance(state, hishel.FromCache):
                body = _drain_sync(state.entry.response.stream)
                return CacheOutcome(_from_entry(state.entry, body, upstream), True, revalidated)
            elif isinstance(state, hishel.NeedToBeUpdated):
                for entry in state.updating_entries:
                    self.storage.update_headers(entry.id, entry.response.headers)
                state = state.next()
            elif isinstance(state, hishel.InvalidateEntries):
                for entry_id in state.entry_ids:
                    self.storage.remove_entry(entry_id)
                state = state.next()
            else:  # pragma: no cover - hishel's states are exhaustive above
                raise AssertionError(f"unexpected cache state {state!r}")

    def close(self) -> None:
        self.storage.close()


async def _async_chunks(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def _drain_async(stream: Any) -> bytes:
    chunks = [chunk async for chunk in stream] if stream is not None else []
    return b"".join(chunks)


def _drain_sync(stream: Any) -> bytes:
    return b"".join(stream) if stream is not None else b""


# --- in-memory storage -------------------------------------------------------------------


@dataclass
class _Stored:
    entry_id: uuid.UUID
    request: hishel.Request
    status_code: int
    headers: hishel.Headers
    body: bytes
    expires_at: float | None


class _MemoryEntries:
    """Entries by cache key, least recently used evicted first. Thread-safe."""

    def __init__(self, max_entries: int, default_ttl: float | None) -> None:
        self.max_entries = max_entries
        self.default_ttl = default_ttl
        self._by_key: OrderedDict[str, list[_Stored]] = OrderedDict()
        self._key_of: dict[uuid.UUID, str] = {}
        self._lock = threading.Lock()

    def add(self, key: str, stored: _Stored) -> None:
        with self._lock:
            self._by_key.setdefault(key, []).append(stored)
            self._by_key.move_to_end(key)
            self._key_of[stored.entry_id] = key
            while len(self._key_of) > self.max_entries and self._by_key:
                _, evicted = self._by_key.popitem(last=False)
                for old in evicted:
                    self._key_of.pop(old.entry_id, None)

    def get(self, key: str) -> list[_Stored]:
        with self._lock:
            stored = self._by_key.get(key)
            if not stored:
                return []
            now = time.monotonic()
            live = [s for s in stored if s.expires_at is None or s.expires_at > now]
            if len(live) != len(stored):
                for gone in stored:
                    if gone not in live:
                        self._key_of.pop(gone.entry_id, None)
                self._by_key[key] = live
            self._by_key.move_to_end(key)
            return list(live)

    def update_headers(self, entry_id: uuid.UUID, headers: hishel.Headers) -> None:
        with self._lock:
            key = self._key_of.get(entry_id)
            for stored in self._by_key.get(key, []) if key is not None else []:
                if stored.entry_id == entry_id:
                    stored.headers = headers

    def remove(self, entry_id: uuid.UUID) -> None:
        with self._lock:
            key = self._key_of.pop(entry_id, None)
            if key is not None and key in self._by_key:
                self._by_key[key] = [s for s in self._by_key[key] if s.entry_id != entry_id]

    def stored(
        self, request: hishel.Request, response: hishel.Response, body: bytes, ttl: float | None
    ) -> _Stored:
        ttl = ttl if ttl is not None else self.default_ttl
        return _Stored(
            uuid.uuid4(),
            request,
            response.status_code,
            response.headers,
            body,
            time.monotonic() + ttl if ttl is not None else None,
        )


def _entry(stored: _Stored, stream: Any) -> hishel.Entry:
    return hishel.Entry(
        id=stored.entry_id,
        request=stored.request,
        response=hishel.Response(stored.status_code, hishel.Headers(stored.headers), stream),
    )


class AsyncMemoryStorage(hishel.AsyncBaseStorage):
    """hishel storage in this process's memory: at most `max_entries` responses of at most
    `max_stream_size` bytes each."""

    def __init__(
        self,
        *,
        max_entries: int = C.CACHE_MAX_ENTRIES,
        max_stream_size: int = C.CACHE_MAX_BODY_BYTES,
        default_ttl: float | None = None,
    ) -> None:
        super().__init__(default_ttl=default_ttl, max_stream_size=max_stream_size)
        self._entries = _MemoryEntries(max_entries, default_ttl)

    async def create_entry(
        self,
        request: hishel.Request,
        response: hishel.Response,
        key: str,
        *,
        ttl: float | None = None,
        tti: float | None = None,
    ) -> hishel.Entry:
        entries, limit = self._entries, self.max_stream_size
        source = response.stream
        placeholder = entries.stored(request, response, b"", ttl)

        async def saving() -> AsyncIterator[bytes]:
            chunks: list[bytes] = []
            size = 0
            if source is not None:
                async for chunk in source:  # type: ignore[union-attr]
                    size += len(chunk)
                    chunks.append(chunk)
                    yield chunk
            if limit is None or size <= limit:
                entries.add(key, replace(placeholder, body=b"".join(chunks)))

        return _entry(placeholder, saving())

    async def get_entries(self, key: str) -> list[hishel.Entry]:
        return [_entry(s, _async_chunks(s.body)) for s in self._entries.get(key)]

    async def update_headers(self, id: uuid.UUID, headers: hishel.Headers) -> None:
        self._entries.update_headers(id, headers)

    async def remove_entry(self, id: uuid.UUID) -> None:
        self._entries.remove(id)


class MemoryStorage(hishel.BaseStorage):
    """The sync client's in-memory hishel storage (see AsyncMemoryStorage)."""

    def __init__(
        self,
        *,
        max_entries: int = C.CACHE_MAX_ENTRIES,
        max_stream_size: int = C.CACHE_MAX_BODY_BYTES,
        default_ttl: float | None = None,
    ) -> None:
        super().__init__(default_ttl=default_ttl, max_stream_size=max_stream_size)
        self._entries = _MemoryEntries(max_entries, default_ttl)

    def create_entry(
        self,
        request: hishel.Request,
        response: hishel.Response,
        key: str,
        *,
        ttl: float | None = None,
        tti: float | None = None,
    ) -> hishel.Entry:
        entries, limit = self._entries, self.max_stream_size
        source = response.stream
        placeholder = entries.stored(request, response, b"", ttl)

        def saving() -> Iterator[bytes]:
            chunks: list[bytes] = []
            size = 0
            for chunk in source or ():  # type: ignore[union-attr]
                size += len(chunk)
                chunks.append(chunk)
                yield chunk
            if limit is None or size <= limit:
                entries.add(key, replace(placeholder, body=b"".join(chunks)))

        return _entry(placeholder, saving())

    def get_entries(self, key: str) -> list[hishel.Entry]:
        return [_entry(s, iter([s.body])) for s in self._entries.get(key)]

    def update_headers(self, id: uuid.UUID, headers: hishel.Headers) -> None:
        self._entries.update_headers(id, headers)

    def remove_entry(self, id: uuid.UUID) -> None:
        self._entries.remove(id)
