"""Built-in rules never rely on an order ast-grep does not keep. In one rule object ast-grep
tries the atomic keys first, then `inside`, `has`, `precedes`, `follows`, then `all`/`any`/
`not`/`matches`; a relational key stops at the first node it finds. A metavariable first met
inside an earlier relational key is therefore bound to whatever that search finds first,
and a later key of the same object that names it only sees that one binding (of a module's
two tools, only the first was ever a tool). Such joins go in an `all` list, binding first."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from tavo_platform.rules import loader

PACKS = Path(loader.__file__).resolve().parent / "packs"
METAVARIABLE = re.compile(r"\$\$?\$?([A-Z_][A-Z0-9_]*)")
ORDER = ("pattern", "kind", "regex", "nthChild", "range", "inside", "has", "precedes",
         "follows", "all", "any", "not", "matches")
RELATIONAL = {"inside", "has", "precedes", "follows"}


def names(node: Any) -> set[str]:
    if isinstance(node, str):
        return set(METAVARIABLE.findall(node))
    if isinstance(node, dict):
        return set().union(*(names(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(names(v) for v in node)) if node else set()
    return set()


def unordered_joins(rule: Any, bound: frozenset[str] = frozenset(), where: str = "") -> list[str]:
    """Places where a relational key binds a metavariable a later key of its object uses."""
    found: list[str] = []
    if isinstance(rule, list):
        for index, item in enumerate(rule):
            found += unordered_joins(item, bound, f"{where}/{index}")
            bound = bound | names(item)  # `all` items run in order
        return found
    if not isinstance(rule, dict):
        return found
    keys = [key for key in ORDER if key in rule]
    for position, key in enumerate(keys):
        if key in RELATIONAL:
            for later in keys[position + 1:]:
                shared = (names(rule[key]) & names(rule[later])) - bound
                if shared:
                    found.append(f"{where}: {key} before {later} binds {sorted(shared)}")
        found += unordered_joins(rule[key], bound, f"{where}/{key}")
        bound = bound | names(rule[key])
    for key, value in rule.items():
        if key not in ORDER and isinstance(value, dict | list):
            found += unordered_joins(value, bound, f"{where}/{key}")
    return found


def test_the_checker_finds_a_join_in_ast_greps_order() -> None:
    unordered = {"kind": "function_definition", "has": {"field": "name", "pattern": "$F"},
                 "inside": {"kind": "module", "has": {"stopBy": "end", "pattern": "f(fn=$F)"}}}
    ordered = {"kind": "function_definition", "all": [
        {"has": {"field": "name", "pattern": "$F"}},
        {"inside": {"kind": "module", "has": {"stopBy": "end", "pattern": "f(fn=$F)"}}}]}
    assert unordered_joins(unordered) == [": inside before has binds ['F']"]
    assert unordered_joins(ordered) == []


def test_no_builtin_rule_joins_metavariables_out_of_order() -> None:
    problems = []
    for path in sorted(PACKS.rglob("*.yaml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", []):
            for body in ("structural", "taint"):
                if body in rule:
                    problems += [f"{path.name} {rule['id']}{place}"
                                 for place in unordered_joins(rule[body])]
    assert problems == []
