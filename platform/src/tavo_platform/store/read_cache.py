"""A per-process cache of rows that no longer change: finished scans, and the pages of
their findings.

A finished scan changes only by a write that bumps its version (cancel, a re-run), by its
findings being tracked (tracked_at, once), or by its deletion. So a cached scan is served
only after a stamp read, (version, status, tracked_at) of that id in that organisation,
which costs a fraction of reading and decoding the row, matches it: exact across processes,
without any invalidation message. A scan's findings are written in the transaction that
finishes it (and bumps its version), so a page of them is immutable under the version the
caller read the scan at, and cached under it.

Where the database can tell that nothing was written since a scan's stamp was last read
(freshness.py), the scan is served without reading its stamp again, with the triage of its
findings read with that stamp.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tavo_platform.store.freshness import scan_keys
from tavo_platform.store.records import Page, Scan

if TYPE_CHECKING:
    from tavo_platform.store.findings import TrackedFinding

ScanStamp = tuple[int, str, Any]

MAX_SCANS = 4096
# Pages are bounded by the size of their stored JSON (the bulk of what they hold).
MAX_PAGE_BYTES = 64 * 1024 * 1024


def stamp_of(scan: Scan) -> ScanStamp:
    return scan.version, scan.status, scan.tracked_at


@dataclass(slots=True)
class CachedScan:
    scan: Scan
    scope: str | None  # where its findings' triage lives (findings.lifecycle.scope_of)
    # What its answer depends on, as notifications name it (freshness.scan_keys).
    keys: tuple[str, ...]
    # The freshness mark taken before the stamp read that last confirmed the scan (None:
    # not confirmed since it was read), and the triage read with that stamp (None: the scan
    # shows no triage, or it was not read with the stamp).
    mark: Hashable | None = None
    triaged: list[TrackedFinding] | None = None
    # Done when the stamp read under way for it ends (None: none under way).
    confirming: asyncio.Future[None] | None = None


class ReadCache:
    def __init__(self, max_scans: int = MAX_SCANS, max_page_bytes: int = MAX_PAGE_BYTES) -> None:
        self._scans: OrderedDict[str, CachedScan] = OrderedDict()
        self._pages: OrderedDict[Hashable, tuple[Page, int]] = OrderedDict()
        self._page_bytes = 0
        self._max_scans = max_scans
        self._max_page_bytes = max_page_bytes

    def scan(self, org_id: str, scan_id: str) -> CachedScan | None:
        """A cached finished scan of this organisation, to be confirmed by its stamp (or by
        its freshness)."""
        cached = self._scans.get(scan_id)
        if cached is None or cached.scan.org_id != org_id:
            return None
        self._scans.move_to_end(scan_id)
        return cached

    def keep_scan(self, scan: Scan, scope: str | None) -> None:
        if not scan.finished:
            return
        self._scans[scan.id] = CachedScan(scan, scope, scan_keys(scan.id, scan.org_id, scope))
        self._scans.move_to_end(scan.id)
        while len(self._scans) > self._max_scans:
            self._scans.popitem(last=False)

    def forget_scan(self, scan_id: str) -> None:
        self._scans.pop(scan_id, None)

    def page(self, key: Hashable) -> Page | None:
        found = self._pages.get(key)
        if found is None:
            return None
        self._pages.move_to_end(key)
        return found[0]

    def keep_page(self, key: Hashable, page: Page, size: int) -> None:
        if size > self._max_page_bytes // 16 or key in self._pages:
            return
        self._pages[key] = (page, size)
        self._page_bytes += size
        while self._page_bytes > self._max_page_bytes:
            _, (_, dropped) = self._pages.popitem(last=False)
            self._page_bytes -= dropped

    def clear(self) -> None:
        self._scans.clear()
        self._pages.clear()
        self._page_bytes = 0
