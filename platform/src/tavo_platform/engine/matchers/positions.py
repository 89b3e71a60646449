"""Argument positions that ignore comments.

ast-grep's `nthChild` counts every named sibling, and tree-sitter makes a comment a named
node: in

    hashlib.new(  # legacy name
        "md5", data)

the comment is the argument list's first named child and `"md5"` its second, so a rule
saying "the first argument is the string md5" silently stops matching (and a rule about the
last argument can look at a comment instead). Rule authors mean positions among the
arguments, so before a structural rule is run every `nthChild` in it is made to count only
siblings that are not comments (ast-grep's `ofRule`), whatever its form: a number, an
`An+B` formula or an object (an existing `ofRule` is kept and narrowed).
"""

from __future__ import annotations

from typing import Any

_NOT_COMMENT: dict[str, Any] = {"not": {"kind": "comment"}}


def without_comment_positions(rule: Any) -> Any:
    """`rule` (an ast-grep rule or config, any nesting) with comments left out of every
    `nthChild` count. The input is not modified."""
    if isinstance(rule, list):
        return [without_comment_positions(item) for item in rule]
    if not isinstance(rule, dict):
        return rule
    out = {key: without_comment_positions(value) for key, value in rule.items()}
    if "nthChild" in out and out.get("kind") != "comment":
        out["nthChild"] = _skipping_comments(out["nthChild"])
    return out


def _skipping_comments(position: Any) -> Any:
    if isinstance(position, dict):
        narrowed = dict(position)
        existing = narrowed.get("ofRule")
        narrowed["ofRule"] = _NOT_COMMENT if existing is None else {"all": [existing, _NOT_COMMENT]}
        return narrowed
    # a number (1-based) or an "An+B" formula string
    return {"position": position, "ofRule": _NOT_COMMENT}
