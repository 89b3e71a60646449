"""Runs one scan's engine work, in a child process: rules chosen by scan type, then the scan."""

from __future__ import annotations

import math
import os
import resource
import signal
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tavo_platform.engine import WalkOptions, scan_path
from tavo_platform.enums import ScanStatus, ScanType
from tavo_platform.rules.catalog import redaction_rules_for
from tavo_platform.rules.loader import load_builtin_rules, load_rule_text
from tavo_platform.rules.model import Rule

# Which rule packs (or rule-id globs) each scan type runs; org custom rules join security
# and comprehensive. The taint pack holds the flow rules: all of them for security,
# comprehensive and code scans, the LLM ones (model replies, tool arguments, prompts) for llm.
SCAN_TYPES: dict[str, tuple[str, ...]] = {
    ScanType.SECURITY: ("owasp-llm", "code-security", "taint", "secrets", "model-artifacts"),
    ScanType.COMPREHENSIVE: ("owasp-llm", "code-security", "taint", "secrets", "model-artifacts"),
    ScanType.LLM: ("owasp-llm", "*-taint-llm*"),
    ScanType.SECRETS: ("secrets",),
    ScanType.CODE: ("code-security", "taint"),
    ScanType.MODELS: ("model-artifacts",),
}
CUSTOM_RULES_SCAN_TYPES = frozenset({ScanType.SECURITY, ScanType.COMPREHENSIVE})


class ScanCancelled(Exception):
    pass


class ScanLimitExceeded(Exception):
    """The scan passed one of its tier's limits; the message names it."""


@dataclass(frozen=True)
class ScanLimits:
    wall_seconds: float
    cpu_seconds: float
    file_seconds: float
    max_findings: int = 20_000
    nice: int = 0


def child_main(job: ScanJob, limits: ScanLimits, sender: Any) -> None:
    """A scan process's body: the kernel holds it to its CPU time (SIGXCPU at the limit,
    SIGKILL two seconds later), and it reports one outcome through `sender`."""
    cpu = max(1, math.ceil(limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    if limits.nice:
        os.nice(limits.nice)
    signal.signal(signal.SIGXCPU, _cpu_limit_reached)
    try:
        outcome: tuple[str, Any] = ("ok", run_scan_job(job, limits))
    except ScanCancelled:
        outcome = (ScanStatus.CANCELLED, None)
    except ScanLimitExceeded as error:
        outcome = ("limit", str(error))
    except Exception as error:  # reported as the scan's failure; the parent logs it
        outcome = ("error", f"{type(error).__name__}: {error}")
    sender.send(outcome)
    sender.close()


def _cpu_limit_reached(_signal: int, _frame: Any) -> None:
    raise ScanLimitExceeded("the scan used more than its CPU time limit")


def _file_budget(seconds: float) -> None:
    """(Re-)arms the per-file alarm: a file still being scanned when it rings is skipped."""
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _file_over_budget(_signal: int, _frame: Any) -> None:
    raise TimeoutError("per-file time budget")


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


def run_scan_job(job: ScanJob, limits: ScanLimits | None = None) -> dict[str, Any]:
    """Executed in a scan process; returns plain data (summary and finding dicts). With
    `limits`, each file gets `file_seconds` (an alarm; the engine skips a file that rings
    it) and the scan keeps at most `max_findings` findings."""
    rules = select_rules(job.scan_type, job.selectors, job.custom_rule_files)

    files = {"total": 0, "done": 0}

    def before_the_files(total: int) -> None:
        files["total"] = total
        if limits is not None and total:
            _file_budget(limits.file_seconds)

    def after_each_file(done: int) -> None:
        files["done"] += done
        if os.path.exists(job.cancel_flag):
            raise ScanCancelled()
        if limits is not None:
            # The next file's budget, or none once the last file is done.
            more = files["done"] < files["total"]
            _file_budget(limits.file_seconds if more else 0)

    if limits is not None:
        signal.signal(signal.SIGALRM, _file_over_budget)
    try:
        result = scan_path(
            Path(job.source_dir),
            rules,
            WalkOptions(excludes=job.exclusions),
            jobs=1,
            on_total=before_the_files,
            on_progress=after_each_file,
            code_context=True,
            redaction_rules=redaction_rules_for(rules),
        )
    finally:
        if limits is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
    kept = result.findings[: limits.max_findings] if limits else result.findings
    findings = [finding.to_dict() for finding in kept]
    summary = summarise(
        findings, result.files_scanned, dict(result.skipped.counts), len(rules),
        result.duration_seconds,
    )
    if len(kept) < len(result.findings):
        # Bounded, and said so: the rest of a flood of findings is not stored.
        summary["findings_not_stored"] = len(result.findings) - len(kept)
    return {
        "summary": summary,
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
