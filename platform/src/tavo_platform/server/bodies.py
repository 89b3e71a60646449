"""Response bodies of finished scans, serialised once.

A finished scan's answer is a function of objects the read cache hands out unchanged while
they are current (store/read_cache.py): the scan, the triage of its findings read with its
stamp, and a page of its findings. While the very same objects come back, so does the same
body; a new object (the scan re-read, its triage changed, the page re-read) is a miss, and
the body is made again. Entries hold the objects they were made from and a hit compares
them by identity, so an id reused by a later object never matches a stale entry.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from tavo_platform.server.caching import etag_of

MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Body:
    content: bytes
    etag: str


class BodyCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._entries: OrderedDict[Hashable, tuple[tuple[object, ...], Body]] = OrderedDict()
        self._size = 0
        self._max_bytes = max_bytes

    def body(
        self, kind: Hashable, made_from: tuple[object, ...], make: Callable[[], bytes]
    ) -> Body:
        """The body `make` makes from `made_from` (objects, or None) for `kind` (what else
        it depends on: values), made once."""
        key = (kind, *map(id, made_from))
        found = self._entries.get(key)
        if found is not None and all(a is b for a, b in zip(found[0], made_from, strict=True)):
            self._entries.move_to_end(key)
            return found[1]
        content = make()
        body = Body(content, etag_of(content))
        if len(content) <= self._max_bytes // 16:
            if found is not None:
                self._size -= len(found[1].content)
            self._entries[key] = (made_from, body)
            self._entries.move_to_end(key)
            self._size += len(content)
            while self._size > self._max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= len(dropped.content)
        return body

    def clear(self) -> None:
        self._entries.clear()
        self._size = 0
