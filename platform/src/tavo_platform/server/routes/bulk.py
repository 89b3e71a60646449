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

import asyncio
import fnmatch
import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response

from tavo_platform.fetch import FetchError
from tavo_platform.fetch.urls import check_repository_url
from tavo_platform.rules.catalog import builtin_catalog
from tavo_platform.server.auth import Principal
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError
from tavo_platform.server.ratelimit import Decision, rate_limit_details
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.routes.scans import IdempotencyKey, ScanCreate, repository_name
from tavo_platform.server.state import AppState
from tavo_platform.server.views import scan_status_view, scan_view
from tavo_platform.store.records import NewScan, Scan

router = APIRouter(prefix="/api/v1/scans/bulk", tags=["bulk"])

MAX_BULK_SCANS = 100
MAX_BULK_STATUS_IDS = 500
MAX_SCAN_ID_LENGTH = 64
# Marks idempotency records written by this endpoint, so they are never read as a single
# create's record (and vice versa: the request fingerprints differ as well).
BULK_RECORD = "bulk-create"


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


@dataclass
class _Outcome:
    """One item's result; `new` is set for items that will become scans."""

    index: int
    new: NewScan | None = None
    error: dict[str, Any] | None = None


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


async def _url_problems(state: AppState, urls: set[str]) -> dict[str, str]:
    """Checks every distinct URL once, concurrently (each may need a DNS lookup)."""

    async def check(url: str) -> str | None:
        try:
            await asyncio.to_thread(
                check_repository_url,
                url,
                state.settings.fetch_allow_hosts,
                state.settings.file_url_roots,
            )
        except FetchError as error:
            return str(error)
        return None

    ordered = sorted(urls)
    problems = await asyncio.gather(*(check(url) for url in ordered))
    return {url: problem for url, problem in zip(ordered, problems, strict=True) if problem}


async def _known_rule_names(state: AppState, org_id: str) -> set[str]:
    known = set(builtin_catalog().names())
    for rule_file in await state.store.list_rule_files(org_id):
        known.update(rule_file.rule_ids)
    known.add("custom")
    return known


def _unknown(selectors: list[str], known: set[str]) -> list[str]:
    return [
        s for s in selectors if s not in known and not any(fnmatch.fnmatchcase(k, s) for k in known)
    ]


async def _plan(
    state: AppState, caller: Principal, items: list[Any]
) -> tuple[list[_Outcome], list[NewScan]]:
    """Validates every item, then spends scan-creation budget on the valid ones in order."""
    outcomes = [_Outcome(index) for index in range(len(items))]
    valid: dict[int, ScanCreate] = {}
    for outcome, item in zip(outcomes, items, strict=True):
        try:
            valid[outcome.index] = ScanCreate.model_validate(item)
        except ValidationError as error:
            outcome.error = _item_error(
                "VALIDATION_ERROR",
                "the scan is not valid",
                {"errors": _validation_problems(error)},
            )

    url_problems = await _url_problems(state, {body.repository_url for body in valid.values()})
    known = (
        await _known_rule_names(state, caller.org_id)
        if any(body.rules for body in valid.values())
        else set()
    )
    refused: Decision | None = None
    accepted: list[tuple[_Outcome, ScanCreate]] = []
    news: list[NewScan] = []
    for index, body in valid.items():
        outcome = outcomes[index]
        if body.repository_url in url_problems:
            outcome.error = _item_error(
                "INVALID_REPOSITORY_URL",
                url_problems[body.repository_url],
                {"repository_url": body.repository_url},
            )
            continue
        unknown = _unknown(body.rules, known)
        if unknown:
            outcome.error = _item_error(
                "UNKNOWN_RULES", "some rules or packs do not exist", {"unknown": unknown}
            )
            continue
        # Once the window is exhausted every later item is refused with the same answer;
        # hitting the counter again would only push it further past its limit.
        decision = refused if refused is not None else await state.limiter.hit_scan_creation(caller)
        if not decision.allowed:
            refused = decision
            outcome.error = _item_error(
                "RATE_LIMIT_EXCEEDED",
                "scan creation limit exceeded for this key",
                rate_limit_details(decision),
            )
            continue
        accepted.append((outcome, body))
    repositories = await state.store.upsert_repositories(
        caller.org_id, {body.repository_url: repository_name(body.repository_url)
                        for _, body in accepted},
    )
    for outcome, body in accepted:
        outcome.new = NewScan(
            org_id=caller.org_id,
            source="git",
            scan_type=body.scan_type,
            repository_url=body.repository_url,
            repository_id=repositories[body.repository_url].id,
            branch=body.checkout_ref,
            base_ref=body.base_ref,
            rules=list(dict.fromkeys(body.rules)),
            exclusions=list(dict.fromkeys(body.exclusions)),
        )
        news.append(outcome.new)
    return outcomes, news


def _stored_results(outcomes: list[_Outcome]) -> list[dict[str, Any]]:
    """What the idempotency record keeps: successes are matched, in order, to the record's
    `scan_ids`; failures keep their error."""
    return [
        {"index": o.index, "success": True}
        if o.new is not None
        else {"index": o.index, "success": False, "error": o.error}
        for o in outcomes
    ]


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


def _replay(
    stored_hash: str, fingerprint: str, response: dict[str, Any], scans: list[Scan]
) -> Response:
    if stored_hash != fingerprint or response.get("kind") != BULK_RECORD:
        raise APIError(
            409,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with a different request body",
        )
    return _bulk_response(response["results"], response.get("scan_ids", []), scans, replayed=True)


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
    fingerprint = fingerprint_of(items)
    if idempotency_key:
        previous = await state.store.idempotent_scans(caller.org_id, idempotency_key)
        if previous is not None:
            return _replay(previous.request_hash, fingerprint, previous.response, previous.scans)
    outcomes, news = await _plan(state, caller, items)
    stored = _stored_results(outcomes)
    if not news and not idempotency_key:
        return _bulk_response(stored, [], [], replayed=False)
    created = await state.store.create_scans(
        caller.org_id,
        news,
        (idempotency_key, fingerprint) if idempotency_key else None,
        {"kind": BULK_RECORD, "results": stored},
    )
    if created.replayed:  # a concurrent request with the same key got there first
        return _replay(created.request_hash, fingerprint, created.response, created.scans)
    if news:
        state.jobs.notify(*(scan.id for scan in created.scans))
    return _bulk_response(
        stored, [scan.id for scan in created.scans], created.scans, replayed=False
    )


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
