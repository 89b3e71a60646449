"""Scans: create (202, idempotent), list, get, status, results, cancel, delete, and the
waiting-without-polling streams (status as Server-Sent Events, results as NDJSON)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response, StreamingResponse

from tavo_platform.fetch import FetchError
from tavo_platform.fetch.urls import check_repository_url
from tavo_platform.jobs.runner import discard_upload
from tavo_platform.server.audit import audit
from tavo_platform.server.caching import cached_json
from tavo_platform.server.deps import Caller, State, rate_limited
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.pagination import window
from tavo_platform.server.params import SeverityParam
from tavo_platform.server.ratelimit import scan_budget_headers
from tavo_platform.server.responses import JSONResponse, dumps
from tavo_platform.server.routes.findings import scan_view_with_triage, triage_map, triaged_in
from tavo_platform.server.views import scan_status_view, scan_view
from tavo_platform.store.records import FindingFilter, NewScan, Scan

router = APIRouter(prefix="/api/v1/scans", tags=["scans"])

ScanType = Literal["security", "comprehensive", "llm", "secrets", "code", "models"]
SCAN_STATUS = Literal["queued", "running", "completed", "failed", "cancelled"]
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

    def hashed(self) -> dict[str, Any]:
        """The body for the idempotency hash (fields added later only when set, so a
        retry across an upgrade still matches)."""
        unset = {name for name in ("ref", "base_ref") if getattr(self, name) is None}
        return self.model_dump(mode="json", exclude=unset)


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


def request_hash(payload: object) -> str:
    return hashlib.sha256(dumps(payload)).hexdigest()


async def prepare_scan(state: State, org_id: str, body: ScanCreate) -> NewScan:
    """Validates what can be validated up front (URL policy, rule selectors)."""
    try:
        await asyncio.to_thread(
            check_repository_url,
            body.repository_url,
            state.settings.fetch_allow_hosts,
            state.settings.file_url_roots,
        )
    except FetchError as error:
        raise APIError(
            422, "INVALID_REPOSITORY_URL", str(error), {"repository_url": body.repository_url}
        ) from None
    unknown = await unknown_rule_selectors(state, org_id, body.rules)
    if unknown:
        raise APIError(
            422, "UNKNOWN_RULES", "some rules or packs do not exist", {"unknown": unknown}
        )
    repository = await state.store.upsert_repository(
        org_id, body.repository_url, repository_name(body.repository_url)
    )
    return NewScan(
        org_id=org_id,
        source="git",
        scan_type=body.scan_type,
        repository_url=body.repository_url,
        repository_id=repository.id,
        branch=body.checkout_ref,
        base_ref=body.base_ref,
        rules=list(dict.fromkeys(body.rules)),
        exclusions=list(dict.fromkeys(body.exclusions)),
    )


async def unknown_rule_selectors(state: State, org_id: str, selectors: list[str]) -> list[str]:
    import fnmatch

    from tavo_platform.rules.catalog import builtin_catalog

    if not selectors:
        return []
    known = set(builtin_catalog().names())
    for rule_file in await state.store.list_rule_files(org_id):
        known.update(rule_file.rule_ids)
    known.add("custom")
    return [
        s for s in selectors if s not in known and not any(fnmatch.fnmatchcase(k, s) for k in known)
    ]


def repository_name(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git") or url


@router.post("", status_code=202, summary="Create a scan")
async def create_scan(
    body: ScanCreate,
    caller: Caller,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    fingerprint = request_hash(body.hashed())
    if idempotency_key:
        replay = await replay_single(state, caller.org_id, idempotency_key, fingerprint)
        if replay is not None:
            return replay
    decision = await state.limiter.hit_scan_creation(caller)
    if not decision.allowed:
        raise rate_limited(decision, "scan creation limit exceeded for this key")
    new = await prepare_scan(state, caller.org_id, body)
    created = await state.store.create_scans(
        caller.org_id,
        [new],
        (idempotency_key, fingerprint) if idempotency_key else None,
    )
    if created.replayed:
        return replay_response(created.scans, created.request_hash, fingerprint)
    state.jobs.notify(*(scan.id for scan in created.scans))
    return JSONResponse(
        scan_view(created.scans[0]),
        status_code=202,
        headers={"Location": f"/api/v1/scans/{created.scans[0].id}",
                 **scan_budget_headers(decision)},
    )


async def replay_single(state: State, org_id: str, key: str, fingerprint: str) -> Response | None:
    previous = await state.store.idempotent_scans(org_id, key)
    if previous is None:
        return None
    return replay_response(previous.scans, previous.request_hash, fingerprint)


def replay_response(scans: list[Scan], stored_hash: str, fingerprint: str) -> Response:
    if stored_hash != fingerprint:
        raise APIError(
            409,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with a different request body",
        )
    if not scans:
        raise not_found("scan")
    return JSONResponse(
        scan_view(scans[0]), status_code=202, headers={"Idempotent-Replayed": "true"}
    )


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
    if len(scan_id) > 64:
        raise not_found("scan")
    scan = await state.store.get_scan(org_id, scan_id)
    if scan is None:
        raise not_found("scan")
    return scan


@router.get("/{scan_id}", summary="Get a scan with its summary")
async def get_scan(scan_id: str, caller: Caller, state: State) -> Response:
    scan = await owned_scan(state, caller.org_id, scan_id)
    return JSONResponse(await scan_view_with_triage(state, scan))


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
    content = {
        "scan_id": scan.id,
        "scan_status": scan.status,
        "vulnerabilities": result.items,
        **span.envelope(result.total),
        # The triage of this scan's findings that have one, by fingerprint (the findings
        # are listed as the scan found them; counts in the summary leave these out).
        "triaged": triage_map(await triaged_in(state, scan)),
    }
    if scan.finished:
        return cached_json(request, content, FINISHED_RESULTS_CACHE)
    return JSONResponse(content, headers={"Cache-Control": "no-store"})


@router.post("/{scan_id}/cancel", summary="Cancel a queued or running scan")
async def cancel_scan(scan_id: str, caller: Caller, state: State) -> Response:
    before = await owned_scan(state, caller.org_id, scan_id)
    scan = await state.store.cancel_scan(caller.org_id, scan_id)
    if scan is None:
        raise not_found("scan")
    if before.status == "queued" and scan.status == "cancelled":
        # Cancelled before any worker took it: nothing will read the upload now.
        await asyncio.to_thread(discard_upload, state.settings, scan.upload_path)
    return JSONResponse(scan_view(scan))


@router.delete("/{scan_id}", summary="Delete a scan and its findings")
async def delete_scan(scan_id: str, caller: Caller, state: State) -> Response:
    scan = await owned_scan(state, caller.org_id, scan_id)
    if scan.status == "running":
        raise APIError(409, "SCAN_RUNNING", "cancel the scan before deleting it")
    await state.store.delete_scan(caller.org_id, scan_id)
    await audit(state, caller, "scan.deleted", "scan", scan_id)
    await asyncio.to_thread(discard_upload, state.settings, scan.upload_path)
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
