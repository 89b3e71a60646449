"""Turns the solver's hits into findings, on the outcome of the file holding each sink."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tavo_platform.engine._findings import (
    Finding,
    Span,
    TraceStep,
    fingerprint,
    normalise_matched_text,
)
from tavo_platform.engine.dataflow._gc import collector_paused
from tavo_platform.engine.dataflow.precision import as_test_code, is_test_path
from tavo_platform.engine.dataflow.rootcause import merge_root_causes
from tavo_platform.engine.dataflow.solver import Project, TaintHit

if TYPE_CHECKING:
    from tavo_platform.engine._scanner import CompiledRules, FileOutcome

SNIPPET_LINES = 3
SNIPPET_LINE_CHARS = 240


def taint_findings(
    outcomes: Sequence[FileOutcome], compiled: CompiledRules, package: str | None = None
) -> None:
    """Solves the project's modules, adds each flow found to its file's outcome, then
    merges each file's findings by root cause. `package`: the scanned directory is this
    Python package (its absolute imports of itself resolve)."""
    modules = [outcome.module for outcome in outcomes if outcome.module is not None]
    if modules:
        # Paused from the project's construction to the last finding, not just while
        # solving: the first allocation otherwise starts a collection that walks the whole
        # IR of the scan, which holds no cycles (_gc.py).
        with collector_paused():
            _add_hits(Project(modules, package=package).solve(), outcomes, compiled)
    for outcome in outcomes:
        outcome.module = None  # the IR is not needed past this point
        if len(outcome.findings) > 1:
            outcome.findings = merge_root_causes(outcome.findings)


def _add_hits(
    hits: list[TaintHit], outcomes: Sequence[FileOutcome], compiled: CompiledRules
) -> None:
    by_path = {outcome.path: outcome for outcome in outcomes}
    occurrences: Counter[tuple[str, str, str]] = Counter()
    for hit in hits:
        outcome = by_path.get(hit.path)
        rule = compiled.taint.by_id.get(hit.rule_id)
        if outcome is None or rule is None:
            continue
        identity = (hit.path, hit.rule_id, normalise_matched_text(hit.at.text))
        occurrence = occurrences[identity]
        occurrences[identity] += 1
        finding = _finding(hit, rule, occurrence, compiled)
        if is_test_path(hit.path):
            finding = as_test_code(finding)
        if outcome.suppressions is not None and outcome.suppressions.covers(finding):
            outcome.suppressed += 1
        else:
            outcome.findings.append(finding)


def _finding(hit: TaintHit, rule, occurrence: int, compiled: CompiledRules) -> Finding:  # type: ignore[no-untyped-def]
    at = hit.at
    lines = at.text.split("\n")[:SNIPPET_LINES]
    snippet = compiled.redactor.redact(
        "\n".join(line.rstrip()[:SNIPPET_LINE_CHARS] for line in lines)
    )
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        message=rule.message,
        severity=rule.severity,
        confidence=rule.confidence.value,
        category=rule.category,
        cwe=tuple(rule.cwe),
        owasp_llm=rule.owasp_llm,
        path=hit.path,
        span=Span(at.line, at.column, at.end_line, at.end_column),
        snippet=snippet,
        fingerprint=fingerprint(rule.id, hit.path, at.text, occurrence),
        fix=rule.fix,
        pack=rule.pack,
        references=tuple(rule.references),
        trace=tuple(TraceStep(path, line, note) for path, line, note in hit.trace),
        tags=tuple(rule.tags),
    )
