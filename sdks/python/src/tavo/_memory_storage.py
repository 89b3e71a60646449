"""In-memory hishel storages (async and sync) for the client's HTTP cache: at most
`max_entries` responses, least recently used evicted first, bodies up to `max_stream_size`.
They implement hishel's storage interface, so the cache logic itself stays hishel's."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import hishel

from tavo import _constants as C

__all__ = ["AsyncMemoryStorage", "MemoryStorage", "async_chunks"]


async def async_chunks(body: bytes) -> AsyncIterator[bytes]:
    yield body


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

    def holds(self, key: str) -> bool:
        """Something is stored for `key` (perhaps expired): a lock-free look."""
        return bool(self._by_key.get(key))

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

    def holds(self, key: str) -> bool:
        """Whether anything (perhaps expired) is stored for `key`, known without awaiting."""
        return self._entries.holds(key)

    async def get_entries(self, key: str) -> list[hishel.Entry]:
        return [_entry(s, async_chunks(s.body)) for s in self._entries.get(key)]

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

    def holds(self, key: str) -> bool:
        """Whether anything (perhaps expired) is stored for `key`."""
        return self._entries.holds(key)

    def get_entries(self, key: str) -> list[hishel.Entry]:
        return [_entry(s, iter([s.body])) for s in self._entries.get(key)]

    def update_headers(self, id: uuid.UUID, headers: hishel.Headers) -> None:
        self._entries.update_headers(id, headers)

    def remove_entry(self, id: uuid.UUID) -> None:
        self._entries.remove(id)
