"""AI analysis: models, analysis jobs, their results, and model-file verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from tavo._models import Model
from tavo.types.common import PageInfo

__all__ = [
    "AIModel",
    "AIModelList",
    "Analysis",
    "AnalysisList",
    "AnalysisOptions",
    "AnalysisResult",
    "AnalyzedFinding",
    "FixFirstItem",
    "ModelFileVerdict",
    "RiskScore",
    "SecurityScore",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AIModel(Model):
    """An analysis model the server offers."""

    id: str
    kind: str = "triage"
    provider: str = ""
    name: str = ""
    description: str = ""
    capabilities: list[str] = field(default_factory=list)
    local: bool = True
    limits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AIModelList(Model):
    items: list[AIModel] = field(default_factory=list)
    total: int = 0
    default_model: str | None = None


class AnalysisOptions(TypedDict, total=False):
    """Options of an analysis: how long the fix-first list is; for LLM models a token
    budget and how many findings may be sent."""

    fix_first_limit: int
    token_budget: int
    max_llm_findings: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis(Model):
    """An analysis job: like a scan, it is queued, runs and finishes."""

    id: str
    scan_id: str
    model: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"
    finished: bool = False
    error: str | None = None
    summary: dict[str, Any] | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    attempts: int = 0
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisList(PageInfo):
    items: list[Analysis] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskScore(Model):
    """A risk score 0-100 and the factors it is made of."""

    score: int = 0
    factors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalyzedFinding(Model):
    """A finding with its risk, triage verdict and reasons, cluster and remediation."""

    finding_id: str
    rule_id: str = ""
    fingerprint: str = ""
    title: str = ""
    severity: str = "INFO"
    confidence: str | None = None
    category: str | None = None
    owasp_llm: str | None = None
    path: str = ""
    start_line: int = 0
    risk: RiskScore | None = None
    verdict: str = "needs_review"
    reasons: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    cluster_id: str | None = None
    remediation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class FixFirstItem(Model):
    """One entry of the fix-first list, highest priority first."""

    rank: int
    finding_id: str
    risk: int = 0
    verdict: str = ""
    severity: str = ""
    path: str = ""
    start_line: int = 0
    cluster_id: str | None = None
    covers: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityScore(Model):
    """The scan's overall security score (100 is best) and what lowered it."""

    score: int = 0
    grade: str = ""
    open_findings: int = 0
    method: str = ""
    top_deductions: list[dict[str, Any]] = field(default_factory=list)
    # Why the grade is what it is: the cap that applied and the findings that set it.
    grade_basis: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisResult(PageInfo):
    """An analysis: per finding risk, verdict and remediation (`findings`, paginated on the
    server; `analyze_scan` returns all of them), and for the scan the fix-first list, the
    security score, duplicate clusters and OWASP Top 10 for LLM Applications coverage."""

    analysis_id: str
    scan_id: str
    model: str = ""
    status: str = "completed"
    summary: dict[str, Any] = field(default_factory=dict)
    security_score: SecurityScore | None = None
    fix_first: list[FixFirstItem] = field(default_factory=list)
    owasp_llm_coverage: list[dict[str, Any]] = field(default_factory=list)
    clusters: list[dict[str, Any]] = field(default_factory=list)
    findings: list[AnalyzedFinding] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFileVerdict(Model):
    """The verdict on an uploaded model file (inspected, never loaded)."""

    safe: bool
    risks: list[dict[str, Any]] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    confidence: float | str | None = None
    analysis: dict[str, Any] = field(default_factory=dict)
