"""The OWASP Top 10 for LLM Applications 2025 coverage table of a scan: for each item, how
many of the scan's rules checked for it, and what was found (by verdict).

Status: "found" (open findings), "dismissed" (findings, all judged likely false positives),
"clear" (checked, nothing found) or "not_checked" (no rule of the scan covers it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

OWASP_LLM_2025 = {
    "LLM01": "Prompt Injection",
    "LLM02": "Sensitive Information Disclosure",
    "LLM03": "Supply Chain",
    "LLM04": "Data and Model Poisoning",
    "LLM05": "Improper Output Handling",
    "LLM06": "Excessive Agency",
    "LLM07": "System Prompt Leakage",
    "LLM08": "Vector and Embedding Weaknesses",
    "LLM09": "Misinformation",
    "LLM10": "Unbounded Consumption",
}
# Items static analysis can only partly judge: much of them is about behaviour at run time
# (what the model says, what data it was trained on).
PARTIAL_ITEMS = {
    "LLM04": "training-data poisoning happens outside the code; the code-level checks are "
    "how models and datasets are loaded",
    "LLM09": "whether a model's output is true cannot be checked in code; the checks are how "
    "unvalidated output is used",
}


def coverage_table(
    checked_rules: Iterable[tuple[str, str | None]],
    findings: Sequence[dict[str, Any]],
    verdicts: Sequence[str],
    risks: Sequence[int],
) -> list[dict[str, Any]]:
    """`checked_rules`: (rule id, OWASP LLM id) of every rule the scan ran."""
    rules_by_item: dict[str, list[str]] = {item: [] for item in OWASP_LLM_2025}
    for rule_id, item in checked_rules:
        if item in rules_by_item:
            rules_by_item[item].append(rule_id)
    found: dict[str, Counter[str]] = {item: Counter() for item in OWASP_LLM_2025}
    highest: dict[str, int] = {}
    for finding, verdict, risk in zip(findings, verdicts, risks, strict=True):
        item = finding.get("owasp_llm")
        if item in found:
            found[item][verdict] += 1
            highest[item] = max(highest.get(item, 0), risk)
    table = []
    for item, name in OWASP_LLM_2025.items():
        rules = sorted(rules_by_item[item])
        counts = found[item]
        open_findings = sum(n for v, n in counts.items() if v != "likely_false_positive")
        # A category with findings is never "clear", not even when every finding was
        # judged a likely false positive: that is a judgement a reader should see.
        if open_findings:
            status = "found"
        elif counts:
            status = "dismissed"
        elif not rules:
            status = "not_checked"
        else:
            status = "clear"
        table.append(
            {
                "id": item,
                "name": name,
                "status": status,
                "rules_checked": len(rules),
                "rule_ids": rules,
                "findings": sum(counts.values()),
                "open_findings": open_findings,
                "by_verdict": dict(sorted(counts.items())),
                "highest_risk": highest.get(item),
                "note": PARTIAL_ITEMS.get(item),
            }
        )
    return table
