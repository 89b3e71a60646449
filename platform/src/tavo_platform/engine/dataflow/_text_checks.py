"""Whole-file regex checks that an entry's anchored regexes imply, tried before ast-grep.

An entry such as "a parameter of a function under a decorator matching
`^@\\w+\\.(get|post)\\(`" requires the file to contain text that the regex (without its
anchors) finds: the decorator's text is part of the file. Its words alone (`get`, `post`)
rule out almost nothing, and ast-grep compiles and runs such an entry at a cost of
milliseconds on every file. Here each regex that every match of the entry must satisfy is
compiled once, with Python's `re`, and searched for in the file's text: a file where one
is missing cannot hold a match, and the entry is not run on it.

Conservative by construction: only regexes in positions every match needs (the rule's own,
`all` items, relational sub-rules; never under `not`, `any` or a utility), only those that
Python's parser reads as Rust's would (start and end anchors only at the ends, no Rust-only
syntax), and only those starting with a literal character, so the search is a fast scan
for that character. A regex checked against a node's text is searched for anywhere in the
file, which can only find more than ast-grep would, never less.
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parser
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any

_RELATIONAL_KEYS = ("inside", "has", "follows", "precedes")
# Rust syntax that Python reads differently (POSIX classes, `\z`, Unicode classes) or not
# at all: such a regex is left to ast-grep, as is one with a nested class or a class set
# operation (Rust's `[a-z&&[^x]]`, which Python reads as other characters).
_RUST_ONLY = re.compile(r"\[\[:|\\[zpPQE]|\\[bB]\{")
_ANCHORS = frozenset({sre.AT_BEGINNING, sre.AT_BEGINNING_STRING, sre.AT_END, sre.AT_END_STRING})
_LOOKAROUNDS = (sre.ASSERT, sre.ASSERT_NOT, sre.GROUPREF_EXISTS)
# Files larger than this are not pre-checked: ast-grep decides, as it would anyway.
MAX_CHECKED_CHARACTERS = 1_000_000


def text_checks(rule: dict[str, Any]) -> tuple[re.Pattern[str], ...]:
    """The compiled regexes that the text of a file must each contain for `rule` to match."""
    found: dict[str, re.Pattern[str]] = {}
    _collect(rule, found, 0)
    return tuple(found.values())


def passes(checks: tuple[re.Pattern[str], ...], text: str) -> bool:
    if not checks or len(text) > MAX_CHECKED_CHARACTERS:
        return True
    return all(check.search(text) is not None for check in checks)


def _collect(rule: dict[str, Any], found: dict[str, re.Pattern[str]], depth: int) -> None:
    if depth > 32:
        return
    regex = rule.get("regex")
    if isinstance(regex, str):
        compiled = file_regex(regex)
        if compiled is not None:
            found.setdefault(compiled.pattern, compiled)
    for item in rule.get("all") or ():
        if isinstance(item, dict):
            _collect(item, found, depth + 1)
    for key in _RELATIONAL_KEYS:
        related = rule.get(key)
        if isinstance(related, dict):
            _collect(related, found, depth + 1)


def _unanchored(regex: str) -> str:
    """`regex` without a leading `^` and an unescaped trailing `$`."""
    body = regex[1:] if regex.startswith("^") else regex
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    return body


def _parse_strict(body: str) -> tuple[sre_parser.SubPattern, re.Pattern[str]] | None:
    """`body` parsed and compiled by Python, or None where Python rejects it or only
    accepts it with a warning (a construct whose meaning may change: not safe to reuse)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return sre_parser.parse(body), re.compile(body)
    except (re.error, RecursionError, OverflowError, ValueError, Warning):
        return None


@lru_cache(maxsize=1024)
def file_regex(regex: str) -> re.Pattern[str] | None:
    """`regex` (matched by ast-grep against a node's text) as a search over a whole file,
    or None when it cannot be read safely that way."""
    if _RUST_ONLY.search(regex) or _nested_class(regex):
        return None
    body = _unanchored(regex)
    if (strict := _parse_strict(body)) is None:
        return None
    parsed, compiled = strict
    items = list(parsed)
    if not items or items[0][0] is not sre.LITERAL or parsed.state.flags & sre.SRE_FLAG_VERBOSE:
        return None
    if _has_anchor(items):
        return None
    return compiled


@lru_cache(maxsize=1024)
def node_regex(regex: str) -> re.Pattern[str] | None:
    """`regex` (Rust syntax, as ast-grep matches it against a node's text) compiled by
    Python to the same effect, or None where the two could differ: Rust-only syntax,
    nested classes, look-arounds, multi-line or verbose mode, and `$` anywhere but at the
    very end (Python's `$` also matches before a final newline, so it becomes `\\Z`)."""
    if _RUST_ONLY.search(regex) or _nested_class(regex):
        return None
    body = regex
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1] + "\\Z"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parsed = sre_parser.parse(body, re.ASCII)
            # ASCII classes, boundaries and case folding, as the rule's regex has once
            # rewritten for ast-grep (matchers/regex_cost.py).
            compiled = re.compile(body, re.ASCII)
    except (re.error, RecursionError, OverflowError, ValueError, Warning):
        return None
    if parsed.state.flags & (sre.SRE_FLAG_VERBOSE | sre.SRE_FLAG_MULTILINE):
        return None
    if _has_end_before_last(list(parsed)):
        return None
    return compiled


