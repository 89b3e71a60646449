"""User-supplied regexes run in linear time (RE2): a catastrophic pattern is harmless, and
one that needs backtracking is refused at load time with an error naming the rule."""

from __future__ import annotations

import time
from pathlib import Path

from tavo_platform.engine import scan_path
from tavo_platform.rules.loader import load_builtin_rules, load_rule_text

RULE = """rules:
  - id: {id}
    title: Catastrophic pattern
    message: A line of a's without a b.
    severity: LOW
    confidence: LOW
    category: test
    languages: [generic]
    fix: none
    regex:
      pattern: '{pattern}'
      group: {group}
    examples:
      positive: ["aaaab"]
      negative: ["cccc"]
"""


def rules(pattern: str, rule_id: str = "user-catastrophic", group: str = "null") -> object:
    return load_rule_text(RULE.format(id=rule_id, pattern=pattern, group=group), "user.yaml")


def test_a_catastrophic_user_regex_runs_in_linear_time(tmp_path: Path) -> None:
    loaded = rules("^(a+)+b")
    assert not loaded.errors, loaded.errors  # type: ignore[attr-defined]
    (tmp_path / "input.txt").write_text("a" * 200_000 + "\n" + "a" * 40 + "\naab\n")
    started = time.perf_counter()
    result = scan_path(tmp_path, loaded.rules, jobs=1)  # type: ignore[attr-defined]
    assert time.perf_counter() - started < 5
    assert [f.span.start_line for f in result.findings] == [3]


def test_named_groups_work_on_the_linear_engine(tmp_path: Path) -> None:
    loaded = rules("token=(?P<secret>[a-z]+)", group="secret")
    (tmp_path / "x.txt").write_text("x\ntoken=abc\n")
    result = scan_path(tmp_path, loaded.rules, jobs=1)  # type: ignore[attr-defined]
    assert [(f.span.start_line, f.span.start_column) for f in result.findings] == [(2, 7)]


def test_backtracking_constructs_are_refused_naming_the_rule() -> None:
    for pattern in ("(a)\\1", "foo(?=bar)", "(?<!x)y"):
        loaded = rules(pattern, rule_id="needs-backtracking")
        assert not loaded.rules  # type: ignore[attr-defined]
        [error] = loaded.errors  # type: ignore[attr-defined]
        assert "needs-backtracking" in str(error) and "linear-time" in str(error)


def test_builtin_rules_keep_their_lookarounds() -> None:
    assert not load_builtin_rules().errors
