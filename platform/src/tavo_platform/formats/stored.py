"""Findings as the server stores them (Finding.to_dict documents), back into the engine's
Finding, so the formats that render scan results locally render stored ones the same way."""

from __future__ import annotations

from typing import Any

from tavo_platform.engine import Autofix, Finding, ScanResult, Severity, Span


def _span(document: dict[str, Any]) -> Span:
    return Span(
        start_line=int(document.get("start_line") or 1),
        start_column=int(document.get("start_column") or 1),
        end_line=int(document.get("end_line") or document.get("start_line") or 1),
        end_column=int(document.get("end_column") or 1),
    )


def finding_from_dict(document: dict[str, Any]) -> Finding:
    autofix = document.get("autofix")
    return Finding(
        rule_id=str(document["rule_id"]),
        title=str(document.get("title") or ""),
        message=str(document.get("message") or ""),
        severity=Severity(document.get("severity") or "INFO"),
        confidence=str(document.get("confidence") or "MEDIUM"),
        category=str(document.get("category") or ""),
        cwe=tuple(document.get("cwe") or ()),
        owasp_llm=document.get("owasp_llm"),
        path=str(document.get("path") or ""),
        span=_span(document),
        snippet=str(document.get("snippet") or ""),
        fingerprint=str(document["fingerprint"]),
        fix=str(document.get("fix") or ""),
        pack=str(document.get("pack") or ""),
        # Offsets into the file are not stored (the server keeps no source); SARIF uses the
        # span only.
        autofix=(
            Autofix(_span(autofix), 0, 0, str(autofix.get("replacement", "")))
            if isinstance(autofix, dict)
            else None
        ),
        references=tuple(document.get("references") or ()),
    )


def scan_result(
    documents: list[dict[str, Any]], summary: dict[str, Any], *, root: str
) -> ScanResult:
    """A ScanResult to render (text, JSON) from a server's stored findings and summary. Its
    rules are left empty: the text and JSON formats count them only (from the summary)."""
    from collections import Counter

    from tavo_platform.engine import SkipReport

    result = ScanResult(
        root=root,
        findings=[finding_from_dict(d) for d in documents],
        files_scanned=int(summary.get("files_scanned", 0)),
        skipped=SkipReport(Counter(summary.get("skipped_by_reason") or {})),
        suppressed_inline=0,
        suppressed_baseline=0,
        notes=Counter(),
        rules=[],
        duration_seconds=float(summary.get("duration_seconds", 0.0)),
    )
    return result
