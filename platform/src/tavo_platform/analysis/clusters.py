"""Duplicate and near-duplicate findings: the same rule on the same root cause in several
places, so a team fixes (or dismisses) them once.

- duplicate: the same rule on the same code (whitespace aside), in several files, usually
  copied code or a copied configuration;
- near duplicate: the same rule on code of the same shape, where only variable names and
  numbers differ (`cursor.execute(f"... {user_id}")` and `cur.execute(f"... {uid}")`).

Grouping is by key, in one pass: linear in the number of findings.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# A variable: an identifier not called and not an attribute (those say what is done).
_VARIABLE = re.compile(r"(?<![\w.$])[A-Za-z_$][\w$]*(?!\s*\()(?![\w$])")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
# Keywords and string prefixes stay: they are the code's shape, not its names.
_KEYWORDS = frozenset(
    {
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "case",
        "class",
        "const",
        "continue",
        "def",
        "del",
        "elif",
        "else",
        "except",
        "export",
        "false",
        "False",
        "finally",
        "for",
        "from",
        "function",
        "global",
        "if",
        "import",
        "in",
        "is",
        "lambda",
        "let",
        "new",
        "nonlocal",
        "None",
        "not",
        "null",
        "or",
        "pass",
        "raise",
        "return",
        "self",
        "this",
        "throw",
        "true",
        "True",
        "try",
        "typeof",
        "undefined",
        "var",
        "while",
        "with",
        "yield",
        "f",
        "rb",
        "br",
        "fr",
        "rf",
        "b",
        "u",
    }
)


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    kind: str  # duplicate | near_duplicate
    rule_id: str
    members: tuple[int, ...]  # indexes into the scan's findings
    files: int

    def to_dict(self, finding_ids: Sequence[str], representative: int) -> dict[str, Any]:
        what = "the same code" if self.kind == "duplicate" else "code of the same shape"
        return {
            "id": self.id,
            "kind": self.kind,
            "rule_id": self.rule_id,
            "size": len(self.members),
            "files": self.files,
            "finding_ids": [finding_ids[i] for i in self.members],
            "representative": finding_ids[representative],
            "root_cause": (
                f"rule {self.rule_id} matches {what} in {len(self.members)} places across "
                f"{self.files} file{'s' if self.files != 1 else ''}: fix it once, the same way"
            ),
        }


def normalised(snippet: str) -> str:
    return " ".join(snippet.split())


def shape(snippet: str) -> str:
    """The snippet with variable names and numbers replaced by placeholders."""

    def variable(found: re.Match[str]) -> str:
        word = found.group(0)
        return word if word in _KEYWORDS else "_"

    return _NUMBER.sub("0", _VARIABLE.sub(variable, normalised(snippet)))


def find_clusters(
    findings: Sequence[dict[str, Any]], situations: Sequence[str] | None = None
) -> list[Cluster]:
    """Clusters of two or more findings. `situations` (one per finding) must match too:
    the same code fed by request data in one place and by a constant in another is not
    the same root cause."""
    by_shape: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, finding in enumerate(findings):
        snippet = str(finding.get("snippet") or "")
        if not snippet.strip():
            continue
        # Two credentials differ in what the mask hides: only identical text is a duplicate.
        exact = finding.get("category") == "hardcoded-secret"
        signature = normalised(snippet) if exact else shape(snippet)
        situation = situations[index] if situations is not None else ""
        by_shape[(str(finding.get("rule_id", "")), signature, situation)].append(index)
    clusters = []
    for (rule_id, signature, situation), members in by_shape.items():
        if len(members) < 2:
            continue
        texts = {normalised(str(findings[i].get("snippet") or "")) for i in members}
        kind = "duplicate" if len(texts) == 1 else "near_duplicate"
        digest = hashlib.blake2b(
            f"{rule_id}\0{signature}\0{situation}".encode(), digest_size=8
        ).hexdigest()
        files = len({findings[i].get("path") for i in members})
        clusters.append(Cluster(f"cl_{digest}", kind, rule_id, tuple(members), files))
    clusters.sort(key=lambda c: (-len(c.members), c.rule_id, c.id))
    return clusters
