"""`tavo scan --baseline-ref REF`: only findings the working tree introduces relative to a
git ref are reported (and decide the exit code), from the repository root or a
subdirectory; a bad ref or a directory outside git is a usage error."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

GIT = ["git", "-c", "user.email=tests@tavo.invalid", "-c", "user.name=tests"]
OLD = 'import subprocess\n\n\ndef run(cmd):\n    subprocess.call("ls " + cmd, shell=True)\n'
NEW = OLD + "\n\ndef evaluate(expression):\n    return eval(expression)\n"


def repository(root: Path) -> Path:
    (root / "service").mkdir(parents=True)
    (root / "service" / "app.py").write_text(OLD, encoding="utf-8")
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "base"], cwd=root, check=True)
    # The working tree (uncommitted) adds an eval on top of the shell call at main.
    (root / "service" / "app.py").write_text(NEW, encoding="utf-8")
    return root


def findings(result: Result) -> list[dict[str, object]]:
    document = json.loads(result.stdout)
    found: list[dict[str, object]] = document["findings"]
    return found


def test_only_new_findings_are_reported(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    root = repository(tmp_path / "repo")
    everything = run_cli("scan", root, "--format", "json")
    assert everything.exit_code == 1
    assert len(findings(everything)) >= 2
    for target in (root, root / "service", root / "service" / "app.py"):
        new = run_cli("scan", target, "--format", "json", "--baseline-ref", "main")
        reported = findings(new)
        assert reported and all("eval" in str(f["snippet"]) for f in reported), target
        assert new.exit_code == 1
    # Against the working tree's own commit after committing it: nothing is new.
    subprocess.run([*GIT, "commit", "-q", "-am", "eval"], cwd=root, check=True)
    clean = run_cli("scan", root, "--format", "json", "--baseline-ref", "HEAD")
    assert findings(clean) == [] and clean.exit_code == 0


def test_bad_refs_and_non_repositories(
    run_cli: Callable[..., Result], tmp_path: Path
) -> None:
    root = repository(tmp_path / "repo")
    for ref in ("no-such-branch", "--output=/tmp/x"):
        result = run_cli("scan", root, "--baseline-ref", ref)
        assert result.exit_code == 2, result.output
        assert "--baseline-ref" in result.output
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "app.py").write_text(NEW, encoding="utf-8")
    result = run_cli("scan", outside, "--baseline-ref", "main")
    assert result.exit_code == 2 and "--baseline-ref main" in result.output


def test_tavo_ci_fails_only_on_new_findings_at_the_threshold(
    run_cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repository(tmp_path / "repo")
    # The new eval is HIGH or above; the shell call at main is not reported at all.
    failing = run_cli("ci", root, "--base-ref", "main", "--format", "json")
    assert failing.exit_code == 1
    assert findings(failing) and all("eval" in str(f["snippet"]) for f in findings(failing))
    lenient = run_cli("ci", root, "--base-ref", "main", "--fail-on", "never")
    assert lenient.exit_code == 0
    # Without --base-ref, the CI's variables name the base (origin/<branch>).
    subprocess.run([*GIT, "update-ref", "refs/remotes/origin/main", "main"], cwd=root,
                   check=True)
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    from_env = run_cli("ci", root, "--format", "json")
    assert from_env.exit_code == 1 and findings(from_env) == findings(failing)
    missing = run_cli("ci", root, "--base-ref", "origin/nope")
    assert missing.exit_code == 2
