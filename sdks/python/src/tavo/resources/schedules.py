"""Scheduled scans: create, list, get (with recent runs), delete."""

from __future__ import annotations

from typing import Any

from tavo._base_client import APIRequest, path
from tavo.resources._base import AsyncResource, SyncResource, merged
from tavo.types.schedules import Schedule, ScheduleList

__all__ = ["AsyncSchedules", "SyncSchedules"]


def _create(
    repository: str, cron: str, timezone: str, scan_type: str | None, ref: str | None
) -> APIRequest:
    body: dict[str, Any] = merged(
        None, repository=repository, cron=cron, timezone=timezone, scan_type=scan_type, ref=ref
    )
    return APIRequest("POST", path("schedules"), json=body)


def _list(offset: int | None, limit: int | None) -> APIRequest:
    return APIRequest("GET", path("schedules"), params=merged(None, offset=offset, limit=limit),
                      cacheable=False)


def _get(schedule_id: str) -> APIRequest:
    return APIRequest("GET", path("schedules", schedule_id), cacheable=False)


def _delete(schedule_id: str) -> APIRequest:
    return APIRequest("DELETE", path("schedules", schedule_id))


class AsyncSchedules(AsyncResource):
    """`client.schedules` of the async client."""

    async def create_schedule(
        self,
        repository: str,
        cron: str,
        *,
        timezone: str = "UTC",
        scan_type: str | None = None,
        ref: str | None = None,
    ) -> Schedule:
        """Scans `repository` (id or URL) at each tick of `cron` read in `timezone`."""
        return await self._client.request(
            _create(repository, cron, timezone, scan_type, ref), Schedule
        )

    async def list_schedules(
        self, *, offset: int | None = None, limit: int | None = None
    ) -> ScheduleList:
        return await self._client.request(_list(offset, limit), ScheduleList)

    async def get_schedule(self, schedule_id: str) -> Schedule:
        return await self._client.request(_get(schedule_id), Schedule)

    async def delete_schedule(self, schedule_id: str) -> None:
        await self._client.request(_delete(schedule_id))


class SyncSchedules(SyncResource):
    """`client.schedules` of the sync client."""

    def create_schedule(
        self,
        repository: str,
        cron: str,
        *,
        timezone: str = "UTC",
        scan_type: str | None = None,
        ref: str | None = None,
    ) -> Schedule:
        """Scans `repository` (id or URL) at each tick of `cron` read in `timezone`."""
        return self._client.request(_create(repository, cron, timezone, scan_type, ref), Schedule)

    def list_schedules(
        self, *, offset: int | None = None, limit: int | None = None
    ) -> ScheduleList:
        return self._client.request(_list(offset, limit), ScheduleList)

    def get_schedule(self, schedule_id: str) -> Schedule:
        return self._client.request(_get(schedule_id), Schedule)

    def delete_schedule(self, schedule_id: str) -> None:
        self._client.request(_delete(schedule_id))
