"""Findings across scans: their status and triage, their history, and the list filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypedDict

from tavo._models import Model
from tavo.types.common import PageInfo
from tavo.types.scans import Vulnerability

__all__ = [
    "FindingEvent",
    "FindingHistory",
    "FindingList",
    "FindingStatus",
    "FindingTriage",
    "ListFindingsParams",
    "ScanFindingTriage",
    "TrackedFinding",
    "TriageStatus",
]

FindingStatus = Literal["open", "fixed", "reopened", "false_positive", "accepted_risk", "wont_fix"]
TriageStatus = Literal["open", "false_positive", "accepted_risk", "wont_fix"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingTriage(Model):
    """A person's verdict on a finding: who, when, why."""

    status: str
    by: str | None = None
    at: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackedFinding(Vulnerability):
    """A finding with a life across scans: identified by its fingerprint within a
    repository (or upload project), with its status (`open`, `fixed`, `reopened`, or a
    triage state) and where it was first and last seen. `id` is the tracked finding's id."""

    repository_id: str | None = None
    project: str | None = None
    status: str = "open"
    detection_status: str = "open"
    triage: FindingTriage | None = None
    first_seen_scan_id: str | None = None
    last_seen_scan_id: str | None = None
    fixed_scan_id: str | None = None
    first_seen_at: str | None = None
    last_seen_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingList(PageInfo):
    """One page of findings. `next_cursor` continues a keyset (cursor) listing; `next` is
    the path of the next page in that style."""

    items: list[TrackedFinding] = field(default_factory=list)
    next_cursor: str | None = None
    next: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingEvent(Model):
    """One step of a finding's history: detected, fixed, reopened or triaged."""

    kind: str
    to_status: str
    from_status: str | None = None
    actor: str | None = None
    comment: str | None = None
    scan_id: str | None = None
    at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingHistory(PageInfo):
    """A finding's history, oldest first."""

    finding_id: str
    items: list[FindingEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanFindingTriage(Model):
    """The triage of one of a scan's findings (in `ScanResults.triaged`, by fingerprint)."""

    finding_id: str
    status: str
    by: str | None = None
    comment: str | None = None


class ListFindingsParams(TypedDict, total=False):
    """Filters and paging of `list_findings`: page/page_size, offset/limit, or cursor."""

    repository: str
    project: str
    status: FindingStatus | list[FindingStatus]
    severity: str | list[str]
    rule: str | list[str]
    category: str | list[str]
    owasp_llm: str | list[str]
    path: str
    first_seen_after: str
    page: int
    page_size: int
    offset: int
    limit: int
    cursor: str
