"""Usage: requests and scans by day, and the remaining rate-limit budgets."""

from __future__ import annotations

from tavo._base_client import APIRequest, path
from tavo.resources._base import AsyncResource, SyncResource
from tavo.types.usage import Usage

__all__ = ["AsyncUsage", "SyncUsage"]


def _get(days: int, organization: bool) -> APIRequest:
    params: dict[str, object] = {"days": days}
    if organization:
        params["organization"] = "true"
    return APIRequest("GET", path("usage"), params=params, cacheable=False)


class AsyncUsage(AsyncResource):
    """`client.usage` of the async client."""

    async def get_usage(self, *, days: int = 30, organization: bool = False) -> Usage:
        """This key's usage over `days` days; the organisation's too (admin keys)."""
        return await self._client.request(_get(days, organization), Usage)


class SyncUsage(SyncResource):
    """`client.usage` of the sync client."""

    def get_usage(self, *, days: int = 30, organization: bool = False) -> Usage:
        """This key's usage over `days` days; the organisation's too (admin keys)."""
        return self._client.request(_get(days, organization), Usage)
