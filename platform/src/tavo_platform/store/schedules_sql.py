"""Scheduled scans over SQL (an aggregate of SqlStore). Firing is a compare-and-set on the
schedule's `next_run_at` plus a run keyed by (schedule, tick), in the transaction that
creates the scan: of any number of processes firing the same tick, one creates a scan and
the others change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tavo_platform.store._database import SqlAggregate
from tavo_platform.store.records import NewScan, Page, Scan
from tavo_platform.store.scans import _insert_scan
from tavo_platform.store.schedules import Schedule, ScheduleRun
from tavo_platform.store.schema import schedule_runs, schedules

_S = schedules.c


class SqlScheduleStore(SqlAggregate):
    async def create_schedule(
        self, org_id: str, repository_id: str, cron: str, timezone: str, scan_type: str,
        ref: str | None, next_run_at: datetime,
    ) -> Schedule:
        values: dict[str, Any] = {
            "id": f"sched_{uuid.uuid4().hex}",
            "org_id": org_id,
            "repository_id": repository_id,
            "cron": cron,
            "timezone": timezone,
            "scan_type": scan_type,
            "ref": ref,
            "next_run_at": next_run_at,
            "last_run_at": None,
            "last_scan_id": None,
            "created_at": datetime.now(UTC),
        }
        async with self._db.write() as connection:
            await connection.execute(insert(schedules).values(**values))
        return Schedule(**values)

    async def list_schedules(self, org_id: str, *, offset: int, limit: int) -> Page:
        mine = _S.org_id == org_id
        async with self._db.read() as connection:
            total = (
                await connection.execute(select(func.count()).select_from(schedules).where(mine))
            ).scalar_one()
            rows = (
                await connection.execute(
                    select(schedules).where(mine).order_by(_S.created_at, _S.id)
                    .offset(offset).limit(limit)
                )
            ).all()
        return Page([Schedule(**row._mapping) for row in rows], int(total))

    async def get_schedule(self, org_id: str, schedule_id: str) -> Schedule | None:
        async with self._db.read() as connection:
            row = (
                await connection.execute(
                    select(schedules).where(_S.id == schedule_id, _S.org_id == org_id)
                )
            ).first()
        return Schedule(**row._mapping) if row else None

    async def delete_schedule(self, org_id: str, schedule_id: str) -> bool:
        async with self._db.write() as connection:
            await connection.execute(
                delete(schedule_runs).where(schedule_runs.c.schedule_id == schedule_id)
            )
            result = await connection.execute(
                delete(schedules).where(_S.id == schedule_id, _S.org_id == org_id)
            )
        return result.rowcount == 1

    async def schedule_runs(self, schedule_id: str, limit: int) -> list[ScheduleRun]:
        async with self._db.read() as connection:
            rows = (
                await connection.execute(
                    select(schedule_runs)
                    .where(schedule_runs.c.schedule_id == schedule_id)
                    .order_by(schedule_runs.c.tick.desc())
                    .limit(limit)
                )
            ).all()
        return [ScheduleRun(**row._mapping) for row in rows]

    async def due_schedules(self, moment: datetime, limit: int) -> list[Schedule]:
        async with self._db.read() as connection:
            rows = (
                await connection.execute(
                    select(schedules).where(_S.next_run_at <= moment)
                    .order_by(_S.next_run_at).limit(limit)
                )
            ).all()
        return [Schedule(**row._mapping) for row in rows]

    async def fire_schedule(
        self, schedule: Schedule, tick: datetime, next_run_at: datetime, new: NewScan
    ) -> Scan | None:
        moment = datetime.now(UTC)
        try:
            async with self._db.write() as connection:
                moved = await connection.execute(
                    update(schedules)
                    .where(_S.id == schedule.id, _S.next_run_at == schedule.next_run_at)
                    .values(next_run_at=next_run_at, last_run_at=moment)
                )
                if moved.rowcount != 1:
                    return None
                scan = await _insert_scan(connection, new)
                await connection.execute(
                    insert(schedule_runs).values(
                        schedule_id=schedule.id, tick=tick, scan_id=scan.id,
                        fired_at=moment,
                    )
                )
                await connection.execute(
                    update(schedules).where(_S.id == schedule.id).values(last_scan_id=scan.id)
                )
                return scan
        except IntegrityError:  # the tick's run exists: another process fired it
            return None
