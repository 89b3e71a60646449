"""Rule-writing mistakes a rule's own examples may not show: metavariable joins in an order
ast-grep does not keep.

In one rule object ast-grep tries the atomic keys first, then `inside`, `has`, `precedes`,
`follows`, then `all`/`any`/`not`/`matches`, and a relational key stops at the first node
it finds. A metavariable first met inside an earlier relational key is bound to whatever
that search finds first, and a later key of the same object that names it sees only that
binding: "this function's name is handed to Tool(func=...)" then holds for the module's
first tool alone. Such a join belongs in an `all` list, the binding key first."""

from __future__ import annotations

import re
from typing import Any

from tavo_platform.rules.model import Rule

_METAVARIABLE = re.compile(r"\$\$?\$?([A-Z_][A-Z0-9_]*)")
# The order ast-grep applies the keys of one rule object in.
_ORDER = ("pattern", "kind", "regex", "nthChild", "range", "inside", "has", "precedes",
          "follows", "all", "any", "not", "matches")
_RELATIONAL = frozenset({"inside", "has", "precedes", "follows"})


def rule_warnings(rule: Rule) -> list[str]:
    """What to tell the rule's author, one line each (empty for a rule without mistakes)."""
    found: list[str] = []
    if rule.structural is not None:
        found += unordered_joins(rule.structural.rule, where="rule")
        for name, util in (rule.structural.utils or {}).items():
            found += unordered_joins(util, where=f"utils.{name}")
    if rule.taint is not None:
        for part in ("sources", "sinks", "sanitizers"):
            for index, entry in enumerate(getattr(rule.taint, part)):
                found += unordered_joins(entry, where=f"{part}[{index}]")
    return [
        f"{rule.id}: {place}: an `all` list would bind it first (ast-grep tries "
        "relational keys in a fixed order and keeps the first node a search finds)"
        for place in found
    ]


def unordered_joins(node: Any, bound: frozenset[str] = frozenset(), where: str = "") -> list[str]:
    """Places where a relational key binds a metavariable that a later key of the same
    rule object names again, unless something before already bound it."""
    found: list[str] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            found += unordered_joins(item, bound, f"{where}[{index}]")
            bound = bound | _names(item)  # `all` items run in order
        return found
    if not isinstance(node, dict):
        return found
    keys = [key for key in _ORDER if key in node]
    for position, key in enumerate(keys):
        if key in _RELATIONAL:
            for later in keys[position + 1 :]:
                shared = (_names(node[key]) & _names(node[later])) - bound
                if shared:
                    joined = ", ".join(f"${name}" for name in sorted(shared))
                    found.append(f"{where}: `{key}` binds {joined} before `{later}` reads it")
        found += unordered_joins(node[key], bound, f"{where}.{key}")
        bound = bound | _names(node[key])
    for key, value in node.items():
        if key not in _ORDER and isinstance(value, dict | list):
            found += unordered_joins(value, bound, f"{where}.{key}")
    return found


def _names(node: Any) -> set[str]:
    if isinstance(node, str):
        return set(_METAVARIABLE.findall(node))
    if isinstance(node, dict):
        return set().union(*(_names(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_names(v) for v in node)) if node else set()
    return set()
