"""Scheduled scans: records and what the store offers (SQL in schedules_sql.py; the loop
that fires them is jobs/schedules.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tavo_platform.store.records import NewScan, Page, Scan


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    org_id: str
    repository_id: str
    cron: str
    timezone: str
    scan_type: str
    ref: str | None
    next_run_at: datetime
    last_run_at: datetime | None
    last_scan_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ScheduleRun:
    schedule_id: str
    tick: datetime
    scan_id: str
    fired_at: datetime


class ScheduleStore(Protocol):
    async def create_schedule(
        self, org_id: str, repository_id: str, cron: str, timezone: str, scan_type: str,
        ref: str | None, next_run_at: datetime,
    ) -> Schedule: ...
    async def list_schedules(self, org_id: str, *, offset: int, limit: int) -> Page: ...
    async def get_schedule(self, org_id: str, schedule_id: str) -> Schedule | None: ...
    async def delete_schedule(self, org_id: str, schedule_id: str) -> bool: ...
    async def schedule_runs(self, schedule_id: str, limit: int) -> list[ScheduleRun]: ...
    async def due_schedules(self, moment: datetime, limit: int) -> list[Schedule]: ...
    async def fire_schedule(
        self, schedule: Schedule, tick: datetime, next_run_at: datetime, new: NewScan
    ) -> Scan | None:
        """Creates the scan for `tick` (the latest due tick) and moves the schedule to its
        next tick, only if the schedule still waits where it did when it was read (None:
        another process fired it)."""
        ...
