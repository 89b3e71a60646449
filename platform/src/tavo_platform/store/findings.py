"""Tracked findings (a finding's life across scans): records and what the store offers.
See findings/lifecycle.py for the rules, findings_sql.py for the SQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tavo_platform.store.records import Page, Scan


@dataclass(frozen=True, slots=True)
class TrackedFinding:
    seq: int
    id: str
    org_id: str
    scope: str
    repository_id: str | None
    fingerprint: str
    rule_id: str
    severity: str
    category: str
    owasp_llm: str | None
    path: str
    start_line: int
    detection: str
    status: str
    triage: str | None
    triage_by: str | None
    triage_at: datetime | None
    triage_comment: str | None
    first_seen_scan_id: str
    last_seen_scan_id: str
    fixed_scan_id: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    updated_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FindingEvent:
    seq: int
    finding_id: str
    kind: str  # detected | fixed | reopened | triaged
    from_status: str | None
    to_status: str
    actor: str | None
    comment: str | None
    scan_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TrackedFilter:
    repository_id: str | None = None
    project: str | None = None
    status: Sequence[str] = ()
    severity: Sequence[str] = ()
    rule_id: Sequence[str] = ()
    category: Sequence[str] = ()
    owasp_llm: Sequence[str] = ()
    path_prefix: str | None = None
    first_seen_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ingested:
    """What tracking one completed scan changed (ids of tracked findings). `applied` is
    False when the scan did not move the lifecycle (no scope, a diff-aware scan, or an
    older scan finishing after a newer one was tracked)."""

    scan: Scan
    applied: bool
    new: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)


class FindingsStore(Protocol):
    async def untracked_scans(self, limit: int) -> list[Scan]:
        """Completed scans whose findings are not tracked yet, oldest first."""
        ...

    async def ingest_scan_findings(
        self, scan_id: str, rules_run: Collection[str] | None
    ) -> Ingested | None:
        """Tracks a completed scan's findings, exactly once (None: not completed, or done
        already by someone else)."""
        ...

    async def list_tracked_findings(
        self, org_id: str, flt: TrackedFilter, *, offset: int, limit: int
    ) -> Page: ...

    async def tracked_findings_before(
        self, org_id: str, flt: TrackedFilter, before_seq: int | None, limit: int
    ) -> list[TrackedFinding]:
        """Keyset page: up to `limit` findings with seq below `before_seq`, newest first."""
        ...

    async def get_tracked_finding(self, org_id: str, finding_id: str) -> TrackedFinding | None: ...

    async def triage_finding(
        self, org_id: str, finding_id: str, status: str, actor: str, comment: str | None
    ) -> tuple[TrackedFinding, FindingEvent] | None: ...

    async def finding_history(
        self, org_id: str, finding_id: str, *, offset: int, limit: int
    ) -> Page: ...

    async def triaged_in_scan(self, org_id: str, scope: str, scan_id: str) -> list[TrackedFinding]:
        """The scan's findings that are triaged away (for counts and results)."""
        ...
