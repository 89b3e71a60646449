"""Scans, their status, their findings, and the parameters of the scan calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from tavo._models import Model
from tavo.types.common import PageInfo

__all__ = [
    "CreateScanParams",
    "FindingContext",
    "ListScansParams",
    "Scan",
    "ScanDiff",
    "ScanList",
    "ScanResults",
    "ScanResultsParams",
    "ScanStatus",
    "ScanStatusName",
    "ScanSummary",
    "ScanType",
    "Vulnerability",
]

ScanStatusName = Literal["queued", "running", "completed", "failed", "cancelled"]
ScanType = Literal["security", "comprehensive", "llm", "secrets", "code", "models"]
FINISHED_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanSummary(Model):
    """Counts of a finished scan."""

    total: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_owasp_llm: dict[str, int] = field(default_factory=dict)
    files_scanned: int = 0
    files_skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    rules_run: int = 0
    duration_seconds: float = 0.0
    # Findings triaged away (left out of the counts above): {"total", "by_status"}.
    triaged: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scan(Model):
    """A scan of a repository (or of uploaded code) and, once finished, its summary."""

    id: str
    status: str
    scan_type: str = "security"
    source: str = "git"
    repository_url: str | None = None
    repository_id: str | None = None
    branch: str | None = None
    rules: list[str] = field(default_factory=list)
    exclusions: list[str] = field(default_factory=list)
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    summary: ScanSummary | None = None
    attempts: int = 0
    cancel_requested: bool = False
    project: str | None = None
    ref: str | None = None
    base_ref: str | None = None
    commit_sha: str | None = None

    @property
    def finished(self) -> bool:
        """Completed, failed or cancelled."""
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanStatus(Model):
    """A scan's status: small and cheap to ask for."""

    id: str
    status: str
    finished: bool = False
    total_findings: int | None = None
    error: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanList(PageInfo):
    """One page of scans."""

    items: list[Scan] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingContext(Model):
    """What the engine knows about the code around a finding."""

    function: str | None = None
    entrypoint: str | None = None
    untrusted_sources: list[str] = field(default_factory=list)
    from_parameters: bool = False
    constant_input: bool = False
    dead_code: bool = False
    sanitizers: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceStep(Model):
    """One step of the data flow behind a taint finding, source first."""

    path: str = ""
    line: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Vulnerability(Model):
    """One finding (the same shape in the CLI's JSON, the API and SARIF)."""

    id: str
    rule_id: str
    title: str = ""
    message: str = ""
    severity: str = "INFO"
    confidence: str | None = None
    category: str | None = None
    cwe: list[str] = field(default_factory=list)
    owasp_llm: str | None = None
    pack: str | None = None
    path: str = ""
    start_line: int = 0
    start_column: int = 0
    end_line: int = 0
    end_column: int = 0
    snippet: str = ""
    fingerprint: str = ""
    fix: str | None = None
    references: list[str] = field(default_factory=list)
    autofix: str | None = None
    context: FindingContext | None = None
    # Taint findings: how the data flows from its source to the sink (empty otherwise).
    trace: list[TraceStep] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Other rules that reported the same root cause, merged into this finding.
    related_rules: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResults(PageInfo):
    """One page of a scan's findings."""

    scan_id: str
    scan_status: str
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    # The triage of findings that have one, by fingerprint ({"finding_id", "status", ...}).
    triaged: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanDiff(Model):
    """Findings between two completed scans of a repository, by fingerprint."""

    scan_id: str
    base_scan_id: str
    repository_id: str | None = None
    project: str | None = None
    commit_sha: str | None = None
    base_commit_sha: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    new: list[Vulnerability] = field(default_factory=list)
    fixed: list[Vulnerability] = field(default_factory=list)
    unchanged: list[Vulnerability] = field(default_factory=list)


class ListScansParams(TypedDict, total=False):
    """Filters and paging of `list_scans`: page/page_size or offset/limit."""

    status: ScanStatusName
    page: int
    page_size: int
    offset: int
    limit: int


class CreateScanParams(TypedDict, total=False):
    """A scan to create; `repository_url` is required."""

    repository_url: str
    scan_type: ScanType
    branch: str
    ref: str
    base_ref: str
    rules: list[str]
    exclusions: list[str]


class ScanResultsParams(TypedDict, total=False):
    """Filters and paging of `get_scan_results`."""

    severity: str | list[str]
    rule: str | list[str]
    path: str
    page: int
    page_size: int
    offset: int
    limit: int


def scan_params(values: dict[str, Any]) -> dict[str, Any]:
    """Drops the parameters left unset (None)."""
    return {key: value for key, value in values.items() if value is not None}
