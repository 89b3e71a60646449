"""Scans of uploaded code: a .tar.gz/.tgz/.tar/.zip as the raw body or a multipart `file`."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tavo_platform.scans import UploadScanRequest
from tavo_platform.server.deps import Caller, State, scan_budget
from tavo_platform.server.errors import APIError
from tavo_platform.server.routes.scans import (
    IdempotencyKey,
    ScanType,
    created_response,
    idempotency_of,
    replayed_response,
)
from tavo_platform.server.views import scan_view

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
    hashed = {
        "scan_type": scan_type,
        "rules": rules,
        "exclusions": exclusions,
        "archive": hashlib.sha256(data).hexdigest(),
        # Only when given: hashes of requests made before projects existed still match.
        **({"project": project} if project else {}),
    }
    wanted = UploadScanRequest(
        archive=data,
        max_entries=caller.limits.archive_entries,
        scan_type=scan_type,
        rules=rules or [],
        exclusions=exclusions or [],
        project=project,
    )
    admitted = await state.scans.create_upload(
        caller.org_id,
        wanted,
        scan_budget(state, caller),
        idempotency_of(idempotency_key, hashed),
    )
    if admitted.replayed:
        return replayed_response(admitted.scans)
    assert admitted.unpacked is not None
    upload = {
        "files": admitted.unpacked.files,
        "bytes": admitted.unpacked.bytes,
        "skipped_links": admitted.unpacked.skipped_links,
    }
    return created_response(admitted, {**scan_view(admitted.scans[0]), "upload": upload})
