"""Scheduled scans of a repository."""

from __future__ import annotations

from dataclasses import dataclass, field

from tavo._models import Model
from tavo.types.common import PageInfo

__all__ = ["Schedule", "ScheduleList", "ScheduleRun"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleRun(Model):
    """One tick a schedule fired, and the scan it made."""

    tick: str
    scan_id: str
    fired_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule(Model):
    """Scans of a repository on a cron timetable read in `timezone`. `recent_runs` is given
    by `get_schedule` (newest first)."""

    id: str
    repository_id: str
    cron: str
    timezone: str = "UTC"
    scan_type: str = "security"
    ref: str | None = None
    next_run_at: str | None = None
    last_run_at: str | None = None
    last_scan_id: str | None = None
    created_at: str | None = None
    recent_runs: list[ScheduleRun] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleList(PageInfo):
    items: list[Schedule] = field(default_factory=list)
