"""SARIF 2.1.0 (OASIS), in the shape GitHub code scanning ingests.

What GitHub reads, and so what every run carries:
- rule metadata: `shortDescription`, `fullDescription`, `help` (text and markdown), `helpUri`,
  `defaultConfiguration.level`, and in `properties` the `tags` (with `security`, CWE and OWASP
  LLM ids), `precision`, `problem.severity` and `security-severity` (a 0-10 score GitHub maps
  to critical/high/medium/low alerts, only for rules tagged `security`);
- results whose locations are URIs relative to the repository root: GitHub does not resolve
  `uriBaseId`/`originalUriBaseIds` (they stay for other consumers), so when the scanned
  directory sits inside a git work tree the URIs are made relative to that tree's root;
- `partialFingerprints` with our line-independent fingerprint, so alerts survive unrelated
  edits;
- GitHub's upload limits: at most 25,000 results per run (a larger run is rejected, so the
  least severe results are left out and a notification says so) and 10 displayed tags per rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tavo_platform import __version__
from tavo_platform.engine import FINGERPRINT_VERSION, Finding, RuleSpec, ScanResult, Severity, Span

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"
# Tavo has no web site of its own; it reports against this taxonomy.
INFORMATION_URI = "https://genai.owasp.org/llm-top-10/"
CWE_URI = "https://cwe.mitre.org/data/definitions/{number}.html"

# GitHub code scanning rejects a run with more results than this.
MAX_RESULTS_PER_RUN = 25_000
# GitHub accepts 20 tags per rule but keeps only the first 10.
MAX_TAGS_PER_RULE = 10

_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub: over 9.0 is critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
_PRECISION = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}


@dataclass(frozen=True)
class _Notification:
    id: str
    name: str
    description: str
    help: str


SKIPPED_FILES = _Notification(
    "skipped-files",
    "SkippedFiles",
    "Files the scan did not analyse, grouped by reason.",
    "Binary, minified, vendored, oversized or unreadable files and symlinks leaving the "
    "scanned tree are skipped; use --max-file-size, --include-vendored or "
    "--no-default-excludes to scan more.",
)
SCAN_NOTE = _Notification(
    "scan-note",
    "ScanNote",
    "Files that were scanned with a caveat, grouped by caveat.",
    "For example, a file that is not valid UTF-8 is scanned with replacement characters, "
    "so a match across the invalid bytes can be missed.",
)
RESULTS_OMITTED = _Notification(
    "results-omitted",
    "ResultsOmitted",
    "Results left out because GitHub code scanning rejects runs with more than "
    f"{MAX_RESULTS_PER_RUN} results.",
    "The least severe results were dropped from this SARIF log; run with --format json to "
    "see every finding, or narrow the scan with --only, --skip or --exclude.",
)
NOTIFICATIONS = (SKIPPED_FILES, SCAN_NOTE, RESULTS_OMITTED)


def render_sarif(result: ScanResult) -> str:
    return json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n"


def sarif_log(
    result: ScanResult, *, root_and_prefix: tuple[Path, str] | None = None
) -> dict[str, Any]:
    """`root_and_prefix`: the directory URIs are relative to and the prefix of finding paths
    within it, when not found from the scanned directory (the server scans clones)."""
    rules = sorted(result.rules, key=lambda r: r.id)
    index = {rule.id: position for position, rule in enumerate(rules)}
    by_id = {rule.id: rule for rule in rules}
    source_root, prefix = root_and_prefix or source_root_of(Path(result.root))
    findings = _within_limit(result.findings)
    notifications = _notifications(result, prefix, omitted=len(result.findings) - len(findings))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Tavo",
                        "fullName": f"Tavo AI security scanner {__version__}",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_descriptor(rule) for rule in rules],
                        "notifications": [_notification_descriptor(n) for n in NOTIFICATIONS],
                    }
                },
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": _directory_uri(source_root)}},
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index, by_id[f.rule_id], prefix) for f in findings],
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
            }
        ],
    }


def _directory_uri(directory: Path) -> str:
    # A trailing slash, or relative references would resolve against the parent directory.
    return directory.as_uri().rstrip("/") + "/"


def source_root_of(scan_root: Path) -> tuple[Path, str]:
    """The directory artifact URIs are relative to, and the prefix that turns a finding's path
    (relative to the scanned directory) into a path relative to it: the enclosing git work
    tree's root when there is one, since that is what GitHub resolves URIs against."""
    scanned = scan_root.resolve()
    base = scanned if scanned.is_dir() else scanned.parent
    for candidate in (base, *base.parents):
        if (candidate / ".git").exists():
            inside = base.relative_to(candidate).as_posix()
            return candidate, "" if inside == "." else inside + "/"
    return base, ""


