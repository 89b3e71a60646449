"""Scans: create (202, idempotent), list, get, status, results, cancel, delete, and the
waiting-without-polling streams (status as Server-Sent Events, results as NDJSON)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response, StreamingResponse

from tavo_platform.enums import ScanStatusName, ScanTypeName
from tavo_platform.scans import Admitted, GitScanRequest, Idempotency
from tavo_platform.server.audit import audit
from tavo_platform.server.caching import cached_body
from tavo_platform.server.deps import Caller, State, scan_budget
from tavo_platform.server.pagination import window
from tavo_platform.server.params import SeverityParam
from tavo_platform.server.ratelimit import Decision, scan_budget_headers
from tavo_platform.server.responses import JSONResponse, dumps
from tavo_platform.server.routes.findings import (
    scan_view_triaged,
    scan_view_with_triage,
    triage_map,
    triaged_in,
)
from tavo_platform.server.views import scan_status_view, scan_view
from tavo_platform.store.records import FindingFilter, Scan

router = APIRouter(prefix="/api/v1/scans", tags=["scans"])

ScanType = ScanTypeName
SCAN_STATUS = ScanStatusName
EVENT_POLL_SECONDS = 0.5
EVENT_STREAM_MAX_SECONDS = 3600
FINISHED_RESULTS_CACHE = "private, max-age=300"
NDJSON_PAGE = 500


# Branch and tag names as git allows them, minus what could be read as an option (a
# leading "-") or a revision expression (".." is refused below).
GitRef = Annotated[
    str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_/+@][A-Za-z0-9._/+@-]*$")
]


class ScanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repository_url: str = Field(min_length=1, max_length=2048)
    scan_type: ScanType = "security"
    branch: str | None = Field(default=None, min_length=1, max_length=255)
    rules: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=2000
    )
    exclusions: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=2000
    )
    # The branch or tag to scan (`branch` under another name, as CI systems call it), and
    # for a diff-aware scan the one to compare with: only findings new relative to it.
    ref: GitRef | None = None
    base_ref: GitRef | None = None

    @model_validator(mode="after")
    def _one_ref(self) -> ScanCreate:
        if self.ref is not None and self.branch is not None and self.ref != self.branch:
            raise ValueError("give `ref` or `branch`, not both")
        if any(".." in (value or "") for value in (self.ref, self.base_ref)):
            raise ValueError("a ref must not contain `..`")
        return self

    @property
    def checkout_ref(self) -> str | None:
        return self.ref or self.branch

    def request(self) -> GitScanRequest:
        return GitScanRequest(
            repository_url=self.repository_url,
            scan_type=self.scan_type,
            ref=self.checkout_ref,
            base_ref=self.base_ref,
            rules=self.rules,
            exclusions=self.exclusions,
        )

    def hashed(self) -> dict[str, Any]:
        """The body for the idempotency hash (fields added later only when set, so a
        retry across an upgrade still matches)."""
        unset = {name for name in ("ref", "base_ref") if getattr(self, name) is None}
        return self.model_dump(mode="json", exclude=unset)


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


def request_hash(payload: object) -> str:
    return hashlib.sha256(dumps(payload)).hexdigest()


def idempotency_of(key: str | None, payload: object) -> Idempotency | None:
    return Idempotency(key, request_hash(payload)) if key else None


def replayed_response(scans: list[Scan]) -> Response:
    """The answer to a retried create: the scan the first request made."""
    return JSONResponse(
        scan_view(scans[0]), status_code=202, headers={"Idempotent-Replayed": "true"}
    )


def created_response(admitted: Admitted[Decision], body: dict[str, Any] | None = None) -> Response:
    scan = admitted.scans[0]
    assert admitted.charge is not None
    return JSONResponse(
        body if body is not None else scan_view(scan),
        status_code=202,
        headers={
            "Location": f"/api/v1/scans/{scan.id}",
            **scan_budget_headers(admitted.charge),
        },
    )


@router.post("", status_code=202, summary="Create a scan")
async def create_scan(
    body: ScanCreate,
    caller: Caller,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    admitted = await state.scans.create(
        caller.org_id,
        body.request(),
        scan_budget(state, caller),
        idempotency_of(idempotency_key, body.hashed()),
    )
    if admitted.replayed:
        return replayed_response(admitted.scans)
    return created_response(admitted)


@router.get("", summary="List scans")
async def list_scans(
    caller: Caller,
    state: State,
    status: SCAN_STATUS | None = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    span = window(page, page_size, offset, limit)
    result = await state.store.list_scans(
        caller.org_id, status=status, offset=span.offset, limit=span.limit
    )
    return JSONResponse(
        {"items": [scan_view(s) for s in result.items], **span.envelope(result.total)}
    )


async def owned_scan(state: State, org_id: str, scan_id: str) -> Scan:
    return await state.scans.owned(org_id, scan_id)


@router.get("/{scan_id}", summary="Get a scan with its summary")
async def get_scan(scan_id: str, caller: Caller, state: State) -> Response:
    scan = await owned_scan(state, caller.org_id, scan_id)
    if not scan.finished:
        return JSONResponse(await scan_view_with_triage(state, scan))
    # A finished scan's body is made once for the scan and triage the read cache gives.
    triaged = await triaged_in(state, scan)
    body = state.bodies.body(
        "scan", (scan, triaged or None), lambda: dumps(scan_view_triaged(scan, triaged))
    )
    return Response(body.content, media_type="application/json")


@router.get("/{scan_id}/status", summary="Get a scan's status (small and cheap)")
async def get_scan_status(scan_id: str, caller: Caller, state: State) -> Response:
    return JSONResponse(scan_status_view(await owned_scan(state, caller.org_id, scan_id)))


@router.get("/{scan_id}/results", summary="Get a scan's findings, filtered and paginated")
async def get_scan_results(
    request: Request,
    scan_id: str,
    caller: Caller,
    state: State,
    severity: Annotated[list[SeverityParam] | None, Query()] = None,
    rule: Annotated[list[str] | None, Query(max_length=100)] = None,
    path: Annotated[str | None, Query(max_length=2048)] = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    scan = await owned_scan(state, caller.org_id, scan_id)
    span = window(page, page_size, offset, limit)
    result = await state.store.scan_results(
        caller.org_id,
        scan.id,
        FindingFilter(list(severity or []), rule or [], path),
        offset=span.offset,
        limit=span.limit,
        json_fragments=True,
        finished_version=scan.version if scan.finished else None,
    )
    triaged = await triaged_in(state, scan)

    def content() -> dict[str, Any]:
        return {
            "scan_id": scan.id,
            "scan_status": scan.status,
            "vulnerabilities": result.items,
            **span.envelope(result.total),
            # The triage of this scan's findings that have one, by fingerprint (the findings
            # are listed as the scan found them; counts in the summary leave these out).
            "triaged": triage_map(triaged),
        }

    if scan.finished:
        # Made once for the scan, page and triage the read cache gives (server/bodies.py).
        body = state.bodies.body(
            ("results", span.offset, span.limit),
            (scan, result, triaged or None),
            lambda: dumps(content()),
        )
        return cached_body(request, body.content, body.etag, FINISHED_RESULTS_CACHE)
    return JSONResponse(content(), headers={"Cache-Control": "no-store"})


@router.post("/{scan_id}/cancel", summary="Cancel a queued or running scan")
async def cancel_scan(scan_id: str, caller: Caller, state: State) -> Response:
    _before, scan = await state.scans.cancel(caller.org_id, scan_id)
    return JSONResponse(scan_view(scan))


@router.delete("/{scan_id}", summary="Delete a scan and its findings")
async def delete_scan(scan_id: str, caller: Caller, state: State) -> Response:
    await state.scans.delete(caller.org_id, scan_id)
    await audit(state, caller, "scan.deleted", "scan", scan_id)
    return Response(status_code=204)


@router.get("/{scan_id}/events", summary="Status changes as Server-Sent Events")
async def scan_events(scan_id: str, caller: Caller, state: State) -> Response:
    scan = await owned_scan(state, caller.org_id, scan_id)

    async def events() -> AsyncIterator[bytes]:
        current = scan
        yield _event("status", scan_status_view(current), current.version)
        waited = 0.0
        while not current.finished and waited < EVENT_STREAM_MAX_SECONDS:
            await asyncio.sleep(EVENT_POLL_SECONDS)
            waited += EVENT_POLL_SECONDS
            latest = await state.store.get_scan(caller.org_id, scan_id)
            if latest is None:
                yield _event("deleted", {"id": scan_id}, current.version + 1)
                return
            if latest.version != current.version:
                current = latest
                yield _event("status", scan_status_view(current), current.version)
            elif waited % 15 < EVENT_POLL_SECONDS:
                yield b": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _event(name: str, data: object, event_id: int) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, name.encode(), dumps(data))


@router.get("/{scan_id}/results.ndjson", summary="All findings streamed as NDJSON")
async def stream_results(
    scan_id: str,
    caller: Caller,
    state: State,
    wait: Annotated[bool, Query(description="Wait for the scan to finish first")] = True,
) -> Response:
    scan = await owned_scan(state, caller.org_id, scan_id)

    async def lines() -> AsyncIterator[bytes]:
        current = scan
        waited = 0.0
        while wait and not current.finished and waited < EVENT_STREAM_MAX_SECONDS:
            await asyncio.sleep(EVENT_POLL_SECONDS)
            waited += EVENT_POLL_SECONDS
            latest = await state.store.get_scan(caller.org_id, scan_id)
            if latest is None:
                return
            current = latest
        offset = 0
        while True:
            page = await state.store.scan_results(
                caller.org_id,
                scan_id,
                FindingFilter(),
                offset=offset,
                limit=NDJSON_PAGE,
                json_fragments=True,
            )
            for item in page.items:
                yield dumps(item) + b"\n"
            offset += len(page.items)
            if len(page.items) < NDJSON_PAGE:
                break
        yield (
            dumps({"scan_id": scan_id, "status": current.status, "total": offset, "end": True})
            + b"\n"
        )

    return StreamingResponse(
        lines(), media_type="application/x-ndjson", headers={"Cache-Control": "no-store"}
    )
