"""Bulk cancel and delete: many scans in one request, each handled on its own, with a
result per id in the order given (as bulk creation has)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.errors import DomainError, NotFound
from tavo_platform.server.audit import audit
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import item_error
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.views import scan_view
from tavo_platform.store.records import Scan

router = APIRouter(prefix="/api/v1/scans/bulk", tags=["scans"])

MAX_IDS = 500
MAX_ID_LENGTH = 64
ScanIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(min_length=1, max_length=MAX_IDS),
]


class BulkScanIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scan_ids: ScanIds


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "details": {}}


def _answer(results: list[dict[str, Any]]) -> Response:
    succeeded = sum(1 for item in results if item["success"])
    return JSONResponse(
        {
            "results": results,
            "total": len(results),
            "succeeded": succeeded,
            "failed": len(results) - succeeded,
        },
        headers={"Cache-Control": "no-store"},
    )


async def _owned(state: State, org_id: str, scan_ids: list[str]) -> dict[str, Scan]:
    wanted = list({i for i in scan_ids if len(i) <= MAX_ID_LENGTH})
    return {scan.id: scan for scan in await state.store.get_scans(org_id, wanted)}


@router.post("/cancel", summary="Cancel many scans (a result per id)")
async def bulk_cancel(
    body: Annotated[BulkScanIds | ScanIds, Body()], caller: Caller, state: State
) -> Response:
    """Body: `{"scan_ids": [...]}` or a bare list (at most 500). `results[i]`:
    `{"index", "id", "success": true, "cancelled", "scan"}` (`cancelled` false for a scan
    that had finished already) or `{"index", "id", "success": false, "error"}`."""
    scan_ids = body.scan_ids if isinstance(body, BulkScanIds) else body
    found = await _owned(state, caller.org_id, scan_ids)
    results: list[dict[str, Any]] = []
    for index, scan_id in enumerate(scan_ids):
        before = found.get(scan_id)
        after = await state.scans.cancel_owned(before) if before else None
        if before is None or after is None:
            results.append({"index": index, "id": scan_id, "success": False,
                            "error": _error("NOT_FOUND", "scan not found")})
            continue
        results.append({"index": index, "id": scan_id, "success": True,
                        "cancelled": not before.finished, "scan": scan_view(after)})
        found[scan_id] = after
    return _answer(results)


@router.post("/delete", summary="Delete many scans and their findings (a result per id)")
async def bulk_delete(
    body: Annotated[BulkScanIds | ScanIds, Body()], caller: Caller, state: State
) -> Response:
    """Body as for bulk cancel. A running scan is not deleted (`SCAN_RUNNING`: cancel it
    first); an id given twice is deleted once and then NOT_FOUND."""
    scan_ids = body.scan_ids if isinstance(body, BulkScanIds) else body
    found = await _owned(state, caller.org_id, scan_ids)
    results: list[dict[str, Any]] = []
    for index, scan_id in enumerate(scan_ids):
        scan = found.pop(scan_id, None)
        try:
            if scan is None:
                raise NotFound.of("scan")
            await state.scans.delete_owned(scan)
        except DomainError as refused:
            results.append({"index": index, "id": scan_id, "success": False,
                            "error": item_error(refused)})
            continue
        await audit(state, caller, "scan.deleted", "scan", scan_id, bulk=True)
        results.append({"index": index, "id": scan_id, "success": True})
    return _answer(results)
