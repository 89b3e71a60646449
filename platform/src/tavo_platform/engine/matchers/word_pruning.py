"""Rule objects cut down, per file, to the `any` options whose words the file holds.

A file passes a rule's word pre-filter (requirements.py) when one option of each `any`
could match in it; ast-grep is then handed the whole rule, and compiles every option again
(its patterns parsed, its regexes built) and tries every one at every node. An option whose
own words the file lacks matches no node of that file, wherever it sits in the rule (under
`not`, `has`, `inside` or `nthChild` too): dropping it changes no node's result, and the
rule ast-grep compiles is smaller. Measured on Django with every built-in rule: the
structural rules and taint entries sent to ast-grep cost 3.8 s of searching on one
process, 3.0 s once pruned (no result changed).

The first option of an `any` that matches binds the metavariables; an option dropped here
matches nothing, so the same option binds them. A metavariable that a constraint names
must still be written in the rule (ast-grep refuses the rule otherwise): when pruning would
leave one unwritten, the rule is kept whole.
"""

from __future__ import annotations

import re
from typing import Any

from tavo_platform.engine.matchers.requirements import Requirement, WordCache, requirement_of

_METAVARIABLE = re.compile(r"\$(?:\$\$)?([A-Z_][A-Z0-9_]*)")
# Keys whose values are rule objects or lists of them.
_RULE_KEYS = ("all", "any", "not", "inside", "has", "precedes", "follows")
# Distinct per-file results kept per rule: the same few come back file after file.
_CACHED_VARIANTS = 64


class WordPruned:
    """A config (rule object plus constraints) with its prunable `any` options known."""

    __slots__ = ("_options", "_variants", "config")

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        # Every option, in a prunable `any`, that requires some word, with its requirement.
        self._options: list[tuple[int, Requirement]] = []
        _collect(config["rule"], self._options, set(), {})
        self._variants: dict[tuple[bool, ...], dict[str, Any]] = {}

    def __bool__(self) -> bool:
        return bool(self._options)

    def for_file(self, words: WordCache) -> dict[str, Any]:
        """The config with the options whose words are missing from the file left out (the
        same object when none is)."""
        if not self._options:
            return self.config
        present = tuple(requirement.satisfied(words) for _, requirement in self._options)
        if all(present):
            return self.config
        known = self._variants.get(present)
        if known is None:
            dropped = {
                key for (key, _), found in zip(self._options, present, strict=True) if not found
            }
            rule = _pruned(self.config["rule"], dropped)
            known = self.config if rule is None else {**self.config, "rule": rule}
            if known is not self.config and not _writes_constrained(known):
                known = self.config
            if len(self._variants) >= _CACHED_VARIANTS:
                self._variants.clear()
            self._variants[present] = known
        return known


def _collect(
    rule: Any, into: list[tuple[int, Requirement]], seen: set[int], memo: dict[int, Requirement]
) -> None:
    """`memo`: the requirements of the sub-rules met so far (nested options share theirs)."""
    if isinstance(rule, list):
        for item in rule:
            _collect(item, into, seen, memo)
        return
    if not isinstance(rule, dict) or id(rule) in seen:
        return
    seen.add(id(rule))  # YAML anchors share sub-rules: each object once
    options = rule.get("any")
    if isinstance(options, list) and len(options) > 1:
        for option in options:
            if isinstance(option, dict):
                requirement = requirement_of(option, memo)
                if requirement:
                    into.append((id(option), requirement))
    for key in _RULE_KEYS:
        _collect(rule.get(key), into, seen, memo)
    _collect(rule.get("stopBy"), into, seen, memo)  # a relation's stop, when a rule object
    position = rule.get("nthChild")
    if isinstance(position, dict):
        _collect(position.get("ofRule"), into, seen, memo)


def _pruned(rule: Any, dropped: set[int]) -> Any:
    """`rule` without the options in `dropped` (by id); an `any` that would lose every
    option keeps them all (it matches nothing either way). None when nothing changed."""
    if isinstance(rule, list):
        items = [_pruned(item, dropped) for item in rule]
        if all(item is None for item in items):
            return None
        return [
            original if item is None else item for item, original in zip(items, rule, strict=True)
        ]
    if not isinstance(rule, dict):
        return None
    changed: dict[str, Any] = {}
    options = rule.get("any")
    if isinstance(options, list):
        kept = [option for option in options if id(option) not in dropped]
        if kept and len(kept) < len(options):
            options = kept
            changed["any"] = kept
        inner = _pruned(options, dropped)
        if inner is not None:
            changed["any"] = inner
    for key in ("all", "not", "inside", "has", "precedes", "follows", "stopBy"):
        inner = _pruned(rule.get(key), dropped)
        if inner is not None:
            changed[key] = inner
    position = rule.get("nthChild")
    if isinstance(position, dict):
        of_rule = _pruned(position.get("ofRule"), dropped)
        if of_rule is not None:
            changed["nthChild"] = {**position, "ofRule": of_rule}
    return {**rule, **changed} if changed else None


def _writes_constrained(config: dict[str, Any]) -> bool:
    """Whether every metavariable a constraint names is still written in a pattern."""
    constraints = config.get("constraints")
    if not constraints:
        return True
    written = set(_METAVARIABLE.findall(_patterns_text(config["rule"])))
    return set(constraints) <= written


def _patterns_text(rule: Any) -> str:
    if isinstance(rule, list):
        return "\n".join(_patterns_text(item) for item in rule)
    if not isinstance(rule, dict):
        return ""
    parts = []
    for key, value in rule.items():
        if key == "pattern":
            parts.append(value if isinstance(value, str) else str(value))
        else:
            parts.append(_patterns_text(value))
    return "\n".join(parts)
