"""Scheduled scans of a repository: create (cron expression, time zone, scan type, ref),
list, get (with its recent runs), delete. See jobs/schedules.py for how they fire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tavo_platform.jobs.schedules import InvalidSchedule, next_tick
from tavo_platform.server.audit import audit
from tavo_platform.server.deps import Caller, State
from tavo_platform.server.errors import APIError, not_found
from tavo_platform.server.pagination import window
from tavo_platform.server.responses import JSONResponse
from tavo_platform.server.routes.scans import GitRef, ScanType
from tavo_platform.server.views import iso
from tavo_platform.store.schedules import Schedule, ScheduleRun

router = APIRouter(prefix="/api/v1/schedules", tags=["schedules"])

RECENT_RUNS = 20


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repository: str = Field(min_length=1, max_length=2048, description="id or URL")
    cron: str = Field(min_length=1, max_length=120,
                      description="five fields (minute hour day month weekday), or six with "
                                  "seconds last")
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    scan_type: ScanType = "security"
    ref: GitRef | None = None


def schedule_view(schedule: Schedule, runs: list[ScheduleRun] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": schedule.id,
        "repository_id": schedule.repository_id,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "scan_type": schedule.scan_type,
        "ref": schedule.ref,
        "next_run_at": iso(schedule.next_run_at),
        "last_run_at": iso(schedule.last_run_at),
        "last_scan_id": schedule.last_scan_id,
        "created_at": iso(schedule.created_at),
    }
    if runs is not None:
        view["recent_runs"] = [
            {"tick": iso(run.tick), "scan_id": run.scan_id, "fired_at": iso(run.fired_at)}
            for run in runs
        ]
    return view


@router.post("", status_code=201, summary="Schedule scans of a repository")
async def create_schedule(body: ScheduleCreate, caller: Caller, state: State) -> Response:
    try:
        first = next_tick(body.cron, body.timezone, datetime.now(UTC))
    except InvalidSchedule as error:
        raise APIError(422, "INVALID_SCHEDULE", str(error),
                       {"cron": body.cron, "timezone": body.timezone}) from None
    repository = await state.store.get_repository(caller.org_id, body.repository)
    if repository is None:
        raise APIError(404, "NOT_FOUND", "repository not found (register it or scan it first)",
                       {"repository": body.repository})
    schedule = await state.store.create_schedule(
        caller.org_id, repository.id, " ".join(body.cron.split()), body.timezone,
        body.scan_type, body.ref, first,
    )
    await audit(state, caller, "schedule.created", "schedule", schedule.id,
                repository_id=repository.id, cron=schedule.cron, timezone=schedule.timezone)
    return JSONResponse(schedule_view(schedule, []), status_code=201,
                        headers={"Location": f"/api/v1/schedules/{schedule.id}"})


@router.get("", summary="List schedules")
async def list_schedules(
    caller: Caller,
    state: State,
    page: Annotated[int | None, Query(ge=0)] = None,
    page_size: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    span = window(page, page_size, offset, limit)
    result = await state.store.list_schedules(caller.org_id, offset=span.offset,
                                              limit=span.limit)
    return JSONResponse(
        {"items": [schedule_view(s) for s in result.items], **span.envelope(result.total)},
        headers={"Cache-Control": "no-store"},
    )


async def owned_schedule(state: State, org_id: str, schedule_id: str) -> Schedule:
    schedule = (
        await state.store.get_schedule(org_id, schedule_id) if len(schedule_id) <= 64 else None
    )
    if schedule is None:
        raise not_found("schedule")
    return schedule


@router.get("/{schedule_id}", summary="Get a schedule with its recent runs")
async def get_schedule(schedule_id: str, caller: Caller, state: State) -> Response:
    schedule = await owned_schedule(state, caller.org_id, schedule_id)
    runs = await state.store.schedule_runs(schedule.id, RECENT_RUNS)
    return JSONResponse(schedule_view(schedule, runs), headers={"Cache-Control": "no-store"})


@router.delete("/{schedule_id}", summary="Delete a schedule (its scans stay)")
async def delete_schedule(schedule_id: str, caller: Caller, state: State) -> Response:
    await owned_schedule(state, caller.org_id, schedule_id)
    if not await state.store.delete_schedule(caller.org_id, schedule_id):
        raise not_found("schedule")
    await audit(state, caller, "schedule.deleted", "schedule", schedule_id)
    return Response(status_code=204)
