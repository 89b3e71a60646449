"""Both pagination styles the seed uses: page/page_size and offset/limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tavo_platform.server.errors import APIError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# Far beyond any real list, and well inside the 64-bit integers databases take for OFFSET
# (a larger one made SQLite's driver raise OverflowError: a 500 instead of a 422).
MAX_OFFSET = 10**12


@dataclass(frozen=True)
class Window:
    offset: int
    limit: int

    def envelope(self, total: int) -> dict[str, Any]:
        return {
            "total": total,
            "offset": self.offset,
            "limit": self.limit,
            "page": self.offset // self.limit if self.limit else 0,
            "page_size": self.limit,
            "has_more": self.offset + self.limit < total,
        }


def window(
    page: int | None, page_size: int | None, offset: int | None, limit: int | None
) -> Window:
    """Pages count from 0, as in the seed's loop (`page = 0` … `page += 1`)."""
    if (page is not None or page_size is not None) and (offset is not None or limit is not None):
        raise APIError(
            422, "VALIDATION_ERROR", "use either page/page_size or offset/limit, not both"
        )
    size = limit if limit is not None else page_size if page_size is not None else DEFAULT_PAGE_SIZE
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise APIError(422, "VALIDATION_ERROR", f"page size must be between 1 and {MAX_PAGE_SIZE}")
    start = offset if offset is not None else (page or 0) * size
    if start < 0 or (page is not None and page < 0):
        raise APIError(422, "VALIDATION_ERROR", "offset and page must not be negative")
    if start > MAX_OFFSET:
        raise APIError(
            422, "VALIDATION_ERROR", f"the list cannot be read beyond offset {MAX_OFFSET}"
        )
    return Window(start, size)
