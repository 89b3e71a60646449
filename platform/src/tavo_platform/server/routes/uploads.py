"""Scans of uploaded code: a .tar.gz/.tgz/.tar/.zip as the raw body or a multipart `file`."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tavo_platform.fetch import FetchError
from tavo_platform.fetch.archive import ArchiveLimits, UnsafeArchive, inspect, unpack
from tavo_platform.server.deps import Caller, State, rate_limited
from tavo_platform.server.errors import APIError
from tavo_platform.server.ratelimit import scan_budget_headers
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.routes.scans import (
    IdempotencyKey,
    ScanType,
    replay_response,
    replay_single,
    request_hash,
    unknown_rule_selectors,
)
from tavo_platform.server.views import scan_view
from tavo_platform.store.records import NewScan

T = TypeVar("T")

router = APIRouter(prefix="/api/v1/uploads", tags=["scans"])


async def _archive_bytes(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise APIError(422, "VALIDATION_ERROR", "multipart upload needs a `file` part")
        data = await upload.read()
        await form.close()
        return data
    return await request.body()


async def _archive_checked(function: Callable[..., T], *args: Any) -> T:
    try:
        return await asyncio.to_thread(function, *args)
    except UnsafeArchive as error:
        raise APIError(422, "UNSAFE_ARCHIVE", str(error)) from None
    except FetchError as error:
        raise APIError(422, "INVALID_ARCHIVE", str(error)) from None


@router.post("/scans", status_code=202, summary="Upload an archive of code and scan it")
async def upload_and_scan(
    request: Request,
    caller: Caller,
    state: State,
    scan_type: ScanType = "security",
    rules: Annotated[list[str] | None, Query(max_length=500)] = None,
    exclusions: Annotated[list[str] | None, Query(max_length=500)] = None,
    project: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
            description="findings of uploads of the same project are tracked across scans",
        ),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    data = await _archive_bytes(request)
    if not data:
        raise APIError(422, "VALIDATION_ERROR", "the request body must be a code archive")
    fingerprint = request_hash(
        {
            "scan_type": scan_type,
            "rules": rules,
            "exclusions": exclusions,
            "archive": hashlib.sha256(data).hexdigest(),
            # Only when given: hashes of requests made before projects existed still match.
            **({"project": project} if project else {}),
        }
    )
    if idempotency_key:
        replay = await replay_single(state, caller.org_id, idempotency_key, fingerprint)
        if replay is not None:
            return replay
    unknown = await unknown_rule_selectors(state, caller.org_id, rules or [])
    if unknown:
        raise APIError(
            422, "UNKNOWN_RULES", "some rules or packs do not exist", {"unknown": unknown}
        )
    limits = ArchiveLimits(
        min(state.settings.max_upload_files, caller.limits.archive_entries),
        state.settings.max_upload_unpacked_bytes,
    )
    # The whole archive is checked before the scan budget is charged for it.
    await _archive_checked(inspect, data, limits)
    decision = await state.limiter.hit_scan_creation(caller)
    if not decision.allowed:
        raise rate_limited(decision, "scan creation limit exceeded for this key")
    destination = state.settings.uploads_dir / uuid.uuid4().hex
    unpacked = await _archive_checked(unpack, data, destination, limits)
    new = NewScan(
        org_id=caller.org_id,
        source="upload",
        scan_type=scan_type,
        upload_path=str(destination.resolve()),
        rules=list(dict.fromkeys(rules or [])),
        exclusions=list(dict.fromkeys(exclusions or [])),
        project=project,
    )
    created = await state.store.create_scans(
        caller.org_id,
        [new],
        (idempotency_key, fingerprint) if idempotency_key else None,
        response={"files": unpacked.files},
    )
    if created.replayed:
        return replay_response(created.scans, created.request_hash, fingerprint)
    state.jobs.notify(*(scan.id for scan in created.scans))
    scan = created.scans[0]
    return JSONResponse(
        {
            **scan_view(scan),
            "upload": {
                "files": unpacked.files,
                "bytes": unpacked.bytes,
                "skipped_links": unpacked.skipped_links,
            },
        },
        status_code=202,
        headers={"Location": f"/api/v1/scans/{scan.id}", **scan_budget_headers(decision)},
    )
