"""`nthChild` in structural rules counts arguments, not the comments between them."""

from __future__ import annotations

from typing import Any

from tavo_platform.engine import Language
from tavo_platform.engine.matchers.positions import without_comment_positions
from tavo_platform.engine.matchers.structural import StructuralProgram
from tavo_platform.rules.model import Rule


def make_rule(rule_id: str, rule: dict[str, Any], languages: list[str] | None = None) -> Rule:
    return Rule.model_validate(
        {
            "id": rule_id,
            "title": f"rule {rule_id}",
            "message": "matched",
            "severity": "LOW",
            "confidence": "LOW",
            "category": "test",
            "fix": "change it",
            "languages": languages or ["python"],
            "structural": {"rule": rule},
            "examples": {"positive": ["x"], "negative": ["y"]},
        }
    )


FIRST_IS_MD5 = make_rule(
    "t-first-md5",
    {
        "kind": "call",
        "has": {
            "field": "arguments",
            "has": {"nthChild": 1, "kind": "string", "regex": "md5"},
        },
    },
)
LAST_IS_NAME = make_rule(
    "t-last-name",
    {
        "kind": "call",
        "has": {
            "field": "arguments",
            "has": {"nthChild": {"position": 1, "reverse": True}, "kind": "identifier"},
        },
    },
)


def lines_matched(rule: Rule, source: str, language: Language = Language.PYTHON) -> list[int]:
    return [m.span.start_line for m in StructuralProgram(language, [rule]).run(source)]


def test_a_comment_before_the_first_argument_does_not_shift_it() -> None:
    source = 'h = new(  # legacy algorithm\n    "md5", data)\n'
    assert lines_matched(FIRST_IS_MD5, source) == [1]


def test_a_comment_after_the_last_argument_does_not_shift_it() -> None:
    source = 'run(\n    "md5",\n    data,  # the payload\n)\n'
    assert lines_matched(LAST_IS_NAME, source) == [1]


def test_positions_still_tell_arguments_apart() -> None:
    # "md5" is the second argument here, with or without comments around it
    assert lines_matched(FIRST_IS_MD5, 'h = new(name, "md5")\n') == []
    assert lines_matched(FIRST_IS_MD5, 'h = new(  # note\n    name,  # note\n    "md5")\n') == []
    assert lines_matched(LAST_IS_NAME, 'run(data, "md5")  # data\n') == []


def test_javascript_comments_are_skipped_too() -> None:
    rule = make_rule(
        "t-js-first",
        {
            "kind": "call_expression",
            "has": {
                "field": "arguments",
                "has": {"nthChild": 1, "kind": "string", "regex": "md5"},
            },
        },
        ["javascript"],
    )
    source = 'createHash(/* legacy */ "md5");\ncreateHash(\n  // why\n  "md5");\n'
    assert lines_matched(rule, source, Language.JAVASCRIPT) == [1, 2]


def test_rewriting_keeps_every_form_and_an_existing_of_rule() -> None:
    rule = {
        "any": [
            {"nthChild": 2},
            {"nthChild": "2n+1"},
            {"nthChild": {"position": 1, "ofRule": {"kind": "string"}}},
            {"kind": "comment", "nthChild": 1},
        ]
    }
    rewritten = without_comment_positions(rule)
    not_comment = {"not": {"kind": "comment"}}
    assert rewritten["any"][0]["nthChild"] == {"position": 2, "ofRule": not_comment}
    assert rewritten["any"][1]["nthChild"] == {"position": "2n+1", "ofRule": not_comment}
    assert rewritten["any"][2]["nthChild"] == {
        "position": 1,
        "ofRule": {"all": [{"kind": "string"}, not_comment]},
    }
    # a rule about a comment's own position is left alone
    assert rewritten["any"][3] == {"kind": "comment", "nthChild": 1}
    assert rule["any"][0] == {"nthChild": 2}  # the input is not modified
