"""The scheduler's tick arithmetic: the next tick after a moment, and which tick one run
stands for after downtime (the latest missed one, never a burst)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from tavo_platform.jobs.schedules import InvalidSchedule, Scheduler, latest_due_tick, next_tick
from tavo_platform.store.sql import SqlStore

EVERY_TWO_SECONDS = "* * * * * */2"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_on_time_the_due_tick_is_the_one_fired() -> None:
    due = utc("2026-12-06 21:00:04")
    assert latest_due_tick(EVERY_TWO_SECONDS, "UTC", due, utc("2026-12-06 21:00:04.300")) == due
    assert latest_due_tick(EVERY_TWO_SECONDS, "UTC", due, due) == due


def test_after_downtime_the_latest_missed_tick_is_fired() -> None:
    due = utc("2026-12-06 21:00:04")
    moment = utc("2026-12-06 21:00:11.500")
    assert latest_due_tick(EVERY_TWO_SECONDS, "UTC", due, moment) == utc("2026-12-06 21:00:10")
    assert next_tick(EVERY_TWO_SECONDS, "UTC", moment) == utc("2026-12-06 21:00:12")


def test_daily_schedule_in_a_time_zone_after_two_days_down() -> None:
    due = utc("2026-12-04 08:00:00")  # 09:00 in Paris (CET)
    moment = utc("2026-12-06 12:00:00")
    assert latest_due_tick("0 9 * * *", "Europe/Paris", due, moment) == utc("2026-12-06 08:00:00")


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(InvalidSchedule):
        latest_due_tick("0 9 * * *", "Mars/Olympus_Mons", utc("2026-12-06 08:00"),
                        utc("2026-12-06 09:00"))


class Notified:
    def __init__(self) -> None:
        self.scan_ids: list[str] = []

    def notify(self, *scan_ids: str) -> None:
        self.scan_ids.extend(scan_ids)


def test_two_schedulers_fire_a_missed_schedule_once(database_url: str) -> None:
    """Two processes' schedulers see a schedule whose last four ticks went by while the
    server was down: one scan in all, for the latest tick, then the schedule waits again."""

    async def body() -> None:
        store = SqlStore(database_url)
        try:
            org = await store.ensure_organization("acme")
            repo = await store.upsert_repository(org.id, "https://x.invalid/a.git", "a")
            schedule = await store.create_schedule(
                org.id, repo.id, EVERY_TWO_SECONDS, "UTC", "code", None,
                utc("2026-12-06 21:00:04"),
            )
            moment = utc("2026-12-06 21:00:11.500")
            first, second = Notified(), Notified()
            fired = [await Scheduler(store, first).fire_due(moment),  # type: ignore[arg-type]
                     await Scheduler(store, second).fire_due(moment)]  # type: ignore[arg-type]
            assert sorted(fired) == [0, 1]
            runs = await store.schedule_runs(schedule.id, 10)
            assert [run.tick for run in runs] == [utc("2026-12-06 21:00:10")]
            assert first.scan_ids + second.scan_ids == [runs[0].scan_id]
            after = await store.get_schedule(org.id, schedule.id)
            assert after is not None and after.next_run_at == utc("2026-12-06 21:00:12")
            assert await Scheduler(store, first).fire_due(moment) == 0  # type: ignore[arg-type]
        finally:
            await store.close()

    asyncio.run(body())
