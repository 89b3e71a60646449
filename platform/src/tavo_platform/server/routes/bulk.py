"""Bulk scan operations: create many scans, or read many scans' statuses, in one request.

Creation reports every item on its own (`results[i]` is about `scans[i]`), so one bad item
never sinks the rest. The response is 202 Accepted when every item was created and 200 OK
otherwise (some or all items failed; the body says which and why). Each created scan counts
against the key's scan-creation limit; items past the limit fail with RATE_LIMIT_EXCEEDED,
while invalid items do not use up the budget. With an `Idempotency-Key` the whole outcome
is stored with the scans, so a retry returns the same results (same scan ids, same
per-item errors) and creates nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response

from tavo_platform.errors import DomainError, Invalid
from tavo_platform.scans import BULK_RECORD, GitScanRequest, Idempotency
from tavo_platform.server.deps import Caller, State, scan_budget
from tavo_platform.server.errors import item_error
from tavo_platform.server.ratelimit import scan_budget_headers
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.routes.scans import IdempotencyKey, ScanCreate
from tavo_platform.server.views import scan_status_view, scan_view
from tavo_platform.store.records import Scan

router = APIRouter(prefix="/api/v1/scans/bulk", tags=["bulk"])

MAX_BULK_SCANS = 100
MAX_BULK_STATUS_IDS = 500
MAX_SCAN_ID_LENGTH = 64


class BulkScansCreate(BaseModel):
    """Items are validated one by one (each as a ScanCreate), so they are untyped here."""

    model_config = ConfigDict(extra="forbid")

    scans: list[Any] = Field(min_length=1, max_length=MAX_BULK_SCANS)


BulkScanItems = Annotated[list[Any], Field(min_length=1, max_length=MAX_BULK_SCANS)]


class BulkStatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # An id longer than any scan id is refused (422), never echoed back.
    scan_ids: list[Annotated[str, Field(min_length=1, max_length=MAX_SCAN_ID_LENGTH)]] = Field(
        min_length=1, max_length=MAX_BULK_STATUS_IDS
    )


BulkStatusIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=MAX_SCAN_ID_LENGTH)]],
    Field(min_length=1, max_length=MAX_BULK_STATUS_IDS),
]

_CREATE_DESCRIPTION = f"""
Body: `{{"scans": [ScanCreate, ...]}}` or a bare JSON list of ScanCreate objects, at most
{MAX_BULK_SCANS} items. Each item is validated and created on its own: `results[i]` is
`{{"index": i, "success": true, "scan_id", "scan"}}` or `{{"index": i, "success": false,
"error": {{"code", "message", "details"}}}}`. Status 202 when every item was created, 200 when
any failed. Every created scan counts against the key's scan-creation limit; items beyond
it fail with `RATE_LIMIT_EXCEEDED` (details carry `retry_after`). `Idempotency-Key` makes a
retry return the stored outcome (header `Idempotent-Replayed: true`).
"""


def _item_error(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {}}


def _validation_problems(error: ValidationError) -> list[dict[str, Any]]:
    # Same shape as the VALIDATION_ERROR envelope of single requests; inputs are not echoed.
    return [
        {
            "location": [str(part) for part in item.get("loc", ())],
            "message": item.get("msg", "invalid"),
            "type": item.get("type", "value_error"),
        }
        for item in error.errors(include_url=False, include_input=False)
    ]


def fingerprint_of(items: list[Any]) -> str:
    # The standard library's encoder, not orjson: the items are arbitrary client JSON
    # (integers beyond 64 bits, NaN) and must never make hashing fail.
    canonical = json.dumps({BULK_RECORD: items}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _requests(items: list[Any]) -> list[GitScanRequest | DomainError]:
    """Each item validated by the single create's schema; a failure is that item's error."""
    requests: list[GitScanRequest | DomainError] = []
    for item in items:
        try:
            requests.append(ScanCreate.model_validate(item).request())
        except ValidationError as error:
            requests.append(
                Invalid("the scan is not valid", {"errors": _validation_problems(error)})
            )
    return requests


def _bulk_response(
    stored: list[dict[str, Any]], scan_ids: list[str], scans: list[Scan], *, replayed: bool
) -> Response:
    by_id = {scan.id: scan for scan in scans}
    created_ids = iter(scan_ids)
    results: list[dict[str, Any]] = []
    for item in stored:
        if item["success"]:
            scan_id = next(created_ids)
            scan = by_id.get(scan_id)
            # A replay of a request whose scan was deleted since still reports the creation.
            results.append(
                {
                    "index": item["index"],
                    "success": True,
                    "scan_id": scan_id,
                    "scan": scan_view(scan) if scan else None,
                }
            )
        else:
            results.append(item)
    created = sum(1 for item in results if item["success"])
    failed = len(results) - created
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(
        {"results": results, "total": len(results), "created": created, "failed": failed},
        status_code=202 if failed == 0 else 200,
        headers=headers,
    )


@router.post(
    "",
    summary="Create many scans in one request",
    description=_CREATE_DESCRIPTION,
    status_code=202,
    responses={200: {"description": "Some or all items failed; see each result"}},
)
async def create_bulk_scans(
    body: Annotated[BulkScansCreate | BulkScanItems, Body()],
    caller: Caller,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    items = body.scans if isinstance(body, BulkScansCreate) else body
    admitted = await state.scans.create_many(
        caller.org_id,
        _requests(items),
        scan_budget(state, caller),
        item_error,
        Idempotency(idempotency_key, fingerprint_of(items)) if idempotency_key else None,
    )
    response = _bulk_response(
        admitted.results, admitted.scan_ids, admitted.scans, replayed=admitted.replayed
    )
    if admitted.charge is not None:
        response.headers.update(scan_budget_headers(admitted.charge))
    return response


@router.post("/status", summary="Get many scans' statuses in one request")
async def bulk_scan_status(
    body: Annotated[BulkStatusRequest | BulkStatusIds, Body()],
    caller: Caller,
    state: State,
) -> Response:
    """Body: `{"scan_ids": [...]}` or a bare list, at most 500 ids. `results[i]` is the
    status of `scan_ids[i]` (the same fields as GET /scans/{id}/status, plus `success`), or
    a NOT_FOUND error for ids that do not exist or belong to another organisation."""
    scan_ids = body.scan_ids if isinstance(body, BulkStatusRequest) else body
    wanted = set(scan_ids)
    found = {scan.id: scan for scan in await state.store.get_scans(caller.org_id, list(wanted))}
    results: list[dict[str, Any]] = []
    for scan_id in scan_ids:
        scan = found.get(scan_id)
        if scan is None:
            results.append(
                {
                    "id": scan_id,
                    "success": False,
                    "status": None,
                    "error": _item_error("NOT_FOUND", "scan not found"),
                }
            )
        else:
            results.append({**scan_status_view(scan), "success": True})
    hits = sum(1 for item in results if item["success"])
    return JSONResponse(
        {
            "results": results,
            "total": len(results),
            "found": hits,
            "not_found": len(results) - hits,
        },
        headers={"Cache-Control": "no-store"},
    )
