"""Linear-time matching for user-supplied regular expressions (RE2).

Python's `re` backtracks: a pattern such as `^(a+)+b` takes exponential time on a line of
a's. The built-in packs are ours and reviewed; a rule written by a user (an organisation's
uploaded rules, `--rules` files) runs on RE2 instead, whose matching time is linear in the
text. RE2 has no lookaround, backreferences or possessive/atomic groups, so such a rule is
refused when it is loaded, with an error naming the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import re2

_BUILTIN_PACKS_DIR = Path(__file__).parent / "packs"
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error is reported with the rule, not on stderr


@lru_cache(maxsize=1)
def _builtin_packs() -> frozenset[str]:
    return frozenset(p.name for p in _BUILTIN_PACKS_DIR.iterdir() if p.is_dir())


def user_supplied(pack: str | None) -> bool:
    """A rule outside the built-in packs: its regexes must run in linear time."""
    return pack not in _builtin_packs()


def linear_problem(pattern: str) -> str | None:
    """Why `pattern` cannot run on RE2, or None when it can."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        detail = error.args[0] if error.args else error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return (
            f"regular expression {pattern[:80]!r} needs backtracking ({detail}); user rules "
            "must be linear-time (RE2): no lookaround, backreferences or possessive groups"
        )
    return None


class LinearMatch:
    """The parts of `re.Match` the engine uses, with group names resolved."""

    def __init__(self, match: Any, names: dict[str, int]) -> None:
        self._match = match
        self._names = names

    def _index(self, group: int | str) -> int:
        return self._names[group] if isinstance(group, str) else group

    def group(self, group: int | str = 0) -> str | None:
        value = self._match.group(self._index(group))
        return value if value is None else str(value)

    def span(self, group: int | str = 0) -> tuple[int, int]:
        start, end = self._match.span(self._index(group))
        return int(start), int(end)

    def start(self, group: int | str = 0) -> int:
        return self.span(group)[0]

    def end(self, group: int | str = 0) -> int:
        return self.span(group)[1]


class LinearPattern:
    """A compiled RE2 pattern with the `re.Pattern` methods the engine uses."""

    def __init__(self, pattern: str, *, ignore_case: bool = False, multiline: bool = False) -> None:
        flags = ("i" if ignore_case else "") + ("m" if multiline else "")
        self._regexp = re2.compile(f"(?{flags}){pattern}" if flags else pattern, _OPTIONS)
        self.groupindex: dict[str, int] = dict(self._regexp.groupindex)

    def finditer(self, text: str) -> Iterator[LinearMatch]:
        for found in self._regexp.finditer(text):
            yield LinearMatch(found, self.groupindex)

    def search(self, text: str) -> LinearMatch | None:
        found = self._regexp.search(text)
        return None if found is None else LinearMatch(found, self.groupindex)

    def sub(self, replace: Callable[[LinearMatch], str], text: str) -> str:
        parts: list[str] = []
        last = 0
        for found in self.finditer(text):
            start, end = found.span()
            parts.append(text[last:start])
            parts.append(replace(found))
            last = end
        parts.append(text[last:])
        return "".join(parts)
