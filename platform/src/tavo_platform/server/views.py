"""How records look in API responses (the one JSON shape the SDK reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tavo_platform.store.records import ApiKey, Repository, Scan
from tavo_platform.store.users import key_role


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def scan_view(scan: Scan) -> dict[str, Any]:
    return {
        "id": scan.id,
        "status": scan.status,
        "scan_type": scan.scan_type,
        "source": scan.source,
        "repository_url": scan.repository_url,
        "repository_id": scan.repository_id,
        "branch": scan.branch,
        "ref": scan.branch,
        "base_ref": scan.base_ref,
        "commit_sha": scan.commit_sha,
        "project": scan.project,
        "rules": scan.rules,
        "exclusions": scan.exclusions,
        "created_at": iso(scan.created_at),
        "started_at": iso(scan.started_at),
        "finished_at": iso(scan.finished_at),
        "error": scan.error,
        "summary": scan.summary,
        "attempts": scan.attempts,
        "cancel_requested": scan.cancel_requested,
    }


def scan_status_view(scan: Scan) -> dict[str, Any]:
    return {
        "id": scan.id,
        "status": scan.status,
        "finished": scan.finished,
        "total_findings": (scan.summary or {}).get("total"),
        "error": scan.error,
        "updated_at": iso(scan.finished_at or scan.started_at or scan.created_at),
    }


def key_view(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "org_id": key.org_id,
        "name": key.name,
        "prefix": key.prefix,
        "tier": key.tier,
        "is_admin": key.is_admin,
        "limits": key.limits,
        "created_at": iso(key.created_at),
        "expires_at": iso(key.expires_at),
        "revoked_at": iso(key.revoked_at),
        "scope": key.scope,
        "user_id": key.user_id,
        "role": key_role(key),
        "kind": key.kind,
    }


def repository_view(repository: Repository) -> dict[str, Any]:
    return {
        "id": repository.id,
        "url": repository.url,
        "name": repository.name,
        "default_branch": repository.default_branch,
        "created_at": iso(repository.created_at),
    }
