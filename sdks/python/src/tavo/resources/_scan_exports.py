"""The scan calls that look at a finished scan next to others or in another format: its
diff against a base scan, and its findings as SARIF (part of `client.scan_management`)."""

from __future__ import annotations

from typing import Any

from tavo._base_client import APIRequest, path
from tavo.resources._base import AsyncResource, SyncResource
from tavo.types.scans import ScanDiff

__all__ = ["AsyncScanExports", "SyncScanExports"]


def _diff(scan_id: str, base: str) -> APIRequest:
    return APIRequest("GET", path("scans", scan_id, "diff"), params={"base": base})


def _sarif(scan_id: str) -> APIRequest:
    return APIRequest("GET", path("scans", scan_id, "results.sarif"))


class AsyncScanExports(AsyncResource):
    async def get_scan_diff(self, scan_id: str, base: str) -> ScanDiff:
        """Findings `new` in this scan, `fixed` since the `base` scan, and `unchanged`
        (both completed scans of the same repository)."""
        return await self._client.request(_diff(scan_id, base), ScanDiff)

    async def get_scan_sarif(self, scan_id: str) -> dict[str, Any]:
        """A completed scan's findings as a SARIF 2.1.0 log (GitHub code scanning)."""
        log: dict[str, Any] = await self._client.request(_sarif(scan_id))
        return log


class SyncScanExports(SyncResource):
    def get_scan_diff(self, scan_id: str, base: str) -> ScanDiff:
        """See the async client."""
        return self._client.request(_diff(scan_id, base), ScanDiff)

    def get_scan_sarif(self, scan_id: str) -> dict[str, Any]:
        """A completed scan's findings as a SARIF 2.1.0 log (GitHub code scanning)."""
        log: dict[str, Any] = self._client.request(_sarif(scan_id))
        return log
