"""Regex rules over any text file: secrets and configuration, with entropy and allow-lists."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import pathspec

from tavo_platform.engine._findings import Span
from tavo_platform.engine._rule_spec import RegexSpec, RuleSpec
from tavo_platform.engine.matchers.interface import Match
from tavo_platform.engine.matchers.linear import LinearPattern


def shannon_entropy(value: str) -> float:
    """Bits per character of `value`'s own character distribution."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


class _Pattern(Protocol):
    """`re.Pattern`, or RE2 (linear time) for rules that ask for it (user rules)."""

    def finditer(self, text: str, /) -> Iterator[Any]: ...
    def search(self, text: str, /) -> Any: ...
    def sub(self, replace: Any, text: str, /) -> str: ...


def _compile(pattern: str, *, linear: bool, ignore_case: bool, multiline: bool) -> _Pattern:
    if linear:
        return LinearPattern(pattern, ignore_case=ignore_case, multiline=multiline)
    flags = (re.MULTILINE if multiline else 0) | (re.IGNORECASE if ignore_case else 0)
    return re.compile(pattern, flags)


@dataclass(frozen=True)
class _CompiledRegex:
    rule: RuleSpec
    spec: RegexSpec
    pattern: _Pattern
    allow: tuple[_Pattern, ...]
    include: Any
    exclude: Any

    def applies_to(self, path: str) -> bool:
        if self.include is not None and not self.include.match_file(path):
            return False
        return self.exclude is None or not self.exclude.match_file(path)

    def accepts(self, value: str, whole: str) -> bool:
        if self.spec.min_entropy is not None and shannon_entropy(value) < self.spec.min_entropy:
            return False
        return not any(allow.search(value) or allow.search(whole) for allow in self.allow)


def compile_regex_rule(rule: RuleSpec) -> _CompiledRegex:
    spec = rule.regex
    assert spec is not None
    linear = spec.linear
    return _CompiledRegex(
        rule=rule,
        spec=spec,
        pattern=_compile(spec.pattern, linear=linear, ignore_case=spec.ignore_case, multiline=True),
        allow=tuple(
            _compile(a, linear=linear, ignore_case=False, multiline=False) for a in spec.allow
        ),
        include=pathspec.GitIgnoreSpec.from_lines(spec.paths) if spec.paths else None,
        exclude=(
            pathspec.GitIgnoreSpec.from_lines(spec.exclude_paths) if spec.exclude_paths else None
        ),
    )


class LineIndex:
    """Turns character offsets into 1-based line and column numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1


class RegexProgram:
    def __init__(self, rules: Sequence[RuleSpec]) -> None:
        self._rules = [compile_regex_rule(rule) for rule in rules]

    def __bool__(self) -> bool:
        return bool(self._rules)

    def run(self, text: str, path: str) -> Iterator[Match]:
        lines: LineIndex | None = None
        for compiled in self._rules:
            if not compiled.applies_to(path):
                continue
            group = compiled.spec.group or 0
            for found in compiled.pattern.finditer(text):
                value = found.group(group)
                if value is None or not compiled.accepts(value, found.group(0)):
                    continue
                lines = lines or LineIndex(text)
                start, end = found.span(group)
                start_line, start_column = lines.position(start)
                end_line, end_column = lines.position(end)
                yield Match(
                    rule=compiled.rule,
                    span=Span(start_line, start_column, end_line, end_column),
                    matched_text=value,
                )


class Redactor:
    """Masks every secret that a redacting regex rule recognises, wherever text is shown."""

    def __init__(self, rules: Sequence[RuleSpec]) -> None:
        self._rules = [
            compile_regex_rule(rule) for rule in rules if rule.regex and rule.regex.redact
        ]

    def redact(self, text: str) -> str:
        for compiled in self._rules:
            text = compiled.pattern.sub(partial(_mask_match, compiled=compiled), text)
        return text


def _mask_match(found: Any, compiled: _CompiledRegex) -> str:
    group = compiled.spec.group or 0
    value: str | None = found.group(group)
    whole: str = found.group(0)
    if value is None or not compiled.accepts(value, whole):
        return whole
    start, end = found.span(group)
    offset = found.start(0)
    return whole[: start - offset] + mask(value) + whole[end - offset :]


def mask(secret: str) -> str:
    """Keeps a short prefix so a person can tell which credential it was. A secret that
    spans lines (a PEM key body) keeps its line breaks, fully masking the lines after the
    first, so a snippet keeps its line count and still lines up with the source."""
    if "\n" not in secret:
        visible = min(4, len(secret) // 4)
        return secret[:visible] + "*" * 8
    lines = secret.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    return "\n".join(
        mask(line) if i == first else ("*" * 8 if line.strip() else line)
        for i, line in enumerate(lines)
    )
