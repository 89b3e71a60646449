"""Repositories: register, list, and get by id or by URL, each with its last scan and its
finding trend (counts by severity of the last completed scans, oldest first).

Scans register their repository on creation too, so every scanned URL is listed here.
A repository is looked up by id (`repo_...`), by URL in the path (percent-encoded or not:
`/api/v1/repositories/https://github.com/org/repo` works) or by `GET /lookup?url=...`.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.enums import ScanStatus
from tavo_platform.fetch import FetchError
from tavo_platform.fetch.urls import MAX_URL_LENGTH, check_repository_url
from tavo_platform.scans.checks import repository_name
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.pagination import window
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.state import AppState
from tavo_platform.server.views import iso, repository_view, scan_view
from tavo_platform.store.records import Repository, Scan

router = APIRouter(prefix="/api/v1/repositories", tags=["repositories"])

DEFAULT_TREND_SCANS = 10
MAX_TREND_SCANS = 50
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
# Proxies and some clients collapse "//" in paths: "https:/host/x" means "https://host/x".
_COLLAPSED_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):/(?!/)")

TrendSize = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_TREND_SCANS,
        description="How many of the latest completed scans the finding trend covers",
    ),
]


class RepositoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    name: str | None = Field(default=None, min_length=1, max_length=300)
    default_branch: str | None = Field(default=None, min_length=1, max_length=255)


def trend_point(scan: Scan) -> dict[str, Any]:
    summary = scan.summary or {}
    by_severity = summary.get("by_severity") or {}
    return {
        "scan_id": scan.id,
        "created_at": iso(scan.created_at),
        "finished_at": iso(scan.finished_at),
        "total": summary.get("total", 0),
        "by_severity": {severity: by_severity.get(severity, 0) for severity in SEVERITIES},
    }


def open_summary(by_severity: dict[str, int]) -> dict[str, Any]:
    return {
        "total": sum(by_severity.values()),
        "by_severity": {severity: by_severity.get(severity, 0) for severity in SEVERITIES},
    }


async def with_activity(
    state: AppState, org_id: str, repositories: list[Repository], trend_size: int
) -> list[dict[str, Any]]:
    """Adds each repository's last scan and trend, with two queries for the whole list."""
    ids = [repository.id for repository in repositories]
    latest = await state.store.recent_repository_scans(org_id, ids, per_repository=1)
    still_open = await state.store.open_findings(org_id, ids)
    completed = await state.store.recent_repository_scans(
        org_id, ids, per_repository=trend_size, status=ScanStatus.COMPLETED
    )
    views = []
    for repository in repositories:
        last = latest.get(repository.id, [])
        history = completed.get(repository.id, [])
        views.append(
            {
                **repository_view(repository),
                "last_scan": scan_view(last[0]) if last else None,
                "hooks_enabled": repository.hook_secret is not None,
                "credentials": (
                    {"kind": repository.credential_kind,
                     "username": repository.credential_username}
                    if repository.credential_kind
                    else None
                ),
                # Tracked findings still open (open or reopened), across its scans.
                "open_findings": open_summary(still_open.get(repository.id, {})),
                # The store answers newest first; a trend reads left to right in time.
                "trend": [trend_point(scan) for scan in reversed(history)],
            }
        )
    return views


@router.post("", status_code=201, summary="Register a repository")
async def register_repository(body: RepositoryCreate, caller: Caller, state: State) -> Response:
    """201 with the new repository; 200 with the existing one when the URL is already
    registered (registering is idempotent)."""
    try:
        await asyncio.to_thread(
            check_repository_url,
            body.url,
            state.settings.fetch_allow_hosts,
            state.settings.file_url_roots,
        )
    except FetchError as error:
        raise APIError(
            422, "INVALID_REPOSITORY_URL", str(error), {"repository_url": body.url}
        ) from None
    existing = await state.store.get_repository(caller.org_id, body.url)
    repository = existing or await state.store.upsert_repository(
        caller.org_id, body.url, body.name or repository_name(body.url), body.default_branch
    )
    [view] = await with_activity(state, caller.org_id, [repository], DEFAULT_TREND_SCANS)
    return JSONResponse(
        view,
        status_code=200 if existing else 201,
        headers={"Location": f"/api/v1/repositories/{repository.id}"},
    )


@router.get("", summary="List repositories")
async def list_repositories(
    caller: Caller,
    state: State,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    trend_size: TrendSize = DEFAULT_TREND_SCANS,
) -> Response:
    span = window(page, page_size, offset, limit)
    result = await state.store.list_repositories(
        caller.org_id, offset=span.offset, limit=span.limit
    )
    items = await with_activity(state, caller.org_id, result.items, trend_size)
    return JSONResponse({"items": items, **span.envelope(result.total)})


def reference_candidates(reference: str) -> list[str]:
    """The id or URL as given, then the spellings of the same URL people commonly mix up
    (a trailing slash, a `.git` suffix, a collapsed `//`)."""
    candidates = [reference]
    if not reference.startswith("repo_") or "/" in reference or ":" in reference:
        url = _COLLAPSED_SCHEME.sub(r"\1://", reference)
        bare = url.rstrip("/").removesuffix(".git")
        candidates += [url, bare, bare + ".git", bare + "/"]
    return list(dict.fromkeys(candidates))


async def find_repository(state: AppState, org_id: str, reference: str) -> Repository:
    if not reference or len(reference) > MAX_URL_LENGTH:
        raise not_found("repository")
    for candidate in reference_candidates(reference):
        repository = await state.store.get_repository(org_id, candidate)
        if repository is not None:
            return repository
    raise not_found("repository")


@router.get("/lookup", summary="Get a repository by URL")
async def lookup_repository(
    caller: Caller,
    state: State,
    url: Annotated[str, Query(min_length=1, max_length=MAX_URL_LENGTH)],
    trend_size: TrendSize = DEFAULT_TREND_SCANS,
) -> Response:
    repository = await find_repository(state, caller.org_id, url)
    [view] = await with_activity(state, caller.org_id, [repository], trend_size)
    return JSONResponse(view)


@router.get("/{reference:path}", summary="Get a repository by id or by URL")
async def get_repository(
    reference: str, caller: Caller, state: State, trend_size: TrendSize = DEFAULT_TREND_SCANS
) -> Response:
    repository = await find_repository(state, caller.org_id, reference)
    [view] = await with_activity(state, caller.org_id, [repository], trend_size)
    return JSONResponse(view)
