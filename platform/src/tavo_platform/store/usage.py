"""API usage by key and day, and scans by day: what GET /usage reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tavo_platform.store._database import SqlAggregate
from tavo_platform.store.schema import scans, usage_daily

_U = usage_daily.c


class UsageStore(Protocol):
    async def add_usage(self, counts: Mapping[tuple[str, str, str], int]) -> None:
        """Adds request counts by (org_id, key_id, day)."""
        ...
    async def key_usage(self, key_id: str, since: str) -> dict[str, int]: ...
    async def organization_usage(
        self, org_id: str, since: str
    ) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """(requests by day, requests by key, scans created by day) since a day."""
        ...


class SqlUsageStore(SqlAggregate):
    async def add_usage(self, counts: Mapping[tuple[str, str, str], int]) -> None:
        if not counts:
            return
        rows = [{"org_id": org, "key_id": key, "day": day, "requests": n}
                for (org, key, day), n in counts.items()]
        async with self._db.write() as connection:
            insert = (postgresql_insert if connection.dialect.name == "postgresql"
                      else sqlite_insert)(usage_daily)
            await connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["key_id", "day"],
                    set_={"requests": _U.requests + insert.excluded.requests},
                ),
                rows,
            )

    async def key_usage(self, key_id: str, since: str) -> dict[str, int]:
        async with self._db.read() as connection:
            rows = await connection.execute(
                select(_U.day, _U.requests).where(_U.key_id == key_id, _U.day >= since)
            )
            return {row.day: int(row.requests) for row in rows}

    async def organization_usage(
        self, org_id: str, since: str
    ) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        mine = (_U.org_id == org_id) & (_U.day >= since)
        day = func.substr(func.cast(scans.c.created_at, usage_daily.c.day.type), 1, 10)
        async with self._db.read() as connection:
            by_day = {
                row.day: int(row.n)
                for row in await connection.execute(
                    select(_U.day, func.sum(_U.requests).label("n")).where(mine)
                    .group_by(_U.day)
                )
            }
            by_key = {
                row.key_id: int(row.n)
                for row in await connection.execute(
                    select(_U.key_id, func.sum(_U.requests).label("n")).where(mine)
                    .group_by(_U.key_id)
                )
            }
            created = {
                row.day: int(row.n)
                for row in await connection.execute(
                    select(day.label("day"), func.count().label("n"))
                    .where(scans.c.org_id == org_id)
                    .group_by(day)
                )
                if row.day >= since
            }
        return by_day, by_key, created
