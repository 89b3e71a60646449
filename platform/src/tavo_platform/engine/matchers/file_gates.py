"""File-level conditions inside structural rules, decided once per file instead of per node.

A rule often asks whether the file imports something:

    kind: call
    has: {field: function, kind: identifier, pattern: $F}
    inside:
      kind: module            # the root
      stopBy: end
      has: {stopBy: end, kind: import_from_statement, ...}

ast-grep evaluates that `inside` at every candidate node, walking the whole tree again from
the root each time: quadratic in the size of the file, and most of a scan's matching time
on large files. Every node's only `module` (or `program`) ancestor is the root, so the
condition holds for a node only if the root itself matches it. When the root does not even
match a weaker form of it (metavariable patterns, negations and utilities left out), the
part of the rule that needs it cannot match anywhere in the file: an `any` branch is
dropped, or the whole rule skipped. Nothing else changes, so the results are the same; the
root is asked once per file and condition, not once per node.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from ast_grep_py import SgNode

# Keys that make a rule object match something (ast-grep rejects a rule with none).
_MATCHER_KEYS = frozenset(
    {
        "pattern",
        "kind",
        "regex",
        "nthChild",
        "range",
        "inside",
        "has",
        "precedes",
        "follows",
        "all",
        "any",
    }
)
_RELATIONAL_KEYS = ("inside", "has", "precedes", "follows")
ROOT_KINDS = frozenset({"module", "program"})


def has_file_gate(rule: Any) -> bool:
    """Whether `rule` has a root condition in a position where it can be decided per file."""
    if not isinstance(rule, dict):
        return False
    if _root_condition(rule.get("inside")) is not None:
        return True
    for key in ("all", "any"):
        for item in rule.get(key) or ():
            if has_file_gate(item):
                return True
    return any(has_file_gate(rule.get(key)) for key in _RELATIONAL_KEYS)


class FileGates:
    """Root conditions of one parsed file, each asked of the root at most once."""

    def __init__(self, root: SgNode, text: str | None = None) -> None:
        self._root = root
        self._text = text  # the file's text, for the constraints' words (see _text_allows)
        self._kind = root.kind()
        self._known: dict[str, bool] = {}
        self._constraints: dict[str, Any] = {}

    def prune(
        self, rule: dict[str, Any], constraints: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """`rule` without the parts the file rules out (the same object when nothing is
        ruled out), or None when the rule cannot match anywhere in the file."""
        self._constraints = constraints or {}
        return cast("dict[str, Any] | None", self._prune(rule))

    def _prune(self, rule: Any) -> Any:
        if not isinstance(rule, dict):
            return rule
        condition = _root_condition(rule.get("inside"))
        if (
            condition is not None
            and condition.get("kind") == self._kind
            and not (
                self._root_may_match(condition)
                and _text_allows(condition, self._constraints, self._text)
            )
        ):
            return None
        changed: dict[str, Any] = {}
        for key in _RELATIONAL_KEYS:
            related = rule.get(key)
            if isinstance(related, dict):
                pruned = self._prune(related)
                if pruned is None:
                    return None
                if pruned is not related:
                    changed[key] = pruned
        items = rule.get("all")
        if isinstance(items, list):
            pruned_items = [self._prune(item) for item in items]
            if any(item is None for item in pruned_items):
                return None
            if any(p is not o for p, o in zip(pruned_items, items, strict=True)):
                changed["all"] = pruned_items
        options = rule.get("any")
        if isinstance(options, list):
            kept = [p for p in (self._prune(option) for option in options) if p is not None]
            if not kept:
                return None
            if len(kept) != len(options) or any(
                p is not o for p, o in zip(kept, options, strict=True)
            ):
                changed["any"] = kept
        return {**rule, **changed} if changed else rule

    def _root_may_match(self, condition: dict[str, Any]) -> bool:
        weaker = _weaker({k: v for k, v in condition.items() if k not in ("stopBy", "field")})
        if weaker is None:
            return True
        key = json.dumps(weaker, sort_keys=True)
        known = self._known.get(key)
        if known is None:
            try:
                known = bool(self._root.matches(**weaker))
            except TimeoutError:
                raise  # the file's time budget, not a refused form
            except Exception:  # a form ast-grep refuses: no conclusion, keep the rule
                known = True
            self._known[key] = known
        return known


def _root_condition(inside: Any) -> dict[str, Any] | None:
    """An `inside` that can only be satisfied by the root: any distance up, root kind."""
    if (
        isinstance(inside, dict)
        and inside.get("stopBy") == "end"
        and inside.get("kind") in ROOT_KINDS
        and "field" not in inside
    ):
        return inside
    return None


def _weaker(rule: Any) -> dict[str, Any] | None:
    """A rule every node matching `rule` also matches, with no metavariable, negation or
    utility in it; None when that leaves no condition at all.

    Metavariables must go, not merely be left free: ast-grep binds them greedily, without
    backtracking (a `has` keeps the first descendant that matches), so a free variable can
    bind a node the rule's own would not, and then fail a constraint or a later condition
    the rule passes. (`$S = $CLIENT($$$)` with $S free binds `app = FastAPI()` first, and
    the constraint on CLIENT then fails, where the rule, with $S bound, goes on to the
    real client.) With none left, each part is a plain condition on nodes."""
    out: dict[str, Any] = {}
    for key, value in rule.items():
        if key == "pattern":
            if isinstance(value, str) and "$" not in value:
                out[key] = value
        elif key in ("kind", "regex", "range"):
            out[key] = value
        elif key in _RELATIONAL_KEYS:
            inner = _weaker(value)
            if inner is not None:
                if "field" in value:
                    inner["field"] = value["field"]
                stop = value.get("stopBy", "neighbor")
                # A rule as the stop is left out: searching to the end only weakens it.
                inner["stopBy"] = stop if stop in ("end", "neighbor") else "end"
                out[key] = inner
        elif key == "all":
            items = [w for w in (_weaker(item) for item in value or ()) if w is not None]
            if items:
                out[key] = items
        elif key == "any":
            options = [_weaker(option) for option in value or ()]
            if options and all(option is not None for option in options):
                out[key] = options
        # `not`, `matches` (utilities), `nthChild` (rewritten to skip comments, which
        # plain positions do not) and anything unknown: left out, which only weakens.
    return out if _MATCHER_KEYS & out.keys() else None


# Regex syntax read the same by Rust (ast-grep) and Python: literals, `\.`, groups,
# alternation, simple classes and repetition; `^` first and `$` last only.
_PORTABLE_REGEX = re.compile(r"\^?(?:[A-Za-z0-9_|()?*+\-\[\]]|\\\.|\(\?:)*\$?")
_CAPTURED = re.compile(r"\$(?:\$\$)?([A-Z][A-Z0-9_]*)")


def _text_allows(rule: Any, constraints: dict[str, Any], text: str | None) -> bool:
    """False only when `rule` cannot match in a file with this text: a metavariable the
    rule binds whose config constraint is a regex must bind a node whose text, part of the
    file's, holds a match. (Checked on the text, not by ast-grep: a constraint is applied
    after a whole match, so a free metavariable would take the first candidate node and
    fail there; see _weaker.) Negations are not looked into."""
    if text is None or not isinstance(rule, dict):
        return True
    pattern = rule.get("pattern")
    if isinstance(pattern, str):
        for name in _CAPTURED.findall(pattern):
            regex = _text_regex(constraints.get(name))
            if regex is not None and regex.search(text) is None:
                return False
    for key in _RELATIONAL_KEYS:
        if not _text_allows(rule.get(key), constraints, text):
            return False
    items = rule.get("all")
    if isinstance(items, list) and not all(_text_allows(i, constraints, text) for i in items):
        return False
    options = rule.get("any")
    return not isinstance(options, list) or any(_text_allows(o, constraints, text) for o in options)


def _text_regex(constraint: Any) -> re.Pattern[str] | None:
    """A constraint's regex, unanchored, where Rust and Python read it alike; else None."""
    regex = constraint.get("regex") if isinstance(constraint, dict) else None
    if not isinstance(regex, str) or not _PORTABLE_REGEX.fullmatch(regex):
        return None
    body = regex.removeprefix("^")
    body = body[:-1] if body.endswith("$") else body
    try:
        return re.compile(body)
    except re.error:
        return None