def _within_limit(findings: list[Finding]) -> list[Finding]:
    if len(findings) <= MAX_RESULTS_PER_RUN:
        return findings
    ranked = sorted(range(len(findings)), key=lambda i: (findings[i].severity.rank, i))
    kept = sorted(ranked[:MAX_RESULTS_PER_RUN])
    return [findings[i] for i in kept]


def _rule_descriptor(rule: RuleSpec) -> dict[str, Any]:
    level = _LEVELS[rule.severity]
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal_case(rule.id),
        "shortDescription": {"text": _sentence(rule.title)},
        "fullDescription": {"text": _sentence(rule.message)},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": rule_tags(rule),
            "precision": _PRECISION[rule.confidence.value],
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "problem.severity": _PROBLEM_SEVERITY[level],
        },
    }
    help_uri = _help_uri(rule)
    if help_uri:
        descriptor["helpUri"] = help_uri
    return descriptor


def rule_tags(rule: RuleSpec) -> list[str]:
    """`security` first (GitHub applies `security-severity` only to rules tagged so), then the
    CWE ids both as written and in the `external/cwe/cwe-NNN` form GitHub links to MITRE, the
    OWASP LLM id and the category; at most the 10 tags GitHub keeps."""
    tags = ["security"]
    for cwe in rule.cwe:
        number = int(cwe.removeprefix("CWE-"))
        tags += [cwe, f"external/cwe/cwe-{number:03d}"]
    if rule.owasp_llm:
        tags.append(f"OWASP-{rule.owasp_llm}")
    tags.append(rule.category)
    return list(dict.fromkeys(tags))[:MAX_TAGS_PER_RULE]


def _result(finding: Finding, index: dict[str, int], rule: RuleSpec, prefix: str) -> dict[str, Any]:
    uri = _uri(prefix + finding.path)
    message = _sentence(finding.message)
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": SOURCE_ROOT}}
    if rule.artifact is not None:
        # A model file has no lines; GitHub still needs a start line, and what was found (the
        # imported callable, its archive member and byte offset) goes into the message.
        physical["region"] = {"startLine": 1}
        if finding.snippet:
            message = f"{message} Found: {_sentence(finding.snippet)}"
    else:
        physical["region"] = _region(finding.span)
        context = _context_region(finding)
        if context:
            physical["contextRegion"] = context
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": _LEVELS[finding.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_VERSION: finding.fingerprint},
        "properties": {
            "severity": finding.severity.value,
            "confidence": finding.confidence,
            "category": finding.category,
        },
    }
    if finding.trace:
        result["codeFlows"] = [_code_flow(finding, prefix)]
    if finding.tags or finding.related_rules:
        result["properties"]["tags"] = list(finding.tags)
        if finding.related_rules:
            result["properties"]["relatedRules"] = list(finding.related_rules)
    if finding.autofix is not None:
        result["fixes"] = [
            {
                "description": {"text": _sentence(finding.fix)},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": uri, "uriBaseId": SOURCE_ROOT},
                        "replacements": [
                            {
                                "deletedRegion": _region(finding.autofix.span),
                                "insertedContent": {"text": finding.autofix.replacement},
                            }
                        ],
                    }
                ],
            }
        ]
    return result


