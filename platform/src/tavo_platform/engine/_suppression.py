"""Inline `tavo: ignore[rule-id]` comments and baseline files."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ast_grep_py import SgRoot

from tavo_platform.engine._findings import Finding
from tavo_platform.engine._languages import Language, comment_prefixes

BASELINE_VERSION = 1
_MARKER = "tavo: ignore"
# Inside a comment, the marker must follow a comment opener: `# tavo: ignore[...]`,
# `// tavo: ignore`, `/* tavo: ignore */`, or after another tool's
# marker in the same comment.
_COMMENT_MARKER = re.compile(r"(?:#|//|/\*)\s*tavo: ignore(?:\[([^\]]*)\])?")


class BaselineError(Exception):
    pass


@dataclass
class InlineSuppressions:
    """Which rules each line's ignore comments silence: line number -> selectors, where an
    empty selector list silences every rule."""

    by_line: dict[int, list[str]] = field(default_factory=dict)

    def add(self, line: int, selectors: list[str]) -> None:
        known = self.by_line.get(line)
        if known is None:
            self.by_line[line] = list(selectors)
        elif known and selectors:
            known.extend(selectors)
        else:
            self.by_line[line] = []  # one bare `tavo: ignore` silences everything

    def covers(self, finding: Finding) -> bool:
        selectors = self.by_line.get(finding.span.start_line)
        if selectors is None:
            return False
        return not selectors or any(fnmatch.fnmatchcase(finding.rule_id, s) for s in selectors)


def inline_suppressions(text: str, language: Language) -> InlineSuppressions:
    """Finds every ignore comment in a file. A comment applies to its own line and, when it
    stands alone on its line, to the line below. Only real comments count: the marker inside
    a string literal is ignored, which for Python/JS/TS is decided by the syntax tree."""
    suppressions = InlineSuppressions()
    if _MARKER not in text:  # the common case costs one substring search
        return suppressions
    lines = text.splitlines()
    comments = (
        _tree_comments(text, language)
        if language.is_structural
        else _line_comments(lines, comment_prefixes(language))
    )
    for line_index, comment in comments:
        selectors = ignored_rules(comment)
        if selectors is None:
            continue
        suppressions.add(line_index + 1, selectors)
        if lines[line_index].lstrip().startswith(comment.split("\n", 1)[0]):
            suppressions.add(line_index + 2, selectors)
    return suppressions


def ignored_rules(comment: str) -> list[str] | None:
    """The rule selectors an ignore comment names; [] means every rule; None, not one."""
    found = _COMMENT_MARKER.search(comment)
    if found is None:
        return None
    if found.group(1) is None:
        return []
    return [part.strip() for part in found.group(1).split(",") if part.strip()]


def _tree_comments(text: str, language: Language) -> Iterator[tuple[int, str]]:
    root = SgRoot(text, language.value).root()
    for node in root.find_all(kind="comment"):
        comment = node.text()
        if _MARKER in comment:
            yield node.range().start.line, comment


def _line_comments(lines: list[str], prefixes: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    """For files without a grammar (config, env, YAML...): a comment starts at a prefix that
    begins the line or follows whitespace, outside single or double quotes."""
    for index, line in enumerate(lines):
        if _MARKER not in line:
            continue
        start = _comment_start(line, prefixes)
        if start is not None:
            yield index, line[start:]


def _comment_start(line: str, prefixes: tuple[str, ...]) -> int | None:
    position = 0
    while True:
        quote: str | None = None
        quote_start = 0
        while position < len(line):
            char = line[position]
            if quote:
                if char == "\\":
                    position += 1
                elif char == quote:
                    quote = None
            elif char in "\"'":
                quote, quote_start = char, position
            elif (position == 0 or line[position - 1].isspace()) and any(
                line.startswith(prefix, position) for prefix in prefixes
            ):
                return position
            position += 1
        if quote is None:
            return None
        # A quote never closed on this line is prose (`it's`), not a string: read on past it.
        position = quote_start + 1


def write_baseline(path: Path, findings: Iterable[Finding]) -> None:
    entries = sorted(
        {(f.fingerprint, f.rule_id, f.path) for f in findings}, key=lambda e: (e[2], e[1], e[0])
    )
    document = {
        "version": BASELINE_VERSION,
        "tool": "tavo",
        "findings": [{"fingerprint": fp, "rule_id": rule, "path": p} for fp, rule, p in entries],
    }
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"{path}: cannot write baseline: {error.strerror}") from None


def read_baseline(path: Path) -> frozenset[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{path}: cannot read baseline: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"{path}: not a JSON baseline file: {error}") from None
    if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a tavo baseline (version {BASELINE_VERSION})")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}: `findings` must be a list of objects with a fingerprint")
    return frozenset(e["fingerprint"] for e in entries)
