"""Lazy pagination: iterate over every item of a list endpoint, fetching one page when the
iteration reaches it. A page type only says where its items are; whether another page
follows comes from the envelope's `has_more` (offset/limit windows).

Items are listed newest first, so one created during the iteration shifts the later pages
by one: iterating by items skips what was already seen (by `key`, the item's id).

    async for scan in client.scan_management.iter_scans(status="completed"):
        ...
    async for page in client.scan_management.iter_scans().pages():
        ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator
from typing import Generic, TypeVar

from tavo.types.common import PageInfo

__all__ = ["AsyncPager", "SyncPager"]

ItemT = TypeVar("ItemT")
PageT = TypeVar("PageT", bound=PageInfo)


class AsyncPager(Generic[PageT, ItemT]):
    """`fetch(offset, limit)` gets one page; `items(page)` says where its items are."""

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[PageT]],
        items: Callable[[PageT], list[ItemT]],
        *,
        page_size: int,
        offset: int = 0,
        key: Callable[[ItemT], Hashable] | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._fetch = fetch
        self._items = items
        self._page_size = page_size
        self._offset = offset
        self._key = key

    async def pages(self) -> AsyncIterator[PageT]:
        """Each page in turn."""
        offset = self._offset
        while True:
            page = await self._fetch(offset, self._page_size)
            yield page
            count = len(self._items(page))
            if count == 0 or not page.has_more:
                return
            offset += count

    async def __aiter__(self) -> AsyncIterator[ItemT]:
        seen: set[Hashable] = set()
        async for page in self.pages():
            for item in self._items(page):
                if self._key is not None:
                    identity = self._key(item)
                    if identity in seen:
                        continue
                    seen.add(identity)
                yield item

    async def to_list(self) -> list[ItemT]:
        """Every item (fetches every page)."""
        return [item async for item in self]


class SyncPager(Generic[PageT, ItemT]):
    """The sync twin of AsyncPager."""

    def __init__(
        self,
        fetch: Callable[[int, int], PageT],
        items: Callable[[PageT], list[ItemT]],
        *,
        page_size: int,
        offset: int = 0,
        key: Callable[[ItemT], Hashable] | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._fetch = fetch
        self._items = items
        self._page_size = page_size
        self._offset = offset
        self._key = key

    def pages(self) -> Iterator[PageT]:
        offset = self._offset
        while True:
            page = self._fetch(offset, self._page_size)
            yield page
            count = len(self._items(page))
            if count == 0 or not page.has_more:
                return
            offset += count

    def __iter__(self) -> Iterator[ItemT]:
        seen: set[Hashable] = set()
        for page in self.pages():
            for item in self._items(page):
                if self._key is not None:
                    identity = self._key(item)
                    if identity in seen:
                        continue
                    seen.add(identity)
                yield item

    def to_list(self) -> list[ItemT]:
        return list(self)
