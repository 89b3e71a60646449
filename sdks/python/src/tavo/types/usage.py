"""What a key (and, for admins, its organisation) used: requests and scans by day, and the
rate-limit windows as they stand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tavo._models import Model

__all__ = ["KeyUsage", "Usage", "UsageWindow"]


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageWindow(Model):
    name: str
    limit: int
    remaining: int
    reset: int
    window_seconds: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyUsage(Model):
    id: str
    tier: str = ""
    windows: list[UsageWindow] = field(default_factory=list)
    by_day: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage(Model):
    """`organization` is set for `organization=True` (admin keys): `by_day` (requests,
    scans) and `by_key` (requests)."""

    days: int
    key: KeyUsage
    organization: dict[str, Any] | None = None
