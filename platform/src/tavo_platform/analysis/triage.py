"""Triage verdicts: likely true positive, needs review, likely false positive, with reasons.

The rules are few and stated plainly, so a verdict can be argued with:

likely false positive when the flagged code cannot run (dead code), only constants reach an
injection-type sink, the finding is in tests or documentation (unless it is a credential in
a real provider's format, which leaks wherever it is committed), or a secret's text reads
as a placeholder;

likely true positive, otherwise, when untrusted input (request data, a handler's
parameters, an LLM's reply) was seen reaching the flagged code, when the rule needs no data
flow to be right (a committed key, a disabled certificate check, a model file that runs
code) and is confident, or when the risk score is high;

needs review for the rest, saying what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tavo_platform.analysis.facts import FindingFacts
from tavo_platform.analysis.filecontext import FileKind
from tavo_platform.analysis.risk import (
    FLOW_INDEPENDENT_CATEGORIES,
    INJECTION_CATEGORIES,
    SECRET_CATEGORIES,
    Risk,
    protecting_sanitizers,
)


class Verdict(StrEnum):
    TRUE_POSITIVE = "likely_true_positive"
    NEEDS_REVIEW = "needs_review"
    FALSE_POSITIVE = "likely_false_positive"


VERDICT_ORDER = {Verdict.TRUE_POSITIVE: 0, Verdict.NEEDS_REVIEW: 1, Verdict.FALSE_POSITIVE: 2}
HIGH_RISK = 75
STRONG_SOURCES = frozenset({"request", "handler_parameter", "llm_output"})
_PLACEHOLDER = re.compile(
    r"example|dummy|fake|placeholder|changeme|change_me|your[_-]?(?:api[_-]?)?key|xxxx|"
    r"<[a-z_ -]+>|\$\{[A-Z_]+\}|redacted|sample|not[_-]?a[_-]?real",
    re.IGNORECASE,
)
_NON_SHIPPING = {FileKind.TEST: "test code", FileKind.DOCS: "documentation"}


@dataclass(frozen=True, slots=True)
class Triage:
    verdict: Verdict
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict.value, "reasons": list(self.reasons)}


def triage(finding: dict[str, Any], facts: FindingFacts, risk: Risk) -> Triage:
    category = str(finding.get("category", ""))
    confidence = str(finding.get("confidence", "MEDIUM")).upper()
    severity = str(finding.get("severity", "MEDIUM")).upper()
    is_secret = category in SECRET_CATEGORIES
    sources = set(facts.untrusted_sources) & STRONG_SOURCES

    false_positive = _false_positive_reasons(finding, facts, category, confidence, is_secret)
    if false_positive:
        return Triage(Verdict.FALSE_POSITIVE, tuple(false_positive))

    reasons: list[str] = []
    if sources:
        reasons.append(
            "untrusted input reaches the flagged code in the same function: "
            + ", ".join(sorted(sources))
        )
    if facts.entrypoint in ("web_handler", "llm_tool"):
        reasons.append(f"in a {facts.entrypoint.replace('_', ' ')}")
    confident_without_flow = (
        category in FLOW_INDEPENDENT_CATEGORIES
        and confidence == "HIGH"
        and severity in ("CRITICAL", "HIGH")
    )
    if confident_without_flow:
        reasons.append("the rule needs no data flow to be right, and is confident")
    if risk.score >= HIGH_RISK:
        reasons.append(f"high risk score ({risk.score})")
    # What survives the false-positive rules in tests or docs is a real-format credential:
    # worth a look, not a verdict.
    shipping = facts.file_kind not in _NON_SHIPPING
    if shipping and (sources or confident_without_flow or risk.score >= HIGH_RISK):
        if facts.file_kind is FileKind.EXAMPLE:
            reasons.append("in example code that users may copy")
        return Triage(Verdict.TRUE_POSITIVE, tuple(reasons))

    review = _review_reasons(finding, facts, category, confidence)
    return Triage(Verdict.NEEDS_REVIEW, tuple(reasons + review))


def _false_positive_reasons(
    finding: dict[str, Any],
    facts: FindingFacts,
    category: str,
    confidence: str,
    is_secret: bool,
) -> list[str]:
    reasons = []
    if facts.dead_code:
        reasons.append("the flagged code is unreachable (false condition or after a return)")
    if facts.constant_input and category in INJECTION_CATEGORIES and not facts.untrusted_sources:
        reasons.append("only literals and constants reach the flagged call")
    cleaned = protecting_sanitizers(category, facts)
    if cleaned and not facts.untrusted_sources:
        reasons.append(
            "the untrusted input is sanitised by " + ", ".join(cleaned) + "() before the call"
        )
    where = _NON_SHIPPING.get(facts.file_kind)
    if where is not None:
        real_format_secret = is_secret and confidence == "HIGH"
        if not real_format_secret:
            reasons.append(f"in {where}, which does not ship")
    if is_secret and _PLACEHOLDER.search(str(finding.get("snippet", ""))):
        reasons.append("the secret's text reads as a placeholder")
    return reasons


def _review_reasons(
    finding: dict[str, Any], facts: FindingFacts, category: str, confidence: str
) -> list[str]:
    reasons = []
    if category in INJECTION_CATEGORIES:
        if facts.from_parameters:
            reasons.append(
                f"a parameter of {facts.function or 'the enclosing function'} reaches it: "
                "check what its callers pass"
            )
        elif facts.source == "engine":
            reasons.append("no untrusted input seen reaching it in the same function")
        else:
            reasons.append("no code context to tell where the input comes from")
    if confidence == "LOW":
        reasons.append("the rule's confidence is LOW")
    if facts.file_kind is FileKind.VENDORED:
        reasons.append("in vendored third-party code")
    if facts.file_kind is FileKind.TEST and category in SECRET_CATEGORIES:
        reasons.append("a real-format credential in test code: check whether it is live")
    if facts.file_kind in (FileKind.EXAMPLE, FileKind.TOOLING):
        reasons.append(f"in {facts.file_kind.value} code")
    return reasons or ["not enough evidence either way"]
