"""GET /audit-log: the organisation's security-relevant actions, newest first (admin keys):
keys, repository secrets and credentials, webhooks, schedules, triage, deletions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from tavo_platform.server.deps import Caller, State
from tavo_platform.server.pagination import window
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.views import iso
from tavo_platform.store.audit import AuditEntry

router = APIRouter(prefix="/api/v1/audit-log", tags=["audit"])


def entry_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.seq,
        "actor": entry.actor,
        "actor_user": (
            {"id": entry.actor_user_id, "email": entry.actor_email}
            if entry.actor_user_id else None
        ),
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "details": entry.details,
        "at": iso(entry.created_at),
    }


@router.get("", summary="The audit log, newest first (the admin role)")
async def list_audit_log(
    caller: Caller,
    state: State,
    action: Annotated[str | None, Query(max_length=60, description="action prefix, "
                                        "e.g. `webhook.`")] = None,
    target_id: Annotated[str | None, Query(max_length=2048)] = None,
    actor_user: Annotated[str | None, Query(max_length=40, description="a user's id: "
                                            "what that user did")] = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    span = window(page, page_size, offset, limit)
    result = await state.store.list_audit(
        caller.org_id, action=action, target_id=target_id, offset=span.offset,
        limit=span.limit, actor_user_id=actor_user,
    )
    return JSONResponse(
        {"items": [entry_view(e) for e in result.items], **span.envelope(result.total)},
        headers={"Cache-Control": "no-store"},
    )
