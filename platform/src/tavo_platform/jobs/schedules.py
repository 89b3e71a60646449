"""Scheduled scans: cron expressions (croniter; five fields, or six with seconds last) read
in a time zone (zoneinfo). Each API process runs a loop that fires due schedules; the
store's compare-and-set makes each tick fire once across processes, embedded or scaled out.
A schedule whose ticks were missed (the server was down) fires once, for the latest missed
tick, and then moves to the first tick after now: downtime never causes a burst of scans."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from tavo_platform.jobs.interface import JobDispatcher
from tavo_platform.scans.service import ScanService
from tavo_platform.store.interface import Store, StoreUnavailable
from tavo_platform.store.schedules import Schedule

log = logging.getLogger("tavo.schedules")

POLL_SECONDS = 0.5
BATCH = 50


class InvalidSchedule(ValueError):
    pass


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(f"unknown time zone {name!r}") from None


def next_tick(cron: str, timezone: str, after: datetime) -> datetime:
    """The first tick strictly after `after`, in UTC; raises InvalidSchedule."""
    fields = cron.split()
    if len(fields) not in (5, 6) or not croniter.is_valid(cron):
        raise InvalidSchedule(
            f"invalid cron expression {cron!r}: five fields (minute hour day month weekday), "
            "or six with seconds last"
        )
    return _neighbour_tick(cron, timezone, after, forward=True)


def latest_due_tick(cron: str, timezone: str, due: datetime, moment: datetime) -> datetime:
    """The last tick at or before `moment` (never earlier than `due`, the schedule's first
    unfired tick): after downtime, the one run stands for the latest missed tick."""
    previous = _neighbour_tick(cron, timezone, moment + timedelta(microseconds=1), forward=False)
    return max(due, previous)


def _neighbour_tick(cron: str, timezone: str, moment: datetime, *, forward: bool) -> datetime:
    """The tick just after (or strictly before) `moment`, read in `timezone`, in UTC."""
    local = moment.astimezone(zone(timezone))
    try:
        schedule = croniter(cron, local)
        tick = schedule.get_next(datetime) if forward else schedule.get_prev(datetime)
    except (CroniterBadCronError, CroniterBadDateError, ValueError) as error:
        raise InvalidSchedule(f"invalid cron expression {cron!r}: {error}") from None
    assert isinstance(tick, datetime)
    return tick.astimezone(UTC)


class Scheduler:
    def __init__(self, store: Store, jobs: JobDispatcher) -> None:
        self._store = store
        # Scans of due ticks are made by the scans service, like every other scan.
        self._scans = ScanService(store, jobs)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.fire_due()
            except StoreUnavailable as error:
                log.warning("schedules postponed: %s", error)
            except Exception:
                log.exception("firing schedules failed")
            await asyncio.sleep(POLL_SECONDS)

    async def fire_due(self, moment: datetime | None = None) -> int:
        moment = moment or datetime.now(UTC)
        fired = 0
        for schedule in await self._store.due_schedules(moment, BATCH):
            if await self._fire(schedule, moment):
                fired += 1
        return fired

    async def _fire(self, schedule: Schedule, moment: datetime) -> bool:
        try:
            following = next_tick(schedule.cron, schedule.timezone, moment)
            tick = latest_due_tick(schedule.cron, schedule.timezone, schedule.next_run_at, moment)
        except InvalidSchedule as error:  # e.g. a time zone removed from the system's data
            log.error("schedule %s cannot run: %s", schedule.id, error)
            return False
        return await self._scans.fire_schedule(schedule, tick, following) is not None
