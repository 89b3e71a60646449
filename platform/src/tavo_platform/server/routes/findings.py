"""Findings across scans: list organisation-wide (filters; page/offset or keyset cursor
pagination), get one, triage it, and read its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.findings.lifecycle import scope_of
from tavo_platform.findings.views import (
    decode_cursor,
    encode_cursor,
    event_view,
    finding_view,
    without_triaged,
)
from tavo_platform.server.audit import audit
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, window
from tavo_platform.server.params import SeverityParam
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.views import scan_view
from tavo_platform.store.findings import TrackedFilter, TrackedFinding
from tavo_platform.store.records import Scan

router = APIRouter(prefix="/api/v1/findings", tags=["findings"])

FindingStatus = Literal["open", "fixed", "reopened", "false_positive", "accepted_risk", "wont_fix"]
TriageStatus = Literal["open", "false_positive", "accepted_risk", "wont_fix"]
ShortList = Annotated[list[Annotated[str, Field(max_length=200)]] | None, Query(max_length=50)]


class FindingTriage(BaseModel):
    """A triage decision: a triage state, or `open` to clear one (the status then follows
    the scans again)."""

    model_config = ConfigDict(extra="forbid")

    status: TriageStatus
    comment: str | None = Field(default=None, max_length=4000)


async def _filter(
    state: State,
    org_id: str,
    repository: str | None,
    project: str | None,
    **given: Any,
) -> TrackedFilter:
    repository_id = None
    if repository is not None:
        found = await state.store.get_repository(org_id, repository)
        if found is None:
            raise APIError(
                404, "NOT_FOUND", "repository not found", {"repository": repository}
            )
        repository_id = found.id
    return TrackedFilter(repository_id=repository_id, project=project, **given)


@router.get("", summary="List findings across scans (filters; page, offset or cursor)")
async def list_findings(
    request: Request,
    caller: Caller,
    state: State,
    repository: Annotated[str | None, Query(max_length=2048, description="id or URL")] = None,
    project: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[list[FindingStatus] | None, Query()] = None,
    severity: Annotated[list[SeverityParam] | None, Query()] = None,
    rule: ShortList = None,
    category: ShortList = None,
    owasp_llm: ShortList = None,
    path: Annotated[str | None, Query(max_length=2048, description="path prefix")] = None,
    first_seen_after: datetime | None = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="keyset pagination: empty for the first page, "
              "then the `next_cursor` of the previous one"),
    ] = None,
) -> Response:
    if first_seen_after is not None and first_seen_after.tzinfo is None:
        raise APIError(422, "VALIDATION_ERROR", "first_seen_after needs a time zone (e.g. Z)")
    flt = await _filter(
        state, caller.org_id, repository, project,
        status=tuple(status or ()), severity=tuple(severity or ()), rule_id=tuple(rule or ()),
        category=tuple(category or ()), owasp_llm=tuple(owasp_llm or ()),
        path_prefix=path or None, first_seen_after=first_seen_after,
    )
    if cursor is not None:
        if page is not None or offset is not None:
            raise APIError(
                422, "VALIDATION_ERROR", "use cursor with limit (or page_size), not page/offset"
            )
        return await _cursor_page(request, state, caller.org_id, flt, cursor, limit or page_size)
    span = window(page, page_size, offset, limit)
    result = await state.store.list_tracked_findings(
        caller.org_id, flt, offset=span.offset, limit=span.limit
    )
    items: list[TrackedFinding] = result.items
    envelope = span.envelope(result.total)
    return JSONResponse(
        {
            "items": [finding_view(f) for f in items],
            **envelope,
            "next_cursor": encode_cursor(items[-1].seq) if envelope["has_more"] else None,
        }
    )


async def _cursor_page(
    request: Request,
    state: State,
    org_id: str,
    flt: TrackedFilter,
    cursor: str,
    size: int | None,
) -> Response:
    """A keyset page: its cost does not grow with depth (no OFFSET, no count)."""
    size = size or DEFAULT_PAGE_SIZE
    if size > MAX_PAGE_SIZE:
        raise APIError(422, "VALIDATION_ERROR", f"page size must be between 1 and {MAX_PAGE_SIZE}")
    before = None
    if cursor:
        before = decode_cursor(cursor)
        if before is None:
            raise APIError(422, "INVALID_CURSOR", "this cursor was not issued by this server")
    found = await state.store.tracked_findings_before(org_id, flt, before, size + 1)
    page, more = found[:size], len(found) > size
    next_cursor = encode_cursor(page[-1].seq) if more else None
    next_link = None
    headers = {}
    if next_cursor is not None:
        query = request.url.include_query_params(cursor=next_cursor).query
        next_link = f"{request.url.path}?{query}"
        headers["Link"] = f'<{next_link}>; rel="next"'
    return JSONResponse(
        {
            "items": [finding_view(f) for f in page],
            "limit": size,
            "page_size": size,
            "has_more": more,
            "next_cursor": next_cursor,
            "next": next_link,
        },
        headers=headers,
    )


async def owned_finding(state: State, org_id: str, finding_id: str) -> TrackedFinding:
    if len(finding_id) > 64:
        raise not_found("finding")
    finding = await state.store.get_tracked_finding(org_id, finding_id)
    if finding is None:
        raise not_found("finding")
    return finding


@router.get("/{finding_id}", summary="Get a finding with its status and triage")
async def get_finding(finding_id: str, caller: Caller, state: State) -> Response:
    return JSONResponse(finding_view(await owned_finding(state, caller.org_id, finding_id)))


@router.patch("/{finding_id}", summary="Triage a finding (kept across rescans)")
async def triage_finding(
    finding_id: str, body: FindingTriage, caller: Caller, state: State
) -> Response:
    await owned_finding(state, caller.org_id, finding_id)
    changed = await state.store.triage_finding(
        caller.org_id, finding_id, body.status, caller.key_id, body.comment
    )
    if changed is None:
        raise not_found("finding")
    await audit(state, caller, "finding.triaged", "finding", finding_id,
                status=body.status, from_status=changed[1].from_status, comment=body.comment)
    return JSONResponse(finding_view(changed[0]))


@router.get("/{finding_id}/history", summary="A finding's history, oldest first")
async def finding_history(
    finding_id: str,
    caller: Caller,
    state: State,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    await owned_finding(state, caller.org_id, finding_id)
    span = window(page, page_size, offset, limit)
    result = await state.store.finding_history(
        caller.org_id, finding_id, offset=span.offset, limit=span.limit
    )
    return JSONResponse(
        {
            "finding_id": finding_id,
            "items": [event_view(e) for e in result.items],
            **span.envelope(result.total),
        }
    )


async def triaged_in(state: State, scan: Scan) -> list[TrackedFinding]:
    """The scan's findings triaged away (none for a scan outside any scope)."""
    scope = scope_of(scan.repository_id, scan.project)
    if scope is None or scan.summary is None:
        return []
    return await state.store.triaged_in_scan(scan.org_id, scope, scan.id)


async def scan_view_with_triage(state: State, scan: Scan) -> dict[str, Any]:
    """The scan as the API shows it, its counts without the findings triaged away."""
    if scan.summary is None:
        return scan_view(scan)
    return scan_view_triaged(scan, await triaged_in(state, scan))


def scan_view_triaged(scan: Scan, triaged: list[TrackedFinding]) -> dict[str, Any]:
    """scan_view_with_triage, the triage read already."""
    view = scan_view(scan)
    if scan.summary is not None:
        view["summary"] = without_triaged(scan.summary, triaged)
    return view


def triage_map(triaged: list[TrackedFinding]) -> dict[str, dict[str, Any]]:
    """By fingerprint, the triage of a scan's findings that have one."""
    return {
        f.fingerprint: {
            "finding_id": f.id,
            "status": f.status,
            "by": f.triage_by,
            "comment": f.triage_comment,
        }
        for f in triaged
    }
