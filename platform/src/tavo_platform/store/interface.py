"""What the server and workers need from storage; SQL implements it (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from tavo_platform.store.findings import FindingsStore
from tavo_platform.store.records import (
    Analysis,
    ApiKey,
    CreatedScans,
    CustomRuleFile,
    FindingFilter,
    NewScan,
    Organization,
    Page,
    Repository,
    Scan,
)


class StoreError(Exception):
    """Base error of the storage layer."""


class StoreUnavailable(StoreError):
    """The database cannot be reached right now; the request may be retried."""


@dataclass(frozen=True)
class DispatchBacklog:
    """The scans waiting for a worker (queued, or running with an expired lease), as the
    sweeper of the task queue sees them (see SqlStore.dispatch_backlog)."""

    waiting: int
    # Running scans whose lease expired and that were not re-sent since: sent regardless.
    orphaned: int
    # Waiting scans last handed to the queue more than `resend_after` ago (orphans aside):
    # their message may be lost, or merely waiting in the queue.
    overdue: int


class Store(FindingsStore, Protocol):
    async def close(self) -> None: ...
    async def ping(self) -> None: ...

    # organisations and keys
    async def ensure_organization(self, name: str) -> Organization: ...
    async def add_api_key(
        self,
        org_id: str,
        key_hash: str,
        prefix: str,
        tier: str,
        *,
        name: str = "",
        is_admin: bool = False,
        limits: dict[str, int] | None = None,
        expires_at: datetime | None = None,
    ) -> ApiKey: ...
    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None: ...
    async def list_api_keys(self, org_id: str | None = None) -> list[ApiKey]: ...
    async def revoke_api_key(self, key_id: str, org_id: str | None = None) -> ApiKey | None: ...
    async def count_api_keys(self) -> int: ...

    # scans
    async def create_scans(
        self,
        org_id: str,
        news: Sequence[NewScan],
        idempotency: tuple[str, str] | None = None,
        response: dict[str, Any] | None = None,
    ) -> CreatedScans: ...
    async def idempotent_scans(self, org_id: str, key: str) -> CreatedScans | None: ...
    async def get_scan(self, org_id: str, scan_id: str) -> Scan | None: ...
    async def get_scans(self, org_id: str, scan_ids: Sequence[str]) -> list[Scan]: ...
    async def list_scans(
        self, org_id: str, *, status: str | None, offset: int, limit: int
    ) -> Page: ...
    async def cancel_scan(self, org_id: str, scan_id: str) -> Scan | None: ...
    async def delete_scan(self, org_id: str, scan_id: str) -> Scan | None: ...
    async def scan_results(
        self,
        org_id: str,
        scan_id: str,
        flt: FindingFilter,
        *,
        offset: int,
        limit: int,
        json_fragments: bool = False,
    ) -> Page:
        """A page of findings, oldest first. With `json_fragments`, items may come as
        orjson.Fragment (the stored JSON, for responses to splice in as it is)."""
        ...
    async def count_queued(self) -> int: ...

    # the worker side of scans
    async def claim_scan(self, worker: str, lease: timedelta) -> Scan | None: ...
    async def claim_scan_id(self, scan_id: str, worker: str, lease: timedelta) -> Scan | None: ...
    async def dispatch_backlog(self, resend_after: timedelta) -> DispatchBacklog: ...
    async def take_undispatched(
        self, resend_after: timedelta, limit: int, overdue_limit: int | None = None
    ) -> list[str]: ...
    async def renew_lease(self, scan_id: str, worker: str, lease: timedelta) -> bool: ...
    async def is_cancel_requested(self, scan_id: str) -> bool: ...
    async def finish_scan(
        self,
        scan_id: str,
        worker: str,
        *,
        status: str,
        summary: dict[str, Any] | None,
        results: Sequence[dict[str, Any]],
        error: str | None = None,
        rules_run: Collection[str] | None = None,
    ) -> bool: ...

    # repositories
    async def upsert_repository(
        self, org_id: str, url: str, name: str, default_branch: str | None = None
    ) -> Repository: ...
    async def upsert_repositories(
        self, org_id: str, names_by_url: Mapping[str, str]
    ) -> dict[str, Repository]: ...
    async def get_repository(self, org_id: str, id_or_url: str) -> Repository | None: ...
    async def list_repositories(self, org_id: str, *, offset: int, limit: int) -> Page: ...
    async def repository_scans(self, org_id: str, repository_id: str, limit: int) -> list[Scan]: ...
    async def recent_repository_scans(
        self,
        org_id: str,
        repository_ids: Sequence[str],
        *,
        per_repository: int,
        status: str | None = None,
    ) -> dict[str, list[Scan]]: ...

    # custom rules
    async def save_rule_file(
        self, org_id: str, name: str, content: str, rule_ids: list[str]
    ) -> CustomRuleFile: ...
    async def list_rule_files(self, org_id: str) -> list[CustomRuleFile]: ...
    async def delete_rule_file(self, org_id: str, file_id: str) -> bool: ...

    # AI analyses (analysis/service.py runs them)
    async def create_analysis(
        self, org_id: str, scan_id: str, model: str, options: dict[str, Any]
    ) -> Analysis: ...
    async def get_analysis(self, org_id: str, analysis_id: str) -> Analysis | None: ...
    async def analysis_result(self, org_id: str, analysis_id: str) -> str | None:
        """The result document as raw JSON text (parse it off the event loop)."""
    async def list_analyses(
        self, org_id: str, *, scan_id: str | None, offset: int, limit: int
    ) -> Page: ...
    async def claim_analysis(
        self, worker: str, lease: timedelta, analysis_id: str | None = None
    ) -> Analysis | None: ...
    async def renew_analysis_lease(
        self, analysis_id: str, worker: str, lease: timedelta
    ) -> bool: ...
    async def finish_analysis(
        self,
        analysis_id: str,
        worker: str,
        *,
        status: str,
        summary: dict[str, Any] | None,
        result_json: str | None,
        error: str | None = None,
    ) -> bool: ...
    async def cached_answers(
        self, org_id: str, model: str, fingerprints: Sequence[str]
    ) -> dict[str, dict[str, Any]]: ...
    async def store_answers(
        self, org_id: str, model: str, answers: dict[str, dict[str, Any]]
    ) -> None: ...


def lease_deadline(now: datetime, lease: timedelta) -> datetime:
    return now + lease
