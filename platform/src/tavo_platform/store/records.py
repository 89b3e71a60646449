"""Domain records the store hands out: frozen, plain, independent of the database driver."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tavo_platform.enums import FINISHED_STATUSES, ScanStatus

SCAN_STATUSES = tuple(ScanStatus)
__all__ = ["FINISHED_STATUSES", "SCAN_STATUSES"]  # re-exported for the store's users


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    org_id: str
    name: str
    key_hash: str
    prefix: str
    tier: str
    is_admin: bool
    limits: dict[str, int] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    scope: str = "full"
    user_id: str | None = None  # a user's key; None: the organisation's
    role: str | None = None  # None: admin for admin keys, else member
    kind: str = "api"  # api, or session (a dashboard sign-in with a password)


@dataclass(frozen=True, slots=True)
class Scan:
    id: str
    org_id: str
    repository_id: str | None
    repository_url: str | None
    source: str
    upload_path: str | None
    branch: str | None
    scan_type: str
    rules: list[str]
    exclusions: list[str]
    status: str
    error: str | None
    summary: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    worker: str | None
    lease_until: datetime | None
    cancel_requested: bool
    version: int
    dispatched_at: datetime | None = None
    commit_sha: str | None = None
    base_ref: str | None = None
    project: str | None = None
    tracked_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True, slots=True)
class NewScan:
    org_id: str
    source: str
    scan_type: str
    repository_url: str | None = None
    repository_id: str | None = None
    upload_path: str | None = None
    branch: str | None = None
    rules: list[str] = field(default_factory=list)
    exclusions: list[str] = field(default_factory=list)
    base_ref: str | None = None
    project: str | None = None


@dataclass(frozen=True, slots=True)
class Repository:
    id: str
    org_id: str
    url: str
    name: str
    default_branch: str | None
    created_at: datetime
    hook_secret: str | None = None  # encrypted; never shown
    credential_kind: str | None = None
    credential_username: str | None = None
    credential_secret: str | None = None  # encrypted; never shown, used by clones only


@dataclass(frozen=True, slots=True)
class CustomRuleFile:
    id: str
    org_id: str
    name: str
    content: str
    rule_ids: list[str]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CreatedScans:
    scans: list[Scan]
    replayed: bool  # True when an earlier request with the same idempotency key made them
    request_hash: str
    response: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    total: int


@dataclass(frozen=True, slots=True)
class FindingFilter:
    severity: list[str] = field(default_factory=list)
    rule_id: list[str] = field(default_factory=list)
    path_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """An AI analysis job of a scan (its result is fetched separately: it can be large)."""

    id: str
    org_id: str
    scan_id: str
    model: str
    options: dict[str, Any]
    status: str
    error: str | None
    summary: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    worker: str | None
    lease_until: datetime | None
    version: int

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES
