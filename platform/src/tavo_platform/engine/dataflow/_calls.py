"""Taint entries that are Python call patterns, decided from one index of the file's calls.

A sink such as `$C.$M($Q)` or `$C.$M($Q, $$$)` with `M` constrained to `execute|...` was
one ast-grep search per file, the pattern compiled again each time (ast-grep-py keeps no
compiled rule): on bench/dataflow_scale.py at 10x, 7% of the scan. Here the file's calls
are found once (a search by kind, nothing to compile) and indexed by the last name of
their callee (`execute` for `self.db.execute(...)`), so an entry asks only about the calls
whose name it can match, and the few candidates are tested in Python.

Only patterns whose meaning is plain are taken (`CallPattern.parse`): a callee made of
names and metavariables (`$C.$M`, `subprocess.$F`, `os.system`, `text`) and arguments that
are metavariables, optionally followed by `$$$`; constraints that are a `regex` or a `not`
of one on a metavariable every alternative binds. What ast-grep does with them, as
measured against its own results (tests/platform/engine/test_dataflow_calls.py):

- `$X` binds any one node, the callee's first part any expression, the others a name;
- the arguments are counted without comments: `($A, $B)` takes exactly two, `($A, $$$)`
  two or more (ast-grep wants the comma after `$A`), `($$$)` any argument list; a call
  whose arguments are a bare generator (`f(x for x in y)`) has none of these;
- of `any` alternatives the first that matches binds the metavariables, and the
  constraints are checked on that binding only.

An argument list with a comment or a trailing comma in it is where ast-grep's counting is
subtle (`f(a,)` is taken by `($A, $$$)`): a file holding a candidate call like that is
searched by ast-grep itself for that entry, so the answer is always ast-grep's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._text_checks import node_regex

_METAVARIABLE = re.compile(r"\$[A-Z_][A-Z0-9_]*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CALL = re.compile(r"\s*([^()\s]+)\s*\(([^()]*)\)\s*\Z")
_REST = "$$$"


class Undecided(Exception):
    """A candidate call this module leaves to ast-grep (see the module's docstring)."""


@dataclass(frozen=True)
class CallPattern:
    """One `callee(arguments)` pattern."""

    parts: tuple[str, ...]  # the callee's names and metavariables, outermost first
    arguments: tuple[str, ...]  # metavariables, in order
    rest: bool  # the arguments end with `$$$`

    @property
    def name(self) -> str | None:
        """The callee's last name, unless a metavariable."""
        return None if self.parts[-1].startswith("$") else self.parts[-1]

    @property
    def bound(self) -> frozenset[str]:
        return frozenset(
            p[1:] for p in (*self.parts, *self.arguments) if p.startswith("$") and p != "$_"
        )

    @staticmethod
    def parse(pattern: Any) -> CallPattern | None:
        if not isinstance(pattern, str):
            return None
        found = _CALL.match(pattern)
        if found is None:
            return None
        parts = tuple(p.strip() for p in found.group(1).split("."))
        if not all(_NAME.match(p) or _METAVARIABLE.match(p) for p in parts):
            return None
        inside = found.group(2).strip()
        arguments = tuple(a.strip() for a in inside.split(",")) if inside else ()
        rest = bool(arguments) and arguments[-1] == _REST
        if rest:
            arguments = arguments[:-1]
        if not all(_METAVARIABLE.match(a) for a in arguments):
            return None
        names = [p for p in (*parts, *arguments) if p.startswith("$") and p != "$_"]
        if len(names) != len(set(names)):
            return None  # a metavariable used twice asks for equal nodes
        if len(parts) == 1 and parts[0].startswith("$"):
            return None  # `$F(...)`: any callee at all
        return CallPattern(parts, arguments, rest)

    def match(self, function: SgNode, arguments: SgNode) -> dict[str, SgNode] | None:
        """The metavariables' nodes when the call matches, else None; raises Undecided."""
        bound: dict[str, SgNode] = {}
        node = function
        for part in reversed(self.parts[1:]):
            if node.kind() != "attribute":
                return None
            attribute, inner = node.field("attribute"), node.field("object")
            if attribute is None or inner is None:
                return None
            if part.startswith("$"):
                bound[part[1:]] = attribute
            elif attribute.text() != part:
                return None
            node = inner
        first = self.parts[0]
        if first.startswith("$"):
            bound[first[1:]] = node
        elif node.kind() != "identifier" or node.text() != first:
            return None
        if arguments.kind() != "argument_list":
            return None
        if not self.arguments and self.rest:
            return bound
        given = _plain_arguments(arguments)
        count, wanted = len(given), len(self.arguments)
        if count != wanted if not self.rest else count <= wanted:
            return None
        for name, node in zip(self.arguments, given, strict=False):
            bound[name[1:]] = node
        return bound


@dataclass(frozen=True)
class CallEntry:
    """A taint entry made of call patterns (the first that matches binds), constraints."""

    alternatives: tuple[CallPattern, ...]
    # metavariable -> (regex, whether the regex must match or must not)
    constraints: tuple[tuple[str, re.Pattern[str], bool], ...]

    @property
    def names(self) -> frozenset[str] | None:
        """The callee names the entry can match; None for any."""
        names = {p.name for p in self.alternatives}
        return None if None in names else frozenset(n for n in names if n is not None)

    @property
    def name_regex(self) -> re.Pattern[str] | None:
        """When every alternative ends in the same metavariable (`$C.$M`) and a constraint
        says what it must match: that regex, which each callee's last name must pass."""
        last = {p.parts[-1] for p in self.alternatives}
        if len(last) != 1 or not next(iter(last)).startswith("$"):
            return None
        name = next(iter(last))[1:]
        return next((r for n, r, wanted in self.constraints if n == name and wanted), None)

    def matches(self, function: SgNode, arguments: SgNode) -> dict[str, SgNode] | None:
        for pattern in self.alternatives:
            bound = pattern.match(function, arguments)
            if bound is None:
                continue
            for name, regex, wanted in self.constraints:
                if (regex.search(bound[name].text()) is not None) is not wanted:
                    return None
            return bound
        return None


def call_entry(config: dict[str, Any]) -> CallEntry | None:
    """The entry as call patterns, or None for anything else (left to ast-grep)."""
    if set(config) - {"rule", "constraints"}:
        return None
    rule = config.get("rule")
    if not isinstance(rule, dict):
        return None
    if set(rule) == {"pattern"}:
        items: list[Any] = [rule]
    elif set(rule) == {"any"} and isinstance(rule["any"], list) and rule["any"]:
        items = rule["any"]
    else:
        return None
    alternatives: list[CallPattern] = []
    for item in items:
        pattern = (
            CallPattern.parse(item["pattern"])
            if isinstance(item, dict) and set(item) == {"pattern"}
            else None
        )
        if pattern is None:
            return None
        alternatives.append(pattern)
    constraints: list[tuple[str, re.Pattern[str], bool]] = []
    raw = config.get("constraints") or {}
    if not isinstance(raw, dict):
        return None
    for name, constraint in raw.items():
        if not isinstance(constraint, dict) or not all(name in p.bound for p in alternatives):
            return None
        wanted = True
        if set(constraint) == {"not"} and isinstance(constraint["not"], dict):
            constraint, wanted = constraint["not"], False
        if set(constraint) != {"regex"} or not isinstance(constraint["regex"], str):
            return None
        regex = node_regex(constraint["regex"])
        if regex is None:
            return None
        constraints.append((name, regex, wanted))
    return CallEntry(tuple(alternatives), tuple(constraints))


class CallIndex:
    """The calls of one file, by the last name of their callee; built on first use."""

    def __init__(self, calls: list[SgNode]) -> None:
        self.calls = calls  # the file's nodes of kind `call`, in ast-grep's order
        self._by_name: dict[str, list[tuple[SgNode, SgNode, SgNode]]] | None = None

    def by_name(self) -> dict[str, list[tuple[SgNode, SgNode, SgNode]]]:
        if self._by_name is None:
            index: dict[str, list[tuple[SgNode, SgNode, SgNode]]] = {}
            for call in self.calls:
                function, arguments = call.field("function"), call.field("arguments")
                if function is None or arguments is None:
                    continue
                kind = function.kind()
                if kind == "attribute":
                    last = function.field("attribute")
                    name = last.text() if last is not None else ""
                elif kind == "identifier":
                    name = function.text()
                else:
                    continue  # `f()()`, `table[k]()`: no pattern above has such a callee
                index.setdefault(name, []).append((call, function, arguments))
            self._by_name = index
        return self._by_name

    def candidates(self, entry: CallEntry) -> Iterator[tuple[SgNode, SgNode, SgNode]]:
        index = self.by_name()
        names = entry.names
        if names is not None:
            for name in names:
                yield from index.get(name, ())
            return
        regex = entry.name_regex
        for name, calls in index.items():
            if regex is None or regex.search(name) is not None:
                yield from calls

    def find(self, entry: CallEntry) -> list[tuple[SgNode, dict[str, SgNode]]] | None:
        """Each call the entry matches, with its metavariables, in the order ast-grep
        gives them; None when a candidate is Undecided."""
        found: list[tuple[SgNode, dict[str, SgNode]]] = []
        try:
            for call, function, arguments in self.candidates(entry):
                bound = entry.matches(function, arguments)
                if bound is not None:
                    found.append((call, bound))
        except Undecided:
            return None
        found.sort(key=lambda hit: _position(hit[0]))
        return found


def _position(node: SgNode) -> tuple[int, int]:
    # ast-grep's order: pre-order, so an outer call before the calls inside it.
    found = node.range()
    return (found.start.index, -found.end.index)


def _plain_arguments(arguments: SgNode) -> list[SgNode]:
    """The arguments, when the list holds nothing but them and the commas between them."""
    children = arguments.children()
    named: list[SgNode] = []
    for index, child in enumerate(children):
        kind = child.kind()
        if kind in ("comment", "ERROR"):
            raise Undecided
        if child.is_named():
            named.append(child)
        elif kind == "," and index == len(children) - 2:
            raise Undecided  # a trailing comma
    if len(children) != max(2, 2 * len(named) + 1):
        raise Undecided
    return named
