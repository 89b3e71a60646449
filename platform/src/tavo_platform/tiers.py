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


DEFAULT_TIERS: dict[str, TierLimits] = {
    "free": TierLimits(
        requests_per_hour=100, requests_per_day=1_000, scans_per_hour=10, archive_entries=20_000
    ),
    "pro": TierLimits(requests_per_hour=1_000, requests_per_day=10_000, scans_per_hour=50),
    # Enterprise keys carry their own numbers; these apply when a key gives none.
    "enterprise": TierLimits(
        requests_per_hour=10_000, requests_per_day=100_000, scans_per_hour=500
    ),
}
