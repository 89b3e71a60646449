"""The data of webhook events about scans and findings (one shape per kind of record)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def scan_event_data(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "scan_type": row.scan_type,
        "repository_id": row.repository_id,
        "repository_url": row.repository_url,
        "project": row.project,
        "ref": row.branch,
        "base_ref": row.base_ref,
        "commit_sha": row.commit_sha,
        "summary": row.summary,
        "error": row.error,
        "created_at": _iso(row.created_at),
        "finished_at": _iso(row.finished_at),
    }


def finding_event_data(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "rule_id": row.rule_id,
        "severity": row.severity,
        "category": row.category,
        "path": row.path,
        "start_line": row.start_line,
        "title": (row.data or {}).get("title"),
        "fingerprint": row.fingerprint,
        "status": row.status,
        "repository_id": row.repository_id,
    }
