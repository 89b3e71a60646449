"""Counts shared by every format's summary."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tavo_platform.engine import SEVERITY_ORDER, ScanResult


def severity_counts(result: ScanResult) -> dict[str, int]:
    counts = Counter(f.severity for f in result.findings)
    return {severity.value: counts.get(severity, 0) for severity in SEVERITY_ORDER}


def summary(result: ScanResult) -> dict[str, Any]:
    return {
        "findings": len(result.findings),
        "by_severity": severity_counts(result),
        "files_scanned": result.files_scanned,
        "files_skipped": result.skipped.total,
        "skipped_by_reason": dict(sorted(result.skipped.counts.items())),
        "suppressed_inline": result.suppressed_inline,
        "suppressed_by_baseline": result.suppressed_baseline,
        "notes": dict(sorted(result.notes.items())),
        "rules_run": len(result.rules),
        "duration_seconds": round(result.duration_seconds, 3),
    }
