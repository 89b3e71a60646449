"""`tavo scan`: exit codes, summaries, bad input and the progress bar."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from tavo_platform.engine import SkipReason

from tests.support.rulefiles import ONLY_TEST_RULES, write_rules

MakeTree = Callable[[dict[str, str | bytes]], Path]
TAVO = Path(sys.executable).parent / "tavo"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return write_rules(tmp_path / "rules")


@pytest.fixture
def scan(run_cli: Callable[..., Result], rules: Path) -> Callable[..., Result]:
    def run(*args: object) -> Result:
        result = run_cli("scan", *args, "--rules", rules, *ONLY_TEST_RULES)
        assert "Traceback" not in result.output
        return result

    return run


# --- --fail-on and exit codes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "source", "exit_code"),
    [
        ("low", "x = 1\n", 0),  # nothing at all
        ("high", "LOW_MARKER = 1\nx = 'TOKEN_ABCD1234'\n", 0),  # LOW and MEDIUM, below HIGH
        ("medium", "LOW_MARKER = 1\nx = 'TOKEN_ABCD1234'\n", 1),
        ("low", "INFO_MARKER = 1\n", 0),  # INFO is below the default threshold
        ("info", "INFO_MARKER = 1\n", 1),
        ("critical", "eval(x)\n", 0),  # HIGH is below CRITICAL
        ("high", "eval(x)\n", 1),
        ("never", "eval(x)\n", 0),
    ],
)
def test_fail_on_threshold(
    scan: Callable[..., Result], make_tree: MakeTree, fail_on: str, source: str, exit_code: int
) -> None:
    result = scan(make_tree({"app.py": source}), "--fail-on", fail_on)
    assert result.exit_code == exit_code, result.output


def test_findings_are_still_printed_with_fail_on_never(
    scan: Callable[..., Result], make_tree: MakeTree
) -> None:
    result = scan(make_tree({"app.py": "eval(x)\n"}), "--fail-on", "never")
    assert result.exit_code == 0
    assert "t-eval" in result.stdout and "1 finding(s)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "xml"), "Invalid value for '--format' / '-f': Value error, 'xml' is not"),
        (("--fail-on", "severe"), "Invalid value for '--fail-on': Value error, 'severe' is not"),
        (("--max-file-size", "0"), "Invalid value for '--max-file-size': Input should be greater"),
        (("--jobs", "0"), "Invalid value for '--jobs' / '-j': Input should be greater"),
    ],
)
def test_bad_options_are_usage_errors(
    scan: Callable[..., Result], make_tree: MakeTree, args: tuple[str, ...], message: str
) -> None:
    result = scan(make_tree({"app.py": "eval(x)\n"}), *args)
    assert result.exit_code == 2
    unboxed = " ".join(re.sub("[│╭╮╰╯─]", " ", result.stderr).split())
    assert message in unboxed
    assert result.stdout == ""


def test_non_existent_path(scan: Callable[..., Result], tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist"
    result = scan(missing)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {missing}: no such file or directory"
    assert result.stdout == ""


def test_no_rules_selected(run_cli: Callable[..., Result], make_tree: MakeTree) -> None:
    result = run_cli("scan", make_tree({"a.py": "x"}), "--only", "no-such-rule-*")
    assert result.exit_code == 2
    assert "no rules selected" in result.stderr


def test_output_file_that_cannot_be_written(
    scan: Callable[..., Result], make_tree: MakeTree, tmp_path: Path
) -> None:
    result = scan(make_tree({"a.py": "eval(x)\n"}), "--output", tmp_path)
    assert result.exit_code == 2
    assert f"cannot write {tmp_path}" in result.stderr


def test_report_to_output_file(
    scan: Callable[..., Result], make_tree: MakeTree, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    result = scan(make_tree({"a.py": "eval(x)\n"}), "-f", "json", "-o", report)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert [f["rule_id"] for f in json.loads(report.read_text())["findings"]] == ["t-eval"]


# --- what gets scanned, as the summary tells it ---------------------------------------


def test_empty_directory(scan: Callable[..., Result], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = scan(empty)
    assert result.exit_code == 0
    assert "0 finding(s) · 0 file(s) scanned · 0 skipped" in result.stdout


def test_single_file_as_path(scan: Callable[..., Result], make_tree: MakeTree) -> None:
    root = make_tree({"pkg/app.py": "eval(x)\n", "pkg/other.py": "eval(y)\n"})
    result = scan(root / "pkg" / "app.py", "-f", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [(f["path"], f["start_line"]) for f in report["findings"]] == [("app.py", 1)]
    assert report["summary"]["files_scanned"] == 1


def test_skips_are_reported_by_reason_in_text_and_json(
    scan: Callable[..., Result], make_tree: MakeTree, tmp_path: Path
) -> None:
    root = make_tree(
        {
            "app.py": "eval(x)\n",
            "logo.png": b"\x89PNG\0\0\0\0",
            "data.py": "x = 1\n" * 400,
            "dist/app.min.js": "eval(x)",
            "latin1.py": "s = 'caf\xe9'\neval(y)\n".encode("latin-1"),
        }
    )
    (root / "passwd").symlink_to(tmp_path / "rules" / "rules.yaml")

    text = scan(root, "--max-file-size", "1000")
    assert text.exit_code == 1
    assert "2 finding(s) (2 high) · 2 file(s) scanned · 4 skipped" in text.stdout
    # each reason names its files, so a user can find them
    for reason, path in (
        (SkipReason.BINARY, "logo.png"),
        (SkipReason.TOO_LARGE, "data.py"),
        (SkipReason.MINIFIED, "dist/app.min.js"),
        (SkipReason.SYMLINK_OUTSIDE, "passwd"),
    ):
        assert f"skipped 1 file(s): {reason}: {path}" in text.stdout
    assert "note: 1 file(s) invalid UTF-8 (scanned with replacement characters): latin1.py" in (
        text.stdout
    )

    summary = json.loads(scan(root, "--max-file-size", "1000", "-f", "json").stdout)["summary"]
    assert summary["files_scanned"] == 2
    assert summary["files_skipped"] == 4
    assert summary["skipped_by_reason"] == {
        SkipReason.BINARY: 1,
        SkipReason.MINIFIED: 1,
        SkipReason.SYMLINK_OUTSIDE: 1,
        SkipReason.TOO_LARGE: 1,
    }
    assert summary["notes"] == {"invalid UTF-8 (scanned with replacement characters)": 1}


def test_exclude_option(scan: Callable[..., Result], make_tree: MakeTree) -> None:
    root = make_tree({"src/app.py": "eval(x)\n", "tests/test_app.py": "eval(y)\n"})
    report = json.loads(scan(root, "--exclude", "tests/", "-f", "json").stdout)
    assert [f["path"] for f in report["findings"]] == ["src/app.py"]


def test_vendored_code_is_skipped_unless_asked_for(
    scan: Callable[..., Result], make_tree: MakeTree
) -> None:
    root = make_tree({"src/app.js": "eval(x)\n", "src/static/vendor/jquery/jquery.js": "eval(y)\n"})
    report = json.loads(scan(root, "-f", "json").stdout)
    assert [f["path"] for f in report["findings"]] == ["src/app.js"]
    assert report["summary"]["skipped_by_reason"] == {SkipReason.VENDORED: 1}
    report = json.loads(scan(root, "--include-vendored", "-f", "json").stdout)
    assert [f["path"] for f in report["findings"]] == [
        "src/app.js",
        "src/static/vendor/jquery/jquery.js",
    ]


def test_symlink_loop_and_deep_nesting_are_not_errors(
    scan: Callable[..., Result], make_tree: MakeTree
) -> None:
    root = make_tree(
        {
            "deep.py": "x = " + "(" * 50_000 + ")" * 50_000 + "\neval(x)\n",
            "ok.js": "eval(y);\n",
        }
    )
    (root / "loop").symlink_to("loop")
    (root / "cycle").symlink_to(".", target_is_directory=True)
    result = scan(root, "-f", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [(f["path"], f["start_line"]) for f in report["findings"]] == [
        ("deep.py", 2),
        ("ok.js", 1),
    ]
    assert report["summary"]["skipped_by_reason"] == {
        SkipReason.SYMLINK_LOOP: 1,
        SkipReason.SYMLINK_DIR: 1,
    }


def test_jobs_option_gives_the_same_report(
    scan: Callable[..., Result], make_tree: MakeTree
) -> None:
    files: dict[str, str | bytes] = {
        f"m{index:02d}.py": "#" * 12_000 + f"\neval(v{index})\n" for index in range(30)
    }
    root = make_tree(files)

    def findings(jobs: str) -> list[dict[str, object]]:
        result = scan(root, "--jobs", jobs, "-f", "json")
        assert result.exit_code == 1
        return json.loads(result.stdout)["findings"]  # type: ignore[no-any-return]

    one = findings("1")
    assert len(one) == 30
    assert findings("2") == one


# --- rule errors do not stop the scan ----------------------------------------------------


def test_bad_rule_file_is_reported_while_the_other_rules_run(
    run_cli: Callable[..., Result], make_tree: MakeTree, rules: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "more-rules" / "broken.yaml"
    broken.parent.mkdir()
    broken.write_text(
        "rules:\n  - id: t-broken\n    title: no matcher, no examples\n    severity: HIGH\n"
    )
    root = make_tree({"app.py": "eval(x)\n"})
    result = run_cli("scan", root, "--rules", rules, "--rules", broken, *ONLY_TEST_RULES)
    assert result.exit_code == 2
    assert f"{broken}: rule 't-broken':" in result.stderr
    assert "t-eval" in result.stdout and "1 finding(s)" in result.stdout
    assert "Traceback" not in result.output


# --- progress ------------------------------------------------------------------------------


def _many_files(make_tree: MakeTree) -> Path:
    return make_tree({f"pkg/m{index:03d}.py": f"eval(x{index})\n" for index in range(80)})


def test_no_progress_output_when_stderr_is_not_a_terminal(
    scan: Callable[..., Result], make_tree: MakeTree
) -> None:
    result = scan(_many_files(make_tree))  # the test runner's stderr is not a terminal
    assert result.exit_code == 1
    assert "80 file(s) scanned" in result.stdout
    for marker in ("scanning", "\r", "\x1b[", "━", "80/80"):
        assert marker not in result.stderr


def test_progress_bar_on_a_terminal(make_tree: MakeTree, rules: Path) -> None:
    root = _many_files(make_tree)
    leader, follower = pty.openpty()
    try:
        completed = subprocess.run(
            [str(TAVO), "scan", str(root), "--rules", str(rules), *ONLY_TEST_RULES],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"},
        )
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    assert completed.returncode == 1
    assert "80 file(s) scanned" in completed.stdout
    assert b"scanning" in shown
