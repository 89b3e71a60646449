"""SARIF 2.1.0 (OASIS), in the shape GitHub code scanning ingests.

Levels follow severity; `security-severity` (a CVSS-like 0-10 string) is what GitHub uses to
rank security alerts; CWE and OWASP LLM ids become tags; partial fingerprints carry our
line-independent fingerprint so alerts survive unrelated edits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tavo import Severity

from tavo_platform import __version__
from tavo_platform.engine.findings import Finding
from tavo_platform.engine.findings import FINGERPRINT_VERSION
from tavo_platform.engine.scanner import ScanResult
from tavo_platform.rules.model import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"
INFORMATION_URI = "https://genai.owasp.org/llm-top-10/"

_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
_PRECISION = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}


def render_sarif(result: ScanResult) -> str:
    return json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n"


def sarif_log(result: ScanResult) -> dict[str, Any]:
    rules = sorted(result.rules, key=lambda r: r.id)
    index = {rule.id: position for position, rule in enumerate(rules)}
    root = Path(result.root).resolve()
    root_uri = root.as_uri() if root.is_dir() else root.parent.as_uri()
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Tavo",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_descriptor(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": root_uri.rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index) for f in result.findings],
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": _skip_notifications(result),
                    }
                ],
            }
        ],
    }


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    tags = ["security", *rule.cwe, rule.category]
    if rule.owasp_llm:
        tags.append(f"OWASP-{rule.owasp_llm}")
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal_case(rule.id),
        "shortDescription": {"text": _sentence(rule.title)},
        "fullDescription": {"text": _sentence(rule.message)},
        "help": {
            "text": _sentence(rule.fix),
            "markdown": _help_markdown(rule),
        },
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {
            "tags": tags,
            "precision": _PRECISION[rule.confidence.value],
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "problem.severity": _problem_severity(rule.severity),
        },
    }
    if rule.references:
        descriptor["helpUri"] = rule.references[0]
    return descriptor


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": finding.span.start_line,
        "startColumn": finding.span.start_column,
        "endLine": finding.span.end_line,
        "endColumn": max(finding.span.end_column, 1),
    }
    if finding.snippet:
        region["snippet"] = {"text": finding.snippet}
    uri = _uri(finding.path)
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": _LEVELS[finding.severity],
        "message": {"text": _sentence(finding.message)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": SOURCE_ROOT},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_VERSION: finding.fingerprint},
        "properties": {
            "severity": finding.severity.value,
            "confidence": finding.confidence,
            "category": finding.category,
        },
    }
    if finding.autofix is not None:
        fix_span = finding.autofix.span
        result["fixes"] = [
            {
                "description": {"text": _sentence(finding.fix)},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": uri, "uriBaseId": SOURCE_ROOT},
                        "replacements": [
                            {
                                "deletedRegion": {
                                    "startLine": fix_span.start_line,
                                    "startColumn": fix_span.start_column,
                                    "endLine": fix_span.end_line,
                                    "endColumn": fix_span.end_column,
                                },
                                "insertedContent": {"text": finding.autofix.replacement},
                            }
                        ],
                    }
                ],
            }
        ]
    return result


def _skip_notifications(result: ScanResult) -> list[dict[str, Any]]:
    return [
        {
            "level": "note",
            "message": {"text": f"Skipped {count} file(s): {reason}."},
            "descriptor": {"id": "skipped-files"},
        }
        for reason, count in sorted(result.skipped.counts.items())
    ]


def _uri(path: str) -> str:
    return quote(path, safe="/")


def _pascal_case(rule_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part)


def _sentence(text: str) -> str:
    """SARIF's guidance: messages are complete sentences ending in a period."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _help_markdown(rule: Rule) -> str:
    lines = [f"**{rule.title}**", "", rule.message.strip(), "", f"**Fix:** {rule.fix.strip()}"]
    meta = [f"Severity: {rule.severity.value}", f"Confidence: {rule.confidence.value}"]
    meta += rule.cwe
    if rule.owasp_llm:
        meta.append(f"OWASP Top 10 for LLM Applications 2025: {rule.owasp_llm}")
    lines += ["", " · ".join(meta)]
    if rule.references:
        lines += ["", *[f"- <{ref}>" for ref in rule.references]]
    return "\n".join(lines)


def _problem_severity(severity: Severity) -> str:
    return {"error": "error", "warning": "warning", "note": "recommendation"}[_LEVELS[severity]]