def _code_flow(finding: Finding, prefix: str) -> dict[str, Any]:
    """The taint trace as one thread flow: source first, sink last."""
    locations = [
        {
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(prefix + step.path), "uriBaseId": SOURCE_ROOT},
                    "region": {"startLine": max(1, step.line)},
                },
                "message": {"text": step.note or "step"},
            },
            "nestingLevel": 0,
            "executionOrder": order,
        }
        for order, step in enumerate(finding.trace, start=1)
    ]
    return {
        "message": {"text": f"{len(finding.trace)} steps from source to sink"},
        "threadFlows": [{"locations": locations}],
    }


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.start_line,
        "startColumn": span.start_column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _context_region(finding: Finding) -> dict[str, Any] | None:
    """The snippet is the finding's whole lines (secrets redacted, long lines and matches cut
    short), so it belongs to a context region of those lines, not to the result's region."""
    if not finding.snippet:
        return None
    span = finding.span
    last_line = span.start_line + finding.snippet.count("\n")
    if last_line < span.end_line:
        # The snippet was cut short of the region; a context region must contain it.
        return None
    return {
        "startLine": span.start_line,
        "endLine": last_line,
        "snippet": {"text": finding.snippet},
    }


def _notification_descriptor(notification: _Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "name": notification.name,
        "shortDescription": {"text": notification.description},
        "fullDescription": {"text": notification.description},
        "help": {"text": notification.help},
    }


def _notifications(result: ScanResult, prefix: str, omitted: int) -> list[dict[str, Any]]:
    notifications = [
        _notification(
            SKIPPED_FILES,
            "note",
            f"Skipped {count} file(s): {reason}.",
            [prefix + path for path in result.skipped.examples.get(reason, [])],
        )
        for reason, count in sorted(result.skipped.counts.items())
    ]
    notifications += [
        _notification(SCAN_NOTE, "note", f"{count} file(s): {note}.", [])
        for note, count in sorted(result.notes.items())
    ]
    if omitted:
        notifications.append(
            _notification(
                RESULTS_OMITTED,
                "warning",
                f"{omitted} least severe result(s) of {len(result.findings)} were left out: "
                f"GitHub code scanning rejects runs with more than {MAX_RESULTS_PER_RUN} "
                "results. The JSON format has them all.",
                [],
            )
        )
    return notifications


def _notification(
    kind: _Notification, level: str, text: str, example_paths: list[str]
) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": level,
        "message": {"text": text},
        "descriptor": {"id": kind.id, "index": NOTIFICATIONS.index(kind)},
    }
    if example_paths:
        notification["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(path), "uriBaseId": SOURCE_ROOT}
                }
            }
            for path in example_paths
        ]
    return notification


def _uri(path: str) -> str:
    """A relative URI reference: every character but `/` and the unreserved ones is
    percent-encoded (UTF-8), so spaces, `#`, `%` and non-ASCII names survive."""
    return quote(path, safe="/")


def _pascal_case(rule_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part)


def _sentence(text: str) -> str:
    """SARIF's guidance: messages are complete sentences ending in a period."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _help_uri(rule: RuleSpec) -> str | None:
    if rule.references:
        return rule.references[0]
    if rule.cwe:
        return CWE_URI.format(number=int(rule.cwe[0].removeprefix("CWE-")))
    if rule.owasp_llm:
        return INFORMATION_URI
    return None


def _help_text(rule: RuleSpec) -> str:
    parts = [_sentence(rule.message), f"Fix: {_sentence(rule.fix)}"]
    taxonomy = [*rule.cwe, *([f"OWASP {rule.owasp_llm}"] if rule.owasp_llm else [])]
    if taxonomy:
        parts.append(f"Classification: {', '.join(taxonomy)}.")
    if rule.references:
        parts.append("References: " + " ".join(rule.references))
    return "\n\n".join(parts)


def _help_markdown(rule: RuleSpec) -> str:
    lines = [f"**{rule.title}**", "", rule.message.strip(), "", f"**Fix:** {rule.fix.strip()}"]
    meta = [f"Severity: {rule.severity.value}", f"Confidence: {rule.confidence.value}"]
    meta += [
        f"[{cwe}]({CWE_URI.format(number=int(cwe.removeprefix('CWE-')))})" for cwe in rule.cwe
    ]
    if rule.owasp_llm:
        meta.append(f"OWASP Top 10 for LLM Applications 2025: {rule.owasp_llm}")
    lines += ["", " · ".join(meta)]
    if rule.references:
        lines += ["", *[f"- <{ref}>" for ref in rule.references]]
    return "\n".join(lines)
