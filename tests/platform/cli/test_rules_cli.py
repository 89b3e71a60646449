"""`tavo rules list` and `tavo rules test`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.support.rulefiles import DEFAULT_RULES, ONLY_TEST_RULES, call_rule, write_rules


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return write_rules(tmp_path / "rules")


def test_rules_list_text(run_cli: Callable[..., Result], rules: Path) -> None:
    result = run_cli("rules", "list", "--rules", rules, *ONLY_TEST_RULES)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "8 rule(s)"
    listed = {line.split()[1]: line.split() for line in lines[:-1]}
    assert sorted(listed) == sorted(
        [
            "t-eval",
            "t-py-danger",
            "t-js-danger",
            "t-ts-danger",
            "t-tsx-danger",
            "t-token",
            "t-low-marker",
            "t-info-marker",
        ]
    )
    assert listed["t-eval"][:4] == ["custom", "t-eval", "HIGH", "python,javascript,typescript,tsx"]
    assert listed["t-token"][:4] == ["custom", "t-token", "MEDIUM", "generic"]


def test_rules_list_json(run_cli: Callable[..., Result], rules: Path) -> None:
    result = run_cli(
        "rules", "list", "--rules", rules, "--only", "t-eval", "--only", "t-token", "--json"
    )
    assert result.exit_code == 0, result.output
    listed = {rule["id"]: rule for rule in json.loads(result.stdout)}
    assert sorted(listed) == ["t-eval", "t-token"]
    assert listed["t-eval"]["matcher"] == "structural"
    assert listed["t-token"]["matcher"] == "regex"
    assert listed["t-eval"]["languages"] == ["python", "javascript", "typescript", "tsx"]
    assert listed["t-eval"]["severity"] == "HIGH"
    assert listed["t-eval"]["source"] == str(rules)
    # Matchers and examples are rule internals, not listing material.
    assert not {"structural", "regex", "examples"} & set(listed["t-eval"])


def test_rules_list_skip(run_cli: Callable[..., Result], rules: Path) -> None:
    result = run_cli("rules", "list", "--rules", rules, *ONLY_TEST_RULES, "--skip", "t-*-danger")
    assert result.stdout.splitlines()[-1] == "4 rule(s)"


def test_rules_test_passing_directory(run_cli: Callable[..., Result], rules: Path) -> None:
    result = run_cli("rules", "test", rules.parent)
    assert result.exit_code == 0, result.output
    # One positive and one negative example per rule, each run in every listed language.
    assert result.stdout.strip() == "22 passed, 0 failed (8 rule(s))"


def test_rules_test_reports_a_failing_rule(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    directory = tmp_path / "mixed"
    write_rules(directory, "rules:\n" + call_rule("t-good", "run_it", "[python]"), "good.yaml")
    # Its examples are about `open(...)` but its pattern matches `eval(...)`: the positive
    # example fails in both languages; the negative one passes.
    wrong = call_rule("t-wrong", "open", "[python, javascript]").replace(
        "pattern: open($$$)", "pattern: eval($$$)"
    )
    write_rules(directory, "rules:\n" + wrong, "wrong.yaml")

    result = run_cli("rules", "test", directory)
    assert result.exit_code == 1
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL ")]
    assert failures == [
        "FAIL t-wrong: positive example #1 (python) should match, got 0 match(es)",
        "FAIL t-wrong: positive example #1 (javascript) should match, got 0 match(es)",
    ]
    assert result.stdout.splitlines()[-1] == "4 passed, 2 failed (2 rule(s))"


def test_rules_test_with_a_broken_rule_file(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    directory = tmp_path / "broken"
    write_rules(directory, DEFAULT_RULES)
    (directory / "zz-broken.yaml").write_text(
        "rules:\n  - id: t-incomplete\n    title: half a rule\n"
    )
    result = run_cli("rules", "test", directory)
    assert result.exit_code == 2
    assert f"{directory / 'zz-broken.yaml'}: rule 't-incomplete':" in result.stderr
    assert result.stdout.strip() == "22 passed, 0 failed (8 rule(s))"


def test_rules_test_on_a_missing_path(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    result = run_cli("rules", "test", tmp_path / "nope")
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope'}: no such file or directory" in result.stderr
    assert "Traceback" not in result.output
