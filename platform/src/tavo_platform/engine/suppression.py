"""Inline `tavo: ignore[rule-id]` comments and baseline files."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from tavo_platform.engine.findings import Finding
from tavo_platform.engine.languages import Language, comment_prefixes

BASELINE_VERSION = 1
_MARKER = "tavo: ignore"


class BaselineError(Exception):
    pass


def inline_ignored_rules(line: str, language: Language) -> list[str] | None:
    """Rule selectors a line's ignore comment names; [] means every rule; None, no comment."""
    position = line.find(_MARKER)
    if position < 0:
        return None
    before = line[:position].rstrip()
    if not any(before.endswith(prefix) for prefix in comment_prefixes(language)):
        # The marker counts only at the start of a comment: `# tavo: ignore[...]`.
        return None
    rest = line[position + len(_MARKER) :]
    if not rest.startswith("["):
        return []
    closing = rest.find("]")
    if closing < 0:
        return []
    return [part.strip() for part in rest[1:closing].split(",") if part.strip()]


def is_suppressed(finding: Finding, lines: Sequence[str], language: Language) -> bool:
    """A comment on the finding's first line, or alone on the line just above it."""
    index = finding.span.start_line - 1
    candidates = [lines[index]] if 0 <= index < len(lines) else []
    if 1 <= index <= len(lines):
        above = lines[index - 1]
        if any(above.lstrip().startswith(prefix) for prefix in comment_prefixes(language)):
            candidates.append(above)
    for line in candidates:
        selectors = inline_ignored_rules(line, language)
        if selectors is None:
            continue
        if not selectors or any(fnmatch.fnmatchcase(finding.rule_id, s) for s in selectors):
            return True
    return False


def write_baseline(path: Path, findings: Iterable[Finding]) -> None:
    entries = sorted(
        {(f.fingerprint, f.rule_id, f.path) for f in findings}, key=lambda e: (e[2], e[1], e[0])
    )
    document = {
        "version": BASELINE_VERSION,
        "tool": "tavo",
        "findings": [{"fingerprint": fp, "rule_id": rule, "path": p} for fp, rule, p in entries],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


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
