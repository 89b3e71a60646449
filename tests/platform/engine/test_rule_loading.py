"""Bad rule files: each problem is named by file and rule id, and never stops the other rules."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from tavo_platform.rules import loader
from tavo_platform.rules.loader import MAX_RULE_FILE_BYTES, RuleSet, load_rules

from tests.support.rulefiles import ONLY_TEST_RULES, call_rule, regex_rule, rule_yaml

GOOD_BEFORE = call_rule("t-good-before", "eval", "[python]")
GOOD_AFTER = regex_rule("t-good-after", "TOKEN_[A-Z0-9]{8}", positive="TOKEN_ABCD1234")


def rule_file(tmp_path: Path, middle: str, name: str = "rules.yaml") -> Path:
    """A rule file with a good rule on each side of `middle`."""
    path = tmp_path / name
    path.write_text("rules:\n" + GOOD_BEFORE + middle + GOOD_AFTER, encoding="utf-8")
    return path


def loaded(path: Path) -> RuleSet:
    return load_rules(path)


def error_texts(rules: RuleSet) -> list[str]:
    return [str(error) for error in rules.errors]


BAD_RULES = {
    "invalid-yaml": (
        "  - id: t-bad\n    title: [unclosed\n    message: x\n",
        "invalid YAML at line ",
    ),
    "missing-fields": (
        "  - id: t-bad\n    title: a rule without the rest\n",
        "message: Field required; severity: Field required",
    ),
    "unknown-severity": (
        rule_yaml(
            "t-bad", languages="[generic]", severity="URGENT", matcher="regex:\n  pattern: abc\n"
        ),
        "severity: Input should be 'CRITICAL', 'HIGH', 'MEDIUM', 'LOW' or 'INFO'",
    ),
    "invalid-regex": (
        rule_yaml("t-bad", languages="[generic]", matcher="regex:\n  pattern: 'ab(c'\n"),
        "regex.pattern: Value error, invalid regular expression: missing ), unterminated",
    ),
    "unknown-ast-grep-kind": (
        rule_yaml(
            "t-bad", languages="[python]", matcher="structural:\n  rule: {kind: no_such_node}\n"
        ),
        "invalid structural matcher for python:",
    ),
    "invalid-ast-grep-relation": (
        rule_yaml(
            "t-bad",
            languages="[javascript]",
            matcher="structural:\n  rule: {pattern: f($A), inside: {stopBy: sideways}}\n",
        ),
        "invalid structural matcher for javascript: unknown variant `sideways`",
    ),
    "two-matchers": (
        rule_yaml(
            "t-bad",
            languages="[python]",
            matcher="regex: {pattern: abc}\nstructural: {rule: {pattern: f()}}\n",
        ),
        "a rule needs exactly one of `structural`, `regex`, `artifact` or `taint`",
    ),
    "structural-on-generic": (
        rule_yaml("t-bad", languages="[generic]", matcher="structural: {rule: {pattern: f()}}\n"),
        "a structural rule's languages must be python/javascript/typescript/tsx",
    ),
    "after-text-invalid-regex": (
        rule_yaml(
            "t-bad",
            languages="[python]",
            matcher="taint:\n  sources: [{pattern: src()}]\n  sinks: [{pattern: snk($X)}]\n"
            "  sanitizers: [{after_text: '[?'}]\n",
        ),
        "taint.sanitizers[0]: `after_text`: invalid regular expression",
    ),
    "after-text-on-a-sink": (
        rule_yaml(
            "t-bad",
            languages="[python]",
            matcher="taint:\n  sources: [{pattern: src()}]\n"
            "  sinks: [{pattern: snk($X)}, {after_text: 'x'}]\n",
        ),
        "taint.sinks[1]: `after_text` belongs to sanitizers",
    ),
    "after-text-with-a-pattern": (
        rule_yaml(
            "t-bad",
            languages="[python]",
            matcher="taint:\n  sources: [{pattern: src()}]\n  sinks: [{pattern: snk($X)}]\n"
            "  sanitizers: [{after_text: 'x', pattern: f()}]\n",
        ),
        "taint.sanitizers[0]: `after_text` stands alone in its entry",
    ),
    "bad-id": (
        "  - id: t-Bad\n    title: x\n",
        "rule 't-Bad': id: Value error, must be 3-81 chars",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_one_bad_rule_is_named_and_the_others_load(tmp_path: Path, case: str) -> None:
    middle, message = BAD_RULES[case]
    path = rule_file(tmp_path, middle)
    rules = loaded(path)
    assert [rule.id for rule in rules.rules] == ["t-good-before", "t-good-after"]
    [error] = error_texts(rules)
    expected_id = "t-Bad" if case == "bad-id" else "t-bad"
    assert error.startswith(f"{path}: rule {expected_id!r}: "), error
    assert message in error
    assert "Stack backtrace" not in error and "\n" not in error


def test_invalid_yaml_error_gives_the_line_in_the_file(tmp_path: Path) -> None:
    path = rule_file(tmp_path, BAD_RULES["invalid-yaml"][0])
    [error] = error_texts(loaded(path))
    bad_line = path.read_text().splitlines().index("    message: x") + 1
    assert f"invalid YAML at line {bad_line}:" in error


def test_a_rule_that_is_not_a_mapping(tmp_path: Path) -> None:
    rules = loaded(rule_file(tmp_path, "  - just a string\n"))
    assert [rule.id for rule in rules.rules] == ["t-good-before", "t-good-after"]
    assert error_texts(rules) == [f"{tmp_path / 'rules.yaml'}: rule '#2': a rule must be a mapping"]


def test_duplicate_ids_in_one_file_and_across_files(tmp_path: Path) -> None:
    first = rule_file(tmp_path, call_rule("t-good-before", "exec", "[python]"), "a.yaml")
    second = tmp_path / "b.yaml"
    second.write_text("rules:\n" + GOOD_AFTER)
    rules = load_rules(tmp_path)
    assert [rule.id for rule in rules.rules] == ["t-good-before", "t-good-after"]
    # The first definition wins; the pattern kept is the first one's.
    assert rules.rules[0].structural is not None
    assert rules.rules[0].structural.rule == {"pattern": "eval($$$)"}
    assert error_texts(rules) == [
        f"{first}: rule 't-good-before': duplicate rule id (first one kept)",
        f"{second}: rule 't-good-after': duplicate rule id (first one kept)",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "- id: t-list\n  title: a list, not a mapping\n",
        "just a scalar\n",
        "",
        "rules: not-a-list\n",
        "other: {}\n",
    ],
)
def test_document_that_is_not_a_mapping_with_rules(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    rules = loaded(path)
    assert rules.rules == []
    assert error_texts(rules) == [f"{path}: expected a mapping with a `rules:` list"]


def test_yaml_broken_outside_the_rule_list_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("rules: [\n  {id: t-x,\n")
    [error] = error_texts(loaded(path))
    assert error.startswith(f"{path}: invalid YAML:")


def test_huge_rule_file(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "# " + "x" * MAX_RULE_FILE_BYTES + "\n")
    started = time.perf_counter()
    rules = loaded(path)
    assert time.perf_counter() - started < 2
    assert error_texts(rules) == [f"{path}: larger than {MAX_RULE_FILE_BYTES} bytes"]


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous = f"*a{level - 1}"
        levels.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\nrules: [*a8]\n")
    started = time.perf_counter()
    rules = loaded(path)
    assert time.perf_counter() - started < 5
    [error] = error_texts(rules)
    assert error.startswith(f"{path}: document expands to more than")


def test_unreadable_rule_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("rules: []  # caf\xe9\n".encode("latin-1"))
    [error] = error_texts(loaded(path))
    assert error.startswith(f"{path}: cannot read:")


def test_directory_without_rule_files(tmp_path: Path) -> None:
    assert error_texts(load_rules(tmp_path)) == [f"{tmp_path}: no .yaml/.yml rule files"]


def test_empty_builtin_pack_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty-pack").mkdir()
    (tmp_path / "real-pack").mkdir()
    (tmp_path / "real-pack" / "rules.yaml").write_text("rules:\n" + GOOD_BEFORE)
    monkeypatch.setattr(loader, "BUILTIN_PACKS_DIR", tmp_path)
    loader._builtin_rules.cache_clear()
    try:
        rules = loader.load_builtin_rules()
    finally:
        loader._builtin_rules.cache_clear()
    assert [(rule.id, rule.pack) for rule in rules.rules] == [("t-good-before", "real-pack")]
    assert rules.errors == []


def test_selection_drops_errors_about_rules_not_selected(tmp_path: Path) -> None:
    rules = loaded(rule_file(tmp_path, BAD_RULES["missing-fields"][0]))
    assert len(rules.select(["t-*"]).errors) == 1
    assert rules.select(["t-good-*"]).errors == []
    assert rules.select([], ["t-bad"]).errors == []
    assert rules.select(["custom"]).errors == rules.errors  # selected by pack name


# --- through the CLI: reported, exit 2, the good rules still find things -----------------


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_scan_with_a_bad_rule_still_reports_findings(
    run_cli: Callable[..., Result],
    make_tree: Callable[[dict[str, str | bytes]], Path],
    tmp_path: Path,
    case: str,
) -> None:
    middle, message = BAD_RULES[case]
    rules = rule_file(tmp_path, middle)
    other = tmp_path / "other" / "more.yaml"
    other.parent.mkdir()
    other.write_text("rules:\n" + call_rule("t-other-file", "exec", "[python]"))
    root = make_tree({"app.py": "eval(x)\nexec(y)\nKEY = 'TOKEN_ABCD1234'\n"})

    result = run_cli("scan", root, "--rules", rules, "--rules", other, *ONLY_TEST_RULES)

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(rules) in result.stderr and message in " ".join(result.stderr.split())
    for rule_id in ("t-good-before", "t-good-after", "t-other-file"):
        assert rule_id in result.stdout
    assert "3 finding(s)" in result.stdout


def test_skipping_the_bad_rule_clears_the_error(
    run_cli: Callable[..., Result],
    make_tree: Callable[[dict[str, str | bytes]], Path],
    tmp_path: Path,
) -> None:
    rules = rule_file(tmp_path, BAD_RULES["invalid-regex"][0])
    root = make_tree({"app.py": "eval(x)\n"})
    result = run_cli("scan", root, "--rules", rules, *ONLY_TEST_RULES, "--skip", "t-bad")
    assert result.exit_code == 1
    assert "rule error" not in result.stderr