def _has_end_before_last(items: list[Any]) -> bool:
    """An end anchor (or a look-around) anywhere but as the last item."""
    last = len(items) - 1
    for position, (op, argument) in enumerate(items):
        if op is sre.AT and argument in (sre.AT_END, sre.AT_END_STRING):
            if position != last or argument is sre.AT_END:
                return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT, sre.GROUPREF_EXISTS) or _has_anchor_end(
            op, argument
        ):
            return True
    return False


def _has_anchor_end(op: Any, argument: Any) -> bool:
    if op is sre.SUBPATTERN:
        return _has_end_before_last([*list(argument[3]), (None, None)])
    if op is sre.BRANCH:
        return any(_has_end_before_last([*list(b), (None, None)]) for b in argument[1])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        return _has_end_before_last([*list(argument[2]), (None, None)])
    if op is sre.ATOMIC_GROUP:
        return _has_end_before_last([*list(argument), (None, None)])
    return False


def _nested_class(regex: str) -> bool:
    in_class = False
    index = 0
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            if char == "[" or regex[index : index + 2] in ("&&", "--", "~~"):
                return True
            # `]` first in a class (`[]a]`, `[^]a]`) is a literal in both syntaxes.
            if char == "]" and regex[index - 1] != "[" and regex[index - 2 : index] != "[^":
                in_class = False
        elif char == "[":
            in_class = True
        index += 1
    return False


def _has_anchor(items: list[Any]) -> bool:
    """Any anchor, or a look-around (Rust has none; be safe), at any depth."""
    return _any_item(
        items, lambda op, argument: (op is sre.AT and argument in _ANCHORS) or op in _LOOKAROUNDS
    )


def _any_item(items: list[Any], leaf: Callable[[Any, Any], bool]) -> bool:
    """Whether `leaf(op, argument)` holds for an item of a parsed regex, at any depth."""
    for op, argument in items:
        if leaf(op, argument):
            return True
        if op is sre.SUBPATTERN:
            inner = [argument[3]]
        elif op is sre.BRANCH:
            inner = list(argument[1])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            inner = [argument[2]]
        elif op is sre.ATOMIC_GROUP:
            inner = [argument]
        else:
            continue
        if any(_any_item(list(part), leaf) for part in inner):
            return True
    return False


# A single-node metavariable in a pattern (`$M`, not `$$$M`); `$_M` captures nothing.
_SINGLE_METAVARIABLE = re.compile(r"(?<![$\w])\$([A-Z][A-Z0-9_]*)")
# Pattern text where a `$NAME` might not be a metavariable at all (a string, a comment).
_UNSURE_PATTERN = re.compile(r"[\"'`#]|//|/\*")


def bound_constraints(rule: dict[str, Any], constraints: Any) -> list[dict[str, Any]]:
    """The constraints (rule objects) of the metavariables that every match of `rule` binds:
    each such constraint is met by a node of the file, so the file's text must hold what
    the constraint's own regexes and words require. Only the rule's own patterns and its
    `all`/`any` items are read (a capture under `has`/`inside`/`not` is not counted)."""
    if not isinstance(constraints, dict) or not constraints:
        return []
    return [
        constraint
        for name in sorted(_bound(rule, 0))
        if isinstance(constraint := constraints.get(name), dict)
    ]


def _bound(rule: Any, depth: int) -> set[str]:
    if not isinstance(rule, dict) or depth > 32:
        return set()
    names: set[str] = set()
    pattern = rule.get("pattern")
    if isinstance(pattern, str) and _UNSURE_PATTERN.search(pattern) is None:
        names.update(_SINGLE_METAVARIABLE.findall(pattern))
    for item in rule.get("all") or ():
        names |= _bound(item, depth + 1)
    options = rule.get("any")
    if isinstance(options, list) and options:
        names |= set.intersection(*(_bound(option, depth + 1) for option in options))
    return names


@lru_cache(maxsize=1024)
def constraint_regex(regex: str) -> re.Pattern[str] | None:
    """A constraint's regex (matched by ast-grep against the text of the node a
    metavariable binds) as a search over the whole file: each top-level alternative's
    `^`/`$` removed; None where the two readings could differ or an anchor, a word
    boundary or a look-around would remain (a node's edges are not the file's). Unlike
    file_regex, the first character need not be a literal: these run only for the few
    entries with constrained metavariables."""
    if _RUST_ONLY.search(regex) or _nested_class(regex):
        return None
    body = "|".join(_unanchored(branch) for branch in _top_level_branches(regex))
    if (strict := _parse_strict(body)) is None:
        return None
    parsed, compiled = strict
    if parsed.state.flags & (sre.SRE_FLAG_VERBOSE | sre.SRE_FLAG_MULTILINE):
        return None
    if not body or _has_assertion(list(parsed)):
        return None
    return compiled


def _top_level_branches(regex: str) -> list[str]:
    """`regex` split at each `|` outside groups, classes and escapes."""
    branches, start, depth, in_class, index = [], 0, 0, False, 0
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            if char == "]" and regex[index - 1] != "[" and regex[index - 2 : index] != "[^":
                in_class = False
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(regex[start:index])
            start = index + 1
        index += 1
    branches.append(regex[start:])
    return branches


def _has_assertion(items: list[Any]) -> bool:
    """Any anchor, word boundary or look-around, at any depth."""
    return _any_item(items, lambda op, _argument: op is sre.AT or op in _LOOKAROUNDS)
