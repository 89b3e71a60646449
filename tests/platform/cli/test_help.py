"""The CLI as a newcomer meets it: readable help (real flag names, value names, defaults
and choices), suggestions that name a real command, and typos reported, not ignored."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.support.live import TAVO
from tests.support.rulefiles import write_rules

COMMANDS = [
    ["scan"], ["rules", "list"], ["rules", "test"], ["serve"], ["worker"], ["cluster"],
    ["keys", "create"], ["keys", "list"], ["keys", "revoke"], ["db", "upgrade"],
    ["users", "invite"],
]


def tavo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TAVO, *args], capture_output=True, text=True, timeout=60,
                          env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_is_readable(command: list[str]) -> None:
    result = tavo(*command, "--help")
    assert result.returncode == 0, result.stderr
    options = result.stdout.partition("Options:")[2]
    assert options
    for noise in ("--no-no-", "<list[", "<bool>", "<str>", "<int>", "<path>", "int range"):
        assert noise not in options, (noise, result.stdout)


def test_scan_help_shows_defaults_and_choices() -> None:
    text = tavo("scan", "--help").stdout
    assert "<text|json|sarif>" in text and "default: text" in text
    assert "<critical|high|medium|low|info|never>" in text and "default: low" in text
    assert "--no-gitignore" in text and "default: 1048576" in text
    assert "--exclude GLOB" in text


@pytest.mark.parametrize(("typo", "meant"), [("serv", "serve"), ("scna", "scan"),
                                              ("wroker", "worker"), ("kyes", "keys")])
def test_suggestions_name_the_right_command(typo: str, meant: str) -> None:
    result = tavo(typo)
    assert result.returncode == 2
    assert f"Did you mean '{meant}'?" in result.stderr, result.stderr


def test_rules_list_fails_on_a_broken_rule_file(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    broken = write_rules(tmp_path, "rules:\n  - id: x\n    bogus: [\n", name="broken.yaml")
    result = run_cli("rules", "list", "--rules", broken, "--only", "code-*")
    assert result.exit_code == 2
    assert "broken.yaml" in result.stderr


def test_a_skip_typo_is_reported(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_cli("scan", tmp_path, "--skip", "no-such-rule-anywhere")
    assert result.exit_code == 0
    assert "--skip 'no-such-rule-anywhere' matches no rule" in result.stderr


def test_an_ignore_comment_typo_is_reported(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "a.py").write_text("def f(x):\n    return eval(x)  # tavo: ignore[evl-typo]\n")
    result = run_cli("scan", tmp_path, "--format", "json")
    assert result.exit_code == 1  # the finding is still reported
    assert "a.py:2" in result.stderr and "'evl-typo' names no rule" in result.stderr
