"""Taint values: which rules' (or which parameters') data a value may hold, each with the
trace of how it got there. Values are plain dicts, never mutated once built."""

from __future__ import annotations

from collections.abc import Iterable

from tavo_platform.engine.dataflow._immutable import immutable

# A rule id (concrete taint from a source) or a parameter label: (function uid, parameter
# index, rules the value has been sanitised for on the way).
ParamKey = tuple[int, int, frozenset[str]]
Key = str | ParamKey
MAX_TRACE = 24


@immutable
class Trace:
    """A step of a flow, linked to the step before it."""

    path: str
    line: int
    note: str
    prev: Trace | None
    length: int

    def then(self, path: str, line: int, note: str) -> Trace:
        if self.length >= MAX_TRACE or (self.path == path and self.line == line):
            return self
        return Trace(path, line, note, self, self.length + 1)

    def steps(self) -> list[tuple[str, int, str]]:
        out: list[tuple[str, int, str]] = []
        current: Trace | None = self
        while current is not None:
            out.append((current.path, current.line, current.note))
            current = current.prev
        out.reverse()
        return out


def start(path: str, line: int, note: str) -> Trace:
    return Trace(path, line, note, None, 1)


Value = dict[Key, Trace]
EMPTY: Value = {}


def merge(values: Iterable[Value]) -> Value:
    result: Value | None = None
    for value in values:
        if not value:
            continue
        if result is None:
            result = value
            continue
        if result is value:
            continue
        extra = [k for k in value if k not in result]
        if extra:
            result = dict(result)
            for key in extra:
                result[key] = value[key]
    return result if result is not None else EMPTY


def sanitized(value: Value, rules: frozenset[str]) -> Value:
    if not value:
        return value
    out: Value = {}
    for key, trace in value.items():
        if isinstance(key, str):
            if key not in rules:
                out[key] = trace
        else:
            out[(key[0], key[1], key[2] | rules)] = trace
    return out


def stepped(value: Value, path: str, line: int, note: str) -> Value:
    if not value:
        return value
    return {key: trace.then(path, line, note) for key, trace in value.items()}


def signature(value: Value) -> frozenset[Key]:
    return frozenset(value)


def preference(
    trace: tuple[tuple[str, int, str], ...],
) -> tuple[int, int, tuple[tuple[str, int, str], ...]]:
    """Which of two traces to the same sink to show: the shorter, then the one through
    fewer files."""
    return len(trace), len({step[0] for step in trace}), trace


def short(text: str) -> str:
    """A code snippet on one line, at most 60 characters, for a trace step's note."""
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
