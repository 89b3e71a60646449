"""The built-in triage-and-risk model: deterministic, offline, explainable.

For every finding: the facts of its code (facts.py), a risk score with its factors
(risk.py), a verdict with reasons (triage.py), its cluster (clusters.py) and remediation
(remediation.py). For the scan: the fix-first list and security score (scoring.py) and the
OWASP LLM coverage table (coverage.py).

The stored result keeps what all findings of one rule share (why, how, CWE, references)
once, under `rules`; the API expands it into each finding's `remediation` (see `expand`).

Result shape:
    {model, scan_id, generated_by, summary, security_score, fix_first[],
     owasp_llm_coverage[], clusters[], rules{rule_id: remediation}, findings[]}
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tavo_platform.analysis.clusters import find_clusters
from tavo_platform.analysis.coverage import coverage_table
from tavo_platform.analysis.facts import FindingFacts, facts_of
from tavo_platform.analysis.interface import (
    AnalysisOptions,
    ModelInfo,
    ScanMaterial,
    VerdictCache,
)
from tavo_platform.analysis.remediation import autofix_of, rule_remediation
from tavo_platform.analysis.risk import Risk, score_risk
from tavo_platform.analysis.scoring import Assessed, fix_first, security_score
from tavo_platform.analysis.triage import Triage, Verdict, triage

BUILTIN_MODEL_ID = "tavo-triage-v1"
BUILTIN_INFO = ModelInfo(
    id=BUILTIN_MODEL_ID,
    kind="triage",
    provider="tavo",
    name="Tavo triage and risk (deterministic)",
    description=(
        "Risk score 0-100 with its factors, triage verdicts with reasons, duplicate and "
        "near-duplicate clusters, remediation with autofix patches, the fix-first list, a "
        "security score and OWASP LLM Top 10 (2025) coverage. Runs offline; the same input "
        "always gives the same answer."
    ),
    capabilities=(
        "risk_scoring",
        "triage",
        "deduplication",
        "remediation",
        "prioritization",
        "security_score",
        "owasp_llm_coverage",
    ),
    local=True,
    limits={"max_findings": None, "tokens": None, "cost": 0},
)


@dataclass(frozen=True, slots=True)
class Assessment:
    """One finding's analysis, before it becomes JSON."""

    facts: FindingFacts
    risk: Risk
    triage: Triage
    cluster: str | None = None
    # Set when an LLM gave the verdict: its answer, for the result.
    llm: dict[str, Any] | None = None


def assess(findings: Sequence[dict[str, Any]]) -> list[Assessment]:
    assessments = []
    for finding in findings:
        facts = facts_of(finding)
        risk = score_risk(finding, facts)
        assessments.append(Assessment(facts, risk, triage(finding, facts, risk)))
    return assessments


def _representatives(assessed: list[Assessed]) -> dict[str, int]:
    """Each cluster's riskiest member (its index), which stands for the cluster."""
    representative: dict[str, int] = {}
    for item in assessed:
        if item.cluster is not None:
            best = representative.get(item.cluster)
            if best is None or item.risk > assessed[best].risk:
                representative[item.cluster] = item.index
    return representative


