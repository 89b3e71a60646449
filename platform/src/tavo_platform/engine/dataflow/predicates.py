"""Simple taint entries evaluated in Python over the nodes of one kind.

ast-grep compiles a rule again on every call, and a rule's compile (its regexes above all)
often costs more than searching a file with it. An entry made only of `kind`, `regex`,
`has` (restricted to a field, direct children only), `any`, `all` and `not` binds no
metavariable and asks nothing a node cannot answer by itself and its children, so it is
decided here instead: the file is searched for the entry's kind (a search with nothing to
compile), and each node found is tested in Python, with each regex compiled once per scan
by Python where Rust and Python read it alike (_text_checks.node_regex). Anything else (a
pattern, `inside`, `stopBy`, `nthChild`, a regex Python could read differently) is left to
ast-grep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ast_grep_py import SgNode

from tavo_platform.engine.dataflow._text_checks import node_regex

NodeTest = Callable[[SgNode], bool]

_KEYS = frozenset({"kind", "regex", "has", "any", "all", "not"})
_MAX_DEPTH = 16


def kind_and_test(config: dict[str, Any]) -> tuple[str, NodeTest] | None:
    """For a config whose rule has a `kind` and only the keys above: that kind, and the
    test a node of that kind must pass to match the rule; otherwise None."""
    rule = config.get("rule")
    if set(config) != {"rule"} or not isinstance(rule, dict):
        return None
    kind = rule.get("kind")
    test = node_test(rule)
    return (kind, test) if isinstance(kind, str) and test is not None else None


def node_test(rule: Any, depth: int = 0) -> NodeTest | None:
    """`rule` as a test of one node, or None where this module cannot decide it."""
    if not isinstance(rule, dict) or not rule or set(rule) - _KEYS or depth > _MAX_DEPTH:
        return None
    tests: list[NodeTest] = []
    if "kind" in rule:
        kind = rule["kind"]
        if not isinstance(kind, str):
            return None
        tests.append(lambda node: node.kind() == kind)
    if "regex" in rule:
        regex = node_regex(rule["regex"]) if isinstance(rule["regex"], str) else None
        if regex is None:
            return None
        tests.append(lambda node: regex.search(node.text()) is not None)
    if "has" in rule:
        child = _has_test(rule["has"], depth)
        if child is None:
            return None
        tests.append(child)
    for key in ("any", "all"):
        if key in rule:
            items = rule[key] if isinstance(rule[key], list) else []
            parts = [node_test(item, depth + 1) for item in items]
            if not parts or any(part is None for part in parts):
                return None
            tests.append(_either(parts) if key == "any" else _every(parts))  # type: ignore[arg-type]
    if "not" in rule:
        negated = node_test(rule["not"], depth + 1)
        if negated is None:
            return None
        tests.append(lambda node: not negated(node))
    return _every(tests)


def _has_test(has: Any, depth: int) -> NodeTest | None:
    """`has` with a `field` and no `stopBy`: some child in that field passes the rule."""
    if not isinstance(has, dict) or not isinstance(has.get("field"), str):
        return None
    field = has["field"]
    inner = node_test({k: v for k, v in has.items() if k != "field"}, depth + 1)
    if inner is None:
        return None
    return lambda node: any(inner(child) for child in node.field_children(field))


def _every(tests: list[NodeTest]) -> NodeTest:
    if len(tests) == 1:
        return tests[0]
    return lambda node: all(test(node) for test in tests)


def _either(tests: list[NodeTest]) -> NodeTest:
    return lambda node: any(test(node) for test in tests)
