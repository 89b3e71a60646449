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

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import hishel

from tavo._memory_storage import AsyncMemoryStorage, MemoryStorage, async_chunks
from tavo._transport import Response

__all__ = ["AsyncHTTPCache", "CacheOutcome", "SyncHTTPCache", "worth_storing"]

# A private cache: one client's, so `private` answers may be kept.
_OPTIONS = hishel.CacheOptions(shared=False)
# Stored bodies are decoded, so headers about their transfer encoding no longer apply.
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

    def holds(self, url: str) -> bool:
        """False when the storage certainly keeps nothing for `url` (known without awaiting
        it: this client's own memory storage, not a subclass); True when it may."""
        storage = self.storage
        if type(storage) is AsyncMemoryStorage:
            return storage.holds(url)
        return True

    async def fetch(
        self,
        url: str,
        vary_headers: Mapping[str, str],
        send: Callable[[dict[str, str]], Awaitable[Response]],
    ) -> CacheOutcome:
        """A GET of `url`: from the cache when allowed, else through `send(extra headers)`."""
        entries = await self.storage.get_entries(url)
        if not entries:
            # Nothing stored: ask the server, and involve the cache only if the answer
            # could be reused (most API responses cannot).
            return await self.offer(url, vary_headers, await send({}), send)
        return await self._run(url, vary_headers, entries, None, send)

    async def offer(
        self,
        url: str,
        vary_headers: Mapping[str, str],
        upstream: Response,
        send: Callable[[dict[str, str]], Awaitable[Response]],
    ) -> CacheOutcome:
        """The server's answer to a GET of `url` that nothing stored could serve: kept
        when it could be reused."""
        if not worth_storing(upstream):
            return CacheOutcome(upstream, False, False)
        return await self._run(url, vary_headers, [], upstream, send)

    async def _run(
        self,
        url: str,
        vary_headers: Mapping[str, str],
        entries: list[hishel.Entry],
        upstream: Response | None,
        send: Callable[[dict[str, str]], Awaitable[Response]],
    ) -> CacheOutcome:
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
                stored = replace(state.response, stream=async_chunks(upstream.content))
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

    def holds(self, url: str) -> bool:
        """False when the storage certainly keeps nothing for `url` (this client's memory
        storage tells at once); True when it may."""
        storage = self.storage
        if type(storage) is MemoryStorage:
            return storage.holds(url)
        return True

    def fetch(
        self,
        url: str,
        vary_headers: Mapping[str, str],
        send: Callable[[dict[str, str]], Response],
    ) -> CacheOutcome:
        """A GET of `url`: from the cache when allowed, else through `send(extra headers)`."""
        entries = self.storage.get_entries(url)
        if not entries:
            # Nothing stored: ask the server, and involve the cache only if the answer
            # could be reused (most API responses cannot).
            return self.offer(url, vary_headers, send({}), send)
        return self._run(url, vary_headers, entries, None, send)

    def offer(
        self,
        url: str,
        vary_headers: Mapping[str, str],
        upstream: Response,
        send: Callable[[dict[str, str]], Response],
    ) -> CacheOutcome:
        """The server's answer to a GET of `url` that nothing stored could serve: kept
        when it could be reused."""
        if not worth_storing(upstream):
            return CacheOutcome(upstream, False, False)
        return self._run(url, vary_headers, [], upstream, send)

    def _run(
        self,
        url: str,
        vary_headers: Mapping[str, str],
        entries: list[hishel.Entry],
        upstream: Response | None,
        send: Callable[[dict[str, str]], Response],
    ) -> CacheOutcome:
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


async def _drain_async(stream: Any) -> bytes:
    chunks = [chunk async for chunk in stream] if stream is not None else []
    return b"".join(chunks)


def _drain_sync(stream: Any) -> bytes:
    return b"".join(stream) if stream is not None else b""
