"""Rule lint (rules/lint.py): metavariable joins in an order ast-grep does not keep are
found, in the built-in packs (none) and in a user's rule (`tavo rules test` warns)."""

from __future__ import annotations

from pathlib import Path

from tavo_platform.rules.lint import rule_warnings, unordered_joins
from tavo_platform.rules.loader import load_builtin_rules, load_rule_text

UNORDERED = {"kind": "function_definition", "has": {"field": "name", "pattern": "$F"},
             "inside": {"kind": "module", "has": {"stopBy": "end", "pattern": "f(fn=$F)"}}}
ORDERED = {"kind": "function_definition", "all": [
    {"has": {"field": "name", "pattern": "$F"}},
    {"inside": {"kind": "module", "has": {"stopBy": "end", "pattern": "f(fn=$F)"}}}]}


def test_a_join_in_ast_greps_order_is_found_and_an_all_list_is_not() -> None:
    assert unordered_joins(UNORDERED) == [": `inside` binds $F before `has` reads it"]
    assert unordered_joins(ORDERED) == []
    # bound before the object: the join is already decided
    assert unordered_joins({"all": [{"pattern": "g($F)"}, UNORDERED]}) == []


def test_no_builtin_rule_joins_metavariables_out_of_order() -> None:
    assert [w for rule in load_builtin_rules().rules for w in rule_warnings(rule)] == []


RULE = """\
rules:
  - id: tool-fn
    title: A function handed to Tool
    message: The function runs when the model calls the tool.
    severity: LOW
    confidence: LOW
    category: example
    fix: Check what it is given.
    languages: [python]
    structural:
      rule:
        kind: function_definition
        has: {field: name, pattern: $F}
        inside: {kind: module, has: {stopBy: end, pattern: 'Tool(fn=$F)'}}
    examples:
      positive: ["def run(): pass\\nTool(fn=run)"]
      negative: ["def run(): pass"]
"""


def test_rules_test_warns_about_a_user_rule(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rule = load_rule_text(RULE, "rules.yaml").rules[0]
    assert rule_warnings(rule)
    path = tmp_path / "rules.yaml"
    path.write_text(RULE, encoding="utf-8")
    result = run_cli("rules", "test", str(path))
    assert "warning: tool-fn: rule: `inside` binds $F before `has` reads it" in result.stdout
    # a warning, not a failure: the rule's examples pass
    assert result.exit_code == 0, result.stdout
