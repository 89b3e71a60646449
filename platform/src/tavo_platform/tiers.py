"""Rate-limit tiers, as in the performance guide's table (per API key)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TierLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_hour: int = Field(ge=1)
    requests_per_day: int = Field(ge=1)
    scans_per_hour: int = Field(ge=1)
    # Most entries (files, directories, links) an uploaded archive may hold.
    archive_entries: int = Field(default=50_000, ge=1)
    # Scan execution: one scan's wall-clock and CPU time, one file's time, and how many of
    # the organisation's scans run at once (an organisation gets its best key's tier).
    scan_seconds: float = Field(default=600.0, gt=0)
    scan_cpu_seconds: float = Field(default=300.0, gt=0)
    file_seconds: float = Field(default=10.0, gt=0)
    concurrent_scans: int = Field(default=2, ge=1)
    # The scan processes' CPU priority (Unix nice, 0-19): when cores are scarce, a tier
    # with a lower number gets more of them.
    scan_nice: int = Field(default=5, ge=0, le=19)


DEFAULT_TIERS: dict[str, TierLimits] = {
    "free": TierLimits(
        requests_per_hour=100, requests_per_day=1_000, scans_per_hour=10, archive_entries=20_000,
        scan_seconds=120, scan_cpu_seconds=60, file_seconds=5, concurrent_scans=1,
        scan_nice=10,
    ),
    "pro": TierLimits(requests_per_hour=1_000, requests_per_day=10_000, scans_per_hour=50),
    # Enterprise keys carry their own numbers; these apply when a key gives none.
    "enterprise": TierLimits(
        requests_per_hour=10_000, requests_per_day=100_000, scans_per_hour=500,
        archive_entries=200_000, scan_seconds=1800, scan_cpu_seconds=1200, file_seconds=30,
        concurrent_scans=4, scan_nice=0,
    ),
}