def _remediation_by_rule(findings: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rule_id = str(finding.get("rule_id", ""))
        if rule_id not in rules:
            rules[rule_id] = rule_remediation(finding)
    return rules


def report(
    material: ScanMaterial,
    assessments: list[Assessment],
    options: AnalysisOptions,
    model_id: str = BUILTIN_MODEL_ID,
) -> dict[str, Any]:
    findings = material.findings
    clusters = find_clusters(findings, [a.facts.situation for a in assessments])
    for cluster in clusters:
        for index in cluster.members:
            assessments[index] = replace(assessments[index], cluster=cluster.id)
    ids = [_finding_id(finding, index) for index, finding in enumerate(findings)]
    assessed = [
        Assessed(
            index=index,
            finding_id=ids[index],
            risk=assessment.risk.score,
            verdict=assessment.triage.verdict,
            severity=str(finding.get("severity", "")),
            path=str(finding.get("path", "")),
            line=int(finding.get("start_line") or 0),
            cluster=assessment.cluster,
            owasp_llm=_text(finding.get("owasp_llm")),
        )
        for index, (finding, assessment) in enumerate(zip(findings, assessments, strict=True))
    ]
    sizes = {cluster.id: len(cluster.members) for cluster in clusters}
    representative = _representatives(assessed)
    rules = _remediation_by_rule(findings)
    verdicts = Counter(a.triage.verdict.value for a in assessments)
    risks = [a.risk.score for a in assessments]
    return {
        "model": model_id,
        "scan_id": material.scan_id,
        "summary": {
            "total_findings": len(findings),
            "by_verdict": {v.value: verdicts.get(v.value, 0) for v in Verdict},
            "clusters": len(clusters),
            "clustered_findings": sum(sizes.values()),
            "max_risk": max(risks, default=0),
            "mean_risk": round(sum(risks) / len(risks), 1) if risks else 0.0,
            "code_context": dict(Counter(a.facts.source for a in assessments)),
        },
        "security_score": security_score(assessed),
        "fix_first": fix_first(assessed, sizes, options.fix_first_limit),
        "owasp_llm_coverage": coverage_table(
            material.checked_rules, findings, [a.triage.verdict.value for a in assessments], risks
        ),
        "clusters": [cluster.to_dict(ids, representative[cluster.id]) for cluster in clusters],
        "rules": rules,
        "findings": [
            _finding_view(finding, ids[index], assessment)
            for index, (finding, assessment) in enumerate(zip(findings, assessments, strict=True))
        ],
    }


def analyze_findings(material: ScanMaterial, options: AnalysisOptions) -> dict[str, Any]:
    return report(material, assess(material.findings), options)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _finding_id(finding: dict[str, Any], index: int) -> str:
    return str(finding.get("id") or str(finding.get("fingerprint", ""))[:16] or f"#{index}")


def _finding_view(
    finding: dict[str, Any], finding_id: str, assessment: Assessment
) -> dict[str, Any]:
    view = {
        "finding_id": finding_id,
        "fingerprint": finding.get("fingerprint"),
        "rule_id": finding.get("rule_id"),
        "title": finding.get("title"),
        "severity": finding.get("severity"),
        "confidence": finding.get("confidence"),
        "category": finding.get("category"),
        "owasp_llm": finding.get("owasp_llm"),
        "path": finding.get("path"),
        "start_line": finding.get("start_line"),
        "risk": assessment.risk.to_dict(),
        "verdict": assessment.triage.verdict.value,
        "reasons": list(assessment.triage.reasons),
        "facts": assessment.facts.to_dict(),
        "cluster_id": assessment.cluster,
        "autofix": autofix_of(finding),
    }
    if assessment.llm is not None:
        view["llm"] = assessment.llm
    return view


def expand(result: dict[str, Any], findings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings of a stored result with their full `remediation` (why, how, CWE,
    references from the rule; the finding's own autofix and patch)."""
    rules = result.get("rules") or {}
    expanded = []
    for finding in findings:
        shared = rules.get(finding.get("rule_id"), {})
        view = {key: value for key, value in finding.items() if key != "autofix"}
        view["remediation"] = {
            "why": shared.get("why"),
            "how": shared.get("how"),
            "cwe": shared.get("cwe", []),
            "references": shared.get("references", []),
            "autofix": finding.get("autofix"),
        }
        expanded.append(view)
    return expanded


class BuiltinTriageModel:
    info = BUILTIN_INFO

    async def analyze(
        self, material: ScanMaterial, options: AnalysisOptions, cache: VerdictCache
    ) -> dict[str, Any]:
        # CPU work: off the event loop, so the API keeps answering meanwhile.
        return await asyncio.to_thread(analyze_findings, material, options)
