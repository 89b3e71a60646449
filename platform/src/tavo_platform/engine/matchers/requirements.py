"""Cheap text pre-filters for structural rules.

Before a file is parsed, each structural rule is asked whether it could possibly match:
a pattern such as `pickle.loads($DATA)` cannot match a file that never mentions `loads`.
The requirement is derived from the rule itself (never written by hand), conservatively:
anything it cannot reason about (kinds, regexes, utilities, negations) requires nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"\$\$\$[A-Z_][A-Z0-9_]*|\$[A-Z_][A-Z0-9_]*|\$\$\$|[A-Za-z_][A-Za-z0-9_]*")
_RELATIONAL_KEYS = ("inside", "has", "follows", "precedes")

HasWord = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Requirement:
    """All of `words` must appear, and for each group in `any_of`, one of its options."""

    words: frozenset[str] = frozenset()
    any_of: tuple[tuple[Requirement, ...], ...] = ()

    def satisfied(self, has: HasWord) -> bool:
        return all(has(word) for word in self.words) and all(
            any(option.satisfied(has) for option in group) for group in self.any_of
        )

    def __and__(self, other: Requirement) -> Requirement:
        return Requirement(self.words | other.words, self.any_of + other.any_of)


NOTHING = Requirement()


def requirement_of(rule: dict[str, Any]) -> Requirement:
    requirement = NOTHING
    pattern = rule.get("pattern")
    if isinstance(pattern, str):
        requirement &= Requirement(frozenset(_pattern_words(pattern)))
    for item in rule.get("all") or ():
        if isinstance(item, dict):
            requirement &= requirement_of(item)
    options = rule.get("any")
    if options:
        alternatives = tuple(requirement_of(o) if isinstance(o, dict) else NOTHING for o in options)
        if all(alt.words or alt.any_of for alt in alternatives):
            requirement &= Requirement(any_of=(alternatives,))
    for key in _RELATIONAL_KEYS:
        related = rule.get(key)
        if isinstance(related, dict):
            requirement &= requirement_of(related)
    return requirement


def _pattern_words(pattern: str) -> list[str]:
    return [token for token in _WORD.findall(pattern) if not token.startswith("$")]


class WordCache:
    """Memoised `word in text` for one file."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._seen: dict[str, bool] = {}

    def __call__(self, word: str) -> bool:
        found = self._seen.get(word)
        if found is None:
            found = self._seen[word] = word in self._text
        return found
