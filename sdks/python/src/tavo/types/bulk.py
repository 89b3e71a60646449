"""Bulk scan creation and bulk status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tavo._models import Model
from tavo.types.common import ErrorInfo
from tavo.types.scans import Scan

__all__ = [
    "BulkActionItem",
    "BulkActionResult",
    "BulkScanItem", "BulkScanResult", "BulkStatusItem", "BulkStatusResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkScanItem(Model):
    """What became of `scans[index]`: a scan, or the error that stopped it."""

    index: int
    success: bool
    scan_id: str | None = None
    scan: Scan | None = None
    error: ErrorInfo | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkScanResult(Model):
    """`results[i]` is about the i-th scan asked for."""

    results: list[BulkScanItem] = field(default_factory=list)
    total: int = 0
    created: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkStatusItem(Model):
    """The status of one scan, or NOT_FOUND."""

    id: str
    success: bool
    status: str | None = None
    finished: bool = False
    total_findings: int | None = None
    # The scan's own error text when found; {"code", "message", "details"} when not.
    error: str | dict[str, Any] | None = None
    updated_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkStatusResult(Model):
    """`results[i]` is the status of the i-th id asked for."""

    results: list[BulkStatusItem] = field(default_factory=list)
    total: int = 0
    found: int = 0
    not_found: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkActionItem(Model):
    """What became of the scan `id` (the `index`-th asked for) in a bulk cancel or delete.
    `cancelled` is False for a scan that had finished already."""

    index: int
    id: str
    success: bool
    cancelled: bool | None = None
    scan: Scan | None = None
    error: ErrorInfo | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkActionResult(Model):
    """`results[i]` is about the i-th id asked for."""

    results: list[BulkActionItem] = field(default_factory=list)
    total: int = 0
    succeeded: int = 0
    failed: int = 0
