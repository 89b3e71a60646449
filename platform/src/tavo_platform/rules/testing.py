"""`tavo rules test`: every rule must fire on each positive example and on no negative."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tavo_platform.engine import (
    EXAMPLE_FILENAMES,
    CompiledRules,
    FileOutcome,
    Language,
    language_for,
    scan_bytes,
    taint_findings,
)
from tavo_platform.rules.model import Example, Rule


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    kind: str  # "positive" | "negative"
    index: int
    language: Language
    matched: int
    error: str | None = None

    @property
    def passed(self) -> bool:
        if self.error:
            return False
        return self.matched > 0 if self.kind == "positive" else self.matched == 0

    def describe(self) -> str:
        expectation = "should match" if self.kind == "positive" else "should not match"
        got = self.error or f"{self.matched} match(es)"
        return f"{self.rule_id}: {self.kind} example #{self.index + 1} ({self.language.value}) "\
            f"{expectation}, got {got}"


def test_rule(rule: Rule) -> Iterator[ExampleResult]:
    compiled = CompiledRules([rule], redaction_rules=[])
    for kind in ("positive", "negative"):
        for index, example in enumerate(rule.examples_of(kind)):
            for language in _languages_for(rule, example):
                yield _run(rule, compiled, kind, index, example, language)


def test_rules(rules: Sequence[Rule]) -> list[ExampleResult]:
    return [result for rule in rules for result in test_rule(rule)]


# These are helpers, not tests: pytest would otherwise collect them wherever they are
# imported into a test module (and rejects test_rule, a generator, as an error).
test_rule.__test__ = False  # type: ignore[attr-defined]
test_rules.__test__ = False  # type: ignore[attr-defined]


def _languages_for(rule: Rule, example: Example) -> list[Language]:
    if example.files is not None:
        return [language_for_filename(next(iter(example.files)))]
    if example.language is not None:
        return [example.language]
    if example.filename is not None:
        return [language_for_filename(example.filename)]
    return list(rule.languages)


def language_for_filename(filename: str) -> Language:
    from pathlib import PurePath

    return language_for(PurePath(filename))


def _run(
    rule: Rule, compiled: CompiledRules, kind: str, index: int, example: Example, language: Language
) -> ExampleResult:
    if example.files is not None:
        return _run_project(rule, compiled, kind, index, example.files, language)
    filename = example.filename or EXAMPLE_FILENAMES[language]
    try:
        data = (
            base64.b64decode(example.base64, validate=True)
            if example.base64 is not None
            else (example.code or "").encode("utf-8")
        )
    except (binascii.Error, ValueError) as error:
        return ExampleResult(rule.id, kind, index, language, 0, f"bad base64: {error}")
    outcome = scan_bytes(data, filename, language, compiled)
    if outcome.skip_reason:
        return ExampleResult(rule.id, kind, index, language, 0, f"skipped: {outcome.skip_reason}")
    taint_findings([outcome], compiled)
    matched = sum(1 for f in outcome.findings if f.rule_id == rule.id) + outcome.suppressed
    return ExampleResult(rule.id, kind, index, language, matched)


def _run_project(
    rule: Rule, compiled: CompiledRules, kind: str, index: int, files: dict[str, str],
    language: Language,
) -> ExampleResult:
    """A multi-file example: every file scanned, then flows solved across them."""
    outcomes: list[FileOutcome] = []
    for path, code in files.items():
        outcome = scan_bytes(code.encode("utf-8"), path, language_for_filename(path), compiled)
        if outcome.skip_reason:
            return ExampleResult(rule.id, kind, index, language, 0, f"skipped {path}")
        outcomes.append(outcome)
    taint_findings(outcomes, compiled)
    matched = sum(
        sum(1 for f in o.findings if f.rule_id == rule.id) + o.suppressed for o in outcomes
    )
    return ExampleResult(rule.id, kind, index, language, matched)
