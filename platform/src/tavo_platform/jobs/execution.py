"""Runs one scan's engine work, in a child process: rules chosen by scan type, then the scan."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tavo_platform.engine import WalkOptions, scan_path
from tavo_platform.rules.catalog import redaction_rules_for
from tavo_platform.rules.loader import load_builtin_rules, load_rule_text
from tavo_platform.rules.model import Rule

# Which rule packs each scan type runs; org custom rules join security and comprehensive.
SCAN_TYPES: dict[str, tuple[str, ...]] = {
    "security": ("owasp-llm", "code-security", "secrets", "model-artifacts"),
    "comprehensive": ("owasp-llm", "code-security", "secrets", "model-artifacts"),
    "llm": ("owasp-llm",),
    "secrets": ("secrets",),
    "code": ("code-security",),
    "models": ("model-artifacts",),
}
CUSTOM_RULES_SCAN_TYPES = frozenset({"security", "comprehensive"})
CANCEL_CHECK_EVERY = 20


class ScanCancelled(Exception):
    pass


@dataclass(frozen=True)
class ScanJob:
    source_dir: str
    scan_type: str
    selectors: tuple[str, ...]
    exclusions: tuple[str, ...]
    custom_rule_files: tuple[tuple[str, str], ...]  # (name, yaml text)
    cancel_flag: str


def select_rules(
    scan_type: str, selectors: tuple[str, ...], custom_rule_files: tuple[tuple[str, str], ...]
) -> list[Rule]:
    rules = load_builtin_rules().select(only=SCAN_TYPES[scan_type])
    if scan_type in CUSTOM_RULES_SCAN_TYPES:
        for name, text in custom_rule_files:
            rules.extend(load_rule_text(text, name, pack="custom"))
    if selectors:
        rules = rules.select(only=selectors)
    return rules.rules


def run_scan_job(job: ScanJob) -> dict[str, Any]:
    """Executed in a worker process; returns plain data (summary and finding dicts)."""
    rules = select_rules(job.scan_type, job.selectors, job.custom_rule_files)
    checked = 0

    def check_cancel(done: int) -> None:
        nonlocal checked
        checked += done
        if checked % CANCEL_CHECK_EVERY == 0 and os.path.exists(job.cancel_flag):
            raise ScanCancelled()

    result = scan_path(
        Path(job.source_dir),
        rules,
        WalkOptions(excludes=job.exclusions),
        jobs=1,
        on_progress=check_cancel,
        code_context=True,
        redaction_rules=redaction_rules_for(rules),
    )
    findings = [finding.to_dict() for finding in result.findings]
    return {
        "summary": summarise(
            findings,
            result.files_scanned,
            dict(result.skipped.counts),
            len(rules),
            result.duration_seconds,
        ),
        "findings": findings,
        # Which rules ran: a tracked finding they no longer report is fixed.
        "rule_ids": [rule.id for rule in rules],
    }


def summarise(
    findings: list[dict[str, Any]],
    files_scanned: int,
    skipped: dict[str, int],
    rules: int,
    duration: float,
) -> dict[str, Any]:
    by_severity = Counter(f["severity"] for f in findings)
    return {
        "total": len(findings),
        "by_severity": {
            s: by_severity.get(s, 0) for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
        },
        "by_category": dict(sorted(Counter(f["category"] for f in findings).items())),
        "by_owasp_llm": dict(
            sorted(Counter(f["owasp_llm"] for f in findings if f["owasp_llm"]).items())
        ),
        "files_scanned": files_scanned,
        "files_skipped": sum(skipped.values()),
        "skipped_by_reason": skipped,
        "rules_run": rules,
        "duration_seconds": round(duration, 3),
    }
