"""Regexes rewritten for a cheap ast-grep compile keep matching what they matched in
ASCII code, and ones that cannot be rewritten are kept as written."""

from __future__ import annotations

import pytest
from ast_grep_py import SgRoot
from tavo_platform.engine.matchers.regex_cost import cheap_config, cheap_regex


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"^\w+$", "^[0-9A-Za-z_]+$"),
        (r"[\w.]+\(", r"[0-9A-Za-z_.]+\("),
        (r"\bfoo\b", r"(?-u:\b)foo(?-u:\b)"),
        (r"a\s+\d", r"a[\t\n\x0B\f\r ]+[0-9]"),
        (r"(?i)password|secret", "(?i-u)password|secret"),
        (r"\\w", r"\\w"),  # an escaped backslash then a plain `w`
        (r"[^\]\w]", r"[^\]0-9A-Za-z_]"),
    ],
)
def test_rewrites(regex: str, expected: str) -> None:
    assert cheap_regex(regex) == expected


def test_keeps_unicode_case_folding_where_ascii_mode_is_refused() -> None:
    # `[^"]` in ASCII mode could match invalid UTF-8: ast-grep refuses it.
    assert cheap_regex(r'(?i)secret[^"]*') == r'(?i)secret[^"]*'


def test_config_rewrite_reaches_nested_rules_and_constraints() -> None:
    config = {
        "rule": {"any": [{"kind": "call", "has": {"regex": r"^\w+$"}}]},
        "constraints": {"M": {"regex": r"\bexecute\b"}},
    }
    rewritten = cheap_config(config)
    assert rewritten["rule"]["any"][0]["has"]["regex"] == "^[0-9A-Za-z_]+$"
    assert rewritten["constraints"]["M"]["regex"] == r"(?-u:\b)execute(?-u:\b)"
    assert config["rule"]["any"][0]["has"]["regex"] == r"^\w+$"  # the original is untouched


@pytest.mark.parametrize(
    ("regex", "text", "matches"),
    [
        (r"^\w+\.(get|post)\($", "app.get(", True),
        (r"^\w+\.(get|post)\($", "app get(", False),
        (r"(?i)\bpassword\b", "db_PASSWORD = x", False),
        (r"(?i)\bpassword\b", "PASSWORD = x", True),
    ],
)
def test_rewritten_regexes_match_like_the_originals(regex: str, text: str, matches: bool) -> None:
    root = SgRoot(text, "python").root()
    for candidate in (regex, cheap_regex(regex)):
        found = bool(root.find_all(regex=candidate))
        assert found is matches, candidate
