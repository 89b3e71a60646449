"""Linear-time regex matching (RE2) for rules that ask for it (`RegexSpec.linear`: every
user-supplied rule). Python's `re` backtracks, so `^(a+)+b` takes exponential time on a
line of a's; RE2's matching time is linear in the text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a bad pattern is reported with its rule, not on stderr


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
