"""Scan-level answers: what to fix first, and one security score.

Fix first: every finding not judged a likely false positive, one entry per cluster (its
riskiest member stands for it), by risk, then verdict, then severity.

Security score: 100 x exp(-penalty / 3), where each open finding adds (risk/100)^2, times
1.0 for a likely true positive and 0.6 for one that needs review; the other members of a
cluster add a fifth of that, since one fix covers them. One true positive at risk 90 gives
76, three give 44; a handful of medium findings needing review cost a few points each.

Grade caps: some findings decide the grade whatever the arithmetic says. An app with an open
(not likely-false-positive) prompt-injection, output-handling or excessive-agency finding
(OWASP LLM01, LLM05, LLM06) of HIGH or above grades C at best, its score held inside C's band.
The result names the findings that set the grade: the capping findings, or else the largest
deductions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tavo_platform.analysis.triage import VERDICT_ORDER, Verdict

SEVERITY_RANK = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFO": 4}
VERDICT_WEIGHT = {
    Verdict.TRUE_POSITIVE: 1.0,
    Verdict.NEEDS_REVIEW: 0.6,
    Verdict.FALSE_POSITIVE: 0.0,
}
CLUSTER_FOLLOWER_WEIGHT = 0.2
PENALTY_SCALE = 3.0
GRADES = ((90, "A"), (75, "B"), (60, "C"), (40, "D"), (0, "F"))
TOP_DEDUCTIONS = 5


@dataclass(frozen=True, slots=True)
class GradeCap:
    owasp_llm: frozenset[str]
    severities: frozenset[str]
    best_grade: str
    reason: str


GRADE_CAPS = (
    GradeCap(
        owasp_llm=frozenset({"LLM01", "LLM05", "LLM06"}),
        severities=frozenset({"CRITICAL", "HIGH"}),
        best_grade="C",
        reason="open prompt-injection (LLM01), improper-output-handling (LLM05) or "
        "excessive-agency (LLM06) findings of HIGH severity or above",
    ),
)


@dataclass(frozen=True, slots=True)
class Assessed:
    """What the scan-level computations need of one analysed finding."""

    index: int
    finding_id: str
    risk: int
    verdict: Verdict
    severity: str
    path: str
    line: int
    cluster: str | None
    owasp_llm: str | None = None


def ranking_key(item: Assessed) -> tuple[int, int, int, str, int]:
    return (
        -item.risk,
        VERDICT_ORDER[item.verdict],
        SEVERITY_RANK.get(item.severity, 5),
        item.path,
        item.line,
    )


def fix_first(
    items: Sequence[Assessed], cluster_sizes: dict[str, int], limit: int
) -> list[dict[str, Any]]:
    ordered = sorted(
        (item for item in items if item.verdict is not Verdict.FALSE_POSITIVE), key=ranking_key
    )
    chosen: list[dict[str, Any]] = []
    seen_clusters: set[str] = set()
    for item in ordered:
        if item.cluster is not None:
            if item.cluster in seen_clusters:
                continue
            seen_clusters.add(item.cluster)
        chosen.append(
            {
                "rank": len(chosen) + 1,
                "finding_id": item.finding_id,
                "risk": item.risk,
                "verdict": item.verdict.value,
                "severity": item.severity,
                "path": item.path,
                "start_line": item.line,
                "cluster_id": item.cluster,
                "covers": cluster_sizes.get(item.cluster, 1) if item.cluster else 1,
            }
        )
        if len(chosen) >= limit:
            break
    return chosen


def security_score(items: Sequence[Assessed]) -> dict[str, Any]:
    penalties: list[tuple[float, Assessed]] = []
    seen_clusters: set[str] = set()
    for item in sorted(items, key=ranking_key):
        weight = (item.risk / 100) ** 2 * VERDICT_WEIGHT[item.verdict]
        if item.cluster is not None:
            if item.cluster in seen_clusters:
                weight *= CLUSTER_FOLLOWER_WEIGHT
            seen_clusters.add(item.cluster)
        if weight > 0:
            penalties.append((weight, item))
    total = sum(weight for weight, _ in penalties)
    score = round(100 * math.exp(-total / PENALTY_SCALE))
    lost = 100 - score
    top = sorted(penalties, key=lambda pair: -pair[0])[:TOP_DEDUCTIONS]
    score, grade, basis = _graded(score, items, [item for _, item in top])
    return {
        "score": score,
        "grade": grade,
        "grade_basis": basis,
        "open_findings": sum(1 for item in items if item.verdict is not Verdict.FALSE_POSITIVE),
        "method": "100 x exp(-sum(w)/3), w = (risk/100)^2 x verdict weight (1.0 true "
        "positive, 0.6 needs review, 0 false positive), other cluster members x0.2; "
        "open LLM01/LLM05/LLM06 findings of HIGH or above cap the grade at C",
        "top_deductions": [
            {
                "finding_id": item.finding_id,
                "risk": item.risk,
                "verdict": item.verdict.value,
                "points": round(lost * weight / total, 1) if total else 0.0,
            }
            for weight, item in top
        ],
    }


def grade_of(score: int) -> str:
    return next(grade for floor, grade in GRADES if score >= floor)


def _graded(
    score: int, items: Sequence[Assessed], deductions: Sequence[Assessed]
) -> tuple[int, str, dict[str, Any]]:
    """(score, grade, why): the arithmetic's grade, unless a cap applies; either way the
    findings that set it."""
    grade = grade_of(score)
    for cap in GRADE_CAPS:
        capping = [
            item
            for item in sorted(items, key=ranking_key)
            if item.verdict is not Verdict.FALSE_POSITIVE
            and item.owasp_llm in cap.owasp_llm
            and item.severity in cap.severities
        ]
        if capping and _rank(grade) < _rank(cap.best_grade):
            ceiling = _ceiling(cap.best_grade)
            return min(score, ceiling), cap.best_grade, {
                "capped": True,
                "reason": f"graded {cap.best_grade} at best (score held at {ceiling} or "
                f"below): {cap.reason}",
                "findings": [_basis_entry(item) for item in capping],
            }
    reason = "no findings" if not deductions else "the score after its largest deductions"
    return score, grade, {
        "capped": False,
        "reason": reason,
        "findings": [_basis_entry(item) for item in deductions],
    }


def _rank(grade: str) -> int:
    return [g for _, g in GRADES].index(grade)


def _ceiling(grade: str) -> int:
    """The highest score that still has `grade`."""
    floors = [floor for floor, _ in GRADES]
    index = _rank(grade)
    return floors[index - 1] - 1 if index > 0 else 100


def _basis_entry(item: Assessed) -> dict[str, Any]:
    return {
        "finding_id": item.finding_id,
        "severity": item.severity,
        "owasp_llm": item.owasp_llm,
        "risk": item.risk,
        "verdict": item.verdict.value,
        "path": item.path,
        "start_line": item.line,
    }
