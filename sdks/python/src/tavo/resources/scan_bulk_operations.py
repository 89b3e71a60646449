"""Bulk operations: create many scans, or read many statuses, in few requests.

The server takes at most 100 scans (500 status ids) per request; longer lists are split
and sent concurrently, and the answers are joined so that `results[i]` is still about the
i-th item given. Each part carries its own idempotency key (derived from the caller's, if
one is given), so a retried part never creates its scans twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from tavo import _constants as C
from tavo._base_client import SCAN_CREATION, APIRequest, path
from tavo.resources._base import AsyncResource, SyncResource, parse
from tavo.types.bulk import BulkActionResult, BulkScanResult, BulkStatusResult
from tavo.types.scans import CreateScanParams

__all__ = ["AsyncScanBulkOperations", "SyncScanBulkOperations"]

MAX_STATUS_IDS = 500
ScanItems = Sequence[CreateScanParams | Mapping[str, Any]] | Mapping[str, Any]


def _items(scans: ScanItems) -> list[Any]:
    if isinstance(scans, Mapping):
        scans = scans.get("scans", [])
    return [dict(item) if isinstance(item, Mapping) else item for item in scans]


def _parts(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)] or [[]]


def _create_requests(items: list[Any], idempotency_key: str | None) -> list[APIRequest]:
    parts = _parts(items, C.MAX_BULK_SCANS)
    base = idempotency_key or uuid.uuid4().hex
    return [
        APIRequest(
            "POST",
            path("scans", "bulk"),
            json={"scans": part},
            idempotency_key=base if len(parts) == 1 else f"{base}-{number}",
            scope=SCAN_CREATION,
        )
        for number, part in enumerate(parts)
    ]


def _joined_creations(answers: list[Any]) -> BulkScanResult:
    results: list[Any] = []
    for answer in answers:
        offset = len(results)
        results += [{**item, "index": item["index"] + offset} for item in answer["results"]]
    created = sum(1 for item in results if item.get("success"))
    return parse(
        BulkScanResult,
        {"results": results, "total": len(results), "created": created,
         "failed": len(results) - created},
    )


def _status_requests(scan_ids: Sequence[str]) -> list[APIRequest]:
    return [
        APIRequest("POST", path("scans", "bulk", "status"), json={"scan_ids": part})
        for part in _parts(list(scan_ids), MAX_STATUS_IDS)
    ]


def _joined_statuses(answers: list[Any]) -> BulkStatusResult:
    results = [item for answer in answers for item in answer["results"]]
    found = sum(1 for item in results if item.get("success"))
    return parse(
        BulkStatusResult,
        {"results": results, "total": len(results), "found": found,
         "not_found": len(results) - found},
    )


MAX_ACTION_IDS = 500


def _action_requests(action: str, scan_ids: Sequence[str]) -> list[APIRequest]:
    return [
        APIRequest("POST", path("scans", "bulk", action), json={"scan_ids": list(part)})
        for part in _parts(list(scan_ids), MAX_ACTION_IDS)
    ]


def _joined_actions(answers: list[Any]) -> BulkActionResult:
    results: list[Any] = []
    for answer in answers:
        offset = len(results)
        results += [{**item, "index": item["index"] + offset} for item in answer["results"]]
    succeeded = sum(1 for item in results if item.get("success"))
    return parse(
        BulkActionResult,
        {"results": results, "total": len(results), "succeeded": succeeded,
         "failed": len(results) - succeeded},
    )


class AsyncScanBulkOperations(AsyncResource):
    """`client.scan_bulk_operations` of the async client."""

    async def create_bulk_scans(
        self, scans: ScanItems, /, *, idempotency_key: str | None = None
    ) -> BulkScanResult:
        """Creates many scans: a list of create_scan dicts (or `{"scans": [...]}`).
        Each item succeeds or fails on its own; `results[i]` says which."""
        requests = _create_requests(_items(scans), idempotency_key)
        answers = await asyncio.gather(*(self._client.request(r) for r in requests))
        return _joined_creations(list(answers))

    async def get_bulk_status(self, scan_ids: Sequence[str]) -> BulkStatusResult:
        """The statuses of many scans; unknown ids come back as NOT_FOUND items."""
        requests = _status_requests(scan_ids)
        answers = await asyncio.gather(*(self._client.request(r) for r in requests))
        return _joined_statuses(list(answers))


    async def bulk_cancel_scans(self, scan_ids: Sequence[str]) -> BulkActionResult:
        """Cancels many scans; `results[i]` says what became of `scan_ids[i]`."""
        answers = await asyncio.gather(
            *(self._client.request(r) for r in _action_requests("cancel", scan_ids))
        )
        return _joined_actions(list(answers))

    async def bulk_delete_scans(self, scan_ids: Sequence[str]) -> BulkActionResult:
        """Deletes many scans with their findings (running ones fail with SCAN_RUNNING)."""
        answers = await asyncio.gather(
            *(self._client.request(r) for r in _action_requests("delete", scan_ids))
        )
        return _joined_actions(list(answers))


class SyncScanBulkOperations(SyncResource):
    """`client.scan_bulk_operations` of the sync client."""

    def create_bulk_scans(
        self, scans: ScanItems, /, *, idempotency_key: str | None = None
    ) -> BulkScanResult:
        """Creates many scans; `results[i]` is about the i-th item."""
        requests = _create_requests(_items(scans), idempotency_key)
        return _joined_creations([self._client.request(r) for r in requests])

    def get_bulk_status(self, scan_ids: Sequence[str]) -> BulkStatusResult:
        """The statuses of many scans; unknown ids come back as NOT_FOUND items."""
        return _joined_statuses([self._client.request(r) for r in _status_requests(scan_ids)])

    def bulk_cancel_scans(self, scan_ids: Sequence[str]) -> BulkActionResult:
        """Cancels many scans; `results[i]` says what became of `scan_ids[i]`."""
        return _joined_actions(
            [self._client.request(r) for r in _action_requests("cancel", scan_ids)]
        )

    def bulk_delete_scans(self, scan_ids: Sequence[str]) -> BulkActionResult:
        """Deletes many scans with their findings (running ones fail with SCAN_RUNNING)."""
        return _joined_actions(
            [self._client.request(r) for r in _action_requests("delete", scan_ids)]
        )
