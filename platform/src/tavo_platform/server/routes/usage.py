"""GET /usage: the calling key's requests by day and what is left of each rate-limit
window now; with `organization=true` (admin keys) the organisation's requests by day and
by key, and its scans by day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tavo_platform.server.deps import RATE_LIMIT_STATE, Caller, State
from tavo_platform.server.ratelimit import Decision, WindowState
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.roles import forbidden, has_role

router = APIRouter(prefix="/api/v1/usage", tags=["usage"])


def _window(state: WindowState) -> dict[str, Any]:
    return {"name": state.name, "limit": state.limit, "remaining": state.remaining,
            "reset": state.reset, "window_seconds": state.window_seconds}


def _days(since: datetime, count: int) -> list[str]:
    return [(since + timedelta(days=n)).date().isoformat() for n in range(count)]


@router.get("", summary="Requests, scans and remaining budgets, by day")
async def usage(
    request: Request,
    caller: Caller,
    state: State,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    organization: bool = False,
) -> Response:
    if organization and not has_role(caller, "admin"):
        raise forbidden("admin", caller)
    await request.app.state.tavo_usage.flush()  # this process's counts, this request's too
    first = datetime.now(UTC) - timedelta(days=days - 1)
    calendar = _days(first, days)
    since = calendar[0]
    counted: Decision = request.scope["state"][RATE_LIMIT_STATE]
    scans = await state.limiter.peek_scan_creation(caller)
    requests = await state.store.key_usage(caller.key_id, since)
    content: dict[str, Any] = {
        "days": days,
        "key": {
            "id": caller.key_id,
            "tier": caller.key.tier,
            "windows": [_window(w) for w in (*counted.windows, *scans.windows)],
            "by_day": [{"day": day, "requests": requests.get(day, 0)} for day in calendar],
        },
    }
    if organization:
        by_day, by_key, created = await state.store.organization_usage(caller.org_id, since)
        content["organization"] = {
            "id": caller.org_id,
            "by_day": [{"day": day, "requests": by_day.get(day, 0),
                        "scans": created.get(day, 0)} for day in calendar],
            "by_key": [{"key_id": key, "requests": n} for key, n in sorted(by_key.items())],
        }
    return JSONResponse(content, headers={"Cache-Control": "no-store"})
